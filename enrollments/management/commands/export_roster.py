"""manage.py export_roster <slug> [--cohort ID] [--format csv|xlsx] [--output FILE]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from enrollments.models import Cohort
from enrollments.services.rosters import RosterExportError, roster_export
from partners.config import PartnerConfigurationError
from partners.models import Partner


class Command(BaseCommand):
    help = (
        "Export a roster-mode partner's requested enrollments (or one cohort's) as its "
        "roster file: the batch is kept (download it again from the admin) and those "
        "enrollments become submitted."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the partner, e.g. careersafe")
        parser.add_argument("--cohort", type=int, help="only this cohort's enrollments (its id)")
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument(
            "--output", help="also write the file here (the batch keeps its own copy)"
        )

    def handle(self, *args, slug, cohort, format, output, **options):
        partner = Partner.objects.filter(slug=slug).first()
        if partner is None:
            known = ", ".join(Partner.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(f"Unknown partner {slug!r} (known: {known or 'none loaded'}).")
        chosen = None
        if cohort is not None:
            chosen = Cohort.objects.filter(pk=cohort).first()
            if chosen is None:
                raise CommandError(f"No cohort with id {cohort}.")
        target = Path(output) if output else None
        if target is not None and not target.parent.is_dir():
            raise CommandError(f"{target.parent} is not a directory: nothing was exported.")
        try:
            batch = roster_export(partner=partner, cohort=chosen, format=format)
        except (RosterExportError, PartnerConfigurationError) as exc:
            raise CommandError(str(exc)) from exc
        where = _where(batch)
        self.stdout.write(
            f"Roster batch {batch.pk}: {batch.row_count} enrollment(s) of {partner.name} "
            f"now submitted; file {where}"
        )
        if target is not None:
            with batch.file.open("rb") as f:
                target.write_bytes(f.read())
            self.stdout.write(f"Written to {target}")


def _where(batch) -> str:
    """The stored file's path on disk, or its name in a storage without local paths."""
    try:
        return batch.file.path
    except NotImplementedError:  # S3 and the like
        return f"{batch.file.name} (in the media storage)"
