from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Partner webhooks"

    def ready(self) -> None:
        from enrollments.selectors import add_timeline_source
        from partners.models import Partner
        from webhooks.partner_lookup import forget_partners
        from webhooks.timeline import webhook_deliveries

        post_save.connect(forget_partners, sender=Partner, dispatch_uid="webhooks.partner_saved")
        post_delete.connect(forget_partners, sender=Partner, dispatch_uid="webhooks.partner_gone")
        # Webhooks sit above enrollments: they add their deliveries to its timeline.
        add_timeline_source("webhooks.deliveries", webhook_deliveries)
