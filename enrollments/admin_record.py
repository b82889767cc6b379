"""The enrollment's page as a record: what a coordinator needs first (who, which course,
where it stands, what went wrong) and the buttons to act on it, above the few fields
staff may edit.

The buttons post the enrollment's admin actions from its own page (Django's change-form
actions, admin_actions.ON_LIST_AND_PAGE), so each is offered only to staff the action
itself allows (`enrollments.change_enrollment`, as the API asks) and a forged POST of it
is refused the same way. A button is also left out where its service would refuse the
enrollment in its state; the service still decides, this only spares a pointless click.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.admin import ActionLocation
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.core.exceptions import BadRequest
from django.http import HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format

from enrollments.models import Enrollment, EnrollmentStatus
from enrollments.selectors import SYNCABLE, enrollment_timeline
from partners.config import PartnerConfigurationError, effective_mode
from partners.modes import ConnectionMode


@dataclass(frozen=True)
class Button:
    action: str  # the admin action it posts
    label: str
    help: str
    new_tab: bool = False
    danger: bool = False


def _partner_mode(enrollment: Enrollment) -> tuple[str, str]:
    """The partner's connection mode, and a sentence when it is not usable or not `api`."""
    try:
        mode = effective_mode(enrollment.partner)
    except PartnerConfigurationError as exc:
        return "", f"{enrollment.partner.name}'s connection mode is misconfigured: {exc}"
    if mode == ConnectionMode.API:
        return mode, ""
    how = {
        ConnectionMode.ROSTER: "roster files out, results imported back",
        ConnectionMode.MANUAL: "staff record the outcome",
    }.get(mode, mode)
    return mode, f"{enrollment.partner.name} is in {mode} mode: {how}."


def _buttons(enrollment: Enrollment, mode: str) -> list[Button]:
    status = enrollment.status
    linked = mode == ConnectionMode.API and bool(enrollment.external_enrollment_id)
    offered = []
    if linked and status in (*SYNCABLE, EnrollmentStatus.COMPLETED):
        offered.append(
            Button(
                "open_launch_url",
                "Open the course as the student",
                "Signs in to the partner's course as this student, in a new tab.",
                new_tab=True,
            )
        )
    if linked and status not in (EnrollmentStatus.CANCELLED, EnrollmentStatus.FAILED):
        offered.append(
            Button("sync_now", "Sync now", "Asks the partner for progress and the certificate.")
        )
    if status in (EnrollmentStatus.FAILED, EnrollmentStatus.REQUESTED):
        offered.append(
            Button("retry_provisioning", "Retry", "Sends the enrollment to the partner again.")
        )
    if status not in (EnrollmentStatus.COMPLETED, EnrollmentStatus.CANCELLED):
        offered.append(
            Button(
                "cancel",
                "Cancel",
                "Cancels the enrollment and releases its voucher (the partner is not told).",
                danger=True,
            )
        )
    return offered


def _problem(enrollment: Enrollment) -> tuple[str, str]:
    """The last error in words and what happens next; ("", "") when there is none. A
    cancelled enrollment's "error" is the reason it was cancelled, shown as a note."""
    if not enrollment.last_error or enrollment.status == EnrollmentStatus.CANCELLED:
        return "", ""
    if enrollment.status == EnrollmentStatus.FAILED:
        then = "No further automatic try: fix the cause, then press Retry."
    elif enrollment.status == EnrollmentStatus.REQUESTED and enrollment.next_attempt_at:
        at = date_format(timezone.localtime(enrollment.next_attempt_at), "DATETIME_FORMAT")
        then = f"Tried {enrollment.attempts} time(s); the next automatic try is at {at}."
    else:
        then = "The enrollment went on since; this is kept for the record."
    return enrollment.last_error, then


def _admin_link(name: str, pk) -> str:
    try:
        return reverse(f"admin:{name}_change", args=[pk])
    except NoReverseMatch:
        return ""


