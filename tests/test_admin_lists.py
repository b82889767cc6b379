"""Lists that fit the screen: long text cut with the whole of it in the title, and date
filters that look back and ahead."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from config.admin import AHEAD, BACK, date_range_filter, truncated
from enrollments.models import Voucher
from monitoring.models import Alert, CallOutcome
from tests.factories import make_alert, make_request_log, make_voucher

LONG = "HSI refused the enrolment: 422 " + "the course needs an instructor-led session " * 3


@pytest.mark.django_db
def test_a_long_error_is_cut_in_the_list_and_whole_in_its_title(admin_client):
    log = make_request_log(outcome=CallOutcome.CLIENT_ERROR, status_code=422, error_message=LONG)

    html = admin_client.get("/admin/monitoring/partnerrequestlog/").content.decode()

    column = truncated("error_message", 48)(log)
    assert f'title="{LONG}"' in column and len(LONG) > 48
    assert "HSI refused the enrolment: 422 the course needs…" in column
    assert column in html


def test_truncated_keeps_short_text_and_marks_an_empty_one():
    class Row:
        note = "short"
        empty = ""

    assert ">short</span>" in truncated("note", 10)(Row())
    assert truncated("empty", 10)(Row()) == "-"
    assert truncated("note", 10, description="a note").short_description == "a note"


@pytest.mark.django_db
def test_alerts_filter_by_when_they_opened(admin_client):
    recent, old = make_alert(), make_alert()
    Alert.objects.filter(pk=old.pk).update(opened_at=timezone.now() - timedelta(days=40))

    response = admin_client.get("/admin/monitoring/alert/", {"opened_at_range": "past_7d"})

    assert [a.pk for a in response.context["cl"].result_list] == [recent.pk]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("next_30d", {"soon"}),
        ("next_90d", {"soon", "later"}),
        ("passed", {"gone"}),
        ("none", {"never"}),
    ],
)
def test_a_date_filter_looks_ahead_for_expiry_dates(choice, expected):
    now = timezone.now()
    vouchers = {
        "soon": make_voucher(expires_at=now + timedelta(days=10)),
        "later": make_voucher(expires_at=now + timedelta(days=60)),
        "gone": make_voucher(expires_at=now - timedelta(days=1)),
        "never": make_voucher(expires_at=None),
    }
    expires = date_range_filter("expires_at", ranges=BACK + AHEAD, past=True, empty="no expiry")
    request = RequestFactory().get("/")
    chosen = expires(request, {"expires_at_range": [choice]}, Voucher, None)

    found = set(chosen.queryset(request, Voucher.objects.all()).values_list("pk", flat=True))

    assert found == {vouchers[name].pk for name in expected}
    assert chosen.title == "expires at"
    assert ("next_30d", "next 30 days") in chosen.lookup_choices


@pytest.mark.django_db
def test_students_filter_by_partner_and_cohorts_by_start_ahead_or_back(admin_client):
    from tests.factories import make_cohort, make_course, make_enrollment, make_partner

    hsi_student = make_enrollment().student
    nds = make_partner(slug="nds", name="NDS")
    nds_student = make_enrollment(course=make_course(nds)).student
    today = timezone.localdate()
    soon = make_cohort(name="Starts next week", starts_on=today + timedelta(days=5))
    past = make_cohort(name="Started last week", starts_on=today - timedelta(days=5))

    page = admin_client.get(f"/admin/enrollments/student/?enrollments__partner__id__exact={nds.pk}")
    assert list(page.context["cl"].result_list) == [nds_student]
    assert hsi_student not in page.context["cl"].result_list

    ahead = admin_client.get("/admin/enrollments/cohort/?starts_on_range=next_7d")
    assert list(ahead.context["cl"].result_list) == [soon]
    back = admin_client.get("/admin/enrollments/cohort/?starts_on_range=past_7d")
    assert list(back.context["cl"].result_list) == [past]
