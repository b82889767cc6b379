from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from enrollments.models import Certificate, VerificationStatus
from enrollments.services.verification import certificates_due_for_check, certificates_verify
from partners.models import Partner


class Command(BaseCommand):
    help = (
        "Check certificates' credentials: by default the Credly badges due for a check "
        "(never checked, or not for CERTIFICATE_RECHECK_DAYS); --all: every certificate "
        "with a link (other partners' links are recorded for a person to check)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--partner", help="only this partner's certificates (slug)")
        parser.add_argument(
            "--all", dest="every", action="store_true", help="every certificate with a link"
        )
        parser.add_argument("--limit", type=int, help="at most this many")

    def handle(self, *args, partner, every, limit, **options):
        if every:
            certificates = Certificate.objects.filter(~Q(verification_url="") | ~Q(url=""))
        else:
            certificates = certificates_due_for_check()
        if partner:
            if not Partner.objects.filter(slug=partner).exists():
                raise CommandError(f"No partner {partner!r}.")
            certificates = certificates.filter(enrollment__partner__slug=partner)
        ids = certificates.values_list("pk", flat=True)
        summary = certificates_verify(list(ids[:limit] if limit else ids))
        for check in summary.checks:
            if check.status != VerificationStatus.VERIFIED:
                self.stdout.write(f"#{check.certificate_id} {check.status}: {check.note}")
        self.stdout.write(str(summary))
