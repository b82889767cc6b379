"""One contract, run for all seven adapters: against `responses` mocks in each partner's
own shape, and against the simulator over real HTTP."""

import json
from datetime import datetime

import pytest
import requests
import responses

from monitoring.models import PartnerRequestLog
from partners.errors import PartnerAuthError, PartnerInvalidResponseError
from partners.events import EventType
from partners.registry import clear_adapters, get_adapter
from partners.results import (
    AccountResult,
    CertificateResult,
    EnrollmentRequest,
    EnrollmentResult,
    LaunchResult,
    ProgressResult,
)
from partners.simulator import state
from partners.simulator.models import SimAccount, SimEnrollment
from tests.partners.conftest import STUDENT
from tests.partners.contract import Mock


def register(rsps, adapter, mock):
    def callback(request):
        if mock.expect:
            sent = json.loads(request.body)
            for key, value in mock.expect.items():
                assert sent.get(key) == value, f"{key}: sent {sent.get(key)!r}, expected {value!r}"
        return mock.status, {"Content-Type": "application/json"}, json.dumps(mock.json)

    rsps.add_callback(mock.method, adapter.config.base_url + mock.path, callback=callback)


def run_flow(adapter, case):
    account = adapter.create_account(student=STUDENT, idempotency_key="acct-S-1")
    enrollment = adapter.enroll(
        request=EnrollmentRequest(
            account_id=account.external_id,
            course_code=case.course_code,
            reference="42",
            idempotency_key="enrol-42",
            **case.request_extras,
        )
    )
    return account, enrollment


@responses.activate
def test_mocked_partner_flow(case, adapter, catalogue):
    for mocks in case.mocks.values():
        for mock in mocks:
            register(responses, adapter, mock)

    account, enrollment = run_flow(adapter, case)
    progress = adapter.get_progress(external_enrollment_id=enrollment.external_id)
    certificate = adapter.get_certificate(external_enrollment_id=enrollment.external_id)
    launch = adapter.sso_launch_url(
        account_id=account.external_id, external_enrollment_id=enrollment.external_id
    )

    assert isinstance(account, AccountResult) and account.external_id == case.account_id
    assert isinstance(enrollment, EnrollmentResult) and enrollment.external_id == case.enrollment_id
    assert (
        isinstance(progress, ProgressResult) and progress.progress_percent == case.progress_percent
    )
    assert (
        isinstance(certificate, CertificateResult) and certificate.number == case.certificate_number
    )
    assert certificate.expires_at == case.certificate_expires_at
    assert isinstance(certificate.issued_at, datetime) and certificate.raw
    assert isinstance(launch, LaunchResult) and launch.url == case.launch_url
    assert launch.expires_at.tzinfo is not None

    creates = [c for c in responses.calls if c.request.method == "POST"][:2]
    for call in responses.calls:
        for header in case.auth_headers:
            assert call.request.headers.get(header), f"{header} missing on {call.request.url}"
    assert all(c.request.headers.get("Idempotency-Key") for c in creates)
    # Every call was logged, and no credential reached a log.
    logs = PartnerRequestLog.objects.filter(partner__slug=adapter.slug)
    assert logs.count() == len(responses.calls)
    dump = json.dumps(list(logs.values()), default=str)
    for secret in adapter.config.secrets:
        assert secret not in dump


@responses.activate
def test_mocked_certificate_not_issued_yet(case, adapter, catalogue):
    if case.no_certificate is None:
        pytest.skip("covered by the partner's own tests")
    register(responses, adapter, case.no_certificate)
    assert adapter.get_certificate(external_enrollment_id=case.enrollment_id) is None


def _with_issue_date(value, bad):
    """The mocked answer with its issue date (2026-03-01 in every contract) replaced."""
    if isinstance(value, dict):
        return {k: _with_issue_date(v, bad) for k, v in value.items()}
    if isinstance(value, str) and value.startswith("2026-03-01"):
        return bad
    return value


@pytest.mark.parametrize("bad", ["last Tuesday", "2026-02-30", "2026-03-01T25:00:00Z"])
@responses.activate
def test_mocked_certificate_with_a_bad_issue_date_is_an_invalid_answer(
    case, adapter, catalogue, bad
):
    mocks = case.mocks["get_certificate"]
    for mock in mocks[:-1]:
        register(responses, adapter, mock)
    last = mocks[-1]
    broken = Mock(last.method, last.path, _with_issue_date(last.json, bad), last.status)
    assert broken.json != last.json
    register(responses, adapter, broken)
    with pytest.raises(PartnerInvalidResponseError, match="not a date"):
        adapter.get_certificate(external_enrollment_id=case.enrollment_id)


