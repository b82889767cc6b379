"""Reprocess stored webhook events, e.g. after fixing what made them fail.

manage.py replay_webhooks --partner hsi --status failed --since 2026-11-01
manage.py replay_webhooks --status failed,deferred --since 6h --dry-run
"""

import re
from datetime import datetime, timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from partners.registry import PARTNER_SLUGS
from webhooks.models import EventStatus
from webhooks.replay import describe, events_matching, events_reprocess

AGO = re.compile(r"^(\d+)([mhd])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def when(value: str) -> datetime:
    """An ISO date or date-time (in TIME_ZONE when it has no offset), or `30m`/`6h`/`7d` ago."""
    if match := AGO.match(value.strip()):
        return timezone.now() - timedelta(**{UNITS[match[2]]: int(match[1])})
    parsed = parse_datetime(value)
    if parsed is None and (day := parse_date(value)) is not None:
        parsed = datetime(day.year, day.month, day.day)
    if parsed is None:
        raise CommandError(f"{value!r} is not a date, a date-time or an age like 6h")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


class Command(BaseCommand):
    help = "Reprocess stored webhook events (default: failed ones), oldest first."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--partner", action="append", default=[], help="a partner slug (repeatable)"
        )
        parser.add_argument(
            "--status",
            default=EventStatus.FAILED,
            help=f"comma-separated, of {', '.join(EventStatus.values)} (default failed)",
        )
        parser.add_argument("--since", type=when, help="received at or after (date or 6h/7d)")
        parser.add_argument("--until", type=when, help="received before")
        parser.add_argument("--limit", type=int, default=None, help="at most this many")
        parser.add_argument("--dry-run", action="store_true", help="count, change nothing")

    def handle(self, *args, **options) -> None:
        partners = [p.strip().lower() for p in options["partner"] if p.strip()]
        unknown = sorted(set(partners) - set(PARTNER_SLUGS))
        if unknown:
            raise CommandError(f"unknown partner {', '.join(unknown)}")
        statuses = [s.strip() for s in options["status"].split(",") if s.strip()]
        wrong = sorted(set(statuses) - set(EventStatus.values))
        if wrong:
            raise CommandError(f"unknown status {', '.join(wrong)}")
        events = events_matching(
            partners=partners, statuses=statuses, since=options["since"], until=options["until"]
        )
        ids = list(events.values_list("pk", flat=True)[: options["limit"]])
        if options["dry_run"]:
            self.stdout.write(f"{len(ids)} events would be reprocessed.")
            return
        outcome = events_reprocess(event_ids=ids)
        self.stdout.write(f"Reprocessed {len(ids)} events: {describe(outcome)}.")
