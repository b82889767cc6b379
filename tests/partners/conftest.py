import importlib

import pytest
from django.core.management import call_command

from partners.breakers import reset_breakers
from partners.registry import PARTNER_SLUGS, clear_adapters, get_adapter
from partners.results import StudentInfo

STUDENT = StudentInfo(
    external_ref="S-1", first_name="Ana", last_name="Lopez", email="ana@example.org"
)


def contract_case(slug: str):
    return importlib.import_module(f"tests.partners.contracts.{slug}").CASE


@pytest.fixture(autouse=True)
def fresh_partner_layer():
    """Adapters are cached per configuration and breakers per process: start clean."""
    clear_adapters()
    reset_breakers()
    yield
    clear_adapters()
    reset_breakers()


@pytest.fixture
def partners_loaded(db):
    call_command("load_catalogue", verbosity=0)


@pytest.fixture
def simulator(live_server, settings, transactional_db):
    """The simulator served over real HTTP by a live test server; adapters point at it."""
    call_command("load_catalogue", verbosity=0)
    settings.PARTNER_SIMULATOR = True
    settings.SITE_URL = live_server.url
    clear_adapters()
    return live_server


@pytest.fixture(params=PARTNER_SLUGS)
def slug(request):
    return request.param


@pytest.fixture
def adapter(slug, settings):
    settings.PARTNER_SIMULATOR = True
    clear_adapters()
    a = get_adapter(slug)
    a.client.sleep = lambda seconds: None  # retries without real waiting
    return a
