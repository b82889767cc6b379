import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from enrollments.models import Certificate, Cohort, Enrollment, Student, Voucher, VoucherStatus


@pytest.mark.django_db
def test_demo_data_covers_every_state_and_is_idempotent(demo):
    counts = [m.objects.count() for m in (Student, Cohort, Enrollment, Certificate, Voucher)]
    statuses = set(Enrollment.objects.values_list("status", flat=True))
    assert statuses == {"requested", "submitted", "active", "completed", "failed", "cancelled"}
    assert Certificate.objects.count() == Enrollment.objects.filter(status="completed").count()
    assert Voucher.objects.filter(status=VoucherStatus.AVAILABLE).exists()
    assert Voucher.objects.filter(status=VoucherStatus.ASSIGNED).exists()
    assert Voucher.objects.filter(status=VoucherStatus.REDEEMED).exists()
    assert Cohort.objects.get().students.count() == 3

    call_command("seed_demo", stdout=io.StringIO())
    assert [
        m.objects.count() for m in (Student, Cohort, Enrollment, Certificate, Voucher)
    ] == counts


@pytest.mark.django_db
def test_ensure_admin_creates_one_login_and_prints_it_again(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    first = io.StringIO()
    call_command("ensure_admin", stdout=first)
    username, password = (tmp_path / "admin-credentials.txt").read_text().split("\n")[:2]
    assert f"as {username} / {password}" in first.getvalue()
    assert oct((tmp_path / "admin-credentials.txt").stat().st_mode)[-3:] == "600"

    second = io.StringIO()
    call_command("ensure_admin", stdout=second)
    assert get_user_model().objects.count() == 1
    assert f"as {username} / {password}" in second.getvalue()


@pytest.mark.django_db
def test_ensure_admin_leaves_existing_staff_alone(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    get_user_model().objects.create_user("maria", password="x", is_staff=True)
    out = io.StringIO()
    call_command("ensure_admin", stdout=out)
    assert get_user_model().objects.count() == 1
    assert "maria" in out.getvalue()


def test_demo_admin_login_works(client, demo, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    call_command("ensure_admin", stdout=io.StringIO())
    username, password = (tmp_path / "admin-credentials.txt").read_text().split("\n")[:2]
    response = client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}
    )
    assert response.status_code == 302
    page = client.get("/admin/enrollments/enrollment/")
    assert page.status_code == 200
    assert "DEMO-1001" in page.content.decode() or "Brooks" in page.content.decode()