def enrollment_record(model_admin, request, enrollment: Enrollment) -> dict:
    """The template context of the page's record (header, buttons, timeline)."""
    mode, mode_note = _partner_mode(enrollment)
    allowed = model_admin.get_actions(request, action_location=ActionLocation.CHANGE_FORM)
    buttons = [b for b in _buttons(enrollment, mode) if b.action in allowed]
    certificate = getattr(enrollment, "certificate", None)  # reverse one-to-one
    error, error_then = _problem(enrollment)
    return {
        "enrollment": enrollment,
        "mode_note": mode_note,
        "buttons": buttons,
        "action_prefix": ActionLocation.CHANGE_FORM.value,
        "can_record_outcome": model_admin.has_change_permission(request, enrollment),
        "certificate": certificate,
        # Progress is as fresh as the partner's last word: an event or a sync.
        "heard_at": max(
            (t for t in (enrollment.last_event_at, enrollment.last_synced_at) if t), default=None
        ),
        "error": error,
        "error_then": error_then,
        "timeline": enrollment_timeline(enrollment),
        "links": {
            "student": _admin_link("enrollments_student", enrollment.student_id),
            "course": _admin_link("partners_partnercourse", enrollment.course_id),
            "partner": _admin_link("partners_partner", enrollment.partner_id),
            "cohort": _admin_link("enrollments_cohort", enrollment.cohort_id)
            if enrollment.cohort_id
            else "",
            "emails": reverse("admin:enrollments_studentemail_changelist") + f"?q={enrollment.pk}",
        },
    }


class EnrollmentRecordMixin:
    """For EnrollmentAdmin: the change page shows the record above the form, and the form
    keeps only what staff may edit, the dates and the partner's raw record (folded)."""

    change_fieldsets = [
        (
            "What staff may change",
            {
                "fields": ["cohort", "funding_source", "promo_code"],
                "description": "Everything the partner reports (status, progress, score, "
                "certificate) changes only through the buttons above or Record outcome.",
            },
        ),
        (
            "Dates",
            {
                "classes": ["collapse"],
                "fields": [
                    "requested_at",
                    "submitted_at",
                    "started_at",
                    "completed_at",
                    "cancelled_at",
                    "last_event_at",
                    "last_synced_at",
                ],
            },
        ),
        (
            "As the partner has it",
            {
                "classes": ["collapse"],
                "fields": [
                    "external_enrollment_id",
                    "launch_url",
                    "attempts",
                    "next_attempt_at",
                    "last_error",
                    "partner_data",
                ],
            },
        ),
    ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        action = request.POST.get(f"{ActionLocation.CHANGE_FORM.value}-action")
        if (
            request.method == "POST"
            and object_id is not None
            and action in self.get_actions(request, action_location=ActionLocation.CHANGE_FORM)
        ):
            return self._page_action(request, object_id)
        # Anything else, a forged action of staff without the permission included, is
        # Django's: it refuses a POST from staff who may not change the enrollment.
        return super().changeform_view(request, object_id, form_url, extra_context)

    def _page_action(self, request, object_id):
        """A button of the record, run as Django runs a change-form action but outside
        the transaction Django opens around a change form's POST: the actions call the
        partner, and no database transaction may stay open across an HTTP call (on
        SQLite the embedded simulator, answering in another thread, could not write)."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if request.POST.getlist(ACTION_CHECKBOX_NAME) != [str(obj.pk)]:
            raise BadRequest("The action names another enrollment than this page's.")
        response = self.response_action(
            request, self.get_queryset(request), action_location=ActionLocation.CHANGE_FORM
        )
        return response or HttpResponseRedirect(request.get_full_path())

    def get_inlines(self, request, obj):
        inlines = super().get_inlines(request, obj)
        if obj is None or getattr(obj, "certificate", None) is None:
            return []  # the record says "none yet"; an empty heading would only puzzle
        return inlines

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None and obj.pk is not None:
            context["record"] = enrollment_record(self, request, obj)
            # The record's buttons replace Django's drop-down of the same actions.
            context["action_form"] = None
            context["show_save_and_add_another"] = False
            context["title"] = f"Enrollment #{obj.pk}"
            context["subtitle"] = None  # the record says who and which course
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)
