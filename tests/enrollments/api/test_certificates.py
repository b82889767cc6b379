"""GET /certificates/?expires_before=<date>&partner=<slug>."""

from datetime import UTC, datetime

from tests.factories import make_certificate, make_course, make_enrollment, partner


def certificate(partner_slug: str, expires: str | None, **kw):
    enrollment = make_enrollment(
        course=make_course(partner(partner_slug)), status="completed", progress_percent=100
    )
    return make_certificate(
        enrollment=enrollment,
        issued_at=datetime(2024, 1, 10, tzinfo=UTC),
        expires_at=datetime.fromisoformat(expires).replace(tzinfo=UTC) if expires else None,
        **kw,
    )


def test_list_has_the_certificate_and_whose_it_is(api, db):
    cert = certificate("hsi", "2026-01-10T09:30:00", url="https://c.example/1")
    body = api.get("/api/v1/certificates/").json()
    assert body["count"] == 1
    assert body["results"][0] == {
        "id": cert.pk,
        "enrollment": cert.enrollment_id,
        "student": cert.enrollment.student_id,
        "course": cert.enrollment.course_id,
        "partner": "hsi",
        "number": cert.number,
        "issued_at": "2024-01-10T00:00:00Z",
        "expires_at": "2026-01-10T09:30:00Z",
        "url": "https://c.example/1",
        "verification_url": "",
        "source": "manual",
    }


def test_filters_by_expiry_date_and_partner(api, db):
    early = certificate("hsi", "2026-03-01T12:00:00")
    on_the_day = certificate("nds", "2026-03-02T00:00:00")
    late = certificate("nds", "2026-09-01T12:00:00")
    never = certificate("jri", None)

    def ids(**params) -> list[int]:
        response = api.get("/api/v1/certificates/", params)
        assert response.status_code == 200
        return [c["id"] for c in response.json()["results"]]

    # Soonest to expire first; certificates that never expire last.
    assert ids() == [early.pk, on_the_day.pk, late.pk, never.pk]
    # "Before" excludes the date itself.
    assert ids(expires_before="2026-03-02") == [early.pk]
    assert ids(expires_before="2026-03-03") == [early.pk, on_the_day.pk]
    assert ids(partner="nds") == [on_the_day.pk, late.pk]
    assert ids(partner="nds", expires_before="2026-03-03") == [on_the_day.pk]
    assert ids(partner="nope") == []


def test_a_malformed_date_is_400(api, db):
    response = api.get("/api/v1/certificates/", {"expires_before": "next tuesday"})
    assert response.status_code == 400
    assert response.json() == {"expires_before": ["Enter a valid date."]}
