"""`manage.py partner_smoke <slug> [--live]`: every operation of a partner's adapter, once,
with a test student, as a table (partners/smoke.py). Exits 1 when any operation failed."""

from django.core.management.base import BaseCommand, CommandError

from partners.registry import PARTNER_SLUGS
from partners.smoke import DEFAULT_EMAIL_DOMAIN, SmokeRefused, partner_smoke

COLUMNS = ("operation", "result", "HTTP", "latency", "tries", "request logs", "detail")


class Command(BaseCommand):
    # It reports its own partner's configuration problems, naming the variable; the
    # project-wide checks would refuse it for any other partner's problem too.
    requires_system_checks = []
    help = (
        "Run every operation a partner's adapter supports against its configured base URL "
        "with a test student ('Smoke Test') and print the outcome of each. Runs against "
        "the simulator unless --live is given; refuses a live partner without --live."
    )

    def add_arguments(self, parser):
        parser.add_argument("partner", choices=list(PARTNER_SLUGS))
        parser.add_argument(
            "--live",
            action="store_true",
            help="call the live partner (PARTNER_SIMULATOR off): creates a test account there",
        )
        parser.add_argument("--course", default="", help="the partner's course code to enrol in")
        parser.add_argument(
            "--email-domain",
            default=DEFAULT_EMAIL_DOMAIN,
            help="domain of the test student's e-mail (a partner may refuse .invalid)",
        )

    def handle(self, *args, partner, live, course, email_domain, **options):
        try:
            report = partner_smoke(
                partner, live=live, course_code=course, email_domain=email_domain
            )
        except SmokeRefused as exc:
            raise CommandError(str(exc)) from exc
        target = "simulator" if report.simulated else "LIVE partner"
        self.stdout.write(
            f"{report.name} ({report.partner}) at {report.base_url} [{target}]\n"
            f"test student: {report.student.first_name} {report.student.last_name} "
            f"<{report.student.email}>, ref {report.student.external_ref}; "
            f"course {report.course_code}; correlation ids smoke-{report.run_id}-*\n"
        )
        self.stdout.write(render_table(report))  # ends with a blank line
        if report.cleanup:
            self.stdout.write(report.cleanup)
        passed = sum(1 for s in report.steps if s.passed)
        summary = f"{passed}/{len(report.steps)} operations passed"
        if report.ok:
            self.stdout.write(self.style.SUCCESS(summary))
            return
        failed = ", ".join(s.operation for s in report.failed)
        raise CommandError(f"{summary}; failed: {failed}", returncode=1)


def render_table(report) -> str:
    rows = [
        (
            step.operation,
            step.result,
            str(step.status) if step.status is not None else "-",
            f"{step.latency_ms} ms" if step.latency_ms is not None else "-",
            str(step.attempts) if step.attempts else "-",
            ",".join(map(str, step.log_ids)) or "-",
            step.detail,
        )
        for step in report.steps
    ]
    widths = [max(len(r[i]) for r in (COLUMNS, *rows)) for i in range(len(COLUMNS) - 1)]

    def line(cells) -> str:
        fixed = "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=False))
        return f"{fixed}  {cells[-1]}".rstrip()

    lines = [line(COLUMNS), line(["-" * w for w in widths] + ["------"])]
    return "\n".join([*lines, *(line(row) for row in rows)]) + "\n\n"
