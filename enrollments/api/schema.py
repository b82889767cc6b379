"""Error answers shared by the OpenAPI description of every operation."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from enrollments.api.errors import ErrorOutput
from enrollments.api.idempotency import HEADER, REPLAYED_HEADER

FIELD_ERRORS = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Field errors: each field name maps to a list of messages "
    '(`non_field_errors` for the request as a whole), e.g. `{"email": ["Enter a valid '
    'email address."]}`.',
)

# Every operation answers these the same way.
COMMON = {
    401: OpenApiResponse(ErrorOutput, description="No credentials, or a token that is not valid."),
    403: OpenApiResponse(ErrorOutput, description="The user lacks the model permission."),
    429: OpenApiResponse(ErrorOutput, description="Too many requests for this token."),
}
LIST = {**COMMON, 400: FIELD_ERRORS, 404: OpenApiResponse(ErrorOutput, description="No such page.")}
NOT_FOUND = {404: OpenApiResponse(ErrorOutput, description="No such id.")}
CONFLICT = OpenApiResponse(
    ErrorOutput,
    description="Refused in the current state: `enrollment_conflict` (an open enrollment "
    "exists), `no_voucher_available`, `invalid_state`.",
    examples=[
        OpenApiExample(
            "Second open enrollment",
            value={
                "detail": "Ada Lovelace already has an open enrollment in NDS-DOT-SUP; "
                "complete, fail or cancel it before enrolling again.",
                "code": "enrollment_conflict",
            },
        )
    ],
)
PARTNER_FAILURE = {
    502: OpenApiResponse(ErrorOutput, description="The partner refused (`partner_error`)."),
    503: OpenApiResponse(
        ErrorOutput,
        description="The partner is unreachable or its breaker is open "
        "(`partner_unavailable`), or it is not configured (`partner_not_configured`); "
        "try again later.",
    ),
}

IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (a UUID) per enrollment you mean to create; a retry "
    f"with the same key and body gets the first answer again, marked `{REPLAYED_HEADER}: "
    "true`.",
)
IDEMPOTENCY_KEY_REUSED = OpenApiResponse(
    ErrorOutput,
    description=f"`idempotency_key_reused`: the `{HEADER}` was used before with a different body.",
)
