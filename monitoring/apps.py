from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from monitoring.metrics import record_breaker_fallback, record_call_metrics
        from monitoring.recorder import record_request_log
        from partners.signals import breaker_storage_fell_back, partner_call_attempted

        # The one hook from the partner layer: every attempt is logged and counted.
        partner_call_attempted.connect(record_request_log, dispatch_uid="monitoring.request_log")
        partner_call_attempted.connect(record_call_metrics, dispatch_uid="monitoring.metrics")
        breaker_storage_fell_back.connect(
            record_breaker_fallback, dispatch_uid="monitoring.breaker_fallback"
        )

        from monitoring.partner_activity import partner_activity
        from partners.health import set_activity_source

        # Partner health (partners.health) is judged on monitoring's records, handed over.
        set_activity_source(partner_activity)

        from monitoring.request_log_lookup import request_log_ids
        from partners.smoke import set_request_log_finder

        # The partner smoke test reports each operation's request logs by correlation id.
        set_request_log_finder(request_log_ids)

        from enrollments.selectors import add_timeline_source
        from monitoring.timeline import partner_calls

        # Monitoring sits above enrollments: it adds its records to their timeline.
        add_timeline_source("monitoring.partner_calls", partner_calls)
