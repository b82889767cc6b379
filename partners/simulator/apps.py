from django.apps import AppConfig


class SimulatorConfig(AppConfig):
    name = "partners.simulator"
    label = "simulator"
    verbose_name = "Partner simulator"

    def ready(self) -> None:
        from partners.simulator import checks  # noqa: F401  (registers the system checks)
