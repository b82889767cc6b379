from django.core.management.base import BaseCommand

from monitoring.alerts import alerts_evaluate


class Command(BaseCommand):
    help = "Run every alert rule over the current window, open/resolve alerts and notify."

    def handle(self, *args, **options) -> None:
        result = alerts_evaluate()
        for alert in result.opened:
            self.stdout.write(f"opened   {alert.rule}: {alert.message}")
        for alert in result.resolved:
            self.stdout.write(f"resolved {alert.rule}: {alert.partner or 'all partners'}")
        self.stdout.write(str(result))
        if result.failed_rules:
            self.stderr.write(f"Rules that failed: {', '.join(result.failed_rules)}")
