"""Credly's public Open Badges 2.0 assertions, fetched through the one HTTP client.

Credly is not a partner: it is the badge platform some partners issue through (Certiport's
IT Specialist badges, PARTNERS.md). Anyone may read a badge's assertion, without a key, at
`GET https://api.credly.com/v1/obi/v2/badge_assertions/<badge id>`; the badge id is the
UUID in the badge's public page (`https://www.credly.com/badges/<id>`, with or without
`/public_url`; `youracclaim.com` was Credly's name before).

The call goes through `PartnerClient` like every other, so it is retried, timed out,
redacted and written to the request log. The log row belongs to the partner whose
credential is checked (operation `verify_credential`, the URL says api.credly.com); the
circuit breaker is Credly's own, shared by every partner's checks.

What the assertion *means* for a certificate (recipient, revocation, expiry) is decided
by enrollments/services/verification.py; this module only knows Credly's addresses.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings

from partners.client import PartnerClient

BREAKER = "credly"
OPERATION = "verify_credential"
HOSTS = ("credly.com", "youracclaim.com")
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# /badges/<id>[/public_url|/...] on the public site, /v1/obi/v2/badge_assertions/<id> on the API.
_BADGE_PATH = re.compile(rf"^/(?:badges|v1/obi/v2/badge_assertions)/({_UUID})(?:/|\.json)?")


def is_credly_url(url: str) -> bool:
    """True when `url` is on Credly's site or API (whether or not it names a badge)."""
    host = (urlsplit(url.strip()).hostname or "").lower()
    return any(host == h or host.endswith("." + h) for h in HOSTS)


def badge_id(url: str) -> str | None:
    """The badge (assertion) id in a Credly badge URL, lower-cased; None when `url` is not
    a Credly badge URL."""
    if not is_credly_url(url):
        return None
    match = _BADGE_PATH.match(urlsplit(url.strip()).path)
    return match.group(1).lower() if match else None


def assertion_client(*, partner: str, session: requests.Session | None = None) -> PartnerClient:
    """A client for Credly's OBI endpoint whose request logs belong to `partner`."""
    return PartnerClient(
        partner=partner,
        breaker=BREAKER,
        base_url=settings.CREDLY_OBI_BASE_URL,
        headers={"Accept": "application/json"},
        read_timeout=settings.CREDLY_TIMEOUT_SECONDS,
        max_attempts=settings.CREDLY_MAX_ATTEMPTS,
        session=session,
    )


def fetch_assertion(client: PartnerClient, badge: str) -> Any:
    """The badge's Open Badges 2.0 assertion as JSON (any JSON value: the caller checks
    its shape). Raises PartnerError: PartnerNotFoundError for an unknown badge,
    PartnerInvalidResponseError when the answer is not JSON, transient errors after the
    client's retries."""
    response = client.get(f"badge_assertions/{badge}", operation=OPERATION)
    return response.json()
