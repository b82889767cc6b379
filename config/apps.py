from django.contrib.admin.apps import AdminConfig


class PartnerHubAdminConfig(AdminConfig):
    """django.contrib.admin with Partner Hub's site (config.admin.PartnerHubAdminSite)."""

    default_site = "config.admin.PartnerHubAdminSite"
