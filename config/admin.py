"""Admin pieces every app uses."""

from django.contrib import admin


class RecordAdmin(admin.ModelAdmin):
    """For rows that are records of what happened (request logs, deliveries, applied
    events, e-mails sent): viewable, never edited by hand; only a superuser deletes."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser
