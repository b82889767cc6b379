"""The project's URLs plus the two yardsticks the ingest benchmark compares against.

- `reference`: the floor of any durable receiver. It verifies the Standard Webhooks
  signature (same verifier, same secrets) and inserts one row with a unique (partner,
  webhook id), nothing else.
- `trivial`: reads the body and answers a constant JSON object.
"""

import json

import psycopg
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as project_urls
from partners.config import get_partner_config
from partners.registry import PARTNER_SLUGS
from partners.webhook_signing import WebhookVerificationError, verify

TABLE = "bench_reference_delivery"
SECRETS = {slug: get_partner_config(slug).webhook_secrets for slug in PARTNER_SLUGS}


@csrf_exempt
def reference(request: HttpRequest, slug: str) -> JsonResponse:
    body = request.body
    try:
        webhook_id = verify(request.headers, body, SECRETS[slug])
    except WebhookVerificationError as exc:
        return JsonResponse({"error": exc.reason}, status=400)
    connection.ensure_connection()
    # Server-side binding (prepared after a few uses), as the real receiver does: the
    # floor gets every advantage the receiver has.
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (partner, webhook_id, body) VALUES (%s, %s, %s) "
            "ON CONFLICT (partner, webhook_id) DO NOTHING",
            [slug, webhook_id, body.decode()],
        )
        created = cursor.rowcount == 1
    return JsonResponse({"status": "accepted" if created else "duplicate"})


@csrf_exempt
def trivial(request: HttpRequest) -> JsonResponse:
    json.loads(request.body)
    return JsonResponse({"status": "ok"})


REFERENCE_TABLE_SQL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    id bigserial PRIMARY KEY,
    partner varchar(32) NOT NULL,
    webhook_id varchar(255) NOT NULL,
    body text NOT NULL,
    UNIQUE (partner, webhook_id)
)"""

urlpatterns = [
    path("bench/reference/<slug:slug>/", reference),
    path("bench/trivial/", trivial),
    *project_urls,
]
