from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "Partner Hub"
admin.site.site_title = "Partner Hub"
admin.site.index_title = "Partners, students, enrollments and what every partner call did"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
]
