from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Partner webhooks"

    def ready(self) -> None:
        from partners.models import Partner
        from webhooks.partner_lookup import forget_partners

        post_save.connect(forget_partners, sender=Partner, dispatch_uid="webhooks.partner_saved")
        post_delete.connect(forget_partners, sender=Partner, dispatch_uid="webhooks.partner_gone")
