"""What the API answers when a service refuses or a partner fails.

Every refusal answers in DRF's shape, `{"detail": "..."}`, plus a stable `code` a client
can branch on without parsing the message. A partner failure is never a 500: it is the
partner's problem (502) or a passing one (503), and the client is told which.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rest_framework import serializers, status
from rest_framework.exceptions import APIException

from enrollments.services import (
    EnrollmentConflict,
    EnrollmentError,
    EnrollmentStateError,
    NoVoucherAvailable,
)
from partners.config import PartnerConfigurationError
from partners.errors import PartnerError, PartnerRateLimitedError, PartnerTransientError


class ApiError(APIException):
    """An APIException whose body carries a machine-readable code beside the message."""

    def __init__(self, detail: str, *, code: str, wait: float | None = None):
        super().__init__({"detail": detail, "code": code})
        # DRF's handler turns `wait` into a Retry-After header.
        self.wait = wait


class Conflict(ApiError):
    status_code = status.HTTP_409_CONFLICT


class Unprocessable(ApiError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY


class PartnerFailed(ApiError):
    status_code = status.HTTP_502_BAD_GATEWAY


class PartnerUnavailable(ApiError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE


class ErrorOutput(serializers.Serializer):
    """The body of every non-field error (401, 403, 404, 409, 422, 429, 502, 503)."""

    detail = serializers.CharField()
    code = serializers.CharField(
        required=False, help_text="Stable reason, present on 409, 422, 502 and 503."
    )


@contextmanager
def service_errors() -> Iterator[None]:
    """Translate service and partner errors raised inside the block into API answers.

    No voucher is a 409 rather than a 422: the request is valid and succeeds unchanged
    once stock is added, so it conflicts with the current state, like a second enrolment.
    """
    try:
        yield
    except EnrollmentConflict as exc:
        raise Conflict(str(exc), code="enrollment_conflict") from exc
    except NoVoucherAvailable as exc:
        raise Conflict(str(exc), code="no_voucher_available") from exc
    except EnrollmentStateError as exc:
        raise Conflict(str(exc), code="invalid_state") from exc
    except EnrollmentError as exc:
        raise Conflict(str(exc), code="enrollment_refused") from exc
    except PartnerTransientError as exc:
        wait = exc.retry_after if isinstance(exc, PartnerRateLimitedError) else None
        raise PartnerUnavailable(
            f"The partner is not answering right now; try again later ({exc}).",
            code="partner_unavailable",
            wait=wait,
        ) from exc
    except PartnerError as exc:
        # Only PartnerPermanentError is left in the family: retrying will not help.
        raise PartnerFailed(
            f"The partner refused or answered something unusable ({exc}).",
            code="partner_error",
        ) from exc
    except PartnerConfigurationError as exc:
        raise PartnerUnavailable(
            f"This partner's connection is not configured on the server ({exc}).",
            code="partner_not_configured",
        ) from exc
