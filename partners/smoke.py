"""A smoke test of one partner's adapter against the partner (or the simulator): every
operation the adapter supports, once, with a clearly marked test student.

`partner_smoke(slug, live=...)` creates an account for "Smoke Test"
(`smoke+<run>@<domain>`, our reference `SMOKE-<run>`), enrols it in one course, reads its
progress, its certificate and a launch URL, then runs the partner's extras (Certiport's
exam vouchers, CareerSafe's group enrolment, certificate verification where the partner
has it). Each operation gets its own correlation id, so its request logs are found by it;
the report gives, per operation, pass or fail, the HTTP status, the latency, the request
log ids and, for a failure, what did not match the assumed contract (the field the answer
lacked, the status the partner gave).

Why it calls the adapter directly, not a service: it checks the adapter against the
partner and writes nothing of ours. No Student, PartnerAccount or Enrollment is created
(the test student exists only at the partner); the request logs are written as for any
call, with enrollment id none and correlation ids `smoke-<run>-...`.

Against the simulator it also plays the learner (finishes the course in the simulator's
state, sending no webhook) so the completed progress and a real certificate are read,
and removes the test student's simulated account, enrolments and vouchers at the end, so
the demo never sees them (`simulator_advance` would otherwise move them on and send
webhooks for enrolments we do not know). A live partner's test account stays there,
marked by its name and e-mail: partners offer no deletion call.

It refuses a live partner unless `live=True`, and refuses `live=True` while the
simulator is on (the calls would not reach the partner).
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from partners.base import PartnerAdapter
from partners.config import PartnerConfigurationError, setting_name
from partners.context import partner_call_context
from partners.errors import PartnerError, PartnerInvalidResponseError, PartnerTransientError
from partners.models import PartnerCourse
from partners.registry import entry, get_adapter
from partners.results import EnrollmentRequest, StudentInfo
from partners.signals import CallRecord, partner_call_attempted

DEFAULT_EMAIL_DOMAIN = "partner-hub-smoke.invalid"
# A partner's own text in a failure is cut to this: enough to recognise its error shape.
EXCERPT_CHARS = 120

# monitoring registers how request logs are found by correlation id (monitoring/apps.py):
# this app imports no other. Without it the report has no log ids, only correlation ids.
RequestLogFinder = Callable[[Sequence[str]], Mapping[str, Sequence[int]]]
_log_finder: RequestLogFinder | None = None


def set_request_log_finder(finder: RequestLogFinder | None) -> None:
    global _log_finder
    _log_finder = finder


class SmokeRefused(Exception):
    """The smoke test will not run: the message says why and what to do."""


@dataclass
class SmokeStep:
    operation: str
    passed: bool | None = None  # None: skipped (an earlier operation it needs failed)
    status: int | None = None  # the HTTP status of the operation's last attempt
    latency_ms: int | None = None
    attempts: int = 0
    correlation_id: str = ""
    log_ids: tuple[int, ...] = ()
    # What it read (passed) or what did not match the assumed contract (failed).
    detail: str = ""

    @property
    def result(self) -> str:
        return {True: "pass", False: "FAIL", None: "skipped"}[self.passed]


@dataclass
class SmokeReport:
    partner: str
    name: str
    base_url: str
    simulated: bool
    run_id: str
    student: StudentInfo
    course_code: str
    steps: list[SmokeStep] = field(default_factory=list)
    cleanup: str = ""

    @property
    def ok(self) -> bool:
        return all(step.passed for step in self.steps)

    @property
    def failed(self) -> list[SmokeStep]:
        return [step for step in self.steps if step.passed is False]


class _Failed(Exception):
    """An operation answered, but not what the contract promises."""


def smoke_student(run_id: str, email_domain: str = DEFAULT_EMAIL_DOMAIN) -> StudentInfo:
    """The test student: never a real person's data, recognisable in any partner's list."""
    return StudentInfo(
        external_ref=f"SMOKE-{run_id}",
        first_name="Smoke",
        last_name="Test",
        email=f"smoke+{run_id.lower()}@{email_domain}",
    )


def new_run_id(now: datetime | None = None) -> str:
    now = now or timezone.now()
    return f"{now:%Y%m%d%H%M%S}-{secrets.token_hex(2)}"


def smoke_course_code(slug: str) -> str:
    course = PartnerCourse.objects.filter(partner__slug=slug, active=True).order_by("code").first()
    if course is None:
        raise SmokeRefused(
            f"{slug} has no active course to enrol the test student in: load the catalogue "
            "(manage.py load_catalogue) or name one with --course CODE"
        )
    return course.code


def partner_smoke(
    slug: str,
    *,
    live: bool = False,
    course_code: str = "",
    email_domain: str = DEFAULT_EMAIL_DOMAIN,
    run_id: str = "",
) -> SmokeReport:
    """Run every operation `slug`'s adapter supports, once, and report each (see the
    module docstring). Raises SmokeRefused before any call when it must not run."""
    partner = entry(slug)
    try:
        adapter = get_adapter(slug)
    except PartnerConfigurationError as exc:
        raise SmokeRefused(str(exc)) from exc
    config = adapter.config
    if not config.simulated and not live:
        raise SmokeRefused(
            f"{slug}: the simulator is off, so this would call the live partner at "
            f"{config.base_url or '(' + setting_name(slug, 'api_base_url') + ' not set)'} and "
            "create a test account and enrolment there. Run it again with --live to do "
            "that on purpose (a sandbox, ideally)."
        )
    if config.simulated and live:
        raise SmokeRefused(
            f"{slug}: --live was given, but PARTNER_SIMULATOR is on, so every call would go "
            f"to the simulator at {config.base_url}, not to the partner. Turn "
            f"PARTNER_SIMULATOR off and set {setting_name(slug, 'api_base_url')} (and the "
            "credentials) to the partner's sandbox."
        )
    run_id = run_id or new_run_id()
    report = SmokeReport(
        partner=slug,
        name=partner.name,
        base_url=config.base_url,
        simulated=config.simulated,
        run_id=run_id,
        student=smoke_student(run_id, email_domain),
        course_code=course_code or smoke_course_code(slug),
    )
    _Run(adapter, report).run_all()
    return report


class _Run:
    def __init__(self, adapter: PartnerAdapter, report: SmokeReport):
        self.adapter = adapter
        self.report = report
        self.records: dict[str, list[CallRecord]] = {}
        self.found: dict[str, Any] = {}  # what earlier operations returned

    # -- the operations --------------------------------------------------------------

    def plan(self) -> list[tuple[str, Callable[[], str], tuple[str, ...]]]:
        """(operation, what it does returning a note, operations it needs)."""
        adapter, report = self.adapter, self.report
        steps = [
            ("create_account", self.create_account, ()),
            ("enroll", self.enroll, ("create_account",)),
            ("get_progress", self.get_progress, ("enroll",)),
        ]
        if report.simulated:
            steps += [
                ("simulator: finish course", self.finish_at_simulator, ("enroll",)),
                ("get_progress (completed)", self.get_progress_completed, ("enroll",)),
            ]
        steps += [
            ("get_certificate", self.get_certificate, ("enroll",)),
            ("sso_launch_url", self.sso_launch_url, ("enroll",)),
        ]
        # The partner's extras, read from its adapter, never from a list of partners.
        if type(adapter).generate_voucher is not PartnerAdapter.generate_voucher:
            steps.append(("generate_voucher", self.generate_voucher, ("create_account",)))
        if adapter.supports_group_enrollment:
            steps.append(("enroll_group", self.enroll_group, ("create_account",)))
        if adapter.paths.verify_certificate:
            steps.append(("verify_certificate", self.verify_certificate, ()))
        return steps

    def key(self, suffix: str) -> str:
        return f"smoke-{self.report.run_id}-{suffix}"

    def create_account(self) -> str:
        account = self.adapter.create_account(
            student=self.report.student, idempotency_key=self.key("account")
        )
        self.found["account"] = account
        return f"account {account.external_id} for {self.report.student.email}"

    def enroll(self) -> str:
        enrollment = self.adapter.enroll(request=self.enrollment_request())
        self.found["enrollment"] = enrollment
        return (
            f"enrollment {enrollment.external_id} in {self.report.course_code}, {enrollment.status}"
        )

    def enrollment_request(self) -> EnrollmentRequest:
        return EnrollmentRequest(
            account_id=self.found["account"].external_id,
            course_code=self.report.course_code,
            reference=f"SMOKE-{self.report.run_id}",
            idempotency_key=self.key("enroll"),
        )

    def get_progress(self) -> str:
        progress = self.adapter.get_progress(
            external_enrollment_id=self.found["enrollment"].external_id
        )
        state = (
            "completed" if progress.completed else "started" if progress.started else "not started"
        )
        return f"{progress.progress_percent} %, {state}"

    def finish_at_simulator(self) -> str:
        """Play the learner: finish the course in the simulator's state (no partner call,
        no webhook), so the completed answers are read next."""
        from partners.simulator import state
        from partners.simulator.models import SimEnrollment

        rows = SimEnrollment.objects.filter(
            partner=self.report.partner, external_id=self.found["enrollment"].external_id
        )
        for row in rows:
            state.advance(row, to=100, passed=True)
        if not rows:
            raise _Failed("the simulator has no such enrollment")
        return "progress 100, passed (simulator state; no call, no webhook)"

    def get_progress_completed(self) -> str:
        progress = self.adapter.get_progress(
            external_enrollment_id=self.found["enrollment"].external_id
        )
        if not progress.completed:
            raise _Failed(
                f"the course is finished at the simulator but the answer reads as not "
                f"completed ({progress.progress_percent} %): check the status mapping"
            )
        return f"{progress.progress_percent} %, completed, passed={progress.passed}"

    def get_certificate(self) -> str:
        certificate = self.adapter.get_certificate(
            external_enrollment_id=self.found["enrollment"].external_id
        )
        if certificate is None:
            if self.report.simulated:
                raise _Failed("no certificate although the course is finished")
            return "not issued yet (expected for a new enrolment)"
        self.found["certificate"] = certificate
        expires = f", expires {certificate.expires_at:%Y-%m-%d}" if certificate.expires_at else ""
        return f"certificate {certificate.number}, issued {certificate.issued_at:%Y-%m-%d}{expires}"

    def sso_launch_url(self) -> str:
        launch = self.adapter.sso_launch_url(
            account_id=self.found["account"].external_id,
            external_enrollment_id=self.found["enrollment"].external_id,
        )
        if not launch.url.startswith(("https://", "http://")):
            raise _Failed(f"launch URL is not http(s): {launch.url[:EXCERPT_CHARS]!r}")
        seconds = (launch.expires_at - timezone.now()).total_seconds()
        if seconds <= 0:
            raise _Failed(f"launch URL expired already ({launch.expires_at.isoformat()})")
        return f"launch URL valid {seconds:.0f} s"

    def generate_voucher(self) -> str:
        voucher = self.adapter.generate_voucher(
            course_code=self.report.course_code,
            account_id=self.found["account"].external_id,
            idempotency_key=self.key("voucher"),
        )
        return f"voucher {voucher.code} for {voucher.course_code}"

    def enroll_group(self) -> str:
        account_id = self.found["account"].external_id
        items = self.adapter.enroll_group(
            group_code=f"SMOKE-{self.report.run_id}",
            course_code=self.report.course_code,
            account_ids=[account_id],
            idempotency_key=self.key("group"),
        )
        item = next((i for i in items if i.account_id == account_id), None)
        if item is None or item.enrollment is None:
            raise _Failed(f"no enrolment for the test member: {item.error if item else 'no item'}")
        return f"group enrolment {item.enrollment.external_id}"

    def verify_certificate(self) -> str:
        certificate = self.found.get("certificate")
        number = (
            certificate.number if certificate else f"SMOKE-NOT-A-CERTIFICATE-{self.report.run_id}"
        )
        verification = self.adapter.verify_certificate(number=number)
        if certificate is not None and not verification.valid:
            raise _Failed(
                f"certificate {number} just issued reads as not valid ({verification.status})"
            )
        return f"{number}: valid={verification.valid}, status {verification.status or '-'}"

    # -- running and recording ----------------------------------------------------------

    def run_all(self) -> None:
        receiver = self.record
        partner_call_attempted.connect(receiver, weak=False)
        try:
            for position, (operation, work, needs) in enumerate(self.plan(), 1):
                self.report.steps.append(self.run_one(position, operation, work, needs))
        finally:
            partner_call_attempted.disconnect(receiver)
            if self.report.simulated:
                self.report.cleanup = self.clean_simulator()
        self.attach_log_ids()

    def record(self, sender, *, record: CallRecord, **kwargs) -> None:
        if record.correlation_id in self.records:
            self.records[record.correlation_id].append(record)

    def run_one(self, position: int, operation: str, work, needs: tuple[str, ...]) -> SmokeStep:
        name = re.sub(r"[^a-z0-9]+", "-", operation.lower()).strip("-")
        step = SmokeStep(operation, correlation_id=self.key(f"{position:02d}-{name}")[:64])
        missing = [need for need in needs if not self.passed(need)]
        if missing:
            step.detail = f"needs {', '.join(missing)}"
            return step
        self.records[step.correlation_id] = []
        started = time.perf_counter()
        try:
            with partner_call_context(correlation_id=step.correlation_id):
                step.detail = work()
            step.passed = True
        except (_Failed, PartnerError, PartnerConfigurationError) as exc:
            step.passed = False
            step.detail = mismatch(exc)
            step.status = getattr(exc, "status", None)
            if self.report.simulated and isinstance(exc, PartnerTransientError) and not exc.status:
                step.detail += (
                    f" (the simulator is served by this deployment at {settings.SITE_URL}: "
                    "is its web server running? `make run`, or set SITE_URL)"
                )
        except Exception as exc:  # an adapter that cannot read the answer at all
            step.passed = False
            step.detail = f"{type(exc).__name__} in the adapter: {str(exc)[:EXCERPT_CHARS]}"
        step.latency_ms = round((time.perf_counter() - started) * 1000)
        calls = self.records[step.correlation_id]
        step.attempts = len(calls)
        if calls and calls[-1].status_code is not None:
            step.status = calls[-1].status_code
        return step

    def passed(self, operation: str) -> bool:
        return any(s.operation == operation and s.passed for s in self.report.steps)

    def attach_log_ids(self) -> None:
        ids = [s.correlation_id for s in self.report.steps if s.attempts]
        if _log_finder is None or not ids:
            return
        found = _log_finder(ids)
        self.report.steps = [
            replace(s, log_ids=tuple(found.get(s.correlation_id, ()))) for s in self.report.steps
        ]

    def clean_simulator(self) -> str:
        """Remove the test student from the simulator (see the module docstring)."""
        from partners.simulator.models import SimAccount, SimIdempotencyRecord

        slug, email = self.report.partner, self.report.student.email
        _, by_model = SimAccount.objects.filter(partner=slug, email__iexact=email).delete()
        SimIdempotencyRecord.objects.filter(
            partner=slug, key__startswith=f"smoke-{self.report.run_id}"
        ).delete()
        counts = {label.rsplit(".", 1)[-1]: n for label, n in by_model.items()}
        return (
            f"simulator cleaned: {counts.get('SimAccount', 0)} account(s), "
            f"{counts.get('SimEnrollment', 0)} enrolment(s), "
            f"{counts.get('SimVoucher', 0)} voucher(s) of {email} removed"
        )


def mismatch(exc: BaseException) -> str:
    """What did not match the assumed contract, in a line: the field an answer lacked (the
    adapter names it), or the status and the partner's own words."""
    if isinstance(exc, PartnerInvalidResponseError):
        excerpt = f" [{exc.excerpt[:EXCERPT_CHARS]}]" if exc.excerpt else ""
        return f"contract: {exc.args[0]}{excerpt}"
    if isinstance(exc, PartnerError):
        status = f"HTTP {exc.status} " if exc.status else ""
        excerpt = f": {exc.excerpt[:EXCERPT_CHARS]}" if exc.excerpt else ""
        return f"{status}{type(exc).__name__} ({exc.args[0]}){excerpt}"
    if isinstance(exc, PartnerConfigurationError):
        return f"configuration: {exc}"
    return str(exc)
