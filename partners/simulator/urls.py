from django.urls import path, re_path

from partners.simulator import views

app_name = "simulator"

urlpatterns = [
    path("<slug:slug>/play/", views.player, name="player"),
    re_path(r"^(?P<slug>[a-z0-9-]+)/(?P<path>.+)$", views.partner_api, name="api"),
]
