"""REST API v1 (DESIGN.md §7). Views only translate: input serializer in, service call,
output serializer out. What an enrollment may do is decided in enrollments.services."""

from __future__ import annotations

from typing import Any

from django.db.models import F
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from enrollments import services
from enrollments.api import filters, schema
from enrollments.api.errors import service_errors
from enrollments.api.idempotency import HEADER, answer_once, idempotency_key
from enrollments.api.permissions import HasModelPermission
from enrollments.api.serializers import (
    CertificateOutput,
    CourseOutput,
    EnrollmentInput,
    EnrollmentOutput,
    LaunchOutput,
    PartnerOutput,
    StudentInput,
    StudentOutput,
    StudentUpdateInput,
)
from enrollments.api.throttling import TokenRateThrottle
from enrollments.models import Certificate, Enrollment, Student
from partners.health import PartnerHealth, partners_health
from partners.models import Partner, PartnerCourse


def validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """The input serializer's validated data, or a 400 with its field errors."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class ApiViewSet(viewsets.GenericViewSet):
    permission_classes = [HasModelPermission]
    throttle_classes = [TokenRateThrottle]
    # Any path segment reaches the view (DRF's default stops at a dot), so a malformed
    # id such as `1.5` is DRF's JSON 404 rather than Django's HTML one.
    lookup_value_regex = "[^/]+"


@extend_schema_view(
    list=extend_schema(summary="List partners", responses={200: PartnerOutput, **schema.LIST}),
    retrieve=extend_schema(
        summary="A partner, with its health",
        responses={200: PartnerOutput, **schema.COMMON, **schema.NOT_FOUND},
    ),
)
@extend_schema(tags=["partners"])
class PartnerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    queryset = Partner.objects.order_by("name", "slug")
    serializer_class = PartnerOutput
    lookup_field = "slug"

    def list(self, request: Request) -> Response:
        # Health is judged for every partner at once (a fixed number of queries; the
        # registry's partners are few), then paginated.
        page = self.paginate_queryset(partners_health(self.filter_queryset(self.get_queryset())))
        return self.get_paginated_response(self._output(page))

    def retrieve(self, request: Request, slug: str | None = None) -> Response:
        [health] = partners_health(Partner.objects.filter(pk=self.get_object().pk))
        return Response(self._output([health])[0])

    def _output(self, judged: list[PartnerHealth]) -> list:
        context = {**self.get_serializer_context(), "health": {h.partner.pk: h for h in judged}}
        return PartnerOutput([h.partner for h in judged], many=True, context=context).data


@extend_schema_view(
    list=extend_schema(
        summary="List the courses on offer", responses={200: CourseOutput, **schema.LIST}
    )
)
@extend_schema(tags=["courses"])
class CourseViewSet(mixins.ListModelMixin, ApiViewSet):
    # Only what can be enrolled in: an inactive course or partner would answer 409.
    queryset = (
        PartnerCourse.objects.active().select_related("partner").order_by("partner__slug", "code")
    )
    serializer_class = CourseOutput
    filterset_class = filters.CourseFilter


@extend_schema_view(
    list=extend_schema(summary="List students", responses={200: StudentOutput, **schema.LIST}),
    retrieve=extend_schema(
        summary="A student", responses={200: StudentOutput, **schema.COMMON, **schema.NOT_FOUND}
    ),
)
@extend_schema(tags=["students"])
class StudentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    queryset = Student.objects.order_by("last_name", "first_name", "pk")
    serializer_class = StudentOutput
    filterset_class = filters.StudentFilter

    @extend_schema(
        summary="Create a student",
        request=StudentInput,
        responses={201: StudentOutput, 400: schema.FIELD_ERRORS, **schema.COMMON},
    )
    def create(self, request: Request) -> Response:
        student = services.student_create(**validated(StudentInput, request.data))
        return Response(StudentOutput(student).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a student's names, e-mail or phone",
        request=StudentUpdateInput,
        responses={
            200: StudentOutput,
            400: schema.FIELD_ERRORS,
            **schema.COMMON,
            **schema.NOT_FOUND,
        },
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        student = services.student_update(
            student=self.get_object(), **validated(StudentUpdateInput, request.data)
        )
        return Response(StudentOutput(student).data)


ENROLLMENT_ACTION = {
    200: EnrollmentOutput,
    **schema.COMMON,
    **schema.NOT_FOUND,
    409: schema.CONFLICT,
}


@extend_schema_view(
    list=extend_schema(
        summary="List enrollments", responses={200: EnrollmentOutput, **schema.LIST}
    ),
    retrieve=extend_schema(
        summary="An enrollment, with its certificate",
        responses={200: EnrollmentOutput, **schema.COMMON, **schema.NOT_FOUND},
    ),
)
@extend_schema(tags=["enrollments"])
class EnrollmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    queryset = Enrollment.objects.select_related("partner", "certificate").order_by(
        "-requested_at", "-pk"
    )
    serializer_class = EnrollmentOutput
    filterset_class = filters.EnrollmentFilter
    # Acting on an enrollment changes it: these POSTs need change_enrollment, not add.
    action_permissions = {"launch": "change", "sync": "change", "cancel": "change"}

    @extend_schema(
        summary="Enrol a student in a course",
        description="Answers 201 with the enrollment (status `requested`); provisioning "
        f"at the partner starts once it is saved. With an `{HEADER}` header, a retry of "
        "the same request replays the first answer.",
        parameters=[schema.IDEMPOTENCY_KEY],
        request=EnrollmentInput,
        responses={
            201: EnrollmentOutput,
            400: schema.FIELD_ERRORS,
            **schema.COMMON,
            409: schema.CONFLICT,
            422: schema.IDEMPOTENCY_KEY_REUSED,
        },
    )
    def create(self, request: Request) -> Response:
        key = idempotency_key(request)
        if key is None:
            return self._create(request)
        return answer_once(request=request, key=key, answer=lambda: self._create(request))

    def _create(self, request: Request) -> Response:
        data = validated(EnrollmentInput, request.data)
        with service_errors():
            enrollment = services.enrollment_create(**data)
        # Made a moment ago, it has no certificate: the answer says so without reading.
        Enrollment.certificate.related.set_cached_value(enrollment, None)
        return Response(EnrollmentOutput(enrollment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="A fresh sign-in URL to the course",
        request=None,
        responses={
            **ENROLLMENT_ACTION,
            200: LaunchOutput,
            **schema.PARTNER_FAILURE,
        },
    )
    @action(detail=True, methods=["post"])
    def launch(self, request: Request, pk: str | None = None) -> Response:
        with service_errors():
            launch = services.enrollment_launch_url(enrollment=self.get_object())
        return Response(LaunchOutput({"url": launch.url, "expires_at": launch.expires_at}).data)

    @extend_schema(
        summary="Ask the partner for progress now",
        description="Applies the partner's progress (and certificate once completed) and "
        "answers with the enrollment as it now is.",
        request=None,
        responses={**ENROLLMENT_ACTION, **schema.PARTNER_FAILURE},
    )
    @action(detail=True, methods=["post"])
    def sync(self, request: Request, pk: str | None = None) -> Response:
        enrollment = self.get_object()
        with service_errors():
            services.enrollment_sync_progress(enrollment=enrollment)
        return Response(EnrollmentOutput(self.get_queryset().get(pk=enrollment.pk)).data)

    @extend_schema(
        summary="Cancel an enrollment",
        description="Releases its voucher. The partner is not told (none offers a cancel "
        "call): staff withdraw the seat there if needed.",
        request=None,
        responses=ENROLLMENT_ACTION,
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        with service_errors():
            enrollment = services.enrollment_cancel(enrollment=self.get_object())
        return Response(EnrollmentOutput(self.get_queryset().get(pk=enrollment.pk)).data)


@extend_schema_view(
    list=extend_schema(
        summary="List certificates", responses={200: CertificateOutput, **schema.LIST}
    )
)
@extend_schema(tags=["certificates"])
class CertificateViewSet(mixins.ListModelMixin, ApiViewSet):
    queryset = Certificate.objects.select_related("enrollment__partner").order_by(
        F("expires_at").asc(nulls_last=True), "pk"
    )
    serializer_class = CertificateOutput
    filterset_class = filters.CertificateFilter
