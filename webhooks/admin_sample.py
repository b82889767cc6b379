"""The Partner admin's "Send a test webhook" page (linked from the partner's change form):
a signed sample event through the receiver's service, then the delivery it left, with a
link to it (webhooks/sample_delivery.py).

It needs `webhooks.change_webhookevent`, as reprocessing events does: both make an event
be processed. Served under the deliveries' admin URLs because this app owns deliveries;
the partners app, which imports no other, only links to it by URL name.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from partners.models import Partner
from webhooks.sample_delivery import (
    DEFAULT_TYPE,
    SAMPLE_TYPES,
    SampleWebhookError,
    harmless_enrollment,
    sample_receive_in_process,
    sample_webhook,
)

PERMISSION = "webhooks.change_webhookevent"


class SampleWebhookForm(forms.Form):
    partner = forms.ModelChoiceField(
        queryset=Partner.objects.order_by("name"), to_field_name="slug", empty_label=None
    )
    event_type = forms.ChoiceField(
        label="Event type", choices=[(t, t) for t in SAMPLE_TYPES], initial=DEFAULT_TYPE
    )


def can_send_test_webhook(request: HttpRequest) -> bool:
    return request.user.has_perm(PERMISSION)


def send_test_webhook_view(request: HttpRequest) -> HttpResponse:
    """GET: the form (the partner from `?partner=<slug>`, as the partner page links it);
    POST: send, and show the delivery."""
    if not can_send_test_webhook(request):
        raise PermissionDenied
    if request.method == "POST":
        form = SampleWebhookForm(request.POST)
    else:
        form = SampleWebhookForm(initial={"partner": request.GET.get("partner", "")})
    slug = form.data.get("partner") if form.is_bound else form.initial["partner"]
    partner = Partner.objects.filter(slug=slug).first()
    context = {
        **admin.site.each_context(request),
        "title": f"Send a test webhook to {partner.name}" if partner else "Send a test webhook",
        "partner": partner,
        "opts": Partner._meta,
        "form": form,
        "real_enrollment": harmless_enrollment(partner.slug) if partner else None,
    }
    if form.is_bound and form.is_valid():
        try:
            sample = sample_webhook(
                form.cleaned_data["partner"].slug, event_type=form.cleaned_data["event_type"]
            )
        except SampleWebhookError as exc:
            context["error"] = str(exc)
        else:
            context["result"] = sample_receive_in_process(sample)
    return TemplateResponse(request, "admin/webhooks/send_test_webhook.html", context)
