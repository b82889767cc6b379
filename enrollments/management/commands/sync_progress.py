from django.core.management.base import BaseCommand
from tqdm import tqdm

from enrollments import services
from enrollments.selectors import enrollments_to_sync
from partners.config import PartnerConfigurationError
from partners.errors import PartnerError


class Command(BaseCommand):
    help = "Poll partners for the progress of open enrollments (all of them, or --limit)."

    def add_arguments(self, parser):
        parser.add_argument("--partner", help="only this partner (slug)")
        parser.add_argument("--limit", type=int, help="at most this many, synced longest ago first")

    def handle(self, *args, partner, limit, **options):
        enrollments = enrollments_to_sync(slugs=[partner] if partner else None)
        if limit:
            enrollments = enrollments[:limit]
        changed = failed = 0
        items = list(enrollments)
        for enrollment in tqdm(items, desc="sync", unit="enrollment", disable=len(items) < 20):
            try:
                changed += services.enrollment_sync_progress(enrollment=enrollment).changed
            except (PartnerError, PartnerConfigurationError, services.EnrollmentError) as exc:
                failed += 1
                self.stderr.write(f"#{enrollment.pk}: {exc}")
        self.stdout.write(f"{len(items)} enrollment(s) synced: {changed} changed, {failed} failed.")
