"""Schema-driven: schemathesis generates requests for every operation of /api/v1/schema/
and sends them to the WSGI app with a token. No answer may be a 5xx, and every answer
must be one the schema documents, in the shape it documents.

Bounded and repeatable for CI: at most 25 generated cases per operation, derandomized,
no example database; the partner calls stay on the in-process simulator (nothing is
provisioned: the test's transaction never commits)."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.enrollments.api.conftest import API_PERMISSIONS
from tests.factories import make_certificate, make_course, make_enrollment, make_student

# Loaded from the running app at collection, as a client would (the schema needs no
# database). schemathesis.pytest.from_fixture is not used: it relies on pytest internals
# that pytest 9 no longer has.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())


@pytest.fixture
def test_connection_kept():
    """Django closes a connection whose transaction is open when a request ends; that is
    the test's own transaction here. Django's test client disconnects the same handler;
    schemathesis calls the WSGI app directly, so do it for it."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token_header(make_client, settings, test_connection_kept) -> dict[str, str]:
    # Hundreds of requests in a minute: the throttle is tested on its own.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "100000/minute"},
    }
    # Some rows, so generated ids sometimes hit something real.
    for _ in range(3):
        make_enrollment(student=make_student(), course=make_course())
    make_certificate()
    client = make_client(*API_PERMISSIONS)
    return {"Authorization": f"Token {Token.objects.get(user=client.user).key}"}


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_5xx_or_off_schema(case, token_header):
    case.call_and_validate(
        headers=token_header,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
