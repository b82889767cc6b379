"""The one list of partners. Everything else that lists partners reads it, at call time.

Each `PartnerEntry` declares what is partner-level: the slug (URL slug, settings prefix,
`Partner.slug` and the key here), the display name, the adapter class, the simulated
contract and the partner's realistic mode (PARTNERS.md: what works today without a
developer API). Derived from it, never written again:

- `PARTNER_SLUGS`, `ADAPTERS`, `CONTRACTS`, `REALISTIC_MODES` (live views: they read the
  registry at each use);
- `get_adapter` / `adapter_class`, `partners.simulator.contracts.contract_for`;
- the partner rows of the catalogue (`partners.catalogue.partner_rows`, loaded by
  `manage.py load_catalogue`), the system checks (`partners.checks`,
  `partners.simulator.checks`), the webhook receiver (through `get_adapter`).

Adding a partner adds one entry to `PARTNERS` (see partners/ADDING_A_PARTNER.md); nothing
is discovered by import magic.

A partner registered at run time (tests)
----------------------------------------
A test can add a partner the project does not ship (an adapter and a contract in a test
package) and remove it afterwards; `registered` also forgets cached adapters (and, through
`registry_changed`, the webhook receiver's memory) on the way in and out::

    from partners.modes import ConnectionMode
    from partners.registry import PartnerEntry, registered

    ACME = PartnerEntry(
        slug="acme",
        name="Acme Academy",
        adapter="tests.partners.acme.adapter.AcmeAdapter",
        contract="tests.partners.acme.contract.AcmeContract",
        realistic_mode=ConnectionMode.MANUAL,
    )

    @pytest.fixture
    def acme():
        with registered(ACME) as entry:
            yield entry

While registered, `get_adapter("acme")`, the simulator at `/simulator/acme/`,
`load_catalogue` (a `Partner` row named "Acme Academy", no courses), `manage.py check`
and `/webhooks/partners/acme/` (once its `Partner` row exists) all see it. Its settings
are `ACME_*`, like any other partner's. `register` / `unregister` do the same without the
context manager.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.dispatch import Signal
from django.utils.module_loading import import_string

from partners.base import PartnerAdapter
from partners.config import PartnerConfig, get_partner_config
from partners.modes import ConnectionMode


@dataclass(frozen=True)
class PartnerEntry:
    slug: str
    name: str
    adapter: str  # dotted path of the PartnerAdapter subclass
    realistic_mode: ConnectionMode  # the mode in force outside the simulator, unless set
    contract: str = ""  # dotted path of the simulated contract; "" = not simulated


PARTNERS: tuple[PartnerEntry, ...] = (
    PartnerEntry(
        slug="hsi",
        name="HSI (ASHI / MEDIC First Aid)",
        adapter="partners.hsi.adapter.HsiAdapter",
        contract="partners.simulator.contracts.hsi.HsiContract",
        realistic_mode=ConnectionMode.MANUAL,
    ),
    PartnerEntry(
        slug="certiport",
        name="Certiport (Pearson VUE)",
        adapter="partners.certiport.adapter.CertiportAdapter",
        contract="partners.simulator.contracts.certiport.CertiportContract",
        realistic_mode=ConnectionMode.ROSTER,
    ),
    PartnerEntry(
        slug="careersafe",
        name="CareerSafe",
        adapter="partners.careersafe.adapter.CareerSafeAdapter",
        contract="partners.simulator.contracts.careersafe.CareerSafeContract",
        realistic_mode=ConnectionMode.ROSTER,
    ),
    PartnerEntry(
        slug="milady",
        name="Milady (Cengage)",
        adapter="partners.milady.adapter.MiladyAdapter",
        contract="partners.simulator.contracts.milady.MiladyContract",
        realistic_mode=ConnectionMode.ROSTER,
    ),
    PartnerEntry(
        slug="jri",
        name="JRI (Job Ready Indy)",
        adapter="partners.jri.adapter.JriAdapter",
        contract="partners.simulator.contracts.jri.JriContract",
        realistic_mode=ConnectionMode.MANUAL,
    ),
    PartnerEntry(
        slug="nrf",
        name="NRF Foundation RISE Up",
        adapter="partners.nrf.adapter.NrfAdapter",
        contract="partners.simulator.contracts.nrf.NrfContract",
        realistic_mode=ConnectionMode.ROSTER,
    ),
    PartnerEntry(
        slug="nds",
        name="NDS (National Drug Screening)",
        adapter="partners.nds.adapter.NdsAdapter",
        contract="partners.simulator.contracts.nds.NdsContract",
        realistic_mode=ConnectionMode.MANUAL,
    ),
)

# Replaced, never changed in place, so a reader iterating it is never disturbed.
_entries: dict[str, PartnerEntry] = {entry.slug: entry for entry in PARTNERS}
_lock = threading.Lock()  # guards _entries' replacement and the adapter cache

# Sent after a partner is registered or unregistered (with `slug=`): holders of
# per-partner memory (webhooks.partner_lookup) forget it.
registry_changed = Signal()

# A slug is also the settings prefix (`<SLUG>_API_KEY`) and a URL segment.
SLUG_PATTERN = re.compile(r"[a-z][a-z0-9]{1,31}")


class UnknownPartner(KeyError):
    pass


def entries() -> tuple[PartnerEntry, ...]:
    """The registered partners, shipped ones first, in registration order."""
    return tuple(_entries.values())


def entry(slug: str) -> PartnerEntry:
    try:
        return _entries[slug]
    except KeyError:
        raise UnknownPartner(slug) from None


class _Slugs(Sequence[str]):
    def __getitem__(self, index):
        return tuple(_entries)[index]

    def __len__(self) -> int:
        return len(_entries)

    def __iter__(self) -> Iterator[str]:
        return iter(tuple(_entries))

    def __contains__(self, slug: object) -> bool:
        return slug in _entries

    def __repr__(self) -> str:
        return f"PARTNER_SLUGS{tuple(_entries)!r}"


class _Column(Mapping[str, Any]):
    """slug -> one field of its entry, over the registered partners."""

    def __init__(self, field: str):
        self._field = field

    def __getitem__(self, slug: str) -> Any:
        return getattr(_entries[slug], self._field)

    def __iter__(self) -> Iterator[str]:
        return iter(tuple(_entries))

    def __len__(self) -> int:
        return len(_entries)

    def __repr__(self) -> str:
        return repr(dict(self))


PARTNER_SLUGS: Sequence[str] = _Slugs()
ADAPTERS: Mapping[str, str] = _Column("adapter")
CONTRACTS: Mapping[str, str] = _Column("contract")
REALISTIC_MODES: Mapping[str, ConnectionMode] = _Column("realistic_mode")


def register(new: PartnerEntry) -> None:
    """Add a partner at run time (for tests). Refuses a slug already registered."""
    if not SLUG_PATTERN.fullmatch(new.slug):
        raise ValueError(f"{new.slug!r}: a slug is 2-32 lower-case letters and digits")
    global _entries
    with _lock:
        if new.slug in _entries:
            raise ValueError(f"{new.slug!r} is already registered")
        _entries = {**_entries, new.slug: new}
    _changed(new.slug)


def unregister(slug: str) -> None:
    """Remove a partner added by `register`."""
    global _entries
    with _lock:
        _entries = {s: e for s, e in _entries.items() if s != slug}
    _changed(slug)


@contextmanager
def registered(new: PartnerEntry) -> Iterator[PartnerEntry]:
    """`register(new)` for the duration of the block, then `unregister` it."""
    register(new)
    try:
        yield new
    finally:
        unregister(new.slug)


def _changed(slug: str) -> None:
    clear_adapters()
    registry_changed.send(sender=PartnerEntry, slug=slug)


def adapter_class(slug: str) -> type[PartnerAdapter]:
    return import_string(entry(slug).adapter)


_adapters: dict[PartnerConfig, PartnerAdapter] = {}


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
