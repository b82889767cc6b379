"""Input and output serializers, kept apart (HackSoft): an input serializer only checks
the shape of what a client sends before a service is called; an output serializer only
says what a client gets back. Neither saves anything."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from enrollments.models import Certificate, Enrollment, FundingSource, Student
from partners.health import HealthReason, HealthStatus, PartnerHealth, partners_health
from partners.models import Partner, PartnerCourse

# --- Partners and courses -----------------------------------------------------------


class PartnerHealthOutput(serializers.Serializer):
    """A partner's health as partners.health judges it (docs/api.md, docs/monitoring.md)."""

    status = serializers.ChoiceField(choices=list(HealthStatus))
    breaker = serializers.ChoiceField(choices=["closed", "open", "half-open", "unknown"])
    open_alerts = serializers.IntegerField(min_value=0)
    reasons = serializers.ListField(
        child=serializers.ChoiceField(choices=list(HealthReason)),
        help_text="Why the status is not ok, most serious first; empty when it is.",
    )


class PartnerOutput(serializers.ModelSerializer):
    """A partner with its health. The view judges the health of a page of partners at once
    and passes it in the context as `health` (by partner pk)."""

    mode = serializers.SerializerMethodField(
        help_text="The connection mode in force: api, roster or manual "
        "(misconfigured when its environment variable is invalid)."
    )
    health = serializers.SerializerMethodField()

    class Meta:
        model = Partner
        fields = ["slug", "name", "mode", "active", "health"]

    def _health(self, partner: Partner) -> PartnerHealth:
        judged = self.context.setdefault("health", {})
        if partner.pk not in judged:
            [judged[partner.pk]] = partners_health(Partner.objects.filter(pk=partner.pk))
        return judged[partner.pk]

    def get_mode(self, partner: Partner) -> str:
        return self._health(partner).mode

    @extend_schema_field(PartnerHealthOutput)
    def get_health(self, partner: Partner) -> dict:
        return PartnerHealthOutput(self._health(partner)).data


class CourseOutput(serializers.ModelSerializer):
    partner = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    credential = serializers.CharField(source="credential_name", read_only=True)
    price = serializers.DecimalField(
        source="retail_price",
        max_digits=10,
        decimal_places=2,
        read_only=True,
        help_text="Retail price.",
    )

    class Meta:
        model = PartnerCourse
        fields = [
            "id",
            "partner",
            "code",
            "title",
            "credential",
            "price",
            "validity_months",
            "needs_voucher",
        ]
        read_only_fields = fields


# --- Students -------------------------------------------------------------------------


class StudentInput(serializers.Serializer):
    external_ref = serializers.CharField(max_length=64, help_text="The organisation's own id.")
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    email = serializers.EmailField()
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")


class StudentUpdateInput(serializers.Serializer):
    """PATCH: any of these. The student reference is not among them: partner accounts and
    roster files know the student by it."""

    first_name = serializers.CharField(max_length=100, required=False)
    last_name = serializers.CharField(max_length=100, required=False)
    email = serializers.EmailField(required=False)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)

    def to_internal_value(self, data):
        # An ignored field would look like a successful change to the client: refuse it.
        if isinstance(data, dict) and "external_ref" in data:
            raise serializers.ValidationError(
                {"external_ref": ["The student reference cannot be changed."]}
            )
        return super().to_internal_value(data)


class StudentOutput(serializers.ModelSerializer):
    class Meta:
        model = Student
        fields = ["id", "external_ref", "first_name", "last_name", "email", "phone"]
        read_only_fields = fields


# --- Enrollments and certificates -------------------------------------------------------


class EnrollmentInput(serializers.Serializer):
    student = serializers.PrimaryKeyRelatedField(queryset=Student.objects.all())
    # With its partner: enrollment_create checks both are active (one read, not two).
    course = serializers.PrimaryKeyRelatedField(
        queryset=PartnerCourse.objects.select_related("partner")
    )
    funding_source = serializers.ChoiceField(choices=FundingSource.choices, required=False)


# Certificate links are empty when the partner gave none: a plain string in the schema,
# not a "uri" (which would forbid the empty string).
CERTIFICATE_LINK = {"read_only": True, "help_text": "Empty when the partner gave none."}


class EnrollmentCertificateOutput(serializers.ModelSerializer):
    url = serializers.CharField(**CERTIFICATE_LINK)
    verification_url = serializers.CharField(**CERTIFICATE_LINK)

    class Meta:
        model = Certificate
        fields = ["number", "issued_at", "expires_at", "url", "verification_url", "source"]
        read_only_fields = fields


class EnrollmentOutput(serializers.ModelSerializer):
    partner = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    # A reverse one-to-one that does not exist reads as null (allow_null).
    certificate = EnrollmentCertificateOutput(read_only=True, allow_null=True)

    class Meta:
        model = Enrollment
        fields = [
            "id",
            "student",
            "course",
            "partner",
            "status",
            "progress_percent",
            "score",
            "external_enrollment_id",
            "funding_source",
            "requested_at",
            "completed_at",
            "last_synced_at",
            "last_error",
            "certificate",
        ]
        read_only_fields = fields


class LaunchOutput(serializers.Serializer):
    url = serializers.URLField(help_text="Signs the student in to the course; open it once.")
    expires_at = serializers.DateTimeField()


class CertificateOutput(serializers.ModelSerializer):
    student = serializers.IntegerField(source="enrollment.student_id", read_only=True)
    course = serializers.IntegerField(source="enrollment.course_id", read_only=True)
    partner = serializers.CharField(source="enrollment.partner.slug", read_only=True)
    url = serializers.CharField(**CERTIFICATE_LINK)
    verification_url = serializers.CharField(**CERTIFICATE_LINK)

    class Meta:
        model = Certificate
        fields = [
            "id",
            "enrollment",
            "student",
            "course",
            "partner",
            "number",
            "issued_at",
            "expires_at",
            "url",
            "verification_url",
            "source",
        ]
        read_only_fields = fields
