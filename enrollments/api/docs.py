"""Swagger UI served entirely by this server (no CDN, nothing fetched from elsewhere)."""

from __future__ import annotations

from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerView
from rest_framework.request import Request
from rest_framework.response import Response


class SwaggerView(SpectacularSwaggerView):
    """drf-spectacular's Swagger UI from the sidecar's static files (SWAGGER_UI_DIST), with
    the online validator turned off: Swagger UI otherwise shows a badge loaded from
    validator.swagger.io, which would also hand that site the schema's URL."""

    url_name = "api-v1:schema"

    @extend_schema(exclude=True)
    def get(self, request: Request, *args, **kwargs) -> Response:
        response = super().get(request, *args, **kwargs)
        ui_settings = spectacular_settings.SWAGGER_UI_SETTINGS
        if isinstance(ui_settings, dict):  # a str is raw JavaScript: left as configured
            response.data["settings"] = self._dump({**ui_settings, "validatorUrl": None})
        return response
