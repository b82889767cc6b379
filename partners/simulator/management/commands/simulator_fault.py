from django.core.management.base import BaseCommand, CommandError

from partners.registry import PARTNER_SLUGS
from partners.simulator.faults import clear_faults, set_faults


class Command(BaseCommand):
    help = (
        "Inject faults into a simulated partner, e.g. "
        "`simulator_fault hsi --error-rate 1` or `simulator_fault hsi --clear`."
    )

    def add_arguments(self, parser):
        parser.add_argument("partner", choices=[*PARTNER_SLUGS, "all"])
        parser.add_argument("--latency-ms", type=int, default=0)
        parser.add_argument("--error-rate", type=float, default=0, help="share answered 503 (0-1)")
        parser.add_argument("--rate-limit", type=float, default=0, help="share answered 429 (0-1)")
        parser.add_argument(
            "--retry-after", type=int, default=1, help="Retry-After seconds for 429s"
        )
        parser.add_argument("--stall", type=float, default=0, help="seconds to stall each answer")
        parser.add_argument(
            "--malformed", type=float, default=0, help="share answered with a broken body"
        )
        parser.add_argument("--clear", action="store_true", help="remove every fault")

    def handle(self, *args, partner, clear, **o):
        slugs = PARTNER_SLUGS if partner == "all" else (partner,)
        if clear:
            for slug in slugs:
                clear_faults(slug)
            self.stdout.write(f"Faults cleared for {', '.join(slugs)}.")
            return
        for name in ("error_rate", "rate_limit", "malformed"):
            if not 0 <= o[name] <= 1:
                raise CommandError(f"--{name.replace('_', '-')} is a share between 0 and 1")
        for slug in slugs:
            fault = set_faults(
                slug,
                latency_ms=o["latency_ms"],
                error_rate=o["error_rate"],
                rate_limit_rate=o["rate_limit"],
                retry_after_seconds=o["retry_after"],
                stall_seconds=o["stall"],
                malformed_rate=o["malformed"],
            )
            self.stdout.write(
                f"{slug}: latency {fault.latency_ms} ms, 503 share {fault.error_rate}, "
                f"429 share {fault.rate_limit_rate} (Retry-After {fault.retry_after_seconds} s), "
                f"stall {fault.stall_seconds} s, malformed share {fault.malformed_rate}"
            )
