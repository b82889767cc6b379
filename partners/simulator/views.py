"""The simulator's HTTP face: /simulator/<slug>/<partner path>.

Every request goes through the same steps a real partner would show us: injected faults
(stalls, 503s, 429s, broken bodies), the partner's auth headers (401), its routes
(404/405), a JSON body (400), then Idempotency-Key replay around the handler; with a
latency set, the answer leaves that long after the request came in.
"""

from __future__ import annotations

import hashlib
import json
import time

from django.core import signing
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from partners.config import get_partner_config
from partners.redaction import is_sensitive
from partners.simulator import state
from partners.simulator.contracts import contract_for
from partners.simulator.contracts.base import LAUNCH_SALT, LAUNCH_SECONDS
from partners.simulator.faults import faults_for, hold_for_latency, inject
from partners.simulator.models import SimEnrollment, SimIdempotencyRecord
from partners.simulator.webhooks import send_events_on_commit


def _fingerprint(request: HttpRequest, path: str) -> str:
    return hashlib.sha256(request.method.encode() + path.encode() + request.body).hexdigest()


def _without_secrets(answer: dict) -> dict:
    """What a replay may repeat: a temporary password is handed out once (a replay says
    null), and it never sits in our database, even the simulator's part of it."""
    return {k: None if is_sensitive(k) else v for k, v in answer.items()}


def _answer(status: int, body: dict, *, replayed: bool = False) -> JsonResponse:
    response = JsonResponse(body, status=status, safe=False)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


@csrf_exempt
def partner_api(request: HttpRequest, slug: str, path: str) -> HttpResponse:
    started = time.monotonic()
    contract = contract_for(slug)
    if contract is None:
        raise Http404(f"no simulated partner {slug}")
    fault = faults_for(slug)
    if fault is None:
        return _respond(request, slug, path, contract)
    response = inject(fault)
    if response is None:
        response = _respond(request, slug, path, contract)
    hold_for_latency(fault, started)
    return response


def _respond(request: HttpRequest, slug: str, path: str, contract) -> HttpResponse:
    """The partner's answer to one request, faults aside."""
    if not contract.authenticate(request, get_partner_config(slug)):
        return _answer(401, contract.error_body("unauthorized", "missing or wrong credentials"))
    handler, groups, known = contract.route(request.method, path.strip("/"))
    if handler is None:
        status = 405 if known else 404
        return _answer(
            status,
            contract.error_body("not_found" if status == 404 else "method_not_allowed", path),
        )
    body: dict = {}
    if request.method in ("POST", "PUT", "PATCH") and request.body:
        try:
            body = json.loads(request.body)
        except ValueError:
            return _answer(400, contract.error_body("invalid_json", "the body is not JSON"))
        if not isinstance(body, dict):
            return _answer(400, contract.error_body("invalid_body", "the body must be an object"))

    key = request.headers.get("Idempotency-Key", "")
    if key and request.method == "POST":
        return _idempotent(
            request, slug, key, _fingerprint(request, path), contract, handler, body, groups
        )
    return _run(contract, handler, request, body, groups)


def _run(contract, handler, request, body, groups) -> JsonResponse:
    try:
        with transaction.atomic():
            status, answer = handler(request, body, **groups)
    except state.SimError as exc:
        return _answer(exc.status, contract.error_body(exc.code, exc.message))
    return _answer(status, answer)


def _idempotent(request, slug, key, fingerprint, contract, handler, body, groups) -> JsonResponse:
    """The first answer to a key is stored with the work, in one transaction; a retry gets
    that answer back and nothing is done twice, even when both arrive at once."""
    previous = SimIdempotencyRecord.objects.filter(partner=slug, key=key).first()
    if previous is None:
        try:
            with transaction.atomic():
                status, answer = handler(request, body, **groups)
                SimIdempotencyRecord.objects.create(
                    partner=slug,
                    key=key,
                    fingerprint=fingerprint,
                    status=status,
                    body=_without_secrets(answer),
                )
            return _answer(status, answer)
        except state.SimError as exc:
            return _answer(exc.status, contract.error_body(exc.code, exc.message))
        except IntegrityError:
            previous = SimIdempotencyRecord.objects.filter(partner=slug, key=key).first()
            if previous is None:
                raise
    if previous.fingerprint != fingerprint:
        return _answer(
            422,
            contract.error_body(
                "idempotency_key_reused", "this Idempotency-Key was used for another request"
            ),
        )
    return _answer(previous.status, previous.body, replayed=True)


def player(request: HttpRequest, slug: str) -> HttpResponse:
    """Where a launch URL lands: a stand-in course player that moves the learner on and
    makes the partner send its webhooks."""
    try:
        claims = signing.loads(
            request.GET.get("token", ""), salt=LAUNCH_SALT, max_age=LAUNCH_SECONDS * 12
        )
    except signing.BadSignature:
        return HttpResponse("This launch link is invalid or has expired.", status=403)
    if claims.get("p") != slug:
        return HttpResponse("This launch link is for another partner.", status=403)
    row = (
        SimEnrollment.objects.filter(partner=slug, external_id=claims.get("e"))
        .select_related("account")
        .first()
    )
    message = ""
    if request.method == "POST" and row is not None:
        step = request.POST.get("step")
        with transaction.atomic():
            events = state.advance(
                row, to=100 if step == "finish" else None, by=25 if step != "finish" else None
            )
            send_events_on_commit(row, events)
        message = ", ".join(events) or "nothing changed"
    return render(
        request,
        "simulator/player.html",
        {"slug": slug, "row": row, "message": message, "claims": claims},
    )
