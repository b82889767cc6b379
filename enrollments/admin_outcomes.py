"""Recording outcomes in the admin: one enrollment's page ("Record outcome") and a bulk
action for a selection ("mark these 12 completed on this date"). Both call
services.outcomes, which applies a MANUAL event through the one write path; the change
form itself shows every partner-derived field read-only.

Permission: `enrollments.change_enrollment`, what the API asks for acting on an
enrollment (admin_actions)."""

from __future__ import annotations

from datetime import datetime, time

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from enrollments.models import Enrollment
from enrollments.services.errors import EnrollmentError
from enrollments.services.outcomes import (
    Outcome,
    enrollment_record_outcome,
    enrollments_record_outcome,
)

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
PASSED_CHOICES = [("", "not reported"), ("yes", "passed"), ("no", "failed")]


class BulkOutcomeForm(forms.Form):
    """What one outcome for many says: completed (on a date), or progress, a score, a
    result. Certificates have a number each, so they are recorded one by one."""

    completed = forms.BooleanField(required=False, help_text="Completed the course.")
    completed_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="When they completed it (today if empty).",
    )
    progress_percent = forms.IntegerField(
        required=False, min_value=0, max_value=100, label="Progress (%)"
    )
    score = forms.DecimalField(required=False, min_value=0, max_digits=7, decimal_places=2)
    passed = forms.ChoiceField(choices=PASSED_CHOICES, required=False, label="Result")
    note = forms.CharField(required=False, max_length=200, help_text="Kept with the record.")

    def clean(self):
        data = super().clean()
        if data.get("passed") == "no" and data.get("completed"):
            raise forms.ValidationError("A failed result is not a completion.")
        if not any(
            data.get(name) not in (None, "", False)
            for name in ("completed", "progress_percent", "score", "passed")
        ):
            raise forms.ValidationError("Say what happened: completion, progress, score or result.")
        return data

    def outcome(self) -> Outcome:
        data = self.cleaned_data
        return Outcome(
            progress_percent=data.get("progress_percent"),
            completed=bool(data.get("completed")),
            completed_at=_at_noon(data.get("completed_on")),
            score=data.get("score"),
            passed={"yes": True, "no": False}.get(data.get("passed") or ""),
            certificate_number=data.get("certificate_number", ""),
            issued_at=_at_noon(data.get("issued_on")),
            expires_at=_at_noon(data.get("expires_on")),
            verification_url=data.get("verification_url", ""),
            note=data.get("note", ""),
        )


class OutcomeForm(BulkOutcomeForm):
    """One enrollment: all of the above, and the certificate with its PDF."""

    certificate_number = forms.CharField(required=False, max_length=128)
    issued_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    expires_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Empty: the course's validity decides.",
    )
    verification_url = forms.URLField(
        required=False, max_length=1000, assume_scheme="https", label="Verification URL"
    )
    evidence = forms.FileField(
        required=False, help_text="The certificate or card as a PDF (10 MB at most)."
    )

    def clean_evidence(self):
        evidence = self.cleaned_data.get("evidence")
        if evidence is None:
            return None
        if evidence.size > EVIDENCE_MAX_BYTES:
            raise forms.ValidationError("The file is over 10 MB.")
        if not evidence.read(5).startswith(b"%PDF-"):
            raise forms.ValidationError("The evidence must be a PDF file.")
        evidence.seek(0)
        return evidence

    def clean(self):
        data = forms.Form.clean(self)
        if data.get("certificate_number"):
            if data.get("passed") == "no":
                raise forms.ValidationError("A failed result earns no certificate.")
            return data
        if data.get("evidence"):
            raise forms.ValidationError("Evidence is kept with a certificate: give its number.")
        return super().clean()


def _at_noon(day) -> datetime | None:
    # A date staff type means that day where the organisation is: noon keeps it that day
    # in every time zone an admin is likely to view it from.
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time(12)))


def record_outcome_view(modeladmin, request, object_id: str):
    """The "Record outcome" page of one enrollment."""
    enrollment = get_object_or_404(
        Enrollment.objects.select_related("student", "course", "partner"), pk=object_id
    )
    if not modeladmin.has_change_permission(request, enrollment):
        raise PermissionDenied
    change_url = reverse("admin:enrollments_enrollment_change", args=[enrollment.pk])
    if request.method == "POST":
        form = OutcomeForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                result = enrollment_record_outcome(
                    enrollment=enrollment,
                    outcome=form.outcome(),
                    recorded_by_id=request.user.pk,
                    evidence=form.cleaned_data.get("evidence"),
                )
            except EnrollmentError as exc:
                form.add_error(None, str(exc))
            else:
                modeladmin.message_user(request, _said(result), messages.SUCCESS)
                return HttpResponseRedirect(change_url)
    else:
        form = OutcomeForm()
    return TemplateResponse(
        request,
        "admin/enrollments/record_outcome.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": f"Record an outcome: {enrollment}",
            "opts": modeladmin.model._meta,
            "original": enrollment,
            "enrollments": [enrollment],
            "form": form,
            "change_url": change_url,
            "multipart": True,
        },
    )


@admin.action(description="Record an outcome for the selected enrollments", permissions=["change"])
def record_outcome(modeladmin, request, queryset):
    """The intermediate page: one outcome, then one summary with each refusal."""
    enrollments = list(queryset.select_related("student", "course", "partner"))
    if "apply" in request.POST:
        form = BulkOutcomeForm(request.POST)
        if form.is_valid():
            done = enrollments_record_outcome(
                enrollments=enrollments, outcome=form.outcome(), recorded_by_id=request.user.pk
            )
            refused = [(e, error) for e, _, error in done if error]
            recorded = len(done) - len(refused)
            message = f"Outcome recorded for {recorded} of {len(done)} enrollment(s)."
            if refused:
                modeladmin.message_user(
                    request,
                    format_html(
                        "{} Not recorded: {}",
                        message,
                        format_html_join(
                            "; ",
                            '<a href="{}">#{}</a> ({})',
                            (
                                (
                                    reverse("admin:enrollments_enrollment_change", args=[e.pk]),
                                    e.pk,
                                    error,
                                )
                                for e, error in refused
                            ),
                        ),
                    ),
                    messages.WARNING,
                )
            else:
                modeladmin.message_user(request, message, messages.SUCCESS)
            return HttpResponseRedirect(request.get_full_path())
    else:
        form = BulkOutcomeForm()
    return TemplateResponse(
        request,
        "admin/enrollments/record_outcome.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": f"Record one outcome for {len(enrollments)} enrollment(s)",
            "opts": modeladmin.model._meta,
            "enrollments": enrollments,
            "form": form,
            "action": "record_outcome",
            "selected": [e.pk for e in enrollments],
        },
    )


def _said(result) -> str:
    if result.ignored:
        return f"Recorded, and nothing changed: {result.ignored}."
    if not result.changed:
        return "Recorded; it changed nothing (the enrollment already says so)."
    names = ", ".join(name.replace("_", " ") for name in result.changes if name != "updated_at")
    return f"Outcome recorded: {names}."
