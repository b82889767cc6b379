"""Mounted at /api/v1/ by config.urls."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from enrollments.api import views
from enrollments.api.docs import SwaggerView

app_name = "api-v1"

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("partners", views.PartnerViewSet, basename="partner")
router.register("courses", views.CourseViewSet, basename="course")
router.register("students", views.StudentViewSet, basename="student")
router.register("enrollments", views.EnrollmentViewSet, basename="enrollment")
router.register("certificates", views.CertificateViewSet, basename="certificate")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(), name="docs"),
    *router.urls,
]
