"""The dashboard page: a card per partner, charts, funnel and revenue, in a number of
queries that does not grow with the data."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from enrollments.models import EnrollmentStatus
from monitoring.dashboard import call_series
from monitoring.models import CallOutcome
from monitoring.partner_activity import LATENCY_BOUNDS_MS, quantile_ms
from partners.breakers import breaker_for
from partners.models import PartnerCourse
from tests.factories import make_alert, make_course, make_enrollment, partner
from tests.monitoring.conftest import T0, log_calls

URL = "/admin/monitoring/dashboard/"
pytestmark = pytest.mark.usefixtures("catalogue")


def card_health(html: str, slug: str) -> str:
    marker = f'data-partner="{slug}" data-health="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def test_cards_show_each_partner_and_the_failing_one_red(admin_client, clock):
    log_calls("hsi", 8, CallOutcome.SERVER_ERROR)
    log_calls("hsi", 4, CallOutcome.SUCCESS)
    log_calls("certiport", 30, CallOutcome.SUCCESS, duration_ms=400)
    log_calls("nds", 10, CallOutcome.SUCCESS)
    breaker_for("nds").open()
    make_alert(partner=partner("milady"), rule="voucher_stock_low", resolved_at=None)

    response = admin_client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert card_health(html, "hsi") == "red"  # 8 of 12 failed
    assert card_health(html, "nds") == "red"  # breaker open
    assert card_health(html, "milady") == "amber"  # an open warning
    assert card_health(html, "certiport") == "green"
    assert card_health(html, "jri") == "idle"  # no calls in the hour
    cards = {c.partner.slug: c for c in response.context["cards"]}
    assert cards["hsi"].calls == 12 and cards["hsi"].errors == 8
    assert cards["hsi"].last_success == T0
    assert 250 < cards["certiport"].p95_ms <= 500
    assert cards["nds"].breaker == "open"
    assert [a.rule for a in cards["milady"].alerts] == ["voucher_stock_low"]
    assert html.count('class="chart"') == 6  # volume, error rate, latency; 24 h and 7 days
    assert 'src="http' not in html and 'href="http' not in html  # nothing from elsewhere


def test_charts_narrow_to_one_partner(admin_client, clock):
    log_calls("hsi", 3)
    log_calls("jri", 5)
    response = admin_client.get(URL, {"partner": "jri"})
    assert response.context["selected"].slug == "jri"
    [(caption, volume), *_] = response.context["charts"][0][1]
    assert caption == "Calls"
    assert "8 succeeded" not in volume and "5 succeeded" in volume


def test_series_buckets_calls_by_hour_in_the_database(clock):
    log_calls("hsi", 2, CallOutcome.SUCCESS, duration_ms=80)
    clock.shift(timedelta(hours=1, minutes=10))
    log_calls("hsi", 3, CallOutcome.SERVER_ERROR, duration_ms=3000)
    log_calls("hsi", 1, CallOutcome.REFUSED, status_code=None, duration_ms=0)
    clock.shift(timedelta(minutes=5))

    points = call_series(end=timezone.now(), span=timedelta(hours=24), step=timedelta(hours=1))

    assert len(points) == 24
    by_start = {p.start: p for p in points}
    first, second = by_start[T0], by_start[T0 + timedelta(hours=1)]
    assert (first.calls, first.errors, first.refused) == (2, 0, 0)
    assert (second.calls, second.errors, second.refused) == (3, 3, 1)
    assert 50 < first.p95_ms <= 100
    assert 2500 < second.p95_ms <= 5000
    assert sum(p.calls for p in points) == 5


def test_series_read_the_hourly_counts_the_recorder_keeps_not_the_logs(clock):
    from monitoring.models import PartnerRequestLog

    log_calls("hsi", 4)
    clock.shift(timedelta(hours=2))
    log_calls("hsi", 1)

    def counts() -> dict:
        points = call_series(end=timezone.now(), span=timedelta(hours=4), step=timedelta(hours=1))
        return {p.start: p.calls for p in points if p.calls}

    assert counts() == {T0: 4, T0 + timedelta(hours=2): 1}
    PartnerRequestLog.objects.all().delete()  # the charts do not read the logs...
    log_calls("hsi", 2)  # ...only what the recorder added as it wrote them
    assert counts() == {T0: 4, T0 + timedelta(hours=2): 3}


def test_quantile_estimate_interpolates_within_the_bucket():
    row = {"calls": 100, **{f"le_{b}": 0 for b in LATENCY_BOUNDS_MS}}
    for bound in LATENCY_BOUNDS_MS:
        if bound >= 500:
            row[f"le_{bound}"] = 100 if bound >= 1000 else 50
    # 50 calls in (250, 500], 50 in (500, 1000]: the median is 500, p95 is 950.
    assert quantile_ms(row, 0.5) == 500
    assert quantile_ms(row, 0.95) == pytest.approx(950)
    assert quantile_ms({**row, "calls": 0}, 0.5) is None


def test_an_enrollment_the_partner_reports_no_activity_on_has_not_started(db):
    from enrollments.services import enrollment_apply_event
    from monitoring.dashboard import enrollment_funnel
    from partners.events import EventSource, EventType, PartnerEvent

    course = make_course(partner("hsi"))
    quiet = make_enrollment(course=course, status="submitted", external_enrollment_id="E-0")
    busy = make_enrollment(course=course, status="submitted", external_enrollment_id="E-1")
    for enrollment, progress in ((quiet, 0), (busy, 5)):
        enrollment_apply_event(
            PartnerEvent(
                type=EventType.PROGRESS_UPDATED,
                partner="hsi",
                occurred_at=timezone.now(),
                external_enrollment_id=enrollment.external_enrollment_id,
                progress_percent=progress,  # the first sync: NotStarted at 0 %, or 5 %
                source=EventSource.POLL,
            )
        )
    quiet.refresh_from_db()
    assert quiet.status == EnrollmentStatus.ACTIVE and quiet.started_at is None
    stages = {s["label"]: s["count"] for s in enrollment_funnel()["stages"]}
    assert stages == {"Requested": 2, "Submitted": 2, "Started": 1, "Completed": 0}


def test_funnel_and_revenue(admin_client):
    course = make_course(
        partner("nrf"), retail_price=Decimal("80.00"), wholesale_cost=Decimal("30")
    )
    for status in ("requested", "submitted", "active", "completed", "completed", "failed"):
        make_enrollment(
            course=course,
            status=status,
            progress_percent=100 * (status == "completed"),
            started_at=timezone.now() if status == "active" else None,
        )
    make_enrollment(course=course, status=EnrollmentStatus.CANCELLED)

    response = admin_client.get(URL)

    funnel = response.context["funnel"]
    assert [(s["label"], s["count"]) for s in funnel["stages"]] == [
        ("Requested", 7),
        ("Submitted", 4),
        ("Started", 3),
        ("Completed", 2),
    ]
    assert (funnel["failed"], funnel["cancelled"]) == (1, 1)
    [nrf] = response.context["revenue"]["rows"]
    assert nrf == {
        "partner": "NRF Foundation RISE Up",
        "enrollments": 6,
        "revenue": Decimal("480.00"),
        "margin": Decimal("300.00"),
    }
    assert "$480.00" in response.content.decode()


def test_queries_do_not_grow_with_the_data(admin_client, clock):
    courses = list(PartnerCourse.objects.all()[:3])
    log_calls("hsi", 2)
    make_enrollment(course=courses[0])
    admin_client.get(URL)  # warm the session and content types
    cache.clear()  # both renders cold: the cached series and revenue are read again
    with CaptureQueriesContext(connection) as few:
        admin_client.get(URL)

    for slug in ("hsi", "certiport", "jri"):
        log_calls(slug, 40, CallOutcome.SERVER_ERROR)
        clock.shift(timedelta(hours=5))
        log_calls(slug, 40)
    for course in courses:
        for _ in range(5):
            make_enrollment(course=course, status=EnrollmentStatus.ACTIVE)
    make_alert(partner=partner("jri"), rule="partner_latency", resolved_at=None)
    cache.clear()
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(URL)

    assert response.status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_staff_without_the_permission_are_refused(client, db):
    user = User.objects.create_user("viewer", password="pw", is_staff=True)
    client.force_login(user)
    assert client.get(URL).status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="view_partnerrequestlog"))
    assert client.get(URL).status_code == 200


def test_anonymous_users_are_sent_to_the_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_admin_index_links_to_the_dashboard(admin_client):
    assert URL in admin_client.get("/admin/").content.decode()
