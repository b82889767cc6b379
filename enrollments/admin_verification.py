"""Credential checks in the Certificate admin: the "Check credentials" action and the
column that shows what the last check found.

The action asks for `enrollments.change_certificate`: a check writes the certificate's
verification fields, which is changing it. It calls the bulk service once and ends with
one message counting each result; each certificate's own note says why.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html

from enrollments.models import Certificate, VerificationStatus
from enrollments.services.verification import certificates_verify

# Results a person has to act on: the message is a warning when any is among them.
NEEDS_A_PERSON = (
    VerificationStatus.REVOKED,
    VerificationStatus.EXPIRED,
    VerificationStatus.MISMATCH,
    VerificationStatus.RECORDED,
    VerificationStatus.FAILED,
)
NOTE_CHARS = 80


@admin.action(description="Check credentials", permissions=["change"])
def check_credentials(modeladmin, request, queryset):
    summary = certificates_verify(queryset)
    attention = any(summary.counts[status] for status in NEEDS_A_PERSON)
    modeladmin.message_user(
        request,
        str(summary) + (" See each certificate's verification note." if attention else ""),
        messages.WARNING if attention else messages.SUCCESS,
    )


class CertificateVerificationMixin:
    """For CertificateAdmin: the last check in one list column."""

    @admin.display(description="verification", ordering="verification_status")
    def verification(self, obj: Certificate) -> str:
        if obj.verification_checked_at is None:
            return obj.get_verification_status_display()
        note = obj.verification_note
        if len(note) > NOTE_CHARS:
            note = note[:NOTE_CHARS] + "…"
        return format_html(
            '{}<br><small title="{}">{} · {}</small>',
            obj.get_verification_status_display(),
            obj.verification_note,
            timezone.localtime(obj.verification_checked_at).strftime("%Y-%m-%d %H:%M"),
            note,
        )
