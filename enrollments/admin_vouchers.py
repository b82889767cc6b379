"""Voucher stock in the admin: bulk add (preview, then confirm) and the stock page.

Both views only call enrollments/services/vouchers.py. Bulk add needs
`enrollments.add_voucher` (staff without it see no button and a POST is refused); the
stock page needs to be able to view vouchers.
"""

from __future__ import annotations

from itertools import groupby

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from enrollments.services.vouchers import (
    EXPIRING_DAYS,
    MAX_BATCH,
    VoucherBatchError,
    expiry_of_date,
    voucher_stock,
    vouchers_add,
    vouchers_preview,
)
from partners.models import Partner, PartnerCourse

MAX_UPLOAD_BYTES = 1024 * 1024
REPORTED_LINES = 20  # bad lines listed in the message after a confirm (the preview shows all)


class VoucherBulkAddForm(forms.Form):
    partner = forms.ModelChoiceField(queryset=Partner.objects.order_by("name"))
    course = forms.ModelChoiceField(
        queryset=PartnerCourse.objects.select_related("partner").order_by("partner__name", "code"),
        required=False,
        help_text="Empty: good for any of the partner's courses. A line's course column wins.",
    )
    codes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10, "cols": 60}),
        required=False,
        help_text=(
            "One code a line, or CSV with the columns code[,cost][,expires_at][,course] "
            "(a header row names them in any order). Dates: YYYY-MM-DD or MM/DD/YYYY, good "
            "through that day."
        ),
    )
    file = forms.FileField(
        required=False, help_text="Or a .csv or .txt file in the same format (at most 1 MiB)."
    )
    count = forms.IntegerField(
        min_value=1,
        max_value=MAX_BATCH,
        required=False,
        label="Or this many code-less credits or seats",
    )
    cost = forms.DecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text="Each. Needed for credits; for codes, a line's cost column wins.",
    )
    expires_on = forms.DateField(
        required=False, help_text="Good through this day. Empty: no expiry."
    )
    batch = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload:
            if data.get("codes", "").strip():
                raise forms.ValidationError("Paste codes or upload a file, not both.")
            if upload.size > MAX_UPLOAD_BYTES:
                raise forms.ValidationError("The file is over 1 MiB: split it.")
            try:
                data["codes"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError(
                    "The file is not text (a UTF-8 CSV, or one code a line)."
                ) from None
        has_codes = bool(data.get("codes", "").strip())
        if has_codes == (data.get("count") is not None):
            raise forms.ValidationError(
                "Give codes (pasted or in a file) or a number of credits, one of the two."
            )
        course, partner = data.get("course"), data.get("partner")
        if course and partner and course.partner_id != partner.pk:
            self.add_error("course", f"{course.code} is not in {partner.name}'s catalogue.")
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        args = {
            "partner": data["partner"],
            "course": data["course"],
            "cost": data["cost"],
            "expires_at": expiry_of_date(data["expires_on"]) if data["expires_on"] else None,
            "batch": data["batch"] or None,
        }
        if data["count"] is not None:
            return args | {"count": data["count"]}
        return args | {"codes": data["codes"]}


class VoucherStockMixin:
    """For VoucherAdmin: the bulk add and stock pages, linked from the changelist."""

    change_list_template = "admin/enrollments/voucher/change_list.html"

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "batch", "added_by"]

    def get_urls(self):
        site = self.admin_site
        return [
            path(
                "bulk-add/",
                site.admin_view(self.bulk_add_view),
                name="enrollments_voucher_bulk_add",
            ),
            path("stock/", site.admin_view(self.stock_view), name="enrollments_voucher_stock"),
            *super().get_urls(),
        ]

    def bulk_add_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        preview = None
        if request.method == "POST":
            form = VoucherBulkAddForm(request.POST, request.FILES)
            if form.is_valid():
                try:
                    if "confirm" in request.POST:
                        result = vouchers_add(added_by=request.user, **form.service_arguments())
                        return self._added(request, result)
                    if "edit" not in request.POST:
                        preview = vouchers_preview(**form.service_arguments())
                        # The preview page posts the same answers back, the file's text
                        # included, with the batch reference that makes a confirm once-only.
                        data = request.POST.copy()
                        data["codes"] = form.cleaned_data["codes"] or ""
                        data["batch"] = preview.batch
                        form = VoucherBulkAddForm(data)
                        form.is_valid()
                except (ValueError, VoucherBatchError) as exc:
                    form.add_error(None, str(exc))
                    preview = None
        else:
            form = VoucherBulkAddForm()
        return TemplateResponse(
            request,
            "admin/enrollments/voucher/bulk_add.html",
            {
                **self.admin_site.each_context(request),
                "title": "Add vouchers, credits or seats in bulk",
                "opts": self.model._meta,
                "form": form,
                "preview": preview,
            },
        )

    def _added(self, request, result):
        messages.success(
            request,
            f"Added {result.added} voucher(s) to {result.partner.name} stock "
            f"(batch {result.batch}).",
        )
        rejected = result.rejected
        if rejected:
            listed = "; ".join(
                f"line {r.line} ({r.text}): {r.reason}" for r in rejected[:REPORTED_LINES]
            )
            more = len(rejected) - REPORTED_LINES
            messages.warning(
                request,
                f"{len(rejected)} line(s) not added: {listed}"
                + (f"; and {more} more" if more > 0 else ""),
            )
        changelist = reverse("admin:enrollments_voucher_changelist")
        return HttpResponseRedirect(f"{changelist}?batch={result.batch}")

    def stock_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        needing = set(
            PartnerCourse.objects.active()
            .filter(needs_voucher=True)
            .values_list("partner_id", flat=True)
        )
        partners = []
        for partner, rows in groupby(voucher_stock(), key=lambda row: row.partner):
            rows = list(rows)
            partners.append(
                {
                    "partner": partner,
                    "rows": rows,
                    "available": sum(r.available for r in rows),
                    "expiring_soon": sum(r.expiring_soon for r in rows),
                    "needs_vouchers": partner.pk in needing,
                }
            )
        return TemplateResponse(
            request,
            "admin/enrollments/voucher/stock.html",
            {
                **self.admin_site.each_context(request),
                "title": "Voucher stock",
                "opts": self.model._meta,
                "partners": partners,
                "minimum": settings.ALERT_VOUCHER_STOCK_MIN,
                "expiring_days": EXPIRING_DAYS,
                "can_add": self.has_add_permission(request),
            },
        )
