"""Demo data: students, a cohort, enrollments in every state, certificates and vouchers.

Idempotent: rows are keyed by the demo students' references, so running it again adds
nothing. Written straight to the database (it stands for history, not for new work, so
it makes no partner calls).
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from enrollments.models import (
    Certificate,
    CertificateSource,
    Cohort,
    Enrollment,
    EnrollmentStatus,
    FundingSource,
    PartnerAccount,
    Student,
    Voucher,
    VoucherStatus,
)
from partners.models import Partner, PartnerCourse
from partners.modes import ConnectionMode
from partners.registry import REALISTIC_MODES

STUDENTS = [
    ("DEMO-1001", "Aaliyah", "Brooks", "aaliyah.brooks@example.org", "317-555-0101"),
    ("DEMO-1002", "Marcus", "Nguyen", "marcus.nguyen@example.org", "317-555-0102"),
    ("DEMO-1003", "Sofia", "Ramirez", "sofia.ramirez@example.org", "317-555-0103"),
    ("DEMO-1004", "Darnell", "Washington", "darnell.washington@example.org", "317-555-0104"),
    ("DEMO-1005", "Emily", "Carter", "emily.carter@example.org", "317-555-0105"),
    ("DEMO-1006", "Jamal", "Hughes", "jamal.hughes@example.org", ""),
    ("DEMO-1007", "Priya", "Patel", "priya.patel@example.org", "317-555-0107"),
    ("DEMO-1008", "Tyler", "Morgan", "tyler.morgan@example.org", "317-555-0108"),
    ("DEMO-1009", "Keisha", "Robinson", "keisha.robinson@example.org", "317-555-0109"),
    ("DEMO-1010", "Luis", "Hernandez", "luis.hernandez@example.org", "317-555-0110"),
    ("DEMO-1011", "Hannah", "Kim", "hannah.kim@example.org", "317-555-0111"),
    ("DEMO-1012", "Andre", "Jackson", "andre.jackson@example.org", "317-555-0112"),
]

# (student ref, partner, course code, status, progress, funding, days ago requested)
ENROLLMENTS = [
    (
        "DEMO-1001",
        "hsi",
        "ASHI-FA-CPR-AED",
        EnrollmentStatus.COMPLETED,
        100,
        FundingSource.WIOA,
        60,
    ),
    ("DEMO-1001", "careersafe", "OSHA10-GI", EnrollmentStatus.ACTIVE, 45, FundingSource.WIOA, 20),
    ("DEMO-1002", "certiport", "MO-210", EnrollmentStatus.COMPLETED, 100, FundingSource.GRANT, 45),
    ("DEMO-1002", "certiport", "MO-110", EnrollmentStatus.ACTIVE, 70, FundingSource.GRANT, 10),
    (
        "DEMO-1003",
        "careersafe",
        "OSHA10-CON",
        EnrollmentStatus.ACTIVE,
        15,
        FundingSource.EMPLOYER,
        12,
    ),
    (
        "DEMO-1004",
        "careersafe",
        "OSHA10-CON",
        EnrollmentStatus.SUBMITTED,
        0,
        FundingSource.EMPLOYER,
        2,
    ),
    (
        "DEMO-1005",
        "milady",
        "MIL-COSMO-STD",
        EnrollmentStatus.ACTIVE,
        62,
        FundingSource.SELF_PAY,
        90,
    ),
    ("DEMO-1006", "jri", "JRI-CUST-101", EnrollmentStatus.COMPLETED, 100, FundingSource.WIOA, 40),
    ("DEMO-1007", "nrf", "RISEUP-CSS", EnrollmentStatus.COMPLETED, 100, FundingSource.GRANT, 400),
    ("DEMO-1008", "nds", "NDS-DOT-SUP", EnrollmentStatus.REQUESTED, 0, FundingSource.EMPLOYER, 0),
    ("DEMO-1009", "hsi", "ASHI-BLS-RSV", EnrollmentStatus.FAILED, 0, FundingSource.WIOA, 5),
    ("DEMO-1010", "nrf", "RISEUP-RIF", EnrollmentStatus.CANCELLED, 10, FundingSource.OTHER, 30),
    ("DEMO-1011", "certiport", "ITS-PYTHON", EnrollmentStatus.ACTIVE, 35, FundingSource.GRANT, 8),
    ("DEMO-1012", "hsi", "MFA-BBP", EnrollmentStatus.COMPLETED, 100, FundingSource.EMPLOYER, 350),
]

COHORT_NAME = "Spring construction cohort (OSHA 10)"


class Command(BaseCommand):
    help = "Load demo students, a cohort, enrollments, certificates and vouchers (idempotent)."

    def handle(self, *args, **options):
        call_command("load_catalogue", stdout=self.stdout)
        with transaction.atomic():
            added = self.seed()
        self.stdout.write(f"Demo data: {added} enrollment(s) added.")

    def seed(self) -> int:
        now = timezone.now()
        partners = {p.slug: p for p in Partner.objects.all()}
        students = {}
        for ref, first, last, email, phone in STUDENTS:
            students[ref], _ = Student.objects.get_or_create(
                external_ref=ref,
                defaults={"first_name": first, "last_name": last, "email": email, "phone": phone},
            )

        cohort, _ = Cohort.objects.get_or_create(
            name=COHORT_NAME,
            defaults={
                "partner": partners["careersafe"],
                "group_code": "CS-DEMO-SPRING",
                "starts_on": (now - timedelta(days=21)).date(),
                "ends_on": (now + timedelta(days=60)).date(),
            },
        )
        cohort.students.add(students["DEMO-1001"], students["DEMO-1003"], students["DEMO-1004"])

        self.seed_vouchers(partners, now)

        added = 0
        for ref, slug, code, status, progress, funding, days_ago in ENROLLMENTS:
            student = students[ref]
            course = PartnerCourse.objects.get(partner=partners[slug], code=code)
            if Enrollment.objects.filter(student=student, course=course).exists():
                continue
            added += 1
            self.seed_enrollment(
                student, course, status, progress, funding, now - timedelta(days=days_ago), cohort
            )
        return added

    def seed_vouchers(self, partners, now) -> None:
        certiport = partners["certiport"]
        for n in range(1, 9):
            Voucher.objects.get_or_create(
                partner=certiport,
                code=f"CP-DEMO-{n:04d}",
                defaults={"cost": Decimal("96.00"), "expires_at": now + timedelta(days=365)},
            )
        for n in range(1, 6):
            Voucher.objects.get_or_create(
                partner=partners["nrf"],
                code=f"RISEUP-DEMO-{n:04d}",
                defaults={"cost": Decimal("40.00"), "expires_at": now + timedelta(days=180)},
            )
        # HSI credits and CareerSafe seats carry no code.
        for slug, cost, count in (
            ("hsi", Decimal("28.00"), 6),
            ("careersafe", Decimal("25.00"), 4),
        ):
            missing = (
                count
                - Voucher.objects.filter(partner=partners[slug], code="", notes="demo").count()
            )
            for _ in range(max(missing, 0)):
                Voucher.objects.create(partner=partners[slug], cost=cost, notes="demo")

    def seed_enrollment(
        self, student, course, status, progress, funding, requested_at, cohort
    ) -> None:
        partner = course.partner
        open_or_done = status not in (EnrollmentStatus.REQUESTED, EnrollmentStatus.FAILED)
        enrollment = Enrollment(
            student=student,
            course=course,
            status=status,
            progress_percent=progress,
            funding_source=funding,
            requested_at=requested_at,
            cohort=cohort
            if cohort.partner_id == partner.id and cohort.students.filter(pk=student.pk).exists()
            else None,
        )
        if open_or_done:
            enrollment.external_enrollment_id = (
                f"{partner.slug.upper()}-E-{student.external_ref}-{course.code}"
            )
            enrollment.submitted_at = requested_at + timedelta(minutes=1)
        if status in (EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED):
            enrollment.started_at = requested_at + timedelta(hours=2)
            enrollment.last_event_at = requested_at + timedelta(days=1)
        if status == EnrollmentStatus.COMPLETED:
            enrollment.completed_at = requested_at + timedelta(days=7)
            enrollment.last_event_at = enrollment.completed_at
            if partner.slug == "certiport":
                enrollment.score, enrollment.passed = Decimal("842"), True
        if status == EnrollmentStatus.FAILED:
            enrollment.attempts = 1
            enrollment.last_error = (
                "HSI rejected the enrolment: no remote skills verification slots left (422)."
            )
        if status == EnrollmentStatus.CANCELLED:
            enrollment.cancelled_at = requested_at + timedelta(days=3)
        enrollment.save()

        if open_or_done:
            PartnerAccount.objects.get_or_create(
                student=student,
                partner=partner,
                defaults={
                    "external_id": f"{partner.slug.upper()}-U-{student.external_ref}",
                    "username": student.email,
                },
            )
        if course.needs_voucher and status != EnrollmentStatus.FAILED:
            voucher = (
                Voucher.objects.filter(partner=partner, status=VoucherStatus.AVAILABLE)
                .filter(course__isnull=True)
                .order_by("pk")
                .first()
            )
            if voucher:
                voucher.enrollment = enrollment
                voucher.assigned_at = requested_at
                voucher.status = (
                    VoucherStatus.REDEEMED
                    if status == EnrollmentStatus.COMPLETED
                    else VoucherStatus.ASSIGNED
                )
                if status == EnrollmentStatus.CANCELLED:
                    voucher.enrollment, voucher.status, voucher.assigned_at = (
                        None,
                        VoucherStatus.AVAILABLE,
                        None,
                    )
                voucher.save()
        if settings.PARTNER_SIMULATOR and open_or_done:
            self.mirror_in_simulator(enrollment)
        if status == EnrollmentStatus.COMPLETED:
            Certificate.objects.create(
                enrollment=enrollment,
                number=f"{partner.slug.upper()}-{student.external_ref[-4:]}-{course.pk:03d}",
                issued_at=enrollment.completed_at,
                # As it would be recorded: by staff for a manual partner, else imported.
                source=CertificateSource.MANUAL
                if REALISTIC_MODES[partner.slug] == ConnectionMode.MANUAL
                else CertificateSource.IMPORT,
                verification_url="",
            )

    def mirror_in_simulator(self, enrollment: Enrollment) -> None:
        """Give the simulated partner the same learner and enrollment, so syncing, launching
        and advancing the demo's enrollments work like any other."""
        from partners.simulator.models import SimAccount, SimEnrollment

        student, partner = enrollment.student, enrollment.partner
        account = PartnerAccount.objects.get(student=student, partner=partner)
        sim_account, _ = SimAccount.objects.get_or_create(
            partner=partner.slug,
            external_id=account.external_id,
            defaults={
                "email": student.email,
                "first_name": student.first_name,
                "last_name": student.last_name,
                "reference": student.external_ref,
            },
        )
        done = enrollment.status == EnrollmentStatus.COMPLETED
        SimEnrollment.objects.get_or_create(
            partner=partner.slug,
            external_id=enrollment.external_enrollment_id,
            defaults={
                "account": sim_account,
                "course_code": enrollment.course.code,
                "reference": str(enrollment.pk),
                "status": SimEnrollment.Status.COMPLETED
                if done
                else SimEnrollment.Status.IN_PROGRESS,
                "progress": enrollment.progress_percent,
                "score": enrollment.score,
                "passed": enrollment.passed,
                "completed_at": enrollment.completed_at,
            },
        )