@responses.activate
def test_mocked_wrong_credentials_are_permanent(case, adapter, catalogue):
    first = case.mocks["create_account"][0]
    responses.add(
        first.method,
        adapter.config.base_url + first.path,
        json={"error": "unauthorized"},
        status=401,
    )
    with pytest.raises(PartnerAuthError):
        adapter.create_account(student=STUDENT, idempotency_key="k")
    assert len(responses.calls) == 1  # never retried


def test_simulated_partner_end_to_end(case, slug, live_simulator):
    adapter = get_adapter(slug)

    account, enrollment = run_flow(adapter, case)
    assert adapter.get_progress(external_enrollment_id=enrollment.external_id).progress_percent == 0
    assert adapter.get_certificate(external_enrollment_id=enrollment.external_id) is None

    row = SimEnrollment.objects.get(partner=slug, external_id=enrollment.external_id)
    state.advance(row, to=60)
    assert (
        adapter.get_progress(external_enrollment_id=enrollment.external_id).progress_percent == 60
    )
    state.advance(row, to=100, score=850, passed=True)
    progress = adapter.get_progress(external_enrollment_id=enrollment.external_id)
    assert progress.completed and progress.progress_percent == 100

    certificate = adapter.get_certificate(external_enrollment_id=enrollment.external_id)
    row.refresh_from_db()
    assert certificate.number == row.certificate_number
    assert certificate.expires_at == row.certificate_expires_at

    launch = adapter.sso_launch_url(
        account_id=account.external_id, external_enrollment_id=enrollment.external_id
    )
    page = requests.get(launch.url, timeout=10)
    assert page.status_code == 200 and enrollment.external_id in page.text
    assert PartnerRequestLog.objects.filter(partner__slug=slug, outcome="success").count() >= 7


def test_simulator_replays_idempotent_creates(case, slug, live_simulator):
    adapter = get_adapter(slug)
    first_account, first_enrollment = run_flow(adapter, case)
    second_account, second_enrollment = run_flow(adapter, case)
    assert second_account.external_id == first_account.external_id
    assert second_enrollment.external_id == first_enrollment.external_id
    assert SimAccount.objects.filter(partner=slug).count() == 1
    assert SimEnrollment.objects.filter(partner=slug).count() == 1


def test_simulator_refuses_a_wrong_key(slug, live_simulator, monkeypatch):
    monkeypatch.setenv(f"{slug.upper()}_API_KEY", "not-the-key")
    monkeypatch.setenv(f"{slug.upper()}_ORGANIZATION_ID", "not-our-org")
    wrong = get_adapter(slug)
    monkeypatch.delenv(f"{slug.upper()}_API_KEY")
    monkeypatch.delenv(f"{slug.upper()}_ORGANIZATION_ID")
    clear_adapters()
    # The simulator checks against the configuration in force now (the real key).
    with pytest.raises(PartnerAuthError):
        wrong.create_account(student=STUDENT, idempotency_key="k")
    assert not SimAccount.objects.filter(partner=slug).exists()


@pytest.mark.parametrize(
    ("event_type", "data", "expected"),
    [
        (
            "progress.updated",
            {"enrollment_id": "E-1", "progress_percent": 55},
            {"progress_percent": 55},
        ),
        (
            "course.completed",
            {
                "enrollment_id": "E-1",
                "progress_percent": 100,
                "completed_at": "2026-05-01T12:00:00Z",
            },
            {"progress_percent": 100},
        ),
        ("something.new", {"enrollment_id": "E-1"}, {}),
    ],
)
def test_spec_v1_webhooks_parse_to_canonical_events(adapter, event_type, data, expected):
    payload = {"type": event_type, "timestamp": "2026-05-01T12:00:00Z", "data": data}
    [event] = adapter.parse_webhook(payload=payload, webhook_id="msg_1")
    assert event.type == EventType.parse(event_type)
    assert event.partner == adapter.slug and event.external_enrollment_id == "E-1"
    assert event.event_id == "msg_1" and event.raw == payload
    for key, value in expected.items():
        assert getattr(event, key) == value


def test_spec_v1_certificate_webhook(adapter):
    payload = {
        "type": "certificate.issued",
        "timestamp": "2026-05-01T12:00:00Z",
        "data": {
            "enrollment_id": "E-1",
            "certificate": {
                "number": "C-9",
                "issued_at": "2026-05-01",
                "expires_at": "2028-05-01",
                "url": "https://x/c.pdf",
            },
        },
    }
    [event] = adapter.parse_webhook(payload=payload, webhook_id="msg_2")
    assert event.type == EventType.CERTIFICATE_ISSUED
    assert event.certificate.number == "C-9"
    assert event.certificate.expires_at.year == 2028
