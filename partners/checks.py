"""`manage.py check` names any missing setting of an active `api` partner, and any partner
without a webhook secret, before the first call finds out."""

from __future__ import annotations

from django.core.checks import Error, Info, Warning, register
from django.db import DatabaseError

from partners.config import (
    PARTNER_SLUGS,
    PartnerConfigurationError,
    get_partner_config,
    setting_name,
)
from partners.models import ConnectionMode


def _active_slugs() -> set[str]:
    from partners.models import Partner

    try:
        inactive = set(Partner.objects.filter(active=False).values_list("slug", flat=True))
    except DatabaseError:  # before the first migrate: treat all as active
        inactive = set()
    return set(PARTNER_SLUGS) - inactive


@register("partners")
def check_partner_settings(app_configs=None, **kwargs):
    from partners.registry import adapter_class

    messages = []
    for slug in sorted(_active_slugs()):
        try:
            config = get_partner_config(slug)
        except PartnerConfigurationError as exc:
            messages.append(Error(str(exc), id="partners.E001", obj=slug))
            continue
        if config.mode == ConnectionMode.API and not config.simulated:
            for name in adapter_class(slug).required_settings:
                field = "base_url" if name == "api_base_url" else name
                if not getattr(config, field):
                    messages.append(
                        Error(
                            f"{slug} is in api mode but {setting_name(slug, name)} is not set.",
                            hint=f"Set {setting_name(slug, name)}, or {setting_name(slug, 'mode')}"
                            "=roster/manual until the partner's API is available.",
                            id="partners.E002",
                            obj=slug,
                        )
                    )
        if not config.webhook_secrets:
            # Only an api-mode partner sends webhooks; for the others it is a note.
            level = Warning if config.mode == ConnectionMode.API else Info
            messages.append(
                level(
                    f"{slug} has no webhook secret: its webhooks will all be refused.",
                    hint=f"Set {setting_name(slug, 'webhook_secrets')}=whsec_... "
                    "(comma-separate several during a rotation).",
                    id="partners.W001" if level is Warning else "partners.I001",
                    obj=slug,
                )
            )
    return messages
