"""Small row makers for tests: each call makes one valid row with what it needs."""

import itertools
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from enrollments.models import (
    ApiIdempotencyKey,
    Certificate,
    Cohort,
    Enrollment,
    EnrollmentEvent,
    EnrollmentStatus,
    PartnerAccount,
    ResultImport,
    ResultImportRow,
    RosterExport,
    Student,
    StudentEmail,
    Voucher,
    VoucherStatus,
)
from monitoring.models import Alert, CallOutcome, PartnerCallHour, PartnerRequestLog
from partners.models import Partner, PartnerCourse
from webhooks.models import DeliveryVerdict, EventStatus, WebhookDelivery, WebhookEvent

_seq = itertools.count(1)


def make_partner(**kw) -> Partner:
    n = next(_seq)
    kw.setdefault("slug", f"partner{n}")
    kw.setdefault("name", f"Partner {n}")
    return Partner.objects.create(**kw)


def partner(slug: str = "hsi") -> Partner:
    found = Partner.objects.filter(slug=slug).first()
    return found or make_partner(slug=slug, name=slug.upper())


def make_course(partner_obj: Partner | None = None, **kw) -> PartnerCourse:
    n = next(_seq)
    kw.setdefault("code", f"COURSE-{n}")
    kw.setdefault("title", f"Course {n}")
    kw.setdefault("retail_price", Decimal("50.00"))
    kw.setdefault("wholesale_cost", Decimal("20.00"))
    return PartnerCourse.objects.create(partner=partner_obj or partner(), **kw)


def make_student(**kw) -> Student:
    n = next(_seq)
    kw.setdefault("external_ref", f"S-{n:05d}")
    kw.setdefault("first_name", "Test")
    kw.setdefault("last_name", f"Student{n}")
    kw.setdefault("email", f"student{n}@example.org")
    return Student.objects.create(**kw)


def make_account(**kw) -> PartnerAccount:
    n = next(_seq)
    kw.setdefault("student", make_student())
    kw.setdefault("partner", partner())
    kw.setdefault("external_id", f"ACC-{n}")
    return PartnerAccount.objects.create(**kw)


def make_cohort(**kw) -> Cohort:
    n = next(_seq)
    kw.setdefault("name", f"Cohort {n}")
    cohort = Cohort.objects.create(**kw)
    cohort.students.add(make_student(), make_student())
    return cohort


def make_enrollment(**kw) -> Enrollment:
    kw.setdefault("student", make_student())
    kw.setdefault("course", make_course())
    return Enrollment.objects.create(**kw)


def make_certificate(**kw) -> Certificate:
    n = next(_seq)
    kw.setdefault(
        "enrollment",
        make_enrollment(status=EnrollmentStatus.COMPLETED, progress_percent=100),
    )
    kw.setdefault("number", f"CERT-{n}")
    kw.setdefault("issued_at", timezone.now())
    return Certificate.objects.create(**kw)


def make_voucher(**kw) -> Voucher:
    n = next(_seq)
    kw.setdefault("partner", partner())
    kw.setdefault("code", f"V-{n}")
    if kw.get("status") in (VoucherStatus.ASSIGNED, VoucherStatus.REDEEMED):
        kw.setdefault("enrollment", make_enrollment(course=make_course(kw["partner"])))
    return Voucher.objects.create(**kw)


def make_event(**kw) -> WebhookEvent:
    n = next(_seq)
    kw.setdefault("partner", partner())
    kw.setdefault("webhook_id", f"msg_{n}")
    kw.setdefault("event_type", "progress.updated")
    kw.setdefault("status", EventStatus.PROCESSED)
    kw.setdefault("enrollment", make_enrollment())
    return WebhookEvent.objects.create(**kw)


def make_delivery(**kw) -> WebhookDelivery:
    kw.setdefault("partner", partner())
    kw.setdefault("partner_slug", kw["partner"].slug)
    kw.setdefault("verdict", DeliveryVerdict.ACCEPTED)
    kw.setdefault("response_status", 200)
    kw.setdefault("event", make_event(partner=kw["partner"]))
    return WebhookDelivery.objects.create(**kw)


