"""Files exchanged with partners that have no API: roster files we send, result reports we
receive. Each is kept whole (who, when, the file, what it did) so it can be downloaded and
explained again later."""

from django.conf import settings
from django.db import models

from enrollments.models.enrollment import Enrollment
from enrollments.models.students import Cohort
from partners.models import Partner


class FileFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (XLSX)"


class RosterExport(models.Model):
    """One roster file sent (or to be sent) to a partner: the open enrollments it holds
    became `submitted` when it was made."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="roster_exports")
    cohort = models.ForeignKey(
        Cohort, on_delete=models.SET_NULL, null=True, blank=True, related_name="roster_exports"
    )
    format = models.CharField(max_length=4, choices=FileFormat.choices, default=FileFormat.CSV)
    file = models.FileField(upload_to="rosters/%Y/%m/")
    enrollments = models.ManyToManyField(Enrollment, related_name="roster_exports", blank=True)
    row_count = models.PositiveIntegerField(default=0)
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        scope = f" ({self.cohort})" if self.cohort_id else ""
        return f"{self.partner} roster{scope} of {self.created_at:%Y-%m-%d %H:%M}"


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", "Previewed (nothing changed yet)"
    APPLIED = "applied", "Applied"
    REFUSED = "refused", "Refused (the file could not be read)"


class ResultImport(models.Model):
    """One result report received from a partner, read with one of its mappings. A preview
    changes nothing; applying turns its rows into IMPORT events."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="result_imports")
    mapping = models.CharField(max_length=60)
    file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED
    )
    # Why the whole file was refused (not CSV or XLSX, columns missing, too large).
    error = models.TextField(blank=True)
    # Rows per outcome, e.g. {"matched": 40, "unmatched": 1, "invalid": 1, "unchanged": 3}.
    counts = models.JSONField(default=dict, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.partner} results {self.original_name or self.pk} ({self.status})"


class RowOutcome(models.TextChoices):
    MATCHED = "matched", "Matched (changes the enrollment)"
    UNCHANGED = "unchanged", "Unchanged (nothing new)"
    UNMATCHED = "unmatched", "Unmatched (no enrollment found)"
    INVALID = "invalid", "Invalid"
    APPLIED = "applied", "Applied"
    IGNORED = "ignored", "Ignored"


class ResultImportRow(models.Model):
    """One row of a result report and what became of it."""

    result_import = models.ForeignKey(ResultImport, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField()
    data = models.JSONField(default=dict)
    outcome = models.CharField(max_length=10, choices=RowOutcome.choices)
    reason = models.TextField(blank=True)
    # The rule that found the enrollment: partner account id, e-mail, or name and course.
    matched_by = models.CharField(max_length=40, blank=True)
    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    event_id = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["result_import", "line"]
        constraints = [
            models.UniqueConstraint(
                fields=["result_import", "line"], name="result_import_row_line_unique"
            )
        ]
        indexes = [models.Index(fields=["result_import", "outcome"])]

    def __str__(self) -> str:
        return f"line {self.line}: {self.outcome}"
