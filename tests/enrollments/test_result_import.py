"""Result imports: every sample report of tests/fixtures/results previews row by row
(matched, unchanged, unmatched, invalid, ignored, with the reason and the rule that
matched), changes nothing until applied, applies through the one write path (IMPORT
events, the webhooks' e-mails), and does nothing more the second time. Broken files are
refused with a clear message and change nothing."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from enrollments.models import (
    Certificate,
    CertificateSource,
    Enrollment,
    EnrollmentEvent,
    EnrollmentStatus,
    ImportStatus,
    ResultImport,
    RowOutcome,
    StudentEmail,
)
from enrollments.services.events import enrollment_apply_event
from enrollments.services.result_imports import result_import_apply, result_import_preview
from partners.events import EventSource, EventType, PartnerEvent
from partners.models import Partner, PartnerCourse
from partners.reports import UnknownMapping, mappings_for
from tests.factories import make_account, make_cohort, make_enrollment, make_student

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "results"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def staff(db):
    return User.objects.create_user("coordinator", is_staff=True)


def noon(day: str) -> datetime:
    return timezone.make_aware(datetime.combine(datetime.fromisoformat(day).date(), time(12)))


def upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (FIXTURES / name).read_bytes())


def course(slug: str, code: str) -> PartnerCourse:
    return PartnerCourse.objects.get(partner__slug=slug, code=code)


def enrol(slug, code, *, first, last, email, account="", status=EnrollmentStatus.ACTIVE, **kw):
    student = make_student(first_name=first, last_name=last, email=email)
    if account:
        make_account(student=student, partner=Partner.objects.get(slug=slug), external_id=account)
    return make_enrollment(student=student, course=course(slug, code), status=status, **kw)


@pytest.fixture
def gradebook_class(catalogue):
    """The CS-FALL26 group of careersafe_gradebook.csv, as the roster export left it."""
    return {
        "ana": enrol(
            "careersafe", "OSHA10-GI", first="Ana", last="Rivera",
            email="ana.rivera@example.org", account="CS-M-1001",
        ),
        "daniel": enrol(
            "careersafe", "OSHA10-GI", first="Daniel", last="Okafor",
            email="daniel.okafor@example.org", account="CS-M-1002",
            status=EnrollmentStatus.SUBMITTED,
        ),
        "linh": enrol(
            "careersafe", "OSHA10-GI", first="Linh", last="Nguyen",
            email="linh.nguyen@example.org", account="CS-M-1003", progress_percent=20,
        ),
        "marcus": enrol(
            "careersafe", "OSHA10-GI", first="Marcus", last="Johnson",
            email="marcus.johnson@example.org",
        ),
        "kayla": enrol(
            "careersafe", "OSHA10-GI", first="Kayla", last="Smith", email="k.smith@example.org",
            status=EnrollmentStatus.SUBMITTED,
        ),
    }  # fmt: skip


def preview(slug: str, name: str, staff, mapping: str = "") -> ResultImport:
    return result_import_preview(
        partner=Partner.objects.get(slug=slug),
        file=upload(name),
        mapping=mapping,
        imported_by_id=staff.pk,
    )


def rows(record: ResultImport) -> dict[int, tuple[str, str, str]]:
    return {r.line: (r.outcome, r.matched_by, r.reason) for r in record.rows.all()}


def snapshot() -> list[tuple]:
    return list(
        Enrollment.objects.order_by("pk").values_list(
            "status", "progress_percent", "score", "passed", "completed_at", "last_event_at"
        )
    )


# --- the CareerSafe gradebook, end to end ------------------------------------------------


def test_the_gradebook_preview_matches_every_row_by_its_rule_and_changes_nothing(
    gradebook_class, staff
):
    before = snapshot()

    record = preview("careersafe", "careersafe_gradebook.csv", staff)

    assert record.status == ImportStatus.PREVIEWED and record.error == ""
    assert record.mapping == "gradebook" and record.original_name == "careersafe_gradebook.csv"
    assert record.size == (FIXTURES / "careersafe_gradebook.csv").stat().st_size
    assert len(record.sha256) == 64 and record.file.read().startswith(b"Member ID,")
    found = rows(record)
    assert {line: (o, by) for line, (o, by, _) in found.items()} == {
        2: ("matched", "partner account id"),
        3: ("matched", "partner account id"),
        4: ("matched", "partner account id"),
        5: ("matched", "e-mail"),
        6: ("matched", "name and course"),
    }
    assert found[2][2] == (
        "Passed: score 92, passed True, status completed, progress percent 100, "
        "completed at 2026-10-28"
    )
    assert "not a completion" in found[5][2]
    assert record.counts == {"matched": 5}
    assert [r.enrollment_id for r in record.rows.all()] == [
        gradebook_class[k].pk for k in ("ana", "daniel", "linh", "marcus", "kayla")
    ]
    assert snapshot() == before
    assert not EnrollmentEvent.objects.exists()


def test_applying_the_gradebook_goes_through_the_write_path_with_its_emails(
    gradebook_class, staff, django_capture_on_commit_callbacks
):
    record = preview("careersafe", "careersafe_gradebook.csv", staff)
    with django_capture_on_commit_callbacks(execute=True):
        result_import_apply(record, applied_by_id=staff.pk)

    e = {k: Enrollment.objects.get(pk=v.pk) for k, v in gradebook_class.items()}
    assert e["ana"].status == EnrollmentStatus.COMPLETED and e["ana"].passed is True
    assert e["ana"].completed_at == noon("2026-10-28") and e["ana"].score == Decimal(92)
    assert e["daniel"].status == EnrollmentStatus.COMPLETED and e["daniel"].passed is None
    assert e["daniel"].completed_at == noon("2026-11-03")
    assert (e["linh"].status, e["linh"].progress_percent) == (EnrollmentStatus.ACTIVE, 45)
    # Lapsed is not a completion: the progress it reached, still open for staff to decide.
    assert (e["marcus"].status, e["marcus"].progress_percent) == (EnrollmentStatus.ACTIVE, 60)
    assert e["marcus"].completed_at is None
    # Submitted by the roster export; the gradebook shows the seat taken: now active.
    assert e["kayla"].status == EnrollmentStatus.ACTIVE

    record.refresh_from_db()
    assert record.status == ImportStatus.APPLIED and record.applied_at is not None
    assert record.counts == {"applied": 5}
    events = EnrollmentEvent.objects.filter(source=EventSource.IMPORT)
    assert events.count() == 5
    assert set(events.values_list("recorded_by_id", flat=True)) == {staff.pk}
    by_row = {r.enrollment_id: r.event_id for r in record.rows.all()}
    assert {ev.event_key for ev in events} == {f"import:{k}" for k in by_row.values()}

    completed = {m.to[0] for m in mail.outbox if m.subject.startswith("Well done")}
    assert completed == {"ana.rivera@example.org", "daniel.okafor@example.org"}
    assert len(mail.outbox) == 2


def test_an_import_sends_the_same_emails_as_a_webhook_would(
    catalogue, staff, django_capture_on_commit_callbacks
):
    by_import = enrol(
        "hsi", "ASHI-FA-CPR-AED", first="Maria", last="Lopez", email="maria.lopez@example.org",
        status=EnrollmentStatus.REQUESTED,
    )  # fmt: skip
    by_webhook = enrol(
        "hsi", "ASHI-FA-CPR-AED", first="Twin", last="Lopez", email="twin@example.org",
        status=EnrollmentStatus.REQUESTED, external_enrollment_id="HSI-E-TWIN",
    )  # fmt: skip
    record = preview("hsi", "hsi_card_report.csv", staff)
    card = record.rows.get(line=2)
    assert card.outcome == RowOutcome.MATCHED, card.reason
    with django_capture_on_commit_callbacks(execute=True):
        result_import_apply(record, applied_by_id=staff.pk)
        enrollment_apply_event(
            PartnerEvent(
                type=EventType.CERTIFICATE_ISSUED,
                partner="hsi",
                occurred_at=noon("2026-11-09"),
                external_enrollment_id="HSI-E-TWIN",
                completed_at=noon("2026-11-07"),
                certificate=_card("HSI-TWIN"),
                event_id="msg_twin",
            )
        )

    def kinds(enrollment):
        return sorted(
            StudentEmail.objects.filter(enrollment=enrollment).values_list("kind", flat=True)
        )

    assert kinds(by_import) == kinds(by_webhook) == [
        "certificate_issued", "course_completed",
    ]  # fmt: skip
    assert sorted(
        m.subject.split(":")[0] for m in mail.outbox if m.to == ["maria.lopez@example.org"]
    ) == sorted(m.subject.split(":")[0] for m in mail.outbox if m.to == ["twin@example.org"])
    cert = Certificate.objects.get(enrollment=by_import)
    assert cert.number == "HSI-7731-0042" and cert.source == CertificateSource.IMPORT
    assert cert.issued_at == noon("2026-11-09") and cert.expires_at == noon("2028-11-30")


def test_a_gradebook_with_card_numbers_records_the_cards_of_completions(
    gradebook_class, staff, django_capture_on_commit_callbacks
):
    report = (
        "Member ID,Email,Course,Course Status,Status Date,Progress,Card Number,Card Issued\n"
        "CS-M-1001,ana.rivera@example.org,OSHA10-GI,Passed,11/28/2026,100%,"
        "DOL-GI-0042,12/02/2026\n"
        "CS-M-1002,daniel.okafor@example.org,OSHA10-GI,Completed,11/27/2026,100%,"
        "DOL-GI-0043,\n"
        "CS-M-1003,linh.nguyen@example.org,OSHA10-GI,In Progress,,45%,DOL-GI-0044,\n"
    )
    record = result_import_preview(
        partner=Partner.objects.get(slug="careersafe"),
        file=SimpleUploadedFile("gradebook-cards.csv", report.encode()),
        mapping="gradebook",
        imported_by_id=staff.pk,
    )
    found = rows(record)
    assert found[4][0] == RowOutcome.INVALID and "card number" in found[4][2]
    with django_capture_on_commit_callbacks(execute=True):
        result_import_apply(result_import=record, applied_by_id=staff.pk)

    ana = Certificate.objects.get(enrollment=gradebook_class["ana"])
    assert (ana.number, ana.issued_at, ana.source) == (
        "DOL-GI-0042",
        noon("2026-12-02"),
        CertificateSource.IMPORT,
    )
    # No card date: the card is dated by the completion.
    daniel = Certificate.objects.get(enrollment=gradebook_class["daniel"])
    assert (daniel.number, daniel.issued_at) == ("DOL-GI-0043", noon("2026-11-27"))
    assert not Certificate.objects.filter(enrollment=gradebook_class["linh"]).exists()
    assert StudentEmail.objects.filter(
        enrollment=gradebook_class["ana"], kind="certificate_issued"
    ).exists()


def _card(number):
    from partners.results import CertificateResult

    return CertificateResult(number=number, issued_at=noon("2026-11-09"))


def test_applying_twice_and_importing_the_same_file_again_change_nothing(
    gradebook_class, staff, django_capture_on_commit_callbacks
):
    record = preview("careersafe", "careersafe_gradebook.csv", staff)
    with django_capture_on_commit_callbacks(execute=True):
        result_import_apply(record, applied_by_id=staff.pk)
    after, events, sent = snapshot(), EnrollmentEvent.objects.count(), len(mail.outbox)

    with django_capture_on_commit_callbacks(execute=True):
        again = result_import_apply(record, applied_by_id=staff.pk)
    assert again.counts == {"applied": 5}

    # The same results in the XLSX export (title line, Excel dates): nothing new.
    second = preview("careersafe", "careersafe_gradebook.xlsx", staff)
    assert second.status == ImportStatus.PREVIEWED, second.error
    assert {o for o, _, _ in rows(second).values()} == {RowOutcome.UNCHANGED}
    with django_capture_on_commit_callbacks(execute=True):
        result_import_apply(second, applied_by_id=staff.pk)
    second.refresh_from_db()
    assert second.counts == {"unchanged": 5}
    assert (snapshot(), EnrollmentEvent.objects.count(), len(mail.outbox)) == (after, events, sent)


def test_a_row_applied_meanwhile_is_reported_unchanged_not_applied_twice(gradebook_class, staff):
    first = preview("careersafe", "careersafe_gradebook.csv", staff)
    second = preview("careersafe", "careersafe_gradebook.csv", staff)
    result_import_apply(first, applied_by_id=staff.pk)
    events = EnrollmentEvent.objects.count()

    result_import_apply(second, applied_by_id=staff.pk)

    second.refresh_from_db()
    assert second.counts == {"unchanged": 5}
    assert EnrollmentEvent.objects.count() == events


# --- the broken gradebook: every bad row reported, the rest applied ----------------------


def test_bad_rows_are_reported_with_their_reason_and_the_rest_applies(gradebook_class, staff):
    record = preview("careersafe", "careersafe_gradebook_broken.csv", staff)

    found = rows(record)
    assert found[2][0] == RowOutcome.MATCHED
    assert found[3][0] == RowOutcome.INVALID and "'31/02/2026' is not a date" in found[3][2]
    assert found[4][0] == RowOutcome.UNMATCHED
    assert "'CS-M-9999'" in found[4][2] and "someone.unknown@example.org" in found[4][2]
    assert found[5][0] == RowOutcome.MATCHED
    assert found[6] == (RowOutcome.IGNORED, "partner account id", found[6][2])
    assert "same result as line 5" in found[6][2]
    assert found[7][0] == RowOutcome.INVALID and "'Withdrawn' is not one of" in found[7][2]

    result_import_apply(record, applied_by_id=staff.pk)

    record.refresh_from_db()
    assert record.counts == {"applied": 2, "invalid": 2, "unmatched": 1, "ignored": 1}
    assert Enrollment.objects.get(pk=gradebook_class["linh"].pk).progress_percent == 45
    assert Enrollment.objects.get(pk=gradebook_class["daniel"].pk).status == "submitted"
    assert EnrollmentEvent.objects.count() == 2


def test_a_failure_in_one_row_does_not_stop_the_others(
    gradebook_class, staff, monkeypatch, django_capture_on_commit_callbacks
):
    record = preview("careersafe", "careersafe_gradebook.csv", staff)
    from enrollments.services import result_imports

    real = result_imports.enrollment_apply_event

    def flaky(event):
        if event.enrollment_id == gradebook_class["daniel"].pk:
            raise RuntimeError("database hiccup")
        return real(event)

    monkeypatch.setattr(result_imports, "enrollment_apply_event", flaky)
    with django_capture_on_commit_callbacks(execute=True):
        result_import_apply(record, applied_by_id=staff.pk)

    record.refresh_from_db()
    assert record.counts == {"applied": 4, "invalid": 1}
    failed = record.rows.get(line=3)
    assert "database hiccup" in failed.reason
    assert Enrollment.objects.get(pk=gradebook_class["ana"].pk).status == "completed"
    assert Enrollment.objects.get(pk=gradebook_class["daniel"].pk).status == "submitted"
    # The batch tried first was rolled back whole: every other row applied once, its
    # e-mail sent once.
    assert EnrollmentEvent.objects.count() == 4
    assert [m.to for m in mail.outbox] == [["ana.rivera@example.org"]]


def test_the_course_named_by_the_row_decides(catalogue, staff):
    # Ana is in OSHA 30, not the OSHA 10 the gradebook names: no match, and why.
    enrol(
        "careersafe", "OSHA30-GI", first="Ana", last="Rivera", email="ana.rivera@example.org",
        account="CS-M-1001",
    )  # fmt: skip
    record = preview("careersafe", "careersafe_gradebook.csv", staff)

    outcome, _, reason = rows(record)[2]
    assert outcome == RowOutcome.UNMATCHED
    assert "partner account id 'CS-M-1001': no careersafe enrollment in OSHA10-GI" in reason


def test_a_cancelled_enrollment_is_never_matched_and_a_completed_one_is(catalogue, staff):
    enrol(
        "careersafe", "OSHA10-GI", first="Ana", last="Rivera", email="ana.rivera@example.org",
        account="CS-M-1001", status=EnrollmentStatus.CANCELLED,
    )  # fmt: skip
    done = enrol(
        "careersafe", "OSHA10-GI", first="Daniel", last="Okafor",
        email="daniel.okafor@example.org", status=EnrollmentStatus.COMPLETED,
        completed_at=noon("2026-11-03"), progress_percent=100, score=78,
        score_as_of=noon("2026-11-03"),
    )  # fmt: skip
    record = preview("careersafe", "careersafe_gradebook.csv", staff)

    found = rows(record)
    assert found[2][0] == RowOutcome.UNMATCHED
    assert found[3][:2] == (RowOutcome.UNCHANGED, "e-mail")
    assert record.rows.get(line=3).enrollment_id == done.pk


def test_the_exam_group_picks_between_two_open_enrollments(catalogue, staff):
    student = make_student(first_name="Zoë", last_name="Martin", email="zoe.martin@example.org")
    cohort = make_cohort(name="Excel fall", partner=Partner.objects.get(slug="certiport"))
    cohort.group_code = "FALL26-XL"
    cohort.save()
    word = make_enrollment(student=student, course=course("certiport", "MO-110"))
    excel = make_enrollment(student=student, course=course("certiport", "MO-210"), cohort=cohort)
    from enrollments.services.result_imports import Matcher
    from partners.reports import ReportRow

    row = ReportRow(type=EventType.PROGRESS_UPDATED, email="zoe.martin@example.org")
    matcher = Matcher(Partner.objects.get(slug="certiport"), [row])
    assert matcher.find(row)[0] is None  # two open, no course, no group: ambiguous
    assert "must name its course" in matcher.find(row)[2]
    grouped = ReportRow(type=row.type, email=row.email, group_code="FALL26-XL")
    assert matcher.find(grouped)[0].pk == excel.pk
    assert word.pk != excel.pk


# --- every mapping's sample file ---------------------------------------------------------


def test_certiport_exam_results_semicolons_windows_1252_and_scores_of_1000(catalogue, staff):
    zoe = enrol("certiport", "MO-210", first="Zoë", last="Martin", email="zoe.m@example.org",
                account="CP-2001")  # fmt: skip
    omar = enrol("certiport", "MO-210", first="Omar", last="Haddad",
                 email="omar.haddad@example.org")  # fmt: skip
    grace = enrol("certiport", "MO-110", first="Grace", last="Lee", email="grace.lee@example.org")
    enrol("certiport", "MO-210", first="Peter", last="Novak", email="peter.novak@example.org")

    record = preview("certiport", "certiport_exam_results.csv", staff)
    found = rows(record)
    assert [found[n][0] for n in (2, 3, 4)] == [RowOutcome.MATCHED] * 3
    assert found[5][0] == RowOutcome.INVALID and "'1200' is out of range" in found[5][2]
    assert found[6][0] == RowOutcome.INVALID and "No Show" in found[6][2]
    assert record.rows.get(line=2).data["First Name"] == "Zoë"

    result_import_apply(record, applied_by_id=staff.pk)
    zoe.refresh_from_db(), omar.refresh_from_db(), grace.refresh_from_db()
    assert (zoe.status, zoe.score, zoe.passed) == ("completed", Decimal(812), True)
    assert zoe.completed_at == timezone.make_aware(datetime(2026, 11, 12, 9, 30))
    # A fail is a result, not a completion.
    assert (omar.status, omar.score, omar.passed) == ("active", Decimal(640), False)
    # No Pass/Fail given: 735 is over the cut score of 700.
    assert (grace.status, grace.passed) == ("completed", True)


def test_hsi_card_reports_csv_with_bom_and_xlsx_record_cards_with_expiry(catalogue, staff):
    maria = enrol("hsi", "ASHI-FA-CPR-AED", first="Maria", last="Lopez",
                  email="maria.lopez@example.org")  # fmt: skip
    james = enrol("hsi", "MFA-BBP", first="James", last="Brown", email="james.brown@example.org")
    enrol("hsi", "ASHI-FA-CPR-AED", first="Aisha", last="Khan", email="aisha.khan@example.org")

    for name in ("hsi_card_report.csv", "hsi_card_report.xlsx"):
        record = preview("hsi", name, staff)
        found = rows(record)
        assert record.status == ImportStatus.PREVIEWED, record.error
        assert record.rows.get(line=2).data["Student First Name"] == "Maria"
        assert found[4][0] == RowOutcome.INVALID and "expires before it was issued" in found[4][2]
    result_import_apply(record, applied_by_id=staff.pk)  # the XLSX
    card = Certificate.objects.get(enrollment=james)
    assert (card.number, card.expires_at) == ("HSI-7731-0043", noon("2027-11-30"))
    maria.refresh_from_db()
    assert maria.status == "completed" and maria.completed_at == noon("2026-11-07")


def test_nrf_a_pass_completes_and_the_credential_comes_with_its_link(catalogue, staff):
    tanya = enrol(
        "nrf", "RISEUP-RIF", first="Tanya", last="Brooks", email="tanya.brooks@example.org"
    )
    kevin = enrol("nrf", "RISEUP-CSS", first="Kevin", last="Walsh", email="kevin.walsh@example.org")
    priya = enrol("nrf", "RISEUP-RIF", first="Priya", last="Shah", email="priya.shah@example.org")
    luis = enrol("nrf", "RISEUP-RIF", first="Luis", last="Ortega", email="luis.ortega@example.org")

    record = preview("nrf", "nrf_credential_report.csv", staff)
    assert record.counts == {"matched": 4}, rows(record)
    result_import_apply(record, applied_by_id=staff.pk)

    for e in (tanya, kevin, priya, luis):
        e.refresh_from_db()
    cert = Certificate.objects.get(enrollment=tanya)
    assert cert.url.startswith("https://riseup.nrffoundation.org/") and cert.expires_at
    assert kevin.status == "completed" and not Certificate.objects.filter(enrollment=kevin)
    assert (priya.status, priya.passed, priya.score) == ("active", False, Decimal(58))
    assert (luis.status, luis.progress_percent) == ("active", 65)


def test_milady_progress_report(catalogue, staff):
    jas = enrol("milady", "MIL-RISE-CUSTSVC", first="Jasmine", last="Carter",
                email="jasmine.carter@example.org")  # fmt: skip
    bri = enrol("milady", "MIL-COSMO-STD", first="Brianna", last="Young",
                email="brianna.young@example.org")  # fmt: skip
    record = preview("milady", "milady_progress_report.csv", staff)
    found = rows(record)
    assert found[4][0] == RowOutcome.UNMATCHED  # Derek is not enrolled
    assert "no student with e-mail 'derek.hall@example.org'" in found[4][2]
    result_import_apply(record, applied_by_id=staff.pk)
    jas.refresh_from_db(), bri.refresh_from_db()
    assert jas.status == "completed" and jas.certificate.number == "MIL-RISE-CS-55120"
    assert bri.progress_percent == 37


def test_the_template_for_jri_csv_and_nds_tab_separated(catalogue, staff):
    sam = enrol(
        "jri", "JRI-CUST-101", first="Samuel", last="Green", email="samuel.green@example.org"
    )
    frank = enrol("nds", "NDS-DOT-SUP", first="Frank", last="Miller", email="f.miller@example.org",
                  account="NDS-P-77")  # fmt: skip
    angela = enrol("nds", "NDS-DFWP-SUP", first="Angela", last="White",
                   email="angela.white@example.org")  # fmt: skip

    jri = preview("jri", "jri_results_template.csv", staff)
    nds = preview("nds", "nds_results_template.tsv", staff)
    assert jri.mapping == nds.mapping == "template"
    assert rows(jri)[3][0] == RowOutcome.UNMATCHED  # Tamika is not enrolled
    result_import_apply(jri, applied_by_id=staff.pk)
    result_import_apply(nds, applied_by_id=staff.pk)
    for e in (sam, frank, angela):
        e.refresh_from_db()
    assert sam.status == "completed" and sam.certificate.verification_url.endswith("JRI-C-10021")
    assert frank.status == "completed" and frank.passed is True
    assert rows(nds)[2][1] == "partner account id"
    assert (angela.status, angela.passed, angela.progress_percent) == ("active", False, 99)


def test_every_partner_has_its_mappings_and_the_template():
    names = {slug: [m.name for m in mappings_for(slug)] for slug in
             ("careersafe", "certiport", "hsi", "nrf", "milady", "jri", "nds")}  # fmt: skip
    assert names == {
        "careersafe": ["gradebook", "template"],
        "certiport": ["exam-results", "template"],
        "hsi": ["card-report", "template"],
        "nrf": ["credential-report", "template"],
        "milady": ["progress-report", "template"],
        "jri": ["template"],
        "nds": ["template"],
    }


def test_an_unknown_mapping_names_the_ones_there_are(catalogue, staff):
    with pytest.raises(UnknownMapping, match="use one of gradebook, template"):
        preview("careersafe", "careersafe_gradebook.csv", staff, mapping="exam-results")


# --- whole files refused: a clear message, kept, nothing changed --------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("not_a_table.png", "This is a PNG image, not a CSV or XLSX file."),
        ("not_a_table.pdf", "This is a PDF document, not a CSV or XLSX file."),
        (
            "careersafe_gradebook_missing_columns.csv",
            "The file is not a CareerSafe gradebook: missing column(s) 'Course Status' "
            "(or 'Status').",
        ),
        ("certiport_exam_results.csv", "missing column(s) 'Course' (or 'Course Name')."),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_kept_and_changes_nothing(
    gradebook_class, staff, name, message
):
    before = snapshot()
    record = preview("careersafe", name, staff)

    assert record.status == ImportStatus.REFUSED
    assert message in record.error
    assert ResultImport.objects.filter(pk=record.pk).exists() and record.file
    assert not record.rows.exists() and snapshot() == before
    assert result_import_apply(record, applied_by_id=staff.pk).status == ImportStatus.REFUSED
    assert snapshot() == before


def test_an_empty_file_and_a_header_only_file_are_refused(catalogue, staff):
    partner = Partner.objects.get(slug="careersafe")
    empty = result_import_preview(
        partner=partner, file=SimpleUploadedFile("e.csv", b""), imported_by_id=staff.pk
    )
    header = result_import_preview(
        partner=partner,
        file=SimpleUploadedFile("h.csv", b"Student Name,Course,Course Status\r\n"),
        imported_by_id=staff.pk,
    )
    assert (empty.status, empty.error) == (ImportStatus.REFUSED, "The file is empty.")
    assert (header.status, header.error) == (
        ImportStatus.REFUSED,
        "The file has a header row but no results.",
    )


def test_a_20_mb_file_is_refused_by_its_size_without_being_read(
    catalogue, staff, settings, tmp_path
):
    big = tmp_path / "gradebook.csv"
    with big.open("wb") as f:
        f.write((FIXTURES / "careersafe_gradebook.csv").read_bytes())
        f.truncate(20 * 1024 * 1024)

    class Unreadable:
        """The file as an upload whose content must not be read."""

        name, size = "gradebook.csv", big.stat().st_size

        def read(self, *args):
            raise AssertionError("a file over the limit was read")

        seek = tell = chunks = read

    from django.core.files import File

    record = result_import_preview(
        partner=Partner.objects.get(slug="careersafe"),
        file=File(Unreadable(), name="gradebook.csv"),
        imported_by_id=staff.pk,
    )
    assert record.status == ImportStatus.REFUSED
    assert record.error == (
        "The file is 20.0 MB; the limit is 10 MB (RESULT_IMPORT_MAX_BYTES). Split the report."
    )
    assert record.size == 20 * 1024 * 1024 and not record.file and record.sha256 == ""

    settings.RESULT_IMPORT_MAX_BYTES = 30 * 1024 * 1024
    with big.open("rb") as f:
        allowed = result_import_preview(
            partner=Partner.objects.get(slug="careersafe"), file=File(f), imported_by_id=staff.pk
        )
    # Under a higher limit the same file is read (and found to be padding, not text).
    assert allowed.status == ImportStatus.REFUSED and "binary data" in allowed.error


# --- manage.py import_results ------------------------------------------------------------


def run(*args) -> str:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("import_results", *args, stdout=out)
    return out.getvalue()


def test_the_command_previews_with_dry_run_then_applies(gradebook_class):
    before = snapshot()
    broken = str(FIXTURES / "careersafe_gradebook_broken.csv")

    shown = run("careersafe", broken, "--dry-run")

    assert "matched         2" in shown and "unmatched       1" in shown
    assert "invalid         2" in shown and "ignored         1" in shown
    assert "     3  invalid    Status Date '31/02/2026' is not a date" in shown
    assert "     4  unmatched  no student with partner account id 'CS-M-9999'" in shown
    assert "Dry run: nothing applied" in shown
    assert snapshot() == before
    assert ResultImport.objects.get().status == ImportStatus.PREVIEWED

    applied = run("careersafe", broken, "--mapping", "gradebook")
    assert "Applied:" in applied and "applied         2" in applied
    assert Enrollment.objects.get(pk=gradebook_class["ana"].pk).status == "completed"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nope", "x.csv"), "Unknown partner 'nope'"),
        (("careersafe", "/no/such/file.csv"), "Cannot read /no/such/file.csv: No such file"),
        (
            ("careersafe", "careersafe_gradebook.csv", "--mapping", "cards"),
            "no result mapping 'cards'",
        ),
        (("careersafe", "not_a_table.pdf"), "This is a PDF document, not a CSV or XLSX file."),
    ],
)
def test_the_command_says_clearly_what_is_wrong(catalogue, args, message):
    from django.core.management import CommandError

    args = [str(FIXTURES / a) if a.endswith((".csv", ".pdf")) and "/" not in a else a for a in args]
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(".", r"\.")):
        run(*args)
    assert not EnrollmentEvent.objects.exists()


def test_two_concurrent_applies_of_one_import_apply_it_once(postgres, gradebook_class, staff):
    """Two staff press Apply at the same moment: one does the work, the other nothing."""
    import threading

    from django.db import close_old_connections, connection

    record = preview("careersafe", "careersafe_gradebook.csv", staff)
    barrier = threading.Barrier(2)

    def apply():
        close_old_connections()
        try:
            barrier.wait()
            result_import_apply(ResultImport.objects.get(pk=record.pk), applied_by_id=staff.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=apply) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    record.refresh_from_db()
    assert record.counts == {"applied": 5}
    assert EnrollmentEvent.objects.filter(source=EventSource.IMPORT).count() == 5


def test_roster_out_gradebook_in(catalogue, staff, monkeypatch, django_capture_on_commit_callbacks):
    """The issue's walk-through: export a CareerSafe roster for a cohort, import its
    gradebook with one unknown student and one bad date, preview, apply: progress,
    completions and e-mails land, the bad rows are reported."""
    from enrollments.services.rosters import roster_export

    monkeypatch.setenv("CAREERSAFE_MODE", "roster")
    partner = Partner.objects.get(slug="careersafe")
    cohort = make_cohort(name="CS fall", partner=partner, group_code="CS-FALL26")
    cohort.students.clear()
    people = {
        "ana": ("Ana", "Rivera", "ana.rivera@example.org", "CS-M-1001"),
        "daniel": ("Daniel", "Okafor", "daniel.okafor@example.org", "CS-M-1002"),
        "linh": ("Linh", "Nguyen", "linh.nguyen@example.org", "CS-M-1003"),
    }
    enrolled = {}
    for key, (first, last, email, account) in people.items():
        enrolled[key] = enrol(
            "careersafe", "OSHA10-GI", first=first, last=last, email=email, account=account,
            status=EnrollmentStatus.REQUESTED, cohort=cohort,
        )  # fmt: skip
        cohort.students.add(enrolled[key].student)
    with django_capture_on_commit_callbacks(execute=True):
        batch = roster_export(partner=partner, cohort=cohort, exported_by_id=staff.pk)
    assert batch.row_count == 3
    assert set(Enrollment.objects.values_list("status", flat=True)) == {"submitted"}
    mail.outbox.clear()

    record = preview("careersafe", "careersafe_gradebook_broken.csv", staff)
    assert record.counts == {"matched": 2, "invalid": 2, "unmatched": 1, "ignored": 1}
    with django_capture_on_commit_callbacks(execute=True):
        result_import_apply(record, applied_by_id=staff.pk)

    for e in enrolled.values():
        e.refresh_from_db()
    assert (enrolled["ana"].status, enrolled["ana"].passed) == ("completed", True)
    assert (enrolled["linh"].status, enrolled["linh"].progress_percent) == ("active", 45)
    assert enrolled["daniel"].status == "submitted"  # his row's date is bad: reported
    assert [m.to for m in mail.outbox] == [["ana.rivera@example.org"]]
    record.refresh_from_db()
    assert record.counts == {"applied": 2, "invalid": 2, "unmatched": 1, "ignored": 1}


@pytest.mark.django_db(transaction=True)
def test_an_email_failing_after_commit_leaves_the_rows_reported_applied(
    gradebook_class, staff, monkeypatch
):
    """A completion e-mail that raises once the batch has committed (the mail backend, the
    database gone for a moment) must not make the batch look failed: its rows were applied
    and are reported so, not re-applied as 'applied before'."""
    from enrollments.services import notifications

    def broken(*args, **kwargs):
        raise RuntimeError("mail server gone")

    monkeypatch.setattr(notifications, "send_course_completed", broken)
    record = preview("careersafe", "careersafe_gradebook.csv", staff)
    matched = sum(1 for outcome, _, _ in rows(record).values() if outcome == RowOutcome.MATCHED)

    result_import_apply(record, applied_by_id=staff.pk)

    record.refresh_from_db()
    assert record.counts.get("applied") == matched
    assert "unchanged" not in record.counts
