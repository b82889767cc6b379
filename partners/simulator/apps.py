from django.apps import AppConfig


class SimulatorConfig(AppConfig):
    name = "partners.simulator"
    label = "simulator"
    verbose_name = "Partner simulator"