def make_request_log(**kw) -> PartnerRequestLog:
    kw.setdefault("partner", partner())
    kw.setdefault("operation", "enroll")
    kw.setdefault("method", "POST")
    kw.setdefault("url", "https://partner.example/api/enrollments")
    kw.setdefault("status_code", 201)
    kw.setdefault("outcome", CallOutcome.SUCCESS)
    kw.setdefault("enrollment", make_enrollment())
    return PartnerRequestLog.objects.create(**kw)


def make_alert(**kw) -> Alert:
    n = next(_seq)
    kw.setdefault("partner", partner())
    kw.setdefault("rule", f"rule_{n}")
    kw.setdefault("message", "Something is wrong")
    kw.setdefault("resolved_at", timezone.now() + timedelta(minutes=n))
    return Alert.objects.create(**kw)


def make_enrollment_event(**kw):
    kw.setdefault("enrollment", make_enrollment())
    kw.setdefault("event_type", "progress.updated")
    kw.setdefault("source", "webhook")
    kw.setdefault("occurred_at", timezone.now())
    return EnrollmentEvent.objects.create(**kw)


def make_student_email(**kw):
    kw.setdefault("enrollment", make_enrollment())
    kw.setdefault("kind", "enrollment_active")
    kw.setdefault("recipient", kw["enrollment"].student.email)
    kw.setdefault("subject", "You're enrolled")
    return StudentEmail.objects.create(**kw)


def make_api_key(**kw):
    from django.contrib.auth import get_user_model

    n = next(_seq)
    user = get_user_model().objects.create_user(f"api{n}")
    return ApiIdempotencyKey.objects.create(
        user=user, key=f"k{n}", fingerprint="f", status=201, body={}
    )


def make_roster_export(**kw):
    """A roster batch with one submitted enrollment and a small CSV file."""
    enrollment = kw.pop("enrollment", None) or make_enrollment(status=EnrollmentStatus.SUBMITTED)
    kw.setdefault("partner", enrollment.partner)
    kw.setdefault("row_count", 1)
    batch = RosterExport(**kw)
    batch.file.save(
        f"test-roster-{next(_seq)}.csv",
        ContentFile(f"Reference,Student ID\r\n{enrollment.pk},S\r\n".encode()),
    )
    batch.enrollments.add(enrollment)
    return batch


def make_result_import(**kw):
    """A previewed result import of one matched row, with its small CSV file."""
    enrollment = kw.pop("enrollment", None) or make_enrollment(status=EnrollmentStatus.ACTIVE)
    kw.setdefault("partner", enrollment.partner)
    kw.setdefault("mapping", "template")
    kw.setdefault("original_name", "results.csv")
    kw.setdefault("counts", {"matched": 1})
    record = ResultImport(**kw)
    content = b"Email,Course Code,Status,Progress\r\nstudent@example.org,C,In Progress,50\r\n"
    record.size = len(content)
    record.file.save(f"test-results-{next(_seq)}.csv", ContentFile(content))
    ResultImportRow.objects.create(
        result_import=record,
        line=2,
        data={"Email": "student@example.org", "Course Code": "C", "Status": "In Progress"},
        outcome="matched",
        reason="In Progress: progress percent 50",
        matched_by="e-mail",
        enrollment=enrollment,
    )
    return record


def make_call_hour(**kw) -> PartnerCallHour:
    n = next(_seq)
    kw.setdefault("partner", partner())
    kw.setdefault("hour", timezone.now().replace(minute=0, second=0, microsecond=0))
    kw["hour"] -= timedelta(hours=n)
    kw.setdefault("calls", 3)
    return PartnerCallHour.objects.create(**kw)


MAKERS = {
    Partner: make_partner,
    PartnerCourse: make_course,
    Student: make_student,
    PartnerAccount: make_account,
    Cohort: make_cohort,
    Enrollment: make_enrollment,
    Certificate: make_certificate,
    Voucher: lambda: make_voucher(status=VoucherStatus.ASSIGNED),
    WebhookDelivery: make_delivery,
    WebhookEvent: make_event,
    PartnerRequestLog: make_request_log,
    PartnerCallHour: make_call_hour,
    Alert: make_alert,
    EnrollmentEvent: make_enrollment_event,
    StudentEmail: make_student_email,
    ApiIdempotencyKey: make_api_key,
    RosterExport: make_roster_export,
    ResultImport: make_result_import,
    ResultImportRow: lambda: make_result_import().rows.get(),
}
