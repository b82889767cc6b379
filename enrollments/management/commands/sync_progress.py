from django.core.management.base import BaseCommand
from django.db.models import F
from tqdm import tqdm

from enrollments import services
from enrollments.models import Enrollment
from enrollments.services.sync import SYNCABLE
from enrollments.tasks import api_partner_slugs
from partners.errors import PartnerError


class Command(BaseCommand):
    help = "Poll partners for the progress of open enrollments (all of them, or --limit)."

    def add_arguments(self, parser):
        parser.add_argument("--partner", help="only this partner (slug)")
        parser.add_argument("--limit", type=int, help="at most this many, synced longest ago first")

    def handle(self, *args, partner, limit, **options):
        slugs = [partner] if partner else api_partner_slugs()
        enrollments = (
            Enrollment.objects.filter(status__in=SYNCABLE, partner__slug__in=slugs)
            .exclude(external_enrollment_id="")
            .select_related("partner")
            .order_by(F("last_synced_at").asc(nulls_first=True), "pk")
        )
        if limit:
            enrollments = enrollments[:limit]
        changed = failed = 0
        items = list(enrollments)
        for enrollment in tqdm(items, desc="sync", unit="enrollment", disable=len(items) < 20):
            try:
                changed += services.enrollment_sync_progress(enrollment=enrollment).changed
            except (PartnerError, services.EnrollmentError) as exc:
                failed += 1
                self.stderr.write(f"#{enrollment.pk}: {exc}")
        self.stdout.write(f"{len(items)} enrollment(s) synced: {changed} changed, {failed} failed.")
