import pytest
from django.core.management import call_command

from partners.config import (
    PartnerConfigurationError,
    partner_mode,
    partner_setting,
)
from partners.models import Partner, PartnerCourse
from partners.registry import REALISTIC_MODES


def test_catalogue_has_the_seven_partners_with_their_realistic_modes(catalogue):
    partners = {p.slug: p.mode for p in Partner.objects.all()}
    assert partners == {slug: str(mode) for slug, mode in REALISTIC_MODES.items()}
    assert partners == {
        "hsi": "manual",
        "certiport": "roster",
        "careersafe": "roster",
        "milady": "roster",
        "jri": "manual",
        "nrf": "roster",
        "nds": "manual",
    }


def test_catalogue_has_realistic_courses_for_every_partner(catalogue):
    assert PartnerCourse.objects.count() >= 30
    for partner in Partner.objects.all():
        courses = partner.courses.all()
        assert courses.count() >= 3, partner.slug
        for course in courses:
            assert course.code and course.title and course.credential_name
            assert course.retail_price >= course.wholesale_cost >= 0
    hsi_validity = set(
        Partner.objects.get(slug="hsi").courses.values_list("validity_months", flat=True)
    )
    assert hsi_validity <= {12, 24}
    assert set(
        Partner.objects.get(slug="nrf").courses.values_list("validity_months", flat=True)
    ) == {36}
    assert PartnerCourse.objects.filter(partner__slug="hsi", code__contains="RSV").exists()
    assert PartnerCourse.objects.filter(partner__slug="certiport", needs_voucher=True).count() >= 5


def test_loading_the_catalogue_again_keeps_staff_changes(catalogue):
    course = PartnerCourse.objects.get(code="MO-210")
    course.retail_price = 999
    course.save()
    Partner.objects.filter(slug="hsi").update(mode="api")

    call_command("load_catalogue", verbosity=0)

    assert PartnerCourse.objects.count() == len(
        set(PartnerCourse.objects.values_list("partner", "code"))
    )
    assert PartnerCourse.objects.get(code="MO-210").retail_price == 999
    assert Partner.objects.get(slug="hsi").mode == "api"


def test_mode_in_force(settings, monkeypatch):
    realistic = REALISTIC_MODES["certiport"]
    settings.PARTNER_SIMULATOR = True
    assert partner_mode("certiport", realistic) == "api"
    settings.PARTNER_SIMULATOR = False
    assert partner_mode("certiport", realistic) == "roster"
    assert partner_mode("certiport", default="manual") == "manual"
    monkeypatch.setenv("CERTIPORT_MODE", "API")
    assert partner_mode("certiport", realistic) == "api"
    monkeypatch.setenv("CERTIPORT_MODE", "carrier-pigeon")
    with pytest.raises(PartnerConfigurationError, match="CERTIPORT_MODE"):
        partner_mode("certiport", realistic)


def test_missing_partner_setting_names_the_variable(monkeypatch):
    monkeypatch.delenv("NDS_API_KEY", raising=False)
    with pytest.raises(PartnerConfigurationError, match="NDS_API_KEY"):
        partner_setting("nds", "api_key")
    assert partner_setting("nds", "api_key", default="") == ""
    monkeypatch.setenv("NDS_TIMEOUT", "12")
    assert partner_setting("nds", "timeout", cast=int) == 12
    monkeypatch.setenv("NDS_TIMEOUT", "soon")
    with pytest.raises(PartnerConfigurationError, match="NDS_TIMEOUT"):
        partner_setting("nds", "timeout", cast=int)
