"""Every admin page opens (200) for a superuser, with a row of every registered model.

The pages are discovered, not listed: every ModelAdmin in `admin.site._registry` (the
simulator's, Django's and DRF's included), every URL a ModelAdmin adds in its own
`get_urls`, and every page mounted under /admin/ beside the admin site (the dashboard).
A model or page added later is covered without touching this file. Rendering a
changelist renders its action menu, which is where the simulator's page was a 500.
"""

import pytest
from django.contrib import admin
from django.contrib.admin.sites import AdminSite
from django.contrib.auth.models import User
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from tests.admin_rows import make_row

REGISTRY = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
STANDARD_MODEL_VIEWS = {"changelist", "add", "history", "delete", "change"}


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def every_model_has_a_row(db):
    for model, _ in REGISTRY:
        if not model._default_manager.exists():
            make_row(model)


@pytest.mark.parametrize(
    ("model", "model_admin"), REGISTRY, ids=lambda x: getattr(x, "__name__", "")
)
def test_every_admin_page_opens(admin_client, every_model_has_a_row, model, model_admin):
    obj = model._default_manager.order_by("pk").first()
    pk = obj.pk

    changelist = admin_client.get(admin_url(model, "changelist"))
    assert changelist.status_code == 200
    assert admin_client.get(admin_url(model, "change", pk)).status_code == 200
    assert admin_client.get(admin_url(model, "history", pk)).status_code == 200

    add = admin_client.get(admin_url(model, "add"))
    allowed = model_admin.has_add_permission(add.wsgi_request)
    assert add.status_code == (200 if allowed else 403)
    delete = admin_client.get(admin_url(model, "delete", pk))
    allowed = model_admin.has_delete_permission(delete.wsgi_request, obj)
    assert delete.status_code == (200 if allowed else 403)


def test_the_admin_index_and_every_app_index_open(admin_client, every_model_has_a_row):
    assert admin_client.get(reverse("admin:index")).status_code == 200
    for app_label in sorted({model._meta.app_label for model, _ in REGISTRY}):
        page = admin_client.get(reverse("admin:app_list", args=[app_label]))
        assert page.status_code == 200, app_label


def custom_admin_paths() -> list[str]:
    """Every page under /admin/ that is not one of Django's own model or site pages; a
    ModelAdmin's own page that takes an object id gets its model's first row."""
    paths = []
    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLResolver) and pattern.app_name == "admin":
            continue
        if str(pattern.pattern).startswith("admin/"):
            paths.append(path_of(pattern))
    for model, model_admin in REGISTRY:
        prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
        for pattern in model_admin.get_urls():
            name = getattr(pattern, "name", None)
            if name and name.removeprefix(prefix) not in STANDARD_MODEL_VIEWS:
                pk = model._default_manager.order_by("pk").first().pk
                paths.append(path_of(pattern, *([pk] if pattern.pattern.regex.groups else [])))
    # An empty AdminSite has every site page but the app index (tested above).
    site_views = {p.name for p in AdminSite().get_urls() if isinstance(p, URLPattern)}
    site_views.add("app_list")
    for pattern in admin.site.get_urls():
        if isinstance(pattern, URLPattern) and pattern.name and pattern.name not in site_views:
            paths.append(path_of(pattern))
    return paths


def path_of(pattern, *args) -> str:
    assert isinstance(pattern, URLPattern) and pattern.pattern.regex.groups == len(args), (
        f"{pattern} takes other arguments: give this test a way to build its URL"
    )
    if pattern.name is None:
        return f"/{pattern.pattern}"
    try:
        return reverse(pattern.name, args=args)
    except NoReverseMatch:
        return reverse(f"admin:{pattern.name}", args=args)


def test_the_custom_admin_pages_are_found(every_model_has_a_row):
    paths = custom_admin_paths()
    user = User.objects.order_by("pk").first()
    assert "/admin/monitoring/dashboard/" in paths
    assert f"/admin/auth/user/{user.pk}/password/" in paths


def test_every_custom_admin_page_opens(admin_client, every_model_has_a_row):
    for path in custom_admin_paths():
        assert admin_client.get(path).status_code == 200, path
