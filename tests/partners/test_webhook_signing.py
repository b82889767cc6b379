"""Our Standard Webhooks signer and verifier, checked against the reference library."""

import base64
import json
import time

import pytest
from standardwebhooks import Webhook

from partners.webhook_signing import WebhookVerificationError, sign, signed_headers, verify

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


def test_headers_are_matched_case_insensitively_and_a_bad_secret_never_matches():
    headers = {k.upper(): v for k, v in signed_headers(SECRET, "msg_10", BODY).items()}
    assert verify(headers, BODY, ["whsec_not base64!", SECRET]) == "msg_10"
    assert sign(SECRET, "a", 1, b"x").startswith("v1,")
