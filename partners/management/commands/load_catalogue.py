from django.core.management.base import BaseCommand
from django.db import transaction

from partners.catalogue import COURSES, partner_rows
from partners.models import Partner, PartnerCourse


def load_catalogue() -> tuple[int, int]:
    """Create the registered partners (partners.registry, read now) and the shipped courses
    that are missing. Idempotent: existing rows keep whatever staff changed (mode, prices,
    active flags)."""
    created_partners = created_courses = 0
    with transaction.atomic():
        partners = {}
        for row in partner_rows():
            partner, created = Partner.objects.get_or_create(slug=row["slug"], defaults=row)
            partners[partner.slug] = partner
            created_partners += created
        for slug, code, title, credential, hours, cost, price, validity, voucher in COURSES:
            _, created = PartnerCourse.objects.get_or_create(
                partner=partners[slug],
                code=code,
                defaults={
                    "title": title,
                    "credential_name": credential,
                    "hours": hours,
                    "wholesale_cost": cost,
                    "retail_price": price,
                    "validity_months": validity,
                    "needs_voucher": voucher,
                },
            )
            created_courses += created
    return created_partners, created_courses


class Command(BaseCommand):
    help = "Load the registered partners and their course catalogue (idempotent)."

    def handle(self, *args, **options):
        partners, courses = load_catalogue()
        self.stdout.write(
            f"Catalogue: {partners} partner(s) and {courses} course(s) added; "
            f"{Partner.objects.count()} partners and "
            f"{PartnerCourse.objects.count()} courses in all."
        )
