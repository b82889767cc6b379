from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from monitoring.metrics import record_call_metrics
        from monitoring.recorder import record_request_log
        from partners.signals import partner_call_attempted

        # The one hook from the partner layer: every attempt is logged and counted.
        partner_call_attempted.connect(record_request_log, dispatch_uid="monitoring.request_log")
        partner_call_attempted.connect(record_call_metrics, dispatch_uid="monitoring.metrics")
