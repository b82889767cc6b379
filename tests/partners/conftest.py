import importlib

import pytest

from partners.breakers import reset_breakers
from partners.registry import PARTNER_SLUGS, clear_adapters, get_adapter
from partners.results import StudentInfo

STUDENT = StudentInfo(
    external_ref="S-1", first_name="Ana", last_name="Lopez", email="ana@example.org"
)


def contract_case(slug: str):
    return importlib.import_module(f"tests.partners.contracts.{slug}").CASE


def url(adapter, path: str) -> str:
    """`path` under the adapter's base URL (what a `responses` mock is registered at)."""
    return adapter.config.base_url + path


@pytest.fixture(autouse=True)
def fresh_partner_layer():
    """Adapters are cached per configuration and breakers per process: start clean."""
    clear_adapters()
    reset_breakers()
    yield
    clear_adapters()
    reset_breakers()


@pytest.fixture(params=PARTNER_SLUGS)
def slug(request):
    return request.param


@pytest.fixture
def case(slug):
    """The partner's ContractCase for the shared contract (tests/partners/contract.py)."""
    return contract_case(slug)


def mocked_adapter(slug: str, settings):
    """The partner's adapter configured for the simulator's URL and credentials, to run
    against `responses` mocks; retries do not wait."""
    settings.PARTNER_SIMULATOR = True
    clear_adapters()
    adapter = get_adapter(slug)
    adapter.client.sleep = lambda seconds: None
    return adapter


@pytest.fixture
def adapter(slug, settings):
    return mocked_adapter(slug, settings)


def _partner_fixtures(slug: str):
    """`<slug>` (mocked_adapter) and `live_<slug>` (the adapter against the simulator
    served by live_simulator) for one partner's own test module."""

    @pytest.fixture(name=slug)
    def mocked(settings, catalogue):
        return mocked_adapter(slug, settings)

    @pytest.fixture(name=f"live_{slug}")
    def live(live_simulator):
        return get_adapter(slug)

    return mocked, live


for _slug in tuple(PARTNER_SLUGS):
    globals()[f"adapter_{_slug}"], globals()[f"live_adapter_{_slug}"] = _partner_fixtures(_slug)
