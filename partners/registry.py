"""The explicit list of partner adapters. Adding a partner adds one line here (see
partners/ADDING_A_PARTNER.md); nothing is discovered by import magic."""

from __future__ import annotations

import threading

from django.utils.module_loading import import_string

from partners.base import PartnerAdapter
from partners.config import PARTNER_SLUGS, PartnerConfig, get_partner_config

ADAPTERS: dict[str, str] = {
    "hsi": "partners.hsi.adapter.HsiAdapter",
    "certiport": "partners.certiport.adapter.CertiportAdapter",
    "careersafe": "partners.careersafe.adapter.CareerSafeAdapter",
    "milady": "partners.milady.adapter.MiladyAdapter",
    "jri": "partners.jri.adapter.JriAdapter",
    "nrf": "partners.nrf.adapter.NrfAdapter",
    "nds": "partners.nds.adapter.NdsAdapter",
}
assert tuple(ADAPTERS) == PARTNER_SLUGS


class UnknownPartner(KeyError):
    pass


def adapter_class(slug: str) -> type[PartnerAdapter]:
    try:
        return import_string(ADAPTERS[slug])
    except KeyError:
        raise UnknownPartner(slug) from None


_adapters: dict[PartnerConfig, PartnerAdapter] = {}
_lock = threading.Lock()


def get_adapter(slug: str) -> PartnerAdapter:
    """The adapter for `slug` with the configuration in force now: one adapter (and so one
    HTTP session, with its connection pool) per configuration."""
    cls = adapter_class(slug)
    config = get_partner_config(slug)
    with _lock:
        if config not in _adapters:
            _adapters[config] = cls(config)
        return _adapters[config]


def clear_adapters() -> None:
    """Forget cached adapters (after a configuration change), closing their connections."""
    with _lock:
        for adapter in _adapters.values():
            adapter.client.session.close()
        _adapters.clear()
