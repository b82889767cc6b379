"""Per-partner configuration, read from the environment in one place.

Every partner setting is `<SLUG>_<NAME>` (HSI_API_KEY, CERTIPORT_TIMEOUT, ...). Reading
through `partner_setting` means a missing value names the exact variable to set.
"""

from typing import Any

import environ
from django.conf import settings

from partners.models import ConnectionMode

env = environ.Env()

PARTNER_SLUGS = ("hsi", "certiport", "careersafe", "milady", "jri", "nrf", "nds")

# What each partner can realistically do today (PARTNERS.md): none publishes an API.
REALISTIC_MODES = {
    "hsi": ConnectionMode.MANUAL,
    "certiport": ConnectionMode.ROSTER,
    "careersafe": ConnectionMode.ROSTER,
    "milady": ConnectionMode.ROSTER,
    "jri": ConnectionMode.MANUAL,
    "nrf": ConnectionMode.ROSTER,
    "nds": ConnectionMode.MANUAL,
}

_MISSING = object()


class PartnerConfigurationError(Exception):
    """A partner setting is missing or invalid. Outside the runtime PartnerError family:
    nothing retries it and no catch-all for partner failures hides it."""

    def __init__(self, slug: str, message: str):
        self.slug = slug
        super().__init__(f"{slug}: {message}")


def setting_name(slug: str, name: str) -> str:
    return f"{slug.upper()}_{name.upper()}"


def partner_setting(slug: str, name: str, default: Any = _MISSING, cast: Any = str) -> Any:
    """Return `<SLUG>_<NAME>` from the environment; raise naming the variable if it is
    missing and no default was given."""
    key = setting_name(slug, name)
    try:
        return env.get_value(
            key, cast=cast, default=environ.Env.NOTSET if default is _MISSING else default
        )
    except Exception as exc:  # django-environ raises ImproperlyConfigured or ValueError
        raise PartnerConfigurationError(slug, f"set the environment variable {key}") from exc


def partner_mode(slug: str, default: str | None = None) -> str:
    """The connection mode in force: `<SLUG>_MODE` if set; else `api` while the simulator
    is on (so the demo runs end to end); else `default` or the partner's realistic mode."""
    configured = partner_setting(slug, "mode", default="").strip().lower()
    if configured:
        if configured not in ConnectionMode.values:
            raise PartnerConfigurationError(
                slug,
                f"{setting_name(slug, 'mode')}={configured!r} is not one of "
                f"{', '.join(ConnectionMode.values)}",
            )
        return configured
    if settings.PARTNER_SIMULATOR:
        return ConnectionMode.API
    return default or REALISTIC_MODES.get(slug, ConnectionMode.MANUAL)
