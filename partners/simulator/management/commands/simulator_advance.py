from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from partners.simulator import state
from partners.simulator.models import SimEnrollment
from partners.simulator.webhooks import send_events_on_commit


class Command(BaseCommand):
    help = (
        "Move simulated learners on and send the partner's webhooks, e.g. "
        "`simulator_advance --partner hsi --by 25` or `simulator_advance HSI-E-1A2B --complete`."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "enrollment", nargs="*", help="partner enrollment ids (default: all open)"
        )
        parser.add_argument("--partner", help="only this partner's enrollments")
        parser.add_argument("--to", type=int, help="progress to reach (0-100)")
        parser.add_argument("--by", type=int, help="progress to add")
        parser.add_argument(
            "--complete", action="store_true", help="finish and issue the certificate"
        )
        parser.add_argument("--score", type=Decimal, help="exam score to report")
        parser.add_argument("--failed", action="store_true", help="report the exam as failed")

    def handle(self, *args, enrollment, partner, to, by, complete, score, failed, **options):
        if not (to is not None or by or complete):
            raise CommandError("say how far: --to N, --by N or --complete")
        if to is not None and not 0 <= to <= 100:
            raise CommandError("--to is a percentage between 0 and 100")
        rows = SimEnrollment.objects.exclude(status=SimEnrollment.Status.COMPLETED)
        if partner:
            rows = rows.filter(partner=partner)
        if enrollment:
            rows = rows.filter(external_id__in=enrollment)
        count = sent = 0
        for row in rows.select_related("account"):
            with transaction.atomic():
                events = state.advance(
                    row,
                    to=100 if complete else to,
                    by=by,
                    score=score,
                    passed=False if failed else (True if complete else None),
                )
                send_events_on_commit(row, events)
            count += 1
            sent += len(events)
            self.stdout.write(
                f"{row.partner} {row.external_id}: {row.progress} % {', '.join(events)}"
            )
        self.stdout.write(f"{count} enrollment(s) moved on, {sent} webhook(s) sent.")
