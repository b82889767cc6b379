"""Typed partner errors. Everything the client raises for a failed call is a PartnerError;
callers decide by family: transient (retry later) or permanent (stop, tell staff).

PartnerConfigurationError (partners.config) is deliberately outside this family.
"""

from __future__ import annotations


class PartnerError(Exception):
    """A call to a partner failed."""

    def __init__(
        self,
        message: str,
        *,
        partner: str = "",
        operation: str = "",
        status: int | None = None,
        excerpt: str = "",
    ):
        self.partner = partner
        self.operation = operation
        self.status = status
        self.excerpt = excerpt
        super().__init__(message)

    def __str__(self) -> str:
        where = f"{self.partner} {self.operation}".strip()
        status = f" (HTTP {self.status})" if self.status else ""
        excerpt = f": {self.excerpt}" if self.excerpt else ""
        return f"{where}: {self.args[0]}{status}{excerpt}" if where else super().__str__()


class PartnerTransientError(PartnerError):
    """Worth trying again later: the partner may answer next time."""


class PartnerTimeoutError(PartnerTransientError):
    """No answer within the timeout (connect or read)."""


class PartnerUnavailableError(PartnerTransientError):
    """Could not connect, or the partner said it is unavailable."""


class PartnerServerError(PartnerTransientError):
    """The partner answered 5xx (or 408)."""


class PartnerRateLimitedError(PartnerTransientError):
    """429. `retry_after` is the wait the partner asked for, in seconds, when it gave one."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs):
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class PartnerCircuitOpenError(PartnerTransientError):
    """The breaker for this partner is open: no request was sent."""


class PartnerPermanentError(PartnerError):
    """Trying again will not help until someone changes something."""


class PartnerAuthError(PartnerPermanentError):
    """401/403: our credentials are wrong, expired or not allowed to do this."""


class PartnerRejectedError(PartnerPermanentError):
    """400/409/422 and other 4xx: the partner refused what we sent."""


class PartnerNotFoundError(PartnerPermanentError):
    """404: the account, enrollment or certificate does not exist at the partner."""


class PartnerInvalidResponseError(PartnerPermanentError):
    """The partner answered 2xx with a body we cannot read."""


class UnsupportedOperation(PartnerPermanentError):
    """This partner's adapter cannot do that operation."""


def error_for_status(status: int) -> type[PartnerError]:
    """The classification table for HTTP statuses that are failures."""
    if status == 429:
        return PartnerRateLimitedError
    if status == 408 or status >= 500:
        return PartnerUnavailableError if status == 503 else PartnerServerError
    if status in (401, 403):
        return PartnerAuthError
    if status == 404:
        return PartnerNotFoundError
    return PartnerRejectedError
