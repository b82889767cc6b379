"""OpenAPI 3 at /api/v1/schema/ describes exactly DESIGN.md §7; Swagger UI at
/api/v1/docs/ is served from this server alone."""

import re
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders

DESIGNED = {
    "/api/v1/partners/": {"get"},
    "/api/v1/partners/{slug}/": {"get"},
    "/api/v1/courses/": {"get"},
    "/api/v1/students/": {"get", "post"},
    "/api/v1/students/{id}/": {"get", "patch"},
    "/api/v1/enrollments/": {"get", "post"},
    "/api/v1/enrollments/{id}/": {"get"},
    "/api/v1/enrollments/{id}/launch/": {"post"},
    "/api/v1/enrollments/{id}/sync/": {"post"},
    "/api/v1/enrollments/{id}/cancel/": {"post"},
    "/api/v1/certificates/": {"get"},
}


@pytest.fixture
def openapi(client, db) -> dict:
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_openapi_3_and_public(client, db):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert response.content.startswith(b"openapi: 3.")


def test_exactly_the_designed_paths_and_methods(openapi):
    methods = {
        path: {m for m in operations if m in ("get", "post", "patch", "put", "delete")}
        for path, operations in openapi["paths"].items()
    }
    assert methods == DESIGNED


@pytest.mark.parametrize(
    ("component", "fields"),
    [
        ("PartnerOutput", ["slug", "name", "mode", "active", "health"]),
        (
            "CourseOutput",
            [
                "id",
                "partner",
                "code",
                "title",
                "credential",
                "price",
                "validity_months",
                "needs_voucher",
            ],
        ),
        ("StudentOutput", ["id", "external_ref", "first_name", "last_name", "email", "phone"]),
        ("EnrollmentInput", ["student", "course", "funding_source"]),
        (
            "EnrollmentOutput",
            [
                "id",
                "student",
                "course",
                "partner",
                "status",
                "progress_percent",
                "score",
                "external_enrollment_id",
                "funding_source",
                "requested_at",
                "completed_at",
                "last_synced_at",
                "last_error",
                "certificate",
            ],
        ),
        ("LaunchOutput", ["url", "expires_at"]),
    ],
)
def test_the_designed_fields(openapi, component, fields):
    assert list(openapi["components"]["schemas"][component]["properties"]) == fields


def test_operations_document_their_errors(openapi):
    create = openapi["paths"]["/api/v1/enrollments/"]["post"]
    assert {"201", "400", "401", "403", "409", "422", "429"} <= set(create["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    sync = openapi["paths"]["/api/v1/enrollments/{id}/sync/"]["post"]
    assert {"200", "401", "403", "404", "409", "502", "503"} <= set(sync["responses"])
    assert set(openapi["components"]["securitySchemes"]) == {"tokenAuth", "cookieAuth"}


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def test_the_docs_page_loads_nothing_from_another_host(client, db):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/api/v1/schema/" in html
    parser = _Assets()
    parser.feed(html)
    assert len(parser.urls) >= 4  # favicon, CSS and the two scripts
    for url in parser.urls:
        assert url.startswith("/static/") and not url.startswith("//"), url
        assert finders.find(url.removeprefix("/static/")), f"{url} is not shipped"
    # No absolute URL anywhere, scripts included, and no online validator badge.
    assert not re.search(r"(https?:)?//[a-z0-9-]+\.[a-z]", html, re.IGNORECASE)
    assert '"validatorUrl": null' in html
