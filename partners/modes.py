"""How the organisation works with a partner (DESIGN.md §1). A leaf: it imports nothing of
the project, so the models, the configuration and the registry can all use it."""

from django.db import models


class ConnectionMode(models.TextChoices):
    API = "api", "API (adapter calls the partner)"
    ROSTER = "roster", "Roster (file export / results import)"
    MANUAL = "manual", "Manual (staff record outcomes)"
