"""Keep secrets and personal identifiers out of what we store about partner calls (request
logs, webhook delivery headers, the simulator's records): by key name, by known secret
value, and by size.

What is redacted by key name is listed here and nowhere else:
- secrets: passwords, tokens, API keys, signatures, cookies, sessions, private keys;
- personal identifiers: government and tax numbers (SSN, SIN, national id, passport,
  driver's licence, tax id), and date of birth.
Names, e-mail addresses and phone numbers are kept: a partner matches its learners by
them, staff debugging a call need them, and they are already in our own Student records.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "[REDACTED]"

# Key names whose values are secrets wherever they appear (headers, JSON, query strings).
SENSITIVE_NAME = re.compile(
    r"pass(word|wd|phrase)?|secret|token|api[-_]?key|apikey|authori[sz]ation|signature"
    r"|credential|cookie|session|private[-_]?key|client[-_]?key",
    re.IGNORECASE,
)

# Personal identifiers, matched against a key with case and separators removed
# ("dateOfBirth", "date_of_birth" and "Date-Of-Birth" are all "dateofbirth").
PERSONAL_IDENTIFIER_PARTS = (
    "socialsecurity",
    "socialinsurance",
    "dateofbirth",
    "birthdate",
    "birthday",
    "nationalid",
    "nationalidentity",
    "nationalinsurance",
    "passport",
    "driverlicen",  # driver_license, driverLicence
    "driverslicen",  # drivers_license
    "drivinglicen",
    "taxid",
    "taxpayerid",
    "taxnumber",
    "alienregistration",
)
# Short ones count only as a whole word ("ssn" in "ssnLast4", not in "businessName").
PERSONAL_IDENTIFIER_WORDS = ("ssn", "dob", "sin", "tin", "itin", "nin")

_PERSONAL_PART = re.compile("|".join(PERSONAL_IDENTIFIER_PARTS))
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def is_personal_identifier(name: str) -> bool:
    if _PERSONAL_PART.search(re.sub(r"[^a-z0-9]", "", name.lower())):
        return True
    return any(word.lower() in PERSONAL_IDENTIFIER_WORDS for word in _WORDS.findall(name))


def is_sensitive(name: str) -> bool:
    """A key whose value is never stored: a secret or a personal identifier."""
    return bool(SENSITIVE_NAME.search(name)) or is_personal_identifier(name)


def _scrub_text(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text


def _scrub_value(value: Any, secrets: Iterable[str]) -> Any:
    if isinstance(value, Mapping):
        return {
            k: REDACTED if is_sensitive(str(k)) else _scrub_value(v, secrets)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrub_value(v, secrets) for v in value]
    if isinstance(value, str):
        # A launch URL's token query parameter is a login credential too.
        if value.startswith(("http://", "https://")):
            return redact_url(value, secrets)
        return _scrub_text(value, secrets)
    return value


def redact_data(value: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of decoded JSON (dicts, lists, strings) with sensitive keys and known secret
    values replaced: what may be stored of a body someone sent us."""
    return _scrub_value(value, tuple(secrets))


def redact_headers(headers: Mapping[str, str], secrets: Iterable[str] = ()) -> dict[str, str]:
    secrets = tuple(secrets)
    return {
        k: REDACTED if is_sensitive(k) else _scrub_text(str(v), secrets) for k, v in headers.items()
    }


def redact_url(url: str, secrets: Iterable[str] = ()) -> str:
    parts = urlsplit(url)
    query = urlencode(
        [
            (k, REDACTED if is_sensitive(k) else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ]
    )
    netloc = parts.netloc.rsplit("@", 1)[-1]  # never keep user:password@
    return _scrub_text(urlunsplit((parts.scheme, netloc, parts.path, query, "")), tuple(secrets))


def redact_body(body: bytes | str | None, secrets: Iterable[str] = (), limit: int = 8192) -> str:
    """JSON bodies lose sensitive keys; any body loses known secret values; then it is cut
    to `limit` characters."""
    if not body:
        return ""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    secrets = tuple(secrets)
    try:
        text = json.dumps(_scrub_value(json.loads(text), secrets), ensure_ascii=False)
    except ValueError:
        text = _scrub_text(text, secrets)
    if len(text) > limit:
        text = f"{text[:limit]}…[cut {len(text) - limit} characters]"
    return text
