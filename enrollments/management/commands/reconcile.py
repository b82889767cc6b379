from django.core.management.base import BaseCommand
from tqdm import tqdm

from enrollments import services
from enrollments.selectors import enrollments_to_provision


class Command(BaseCommand):
    help = (
        "Re-drive every enrollment still `requested` whose next attempt is due "
        "(lost broker messages, crashes between commit and publish)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all",
            dest="everything",
            action="store_true",
            help="also those whose backoff has not run out",
        )

    def handle(self, *args, everything, **options):
        due = enrollments_to_provision(due_only=not everything)
        ids = list(due.values_list("pk", flat=True))
        outcome: dict[str, int] = {}
        for pk in tqdm(ids, desc="reconcile", unit="enrollment", disable=len(ids) < 20):
            enrollment = services.enrollment_provision(enrollment_id=pk, force=everything)
            status = enrollment.status if enrollment else "skipped"
            outcome[status] = outcome.get(status, 0) + 1
        summary = ", ".join(f"{n} {s}" for s, n in sorted(outcome.items())) or "nothing due"
        self.stdout.write(f"{len(ids)} enrollment(s) re-driven: {summary}.")
