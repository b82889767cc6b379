from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = "Partners and catalogue"

    def ready(self) -> None:
        from partners import checks  # noqa: F401  (registers the system checks)
