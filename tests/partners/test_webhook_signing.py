"""Our Standard Webhooks signer and verifier, checked against the reference library."""

import base64
import json
import time

import pytest
from standardwebhooks import Webhook

from partners.webhook_signing import (
    WebhookVerificationError,
    secret_problem,
    sign,
    signed_headers,
    verify,
)

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
OTHER = "whsec_" + base64.b64encode(b"another-secret-another-secret-12").decode()
BODY = json.dumps({"type": "progress.updated", "data": {"enrollment_id": "E-1"}}).encode()


def test_reference_library_accepts_what_we_sign():
    headers = signed_headers(SECRET, "msg_1", BODY)
    assert Webhook(SECRET).verify(BODY, headers) == json.loads(BODY)


def test_we_accept_what_the_reference_library_signs():
    now = int(time.time())
    from datetime import UTC, datetime

    signature = Webhook(SECRET).sign("msg_2", datetime.fromtimestamp(now, tz=UTC), BODY.decode())
    headers = {"webhook-id": "msg_2", "webhook-timestamp": str(now), "webhook-signature": signature}
    assert verify(headers, BODY, [SECRET]) == "msg_2"


def test_any_current_secret_is_accepted_during_a_rotation():
    headers = signed_headers(OTHER, "msg_3", BODY)
    assert verify(headers, BODY, [SECRET, OTHER]) == "msg_3"


def test_a_junk_signature_beside_a_valid_one_is_fine():
    headers = signed_headers(SECRET, "msg_4", BODY)
    headers["webhook-signature"] = (
        "v1,bm90LWEtc2lnbmF0dXJl v2,whatever " + headers["webhook-signature"]
    )
    assert verify(headers, BODY, [SECRET]) == "msg_4"


@pytest.mark.parametrize("skew", [301, -301])
def test_timestamps_beyond_300_seconds_either_way_are_refused(skew):
    now = time.time()
    headers = signed_headers(SECRET, "msg_5", BODY, timestamp=int(now) + skew)
    with pytest.raises(WebhookVerificationError) as caught:
        verify(headers, BODY, [SECRET], now=now)
    assert caught.value.reason == "stale_timestamp"


@pytest.mark.parametrize("skew", [299, -299])
def test_timestamps_within_tolerance_are_accepted(skew):
    now = time.time()
    headers = signed_headers(SECRET, "msg_6", BODY, timestamp=int(now) + skew)
    assert verify(headers, BODY, [SECRET], now=now) == "msg_6"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda h, b: ({**h, "webhook-signature": "v1,AAAA"}, b),
        lambda h, b: ({**h, "webhook-signature": "garbage"}, b),
        lambda h, b: (h, b + b" "),
        lambda h, b: ({**h, "webhook-id": "msg_other"}, b),
    ],
    ids=["wrong-signature", "malformed-header", "body-changed", "id-changed"],
)
def test_tampering_is_a_bad_signature(mangle):
    headers, body = mangle(signed_headers(SECRET, "msg_7", BODY), BODY)
    with pytest.raises(WebhookVerificationError) as caught:
        verify(headers, body, [SECRET])
    assert caught.value.reason == "bad_signature"


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_headers(missing):
    headers = signed_headers(SECRET, "msg_8", BODY)
    del headers[missing]
    with pytest.raises(WebhookVerificationError) as caught:
        verify(headers, BODY, [SECRET])
    assert caught.value.reason == "missing_headers"


def test_another_partners_secret_does_not_verify():
    headers = signed_headers(OTHER, "msg_9", BODY)
    with pytest.raises(WebhookVerificationError):
        verify(headers, BODY, [SECRET])


def test_headers_are_matched_case_insensitively():
    headers = {k.upper(): v for k, v in signed_headers(SECRET, "msg_10", BODY).items()}
    assert verify(headers, BODY, [SECRET]) == "msg_10"
    assert sign(SECRET, "a", 1, b"x").startswith("v1,")


def key_secret(size: int) -> str:
    return "whsec_" + base64.b64encode(bytes(range(size))).decode()


INVALID = {
    "empty": "whsec_",
    "23-bytes": key_secret(23),
    "not-base64": "whsec_not base64!",
    "bad-padding": SECRET[:-1],
    "urlsafe-alphabet": "whsec_" + base64.urlsafe_b64encode(b"\xfb" * 32).decode(),
    "no-prefix": SECRET.removeprefix("whsec_"),
}


@pytest.mark.parametrize("size", [24, 32, 64])
def test_secrets_of_24_bytes_and_more_are_valid(size):
    assert secret_problem(key_secret(size)) is None
    headers = signed_headers(key_secret(size), "msg_11", BODY)
    assert verify(headers, BODY, [key_secret(size)]) == "msg_11"


@pytest.mark.parametrize("secret", INVALID.values(), ids=INVALID.keys())
def test_an_invalid_secret_is_never_used(secret):
    assert secret_problem(secret)
    key_part = secret.removeprefix("whsec_")
    assert not key_part or key_part not in secret_problem(secret)  # never repeats it
    with pytest.raises(ValueError):
        sign(secret, "msg_12", 1, BODY)
    # Not even beside a valid secret that did sign it: the partner is not configured.
    headers = signed_headers(SECRET, "msg_12", BODY)
    for secrets in ([secret], [SECRET, secret], [secret, SECRET]):
        with pytest.raises(WebhookVerificationError) as caught:
            verify(headers, BODY, secrets)
        assert caught.value.reason == "not_configured"


def test_a_forgery_with_the_empty_key_of_whsec__is_refused():
    """`whsec_` decoded to an empty HMAC key, so anyone could sign for it."""
    import hashlib
    import hmac

    now = int(time.time())
    forged = hmac.new(b"", f"msg_13.{now}.".encode() + BODY, hashlib.sha256).digest()
    headers = {
        "webhook-id": "msg_13",
        "webhook-timestamp": str(now),
        "webhook-signature": "v1," + base64.b64encode(forged).decode(),
    }
    with pytest.raises(WebhookVerificationError) as caught:
        verify(headers, BODY, ["whsec_"])
    assert caught.value.reason == "not_configured"


def test_no_secret_at_all_is_a_bad_signature():
    with pytest.raises(WebhookVerificationError) as caught:
        verify(signed_headers(SECRET, "msg_14", BODY), BODY, [])
    assert caught.value.reason == "bad_signature"
