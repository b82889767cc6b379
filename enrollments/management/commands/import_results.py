"""manage.py import_results <slug> FILE [--mapping NAME] [--dry-run]"""

from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from enrollments.models import ImportStatus, ResultImport, RowOutcome
from enrollments.services.result_imports import result_import_apply, result_import_preview
from partners.models import Partner
from partners.reports import UnknownMapping

SHOWN = (RowOutcome.UNMATCHED, RowOutcome.INVALID, RowOutcome.IGNORED)
ORDER = ["matched", "applied", "unchanged", "ignored", "unmatched", "invalid"]


class Command(BaseCommand):
    help = (
        "Import a partner's result report (CSV or XLSX): preview every row (counts per "
        "outcome, and the rows not matched with why), then apply the matched rows as "
        "IMPORT events unless --dry-run. The import and its file are kept either way."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the partner, e.g. careersafe")
        parser.add_argument("file", help="the report, .csv or .xlsx")
        parser.add_argument("--mapping", default="", help="the report layout (default: the first)")
        parser.add_argument(
            "--dry-run", action="store_true", help="preview only: change no enrollment"
        )

    def handle(self, *args, slug, file, mapping, dry_run, **options):
        partner = Partner.objects.filter(slug=slug).first()
        if partner is None:
            known = ", ".join(Partner.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(f"Unknown partner {slug!r} (known: {known or 'none loaded'}).")
        path = Path(file)
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
        try:
            with handle:
                record = result_import_preview(
                    partner=partner,
                    file=File(handle, name=path.name),
                    mapping=mapping,
                    imported_by_id=None,
                )
        except UnknownMapping as exc:
            raise CommandError(str(exc)) from exc
        if record.status == ImportStatus.REFUSED:
            raise CommandError(f"Refused (import {record.pk} kept): {record.error}")
        self.stdout.write(f"Import {record.pk}: {partner.name}, {record.mapping}, {path.name}")
        self._table(record)
        if dry_run:
            self.stdout.write("Dry run: nothing applied (apply it from the admin, or run again).")
            return
        record = result_import_apply(record, applied_by_id=None)
        self.stdout.write("Applied:")
        self._table(record)

    def _table(self, record: ResultImport) -> None:
        counts = record.counts
        for outcome in sorted(counts, key=lambda o: ORDER.index(o) if o in ORDER else 99):
            self.stdout.write(f"  {outcome:<10} {counts[outcome]:>6}")
        shown = record.rows.filter(outcome__in=SHOWN).order_by("line")
        if shown:
            self.stdout.write(f"  {'line':>6}  {'outcome':<10} reason")
            for row in shown:
                self.stdout.write(f"  {row.line:>6}  {row.outcome:<10} {row.reason}")
