"""The simulator's admin pages take a partner from the simulated partners, not free text:
a fault for "HSI" (no such slug) is refused with a message and nothing is saved."""

import pytest

from partners.simulator.faults import set_faults
from partners.simulator.forms import simulated_partners
from partners.simulator.models import SimFault

URL = "/admin/simulator/simfault/add/"
FAULT = {
    "latency_ms": 0,
    "error_rate": 1,
    "rate_limit_rate": 0,
    "retry_after_seconds": 1,
    "stall_seconds": 0,
    "malformed_rate": 0,
}


@pytest.mark.django_db
def test_the_fault_form_offers_the_simulated_partners(admin_client):
    html = admin_client.get(URL).content.decode()

    assert '<select name="partner"' in html
    for slug, _ in simulated_partners():
        assert f'<option value="{slug}"' in html
    assert {slug for slug, _ in simulated_partners()} >= {"hsi", "nds", "certiport"}


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["HSI", "hsi ", "acme", ""])
def test_a_partner_that_is_not_simulated_is_refused(admin_client, typed):
    response = admin_client.post(URL, {"partner": typed, **FAULT})

    assert response.status_code == 200  # the form again, with its error
    assert response.context["adminform"].form.errors["partner"]
    assert not SimFault.objects.exists()


@pytest.mark.django_db
def test_a_simulated_partner_is_saved(admin_client):
    response = admin_client.post(URL, {"partner": "hsi", **FAULT})

    assert response.status_code == 302
    assert SimFault.objects.get().partner == "hsi"


@pytest.mark.django_db
def test_set_faults_refuses_a_slug_that_is_not_simulated():
    with pytest.raises(ValueError, match="'HSI' is not a simulated partner"):
        set_faults("HSI", error_rate=1.0)
    assert not SimFault.objects.exists()
