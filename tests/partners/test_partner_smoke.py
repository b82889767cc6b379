"""`manage.py partner_smoke`: every partner against the simulator over real HTTP (the live
test server), its refusals, and failures reported with the field or status that did not
match. A live partner is only ever a `responses` mock here."""

import io
import json
from itertools import pairwise

import pytest
import responses
from django.core.management import CommandError, call_command

from enrollments.models import Enrollment, PartnerAccount, Student
from monitoring.models import PartnerRequestLog
from partners.hsi.constants import PATHS as HSI_PATHS
from partners.registry import PARTNER_SLUGS, get_adapter
from partners.simulator.faults import set_faults
from partners.simulator.models import SimAccount, SimEnrollment, SimVoucher
from partners.smoke import partner_smoke

# What every partner runs, then the extras its adapter declares.
COMMON = ["create_account", "enroll", "get_progress"]
SIMULATOR_ONLY = ["simulator: finish course", "get_progress (completed)"]
AFTER = ["get_certificate", "sso_launch_url"]
EXTRAS = {
    "certiport": ["generate_voucher"],
    "careersafe": ["enroll_group"],
    "jri": ["verify_certificate"],
    "nrf": ["verify_certificate"],
}


def smoke(*args) -> tuple[str, int]:
    out = io.StringIO()
    try:
        call_command("partner_smoke", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue() + f"\nERROR: {exc}", exc.returncode
    return out.getvalue(), 0


def table_rows(output: str) -> dict[str, list[str]]:
    """operation -> its cells (result, HTTP, latency, tries, request logs, detail)."""
    lines = output.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("operation"))
    starts = [lines[header].index(c) for c in ("result", "HTTP", "latency", "tries", "request")]
    detail = lines[header].index("detail")
    rows = {}
    for line in lines[header + 2 :]:
        if not line or not line[0].isalpha() or len(line) < starts[0]:
            break
        bounds = [0, *starts, detail]
        cells = [line[a:b].strip() for a, b in pairwise(bounds)]
        rows[cells[0]] = [*cells[1:], line[detail:].strip()]
    return rows


@pytest.mark.parametrize("slug", list(PARTNER_SLUGS))
def test_every_operation_passes_against_the_simulator(slug, live_simulator):
    output, code = smoke(slug)

    rows = table_rows(output)
    assert list(rows) == COMMON + SIMULATOR_ONLY + AFTER + EXTRAS.get(slug, []), output
    assert code == 0, output
    assert all(cells[0] == "pass" for cells in rows.values()), output
    for operation, (_, status, latency, tries, log_ids, _detail) in rows.items():
        if operation == "simulator: finish course":
            assert (status, log_ids) == ("-", "-")
            continue
        assert status in ("200", "201"), (operation, output)
        assert latency.endswith(" ms")
        logs = PartnerRequestLog.objects.filter(pk__in=[int(i) for i in log_ids.split(",")])
        assert logs.count() == int(tries) >= 1
        # Each operation's logs are its own: one correlation id, the operation's calls.
        assert len({log.correlation_id for log in logs}) == 1
        assert {log.partner.slug for log in logs} == {slug}
    assert "certificate " in rows["get_certificate"][-1]
    assert f"{slug}: smoke test" not in output  # the header names the partner, not an error
    assert "Smoke Test <smoke+" in output and ".invalid>" in output
    assert "passed" in output.splitlines()[-1]


def test_the_simulator_is_left_clean_and_nothing_of_ours_is_created(live_simulator):
    """The demo never meets the test student: gone from the simulator afterwards, and no
    student, account or enrollment of ours was ever made for it."""
    before = SimAccount.objects.count(), SimEnrollment.objects.count()

    report = partner_smoke("certiport")

    assert report.ok, report.steps
    # The exam registration, its voucher and the voucher generated as an extra.
    assert "1 account(s), 1 enrolment(s), 2 voucher(s)" in report.cleanup
    assert not SimAccount.objects.filter(email=report.student.email).exists()
    assert (SimAccount.objects.count(), SimEnrollment.objects.count()) == before
    assert not SimVoucher.objects.filter(account__email=report.student.email).exists()
    assert not Student.objects.exists()
    assert not PartnerAccount.objects.exists()
    assert not Enrollment.objects.exists()


def test_a_broken_answer_from_the_simulator_fails_with_what_came(live_simulator):
    """Fault injection: every answer a broken body. The first operation fails saying
    the answer is not JSON, the rest are skipped, and the command exits non-zero."""
    set_faults("hsi", malformed_rate=1)

    output, code = smoke("hsi")

    rows = table_rows(output)
    assert code == 1
    assert rows["create_account"][0] == "FAIL"
    assert rows["create_account"][1] == "200"
    assert "contract: the answer is not valid JSON" in rows["create_account"][-1]
    assert "502 Bad Gateway" in rows["create_account"][-1]
    assert rows["enroll"][0] == "skipped" and rows["enroll"][-1] == "needs create_account"
    assert "failed: create_account, enroll" not in output  # skipped is not failed
    assert "0/" in output and "failed: create_account" in output


