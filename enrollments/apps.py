from django.apps import AppConfig


class EnrollmentsConfig(AppConfig):
    name = "enrollments"
    verbose_name = "Students and enrollments"
