"""Query filters (django-filter). Ids and slugs filter by value, so an unknown one gives
an empty page rather than an error; a malformed value (a status that does not exist, a
date that is not one) answers 400 with the field's error."""

from __future__ import annotations

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field

from enrollments.models import Certificate, Enrollment, EnrollmentStatus, Student
from partners.models import PartnerCourse

MAX_ID = 2**63 - 1  # the largest id the database can hold


class IdField(forms.IntegerField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """A whole number in the database's range: `1.5` is a 400, not a silent match on 1,
    and an id too large for the database is a 400, not an overflow in the query."""

    field_class = IdField


class CourseFilter(django_filters.FilterSet):
    partner = django_filters.CharFilter(field_name="partner__slug", help_text="Partner slug.")

    class Meta:
        model = PartnerCourse
        fields = ["partner"]


class StudentFilter(django_filters.FilterSet):
    external_ref = django_filters.CharFilter(help_text="The organisation's student reference.")

    class Meta:
        model = Student
        fields = ["external_ref"]


class EnrollmentFilter(django_filters.FilterSet):
    partner = django_filters.CharFilter(field_name="partner__slug", help_text="Partner slug.")
    status = django_filters.ChoiceFilter(choices=EnrollmentStatus.choices)
    student = IdFilter(field_name="student_id", help_text="Student id.")
    course = IdFilter(field_name="course_id", help_text="Course id.")

    class Meta:
        model = Enrollment
        fields = ["partner", "status", "student", "course"]


class CertificateFilter(django_filters.FilterSet):
    expires_before = django_filters.DateFilter(
        field_name="expires_at",
        lookup_expr="date__lt",
        help_text="Expiring before this date (YYYY-MM-DD; the date itself excluded). "
        "Certificates that never expire are left out.",
    )
    partner = django_filters.CharFilter(
        field_name="enrollment__partner__slug", help_text="Partner slug."
    )

    class Meta:
        model = Certificate
        fields = ["expires_before", "partner"]
