"""System checks for the partner simulator: it is for development and demos only.

`check --deploy` fails when the simulator is asked for in production (DEBUG off) without
PARTNER_SIMULATOR_FORCE, and warns when it is forced. Any `check` warns when a partner's
real credentials are set while the simulator is on: they are ignored, never sent to it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from partners.config import SIMULATOR_IGNORED_SETTINGS, partner_setting, setting_name
from partners.registry import PARTNER_SLUGS


@register(Tags.security, deploy=True)
def check_simulator_in_production(app_configs=None, **kwargs):
    if settings.DEBUG:
        return []
    forced = settings.PARTNER_SIMULATOR_FORCE
    if settings.PARTNER_SIMULATOR_REFUSED or (settings.PARTNER_SIMULATOR and not forced):
        return [
            Error(
                "PARTNER_SIMULATOR is on while DEBUG is off (production): the partner "
                "simulator is not served and no adapter uses it.",
                hint="Remove PARTNER_SIMULATOR from the production environment. Only a demo "
                "deployment with no real partner sets PARTNER_SIMULATOR_FORCE=true as well.",
                id="simulator.E001",
            )
        ]
    if settings.PARTNER_SIMULATOR:
        return [
            Warning(
                "The partner simulator is forced on in production (PARTNER_SIMULATOR_FORCE): "
                "/simulator/ is served and every partner call goes to it, none to a partner.",
                hint="Fine for a demo deployment; never for one that enrols real students.",
                id="simulator.W001",
            )
        ]
    return []


@register("partners")
def check_real_credentials_while_simulated(app_configs=None, **kwargs):
    if not settings.PARTNER_SIMULATOR:
        return []
    messages = []
    for slug in PARTNER_SLUGS:
        for name in SIMULATOR_IGNORED_SETTINGS:
            if partner_setting(slug, name, default="").strip():
                variable = setting_name(slug, name)
                messages.append(
                    Warning(
                        f"{variable} is set but ignored while the partner simulator is on: "
                        "the simulator gets its own credentials, never a partner's.",
                        hint=f"Unset {variable} where the simulator runs, or turn "
                        "PARTNER_SIMULATOR off to call the partner.",
                        id="simulator.W002",
                        obj=slug,
                    )
                )
    return messages
