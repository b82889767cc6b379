"""`POST /webhooks/partners/<slug>/`: the HTTP side of receiving a webhook. Reads the raw
body within the size limit and hands it to webhooks.deliveries; no partner work here."""

from __future__ import annotations

import ipaddress
import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from webhooks.deliveries import MAX_BODY_BYTES, IncomingDelivery, Receipt, delivery_receive

CHUNK_BYTES = 64 * 1024


class JsonAnswer(BaseContentNegotiation):
    """Partners get JSON whatever their Accept header says: a refusal of their Accept
    (406) would be an answer spec v1 does not have."""

    def select_parser(self, request, parsers):
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


@extend_schema(exclude=True)  # the partner-facing spec is docs/webhooks.md, not API v1
class PartnerWebhookView(APIView):
    # Partners authenticate by signature only; no session, token, CSRF or throttling.
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()
    parser_classes = ()
    renderer_classes = (JSONRenderer,)
    content_negotiation_class = JsonAnswer
    # Anything else, OPTIONS and HEAD included, is answered 405 and recorded.
    http_method_names = ["post"]

    def post(self, request: Request, slug: str) -> HttpResponse:
        django_request = request._request
        body, size, too_large = read_body(django_request, MAX_BODY_BYTES)
        return answer(
            delivery_receive(
                IncomingDelivery(
                    partner_slug=slug,
                    method="POST",
                    # A plain dict: the verifier and the delivery row look headers up
                    # several times, and HttpHeaders rebuilds itself from META each time.
                    headers=dict(django_request.headers),
                    body=body,
                    body_size=size,
                    too_large=too_large,
                    source_ip=source_ip(django_request),
                )
            )
        )

    def http_method_not_allowed(self, request: Request, *args, **kwargs) -> HttpResponse:
        django_request = request._request
        receipt = delivery_receive(
            IncomingDelivery(
                partner_slug=kwargs.get("slug", ""),
                method=django_request.method or "",
                headers=dict(django_request.headers),
                source_ip=source_ip(django_request),
            )
        )
        response = answer(receipt)
        response["Allow"] = "POST"
        return response


def answer(receipt: Receipt) -> HttpResponse:
    """The JSON answer, rendered here: the answers are a handful of small fixed shapes, and
    DRF's Response would go through content negotiation and a template response for each
    (a twentieth of the receiver's CPU)."""
    content = json.dumps(receipt.answer, ensure_ascii=False, separators=(",", ":"))
    response = HttpResponse(content, status=receipt.status_code, content_type="application/json")
    if receipt.retry_after is not None:
        response["Retry-After"] = str(receipt.retry_after)
    return response


def read_body(request: HttpRequest, limit: int) -> tuple[bytes, int, bool]:
    """(body, size, too_large), never holding more than `limit` + one chunk.

    A Content-Length over the limit is refused without reading. One within it bounds the
    read (Django's stream stops there even when more was sent). Without one, a server
    that terminates the input (gunicorn: chunked bodies) is read chunk by chunk until the
    limit is passed; any other server gives no way to know the end, so the body is empty,
    as Django itself would read it."""
    declared = _content_length(request)
    if declared is not None:
        if declared > limit:
            return b"", declared, True
        body = request.read(declared) if declared else b""
        return body, len(body), False
    if not request.META.get("wsgi.input_terminated"):
        return b"", 0, False
    stream = request.META["wsgi.input"]
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = stream.read(CHUNK_BYTES)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    body = b"".join(chunks)
    return (body[:limit], size, True) if size > limit else (body, size, False)


def _content_length(request: HttpRequest) -> int | None:
    try:
        value = int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    return value if value >= 0 else None


def source_ip(request: HttpRequest) -> str | None:
    """The sender's address: the socket peer, or, behind WEBHOOK_TRUSTED_PROXIES proxies,
    the address the outermost of them saw (X-Forwarded-For is otherwise forgeable)."""
    address = request.META.get("REMOTE_ADDR", "")
    proxies = settings.WEBHOOK_TRUSTED_PROXIES
    if proxies > 0:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
