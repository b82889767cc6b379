"""What a simulated partner contract declares: its auth check, its routes, and handlers
that speak the partner's field names over the shared state in partners.simulator.state."""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.conf import settings
from django.core import signing
from django.http import HttpRequest

from partners.config import PartnerConfig
from partners.simulator.models import SimEnrollment

Answer = tuple[int, dict[str, Any]]

LAUNCH_SALT = "partnerhub.simulator.launch"
LAUNCH_SECONDS = 300


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    handler: str
    regex: re.Pattern = field(init=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "regex", re.compile(f"^{self.pattern}$"))


def header_is(request: HttpRequest, name: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(request.headers.get(name, ""), expected)


class Contract:
    slug: ClassVar[str]
    routes: ClassVar[list[Route]]

    def authenticate(self, request: HttpRequest, config: PartnerConfig) -> bool:
        raise NotImplementedError

    def certificate_validity_months(self, course_code: str) -> int | None:
        """How long this partner's certificate for `course_code` is valid (None: forever)."""
        from partners.simulator.state import VALIDITY_MONTHS

        return VALIDITY_MONTHS.get(self.slug)

    def error_body(self, code: str, message: str) -> dict[str, Any]:
        """The partner's own error shape."""
        return {"error": code, "message": message}

    def route(self, method: str, path: str) -> tuple[Callable[..., Answer] | None, dict, bool]:
        """(handler, URL groups, path known) for a request."""
        known = False
        for route in self.routes:
            match = route.regex.match(path)
            if match:
                known = True
                if route.method == method:
                    return getattr(self, route.handler), match.groupdict(), True
        return None, {}, known

    # -- helpers shared by the contracts --------------------------------------------

    def launch_url(self, row: SimEnrollment | None, account_id: str) -> tuple[str, int]:
        """A signed player URL valid for LAUNCH_SECONDS: (url, seconds)."""
        token = signing.dumps(
            {"p": self.slug, "a": account_id, "e": row.external_id if row else ""}, salt=LAUNCH_SALT
        )
        return (
            f"{settings.SITE_URL.rstrip('/')}/simulator/{self.slug}/play/?token={token}",
            LAUNCH_SECONDS,
        )

    def site(self, suffix: str) -> str:
        return f"{settings.SITE_URL.rstrip('/')}/simulator/{self.slug}/{suffix.lstrip('/')}"


def iso(value) -> str | None:
    return value.isoformat() if value else None


def day(value) -> str | None:
    return value.date().isoformat() if value else None
