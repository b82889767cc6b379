"""Per-partner configuration, read from the environment in one place. It knows no list
of partners (that is partners.registry): everything here takes the slug.

Every partner setting is `<SLUG>_<NAME>` (HSI_API_KEY, CERTIPORT_TIMEOUT, ...). Reading
through `partner_setting` means a missing value names the exact variable to set.
"""

import base64
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import environ
from django.conf import settings

from partners.modes import ConnectionMode

env = environ.Env()

_MISSING = object()

# A partner's credentials. While the simulator is on these are never read: the adapters
# use the simulator's own, so a real key configured by mistake is never sent to it.
SIMULATOR_IGNORED_SETTINGS = ("api_key", "api_secret")


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


def configured_mode(slug: str) -> str:
    """`<SLUG>_MODE`, or "" when it is not set; raises naming the variable when it is set
    to something that is not a mode."""
    configured = partner_setting(slug, "mode", default="").strip().lower()
    if configured and configured not in ConnectionMode.values:
        raise PartnerConfigurationError(
            slug,
            f"{setting_name(slug, 'mode')}={configured!r} is not one of "
            f"{', '.join(ConnectionMode.values)}",
        )
    return configured


def partner_mode(slug: str, default: str) -> str:
    """The connection mode in force: `<SLUG>_MODE` if set; else `api` while the simulator
    is on (so the demo runs end to end); else `default`, the partner's own mode (its
    row's `mode`, or its realistic mode in partners.registry)."""
    configured = configured_mode(slug)
    if configured:
        return configured
    if settings.PARTNER_SIMULATOR:
        return ConnectionMode.API
    return default


def effective_mode(partner) -> str:
    """The connection mode in force for a `Partner` row (anything with `slug` and `mode`):
    the configuration's if it sets one, else the row's own. Raises
    PartnerConfigurationError when `<SLUG>_MODE` is not a mode."""
    return partner_mode(partner.slug, default=partner.mode)


@dataclass(frozen=True)
class PartnerConfig:
    """Everything an adapter needs to reach one partner, read from the environment."""

    slug: str
    base_url: str
    api_key: str
    api_secret: str
    organization_id: str
    webhook_secrets: tuple[str, ...]
    timeout: float
    max_retries: int
    simulated: bool

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in a log."""
        return tuple(s for s in (self.api_key, self.api_secret, *self.webhook_secrets) if s)

    def missing_settings(self, names: Iterable[str]) -> tuple[str, ...]:
        """The variables (`HSI_API_BASE_URL`, ...) among `names` that are not set, so a
        call cannot be made. None while simulated: the simulator supplies them all."""
        if self.simulated:
            return ()
        fields = {"api_base_url": "base_url"}
        return tuple(
            setting_name(self.slug, name)
            for name in names
            if not getattr(self, fields.get(name, name))
        )


def simulator_credential(slug: str, purpose: str) -> str:
    """A stable per-install credential for the built-in simulator, derived from SECRET_KEY
    so both sides (adapter and simulator) agree without any configuration."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"partnerhub-simulator:{slug}:{purpose}".encode(), "sha256"
    ).digest()
    if purpose == "webhook":
        return "whsec_" + base64.b64encode(digest).decode()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:32]


def get_partner_config(slug: str) -> PartnerConfig:
    """The configuration in force for `slug`. While the simulator is on, the base URL
    points at it and the credentials are always the simulator's own: a partner's real
    `<SLUG>_API_KEY` / `_API_SECRET` are not even read, so they can never reach it. Other
    values (organisation id, webhook secrets) may still be set, for tests and demos."""
    simulated = bool(settings.PARTNER_SIMULATOR)

    def value(name: str, sim_default: str = "") -> str:
        if simulated and name in SIMULATOR_IGNORED_SETTINGS:
            return sim_default
        return partner_setting(slug, name, default="").strip() or (sim_default if simulated else "")

    secrets = partner_setting(slug, "webhook_secrets", default="")
    webhook_secrets = tuple(s.strip() for s in secrets.split(",") if s.strip())
    if simulated and not webhook_secrets:
        webhook_secrets = (simulator_credential(slug, "webhook"),)
    base_url = (
        f"{settings.SITE_URL.rstrip('/')}/simulator/{slug}"
        if simulated
        else partner_setting(slug, "api_base_url", default="").strip()
    )
    configured_mode(slug)  # a wrong <SLUG>_MODE leaves the partner unusable until fixed
    return PartnerConfig(
        slug=slug,
        base_url=base_url,
        api_key=value("api_key", simulator_credential(slug, "api_key")),
        api_secret=value("api_secret", simulator_credential(slug, "api_secret")),
        organization_id=value("organization_id", f"sim-{slug}-org"),
        webhook_secrets=webhook_secrets,
        timeout=partner_setting(slug, "timeout", default=30.0, cast=float),
        max_retries=partner_setting(slug, "max_retries", default=3, cast=int),
        simulated=simulated,
    )
