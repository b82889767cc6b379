"""`manage.py check` names any missing setting of an active `api` partner, any partner
without a webhook secret and any webhook secret that is not one, before the first call
(or the first forged webhook) finds out. Every registered partner is checked (the
registry is read at each run)."""

from __future__ import annotations

from django.core.checks import Error, Info, Warning, register
from django.db import DatabaseError

from partners import registry
from partners.config import (
    PartnerConfigurationError,
    get_partner_config,
    partner_mode,
    setting_name,
)
from partners.modes import ConnectionMode
from partners.webhook_signing import MIN_KEY_BYTES, secret_problems

GENERATE_SECRET = (
    'python -c "import base64, secrets; '
    "print('whsec_' + base64.b64encode(secrets.token_bytes(32)).decode())\""
)


def _active_slugs() -> set[str]:
    from partners.models import Partner

    try:
        inactive = set(Partner.objects.filter(active=False).values_list("slug", flat=True))
    except DatabaseError:  # before the first migrate: treat all as active
        inactive = set()
    return set(registry.PARTNER_SLUGS) - inactive


@register("partners")
def check_partner_settings(app_configs=None, **kwargs):
    messages = []
    for slug in sorted(_active_slugs()):
        try:
            config = get_partner_config(slug)
            mode = partner_mode(slug, default=registry.REALISTIC_MODES[slug])
        except PartnerConfigurationError as exc:
            messages.append(Error(str(exc), id="partners.E001", obj=slug))
            continue
        if mode == ConnectionMode.API and not config.simulated:
            for name in registry.adapter_class(slug).required_settings:
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
        messages.extend(_webhook_secret_errors(slug, config.webhook_secrets))
        if not config.webhook_secrets:
            # Only an api-mode partner sends webhooks; for the others it is a note.
            level = Warning if mode == ConnectionMode.API else Info
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


def _webhook_secret_errors(slug: str, secrets: tuple[str, ...]) -> list[Error]:
    """One error per invalid entry, by position: the value is a secret and never printed.
    While one is invalid the receiver refuses every webhook of the partner (503)."""
    variable = setting_name(slug, "webhook_secrets")
    return [
        Error(
            f"{variable}: entry {position} of {len(secrets)} {problem}; the receiver "
            f"refuses all {slug} webhooks (503 not_configured) until it is fixed.",
            hint=f"A secret is whsec_ followed by the standard base64 of {MIN_KEY_BYTES} to 64 "
            f"random bytes; generate one with {GENERATE_SECRET}",
            id="partners.E003",
            obj=slug,
        )
        for position, problem in secret_problems(secrets)
    ]
