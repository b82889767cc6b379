"""Who may call what: the same model permissions the admin uses.

A token is not enough on its own: its user needs the model permission for the action
(`view_*` to read, `add_*` to create, `change_*` to edit or act on an enrollment).
Superusers have them all; a portal's service user gets them through a group. Being
`is_staff` grants nothing by itself, exactly as in the admin.
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

# The permission verb each HTTP method needs when the view names none for its action.
METHOD_VERBS = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


class HasModelPermission(BasePermission):
    """Authenticated and holding `<app>.<verb>_<model>` for the view's model.

    A view can name the verb of a custom action in `action_permissions`
    (e.g. `{"cancel": "change"}`): a POST that changes an enrollment is not an `add`.
    An anonymous caller is refused with 401 (DRF answers 401 when no authenticator
    succeeded), an authenticated one without the permission with 403.
    """

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if not hasattr(view, (request.method or "").lower()):
            return True  # no such operation: let DRF answer 405, not a misleading 403
        action = getattr(view, "action", None)
        verb = getattr(view, "action_permissions", {}).get(action) or METHOD_VERBS.get(
            request.method or "", "change"
        )
        meta = view.get_queryset().model._meta
        return user.has_perm(f"{meta.app_label}.{verb}_{meta.model_name}")
