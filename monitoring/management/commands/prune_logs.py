from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from monitoring.retention import prune_old_records


class Command(BaseCommand):
    help = (
        "Delete partner request logs and webhook deliveries older than the retention period, "
        "and hourly call counts older than MONITORING_ROLLUP_RETENTION_DAYS."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"Keep this many days (default MONITORING_RETENTION_DAYS, now "
            f"{settings.MONITORING_RETENTION_DAYS}).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help="Rows deleted per transaction (default MONITORING_PRUNE_BATCH_SIZE).",
        )

    def handle(self, *args, days: int | None, batch_size: int | None, **options) -> None:
        try:
            result = prune_old_records(days=days, batch_size=batch_size)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Deleted {result['request_logs']} request logs, "
            f"{result['webhook_deliveries']} webhook deliveries and "
            f"{result['call_hours']} hourly call counts."
        )
