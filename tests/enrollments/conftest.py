import pytest
from django.core.management import call_command

from partners.breakers import reset_breakers
from partners.registry import clear_adapters


@pytest.fixture
def live_simulator(live_server, settings, transactional_db):
    """Partners served by the simulator on a live test server; tasks run in-process."""
    call_command("load_catalogue", verbosity=0)
    settings.PARTNER_SIMULATOR = True
    settings.SITE_URL = live_server.url
    clear_adapters()
    reset_breakers()
    yield live_server
    clear_adapters()
    reset_breakers()
