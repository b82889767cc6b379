"""What reaches the simulator and what it keeps: never a partner's real credentials (the
adapters use the simulator's own while it is on), and request bodies only redacted."""

import json

import pytest
from django.db import connection

from monitoring.models import PartnerRequestLog
from partners.hsi import constants as hsi
from partners.registry import get_adapter
from partners.simulator.models import SimAccount
from tests.partners.conftest import contract_case
from tests.partners.test_adapter_contract import run_flow

REAL_KEY = "real-partner-key-7f3a9c1e5b"
REAL_SECRET = "real-partner-secret-2d8e4a6c0f"
STORED = (
    "monitoring_partnerrequestlog",
    "simulator_simaccount",
    "simulator_simenrollment",
    "simulator_simidempotencyrecord",
    "simulator_simwebhook",
)


def stored_rows() -> str:
    with connection.cursor() as cursor:
        dump = []
        for table in STORED:
            cursor.execute(f"SELECT * FROM {table}")  # fixed table names
            dump.append(repr(cursor.fetchall()))
    return "\n".join(dump)


@pytest.fixture
def sent(slug, live_simulator, monkeypatch):
    """The partner's real credentials are in the environment; every request the adapter
    sends to the simulator is recorded as it leaves."""
    monkeypatch.setenv(f"{slug.upper()}_API_KEY", REAL_KEY)
    monkeypatch.setenv(f"{slug.upper()}_API_SECRET", REAL_SECRET)
    adapter = get_adapter(slug)
    requests_sent = []
    send = adapter.client.session.request

    def recording(method, url, **kwargs):
        requests_sent.append(repr((method, url, kwargs)))
        return send(method, url, **kwargs)

    monkeypatch.setattr(adapter.client.session, "request", recording)
    return adapter, requests_sent


def test_a_partners_real_credentials_never_reach_the_simulator(sent, slug):
    adapter, requests_sent = sent
    account, enrollment = run_flow(adapter, contract_case(slug))
    adapter.get_progress(external_enrollment_id=enrollment.external_id)
    assert account.external_id and len(requests_sent) >= 3  # accepted: it authenticated
    for secret in (REAL_KEY, REAL_SECRET):
        assert secret not in adapter.config.secrets
        assert not any(secret in request for request in requests_sent)
        assert secret not in stored_rows()


@pytest.mark.parametrize("slug", ["hsi"])
def test_the_simulator_keeps_request_bodies_redacted(sent):
    adapter, _ = sent
    body = {
        "firstName": "Ana",
        "lastName": "Lopez",
        "email": "ana@example.org",
        "externalId": "S-1",
        "dateOfBirth": "1990-04-01",
        "ssn": "123-45-6789",
        "driversLicense": {"number": "D1234567", "state": "CA"},
    }
    answer = adapter.client.post(
        hsi.PATHS.create_account, operation="create_account", json=body, idempotency_key="k-1"
    ).json()
    account = SimAccount.objects.get(partner="hsi")
    # It used what it needs to answer ...
    assert answer["studentId"] == account.external_id and account.email == "ana@example.org"
    assert (account.first_name, account.last_name) == ("Ana", "Lopez")
    # ... and kept a redacted copy of the rest, as the request log does.
    log = json.loads(PartnerRequestLog.objects.get().request_body)
    for kept in (account.request, log):
        assert kept["email"] == "ana@example.org" and kept["firstName"] == "Ana"
        assert kept["dateOfBirth"] == kept["ssn"] == kept["driversLicense"] == "[REDACTED]"
    for personal in ("1990-04-01", "123-45-6789", "D1234567"):
        assert personal not in stored_rows()
