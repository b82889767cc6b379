from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from enrollments import views as enrollment_views
from monitoring.health import liveness_view, readiness_view, status_view
from monitoring.views import dashboard_view, metrics_view

admin.site.site_header = "Partner Hub"
admin.site.site_title = "Partner Hub"
admin.site.index_title = "Partners, students, enrollments and what every partner call did"

urlpatterns = [
    # First: partners' webhooks are the busiest path, and Django tries patterns in order.
    path("webhooks/", include("webhooks.urls")),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path(
        "admin/monitoring/dashboard/",
        admin.site.admin_view(dashboard_view),
        name="monitoring-dashboard",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include("enrollments.api.urls")),
    path("go/<str:token>/", enrollment_views.launch, name="enrollment-launch"),
    # Readiness at /health/ too, for load balancers configured before /health/ready/.
    path("health/", readiness_view, name="health"),
    path("health/live/", liveness_view, name="health-live"),
    path("health/ready/", readiness_view, name="health-ready"),
    path("health/status/", status_view, name="health-status"),
    path("metrics", metrics_view, name="metrics"),
]

# Never mounted in production unless forced for a demo (PARTNER_SIMULATOR_FORCE); settings
# already refuse it, and this holds even when PARTNER_SIMULATOR is overridden later.
if settings.PARTNER_SIMULATOR and (settings.DEBUG or settings.PARTNER_SIMULATOR_FORCE):
    urlpatterns.append(path("simulator/", include("partners.simulator.urls")))
