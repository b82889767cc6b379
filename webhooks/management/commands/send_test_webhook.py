"""`manage.py send_test_webhook <slug>`: a signed sample event to our own receiver, then the
delivery it left and its outcome (webhooks/sample_delivery.py); `--print-curl` prints the
line for the partner instead of sending."""

from django.core.management.base import BaseCommand, CommandError

from partners.registry import PARTNER_SLUGS
from webhooks.sample_delivery import (
    DEFAULT_TYPE,
    DEFAULT_WAIT_SECONDS,
    SAMPLE_TYPES,
    SampleWebhookError,
    sample_curl,
    sample_send_over_http,
    sample_webhook,
)


class Command(BaseCommand):
    # It reports its own partner's configuration problems, naming the variable; the
    # project-wide checks would refuse it for any other partner's problem too.
    requires_system_checks = []
    help = (
        "Sign a sample spec-v1 event with a partner's current webhook secret, POST it to our "
        "receiver and show the stored delivery and its outcome; or print the curl line."
    )

    def add_arguments(self, parser):
        parser.add_argument("partner", choices=list(PARTNER_SLUGS))
        parser.add_argument(
            "--url", default="", help="the receiver to post to (default: SITE_URL's receiver)"
        )
        parser.add_argument(
            "--type",
            dest="event_type",
            default=DEFAULT_TYPE,
            help=f"event type ({', '.join(SAMPLE_TYPES)}; any other is answered 'ignored')",
        )
        parser.add_argument(
            "--secret", type=int, default=1, help="which of <SLUG>_WEBHOOK_SECRETS signs (from 1)"
        )
        parser.add_argument(
            "--print-curl", action="store_true", help="print the partner's curl line, send nothing"
        )
        parser.add_argument(
            "--wait",
            type=float,
            default=DEFAULT_WAIT_SECONDS,
            help="seconds to wait for a worker to process the event (with a broker)",
        )

    def handle(self, *args, partner, url, event_type, secret, print_curl, wait, **options):
        try:
            sample = sample_webhook(partner, event_type=event_type, url=url, secret_position=secret)
        except SampleWebhookError as exc:
            raise CommandError(str(exc)) from exc
        named = (
            f"real enrollment {sample.enrollment.pk} ({sample.enrollment_ref}, cancelled: "
            "the event changes nothing on it)"
            if sample.enrollment
            else f"{sample.enrollment_ref} (a test id: no enrollment of ours)"
        )
        self.stdout.write(
            f"{sample.event_type} for {partner}, webhook-id {sample.webhook_id}, signed with "
            f"secret {sample.secret_position} of {sample.secret_count}, naming {named}"
        )
        if print_curl:
            self.stdout.write("Valid for 300 s from now (webhook-timestamp):")
            self.stdout.write(sample_curl(sample))
            return
        result = sample_send_over_http(sample, wait_seconds=wait)
        self.stdout.write(f"POST {sample.url} -> {result.http_status or '-'} {result.answer}")
        if result.delivery is not None:
            self.stdout.write(
                f"delivery {result.delivery.pk}: {result.delivery.verdict}"
                + (f", event {result.event.pk}: {result.event.status}" if result.event else "")
            )
        self.stdout.write(f"outcome: {result.outcome}")
        if not result.ok:
            raise CommandError(f"the test webhook was not taken: {result.outcome}", returncode=1)