LIVE = "https://sandbox.hsi.example"


@pytest.fixture
def live_hsi(settings, monkeypatch, catalogue):
    """HSI configured for a (mocked) sandbox, the simulator off."""
    settings.PARTNER_SIMULATOR = False
    for name, value in {
        "HSI_API_BASE_URL": LIVE,
        "HSI_API_KEY": "live-key-123",
        "HSI_API_SECRET": "live-secret-456",
        "HSI_ORGANIZATION_ID": "org-1",
        "HSI_MAX_RETRIES": "1",
    }.items():
        monkeypatch.setenv(name, value)
    return get_adapter("hsi")


@responses.activate
def test_a_live_partner_is_refused_without_live(live_hsi):
    output, code = smoke("hsi")

    assert code == 1
    assert "the simulator is off, so this would call the live partner at " + LIVE in output
    assert "--live" in output
    assert len(responses.calls) == 0  # nothing was sent anywhere


def test_live_is_refused_while_the_simulator_is_on(live_simulator):
    output, code = smoke("hsi", "--live")

    assert code == 1
    assert "--live was given, but PARTNER_SIMULATOR is on" in output
    assert not PartnerRequestLog.objects.exists()


def hsi_answers(rsps, *, account: dict):
    rsps.add(responses.POST, LIVE + HSI_PATHS.create_account, json=account, status=201)
    rsps.add(
        responses.POST,
        LIVE + HSI_PATHS.enroll,
        json={"id": "E-1", "status": "active", "launchUrl": "https://hsi.example/go"},
        status=201,
    )


@responses.activate
def test_a_live_answer_missing_a_field_names_the_field(live_hsi):
    """The sandbox answers the account call without the id the adapter expects: the
    table says which field, with the status and the partner's body."""
    from partners.hsi import constants as c

    hsi_answers(responses, account={"username": "smoke", "loginUrl": "https://hsi.example"})

    output, code = smoke("hsi", "--live")

    rows = table_rows(output)
    assert code == 1
    assert "LIVE partner" in output
    result, status, _latency, tries, log_ids, detail = rows["create_account"]
    assert (result, status, tries) == ("FAIL", "201", "1")
    assert f"contract: answer lacks {c.ACCOUNT_FIELDS.id}" in detail
    assert '"username": "smoke"' in detail
    log = PartnerRequestLog.objects.get(pk=int(log_ids))
    assert log.url == LIVE + HSI_PATHS.create_account
    assert log.correlation_id.startswith("smoke-")
    assert json.loads(log.request_body)[c.ACCOUNT_FIELDS.first_name] == "Smoke"
    assert all(rows[op][0] == "skipped" for op in ("enroll", "get_progress", "sso_launch_url"))
    assert "simulator: finish course" not in rows  # only the simulator can be played


@responses.activate
def test_a_live_refusal_shows_the_status_and_the_partners_words(live_hsi):
    from partners.hsi import constants as c

    hsi_answers(responses, account={c.ACCOUNT_FIELDS.id: "U-1"})
    responses.replace(
        responses.POST,
        LIVE + HSI_PATHS.enroll,
        json={"error": "unknown_course"},
        status=422,
    )
    responses.add(responses.POST, LIVE + HSI_PATHS.sso_launch, status=404)

    output, code = smoke("hsi", "--live")

    rows = table_rows(output)
    assert code == 1
    assert rows["create_account"][0] == "pass"
    assert rows["enroll"][:2] == ["FAIL", "422"]
    assert "HTTP 422 PartnerRejectedError" in rows["enroll"][-1]
    assert "unknown_course" in rows["enroll"][-1]


def test_a_completion_status_the_adapter_does_not_know_fails_the_completed_read(
    live_simulator, monkeypatch
):
    """The partner says "completed" in words the adapter's table does not have (a renamed
    status): the finished course reads as not completed, and the smoke test says so."""
    from dataclasses import replace

    from partners.hsi import constants as c
    from partners.hsi.adapter import HsiAdapter

    states = {k: v for k, v in c.PROGRESS_FIELDS.states.items() if k != c.STATUS_COMPLETED}
    monkeypatch.setattr(HsiAdapter, "progress_fields", replace(c.PROGRESS_FIELDS, states=states))

    output, code = smoke("hsi")

    rows = table_rows(output)
    assert code == 1
    assert rows["get_progress"][0] == "pass"
    assert rows["get_progress (completed)"][:2] == ["FAIL", "200"]
    assert "reads as not completed" in rows["get_progress (completed)"][-1]
    assert "check the status mapping" in rows["get_progress (completed)"][-1]
