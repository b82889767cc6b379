from django.urls import re_path

from webhooks.receiver import PartnerWebhookView

urlpatterns = [
    # Any slug (unknown ones get their 404 and delivery row from the view) and an
    # optional trailing slash: a partner's POST must never meet a redirect.
    re_path(r"^partners/(?P<slug>[^/]+)/?$", PartnerWebhookView.as_view(), name="partner-webhook"),
]
