"""Admin pieces every app uses: read-only records, long text cut to fit a list, and a
date filter that looks forward as well as back."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html


class RecordAdmin(admin.ModelAdmin):
    """For rows that are records of what happened (request logs, deliveries, applied
    events, e-mails sent): viewable, never edited by hand; only a superuser deletes."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser


def _attribute(obj: Model, path: str):
    for part in path.split("__"):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def truncated(
    path: str, width: int = 40, *, description: str | None = None, sortable: bool = True
) -> Callable[[Model], str]:
    """A list column showing `path` (a field, or `related__field`) cut to `width`
    characters, the whole text in its title (shown on hover), on one line. The list stays
    as wide as the screen; the detail page shows the text in full. `sortable=False` for a
    column with no index on a large table.

        list_display = ["created_at", truncated("error_message", 60, description="error")]
    """

    def column(obj: Model) -> str:
        value = _attribute(obj, path)
        text = "" if value is None else str(value)
        if not text:
            return "-"
        # One line: a multi-line error reads as one in a list.
        line = " ".join(text.split())
        shown = line if len(line) <= width else line[: width - 1].rstrip() + "…"
        return format_html('<span class="truncated" title="{}">{}</span>', text, shown)

    name = path.rsplit("__", 1)[-1]
    column.__name__ = f"{name}_truncated"
    return admin.display(
        description=description or name.replace("_", " "), ordering=path if sortable else None
    )(column)


# (key, label, days): negative days look back from now, positive ones ahead.
BACK = (
    ("past_24h", "last 24 hours", -1),
    ("past_7d", "last 7 days", -7),
    ("past_30d", "last 30 days", -30),
)
AHEAD = (
    ("next_7d", "next 7 days", 7),
    ("next_30d", "next 30 days", 30),
    ("next_90d", "next 90 days", 90),
)


def date_range_filter(
    field: str,
    title: str | None = None,
    *,
    ranges: Sequence[tuple[str, str, int]] = BACK,
    past: bool = False,
    empty: str | None = None,
) -> type[admin.SimpleListFilter]:
    """A list filter on a date or datetime field by ranges relative to now: `BACK`
    ("last 7 days", ...), `AHEAD` ("next 30 days", ...) or both (`BACK + AHEAD`).
    `past` adds "already passed" (for expiry dates), `empty` a choice for no date
    (its label, e.g. "never expires"). The parameter is `<field>_range`, so the field's
    own lookups (`<field>__gte=...`) still combine with it."""

    class DateRangeFilter(admin.SimpleListFilter):
        parameter_name = f"{field}_range"

        def __init__(self, request, params, model, model_admin):
            try:
                verbose = model._meta.get_field(field).verbose_name
            except FieldDoesNotExist:
                verbose = field.replace("_", " ")
            self.title = title or str(verbose)
            super().__init__(request, params, model, model_admin)

        def lookups(self, request, model_admin):
            choices = [(key, label) for key, label, _ in ranges]
            if past:
                choices.append(("passed", "already passed"))
            if empty:
                choices.append(("none", empty))
            return choices

        def queryset(self, request, queryset):
            value, now = self.value(), timezone.now()
            for key, _, days in ranges:
                if value == key:
                    bound = now + timedelta(days=days)
                    low, high = sorted([now, bound])
                    return queryset.filter(**{f"{field}__gte": low, f"{field}__lte": high})
            if value == "passed":
                return queryset.filter(**{f"{field}__lt": now})
            if value == "none":
                return queryset.filter(**{f"{field}__isnull": True})
            return queryset

    DateRangeFilter.__name__ = DateRangeFilter.__qualname__ = (
        f"{field.title().replace('_', '')}RangeFilter"
    )
    return DateRangeFilter


# The admin index in the order staff use it through the day; apps and models not named
# follow, alphabetically, as Django orders them.
APP_ORDER = ["enrollments", "monitoring", "webhooks", "partners", "simulator", "auth", "authtoken"]
MODEL_ORDER = {
    "enrollments": [
        "Student",
        "Enrollment",
        "Cohort",
        "Certificate",
        "Voucher",
        "StudentEmail",
        "PartnerAccount",
        "EnrollmentEvent",
    ],
    "monitoring": ["dashboard", "Alert", "PartnerRequestLog"],
    "webhooks": ["WebhookDelivery", "WebhookEvent"],
    "partners": ["Partner", "PartnerCourse"],
    "simulator": ["SimFault", "SimEnrollment", "SimAccount", "SimVoucher", "SimWebhook"],
}


def _rank(order: list[str], name: str) -> tuple[int, str]:
    return (order.index(name) if name in order else len(order), name)


class PartnerHubAdminSite(admin.AdminSite):
    """Django's admin site with the index ordered by daily use, and the monitoring
    dashboard listed in the Monitoring section (a page, not a model)."""

    site_header = "Partner Hub"
    site_title = "Partner Hub"
    index_title = "Partners, students, enrollments and what every partner call did"
    # The app list beside every page took a fifth of a 1366 px screen from the lists;
    # the breadcrumbs and the index lead everywhere.
    enable_nav_sidebar = False

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        for app in apps:
            if app["app_label"] == "monitoring" and request.user.has_perm(
                "monitoring.view_partnerrequestlog"
            ):
                app["models"].append(self._dashboard_entry())
            order = MODEL_ORDER.get(app["app_label"], [])
            app["models"].sort(key=lambda m: _rank(order, m["object_name"]))
        return sorted(apps, key=lambda app: _rank(APP_ORDER, app["app_label"]))

    @staticmethod
    def _dashboard_entry() -> dict:
        return {
            "name": "Partner dashboard",
            "object_name": "dashboard",
            "admin_url": reverse("monitoring-dashboard"),
            "add_url": None,
            "view_only": True,
            "perms": {"view": True},
        }
