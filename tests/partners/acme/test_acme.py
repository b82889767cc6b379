"""An eighth partner joins with its own package, its simulated contract and one registry
entry, and nothing else: this made-up partner (Acme Safety Academy, this package) is
registered for each test and runs the shared contract of the seven, against `responses`
mocks and against the simulator (partners/ADDING_A_PARTNER.md)."""

import pytest

from partners.models import Partner
from partners.modes import ConnectionMode
from partners.registry import PARTNER_SLUGS, PartnerEntry, registered
from tests.partners.acme.case import CASE

# The shared contract (tests/partners/test_adapter_contract.py), collected again here,
# where `slug` and `case` are Acme's.
from tests.partners.test_adapter_contract import *  # noqa: F403

ACME = PartnerEntry(
    slug="acme",
    name="Acme Safety Academy",
    adapter="tests.partners.acme.adapter.AcmeAdapter",
    contract="tests.partners.acme.contract.AcmeContract",
    realistic_mode=ConnectionMode.API,
)


@pytest.fixture(autouse=True)
def acme_registered():
    with registered(ACME) as entry:
        yield entry


@pytest.fixture
def slug():
    return ACME.slug


@pytest.fixture
def case():
    return CASE


def test_acme_is_registered_as_an_eighth_partner(catalogue):
    assert list(PARTNER_SLUGS)[-1] == "acme" and len(PARTNER_SLUGS) == 8
    assert Partner.objects.get(slug="acme").name == "Acme Safety Academy"
