from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404

from enrollments.models import Enrollment
from enrollments.services import EnrollmentError, enrollment_launch_url
from enrollments.services.notifications import LAUNCH_SALT
from partners.errors import PartnerError

# A launch link in an e-mail is good for as long as a course usually takes.
LAUNCH_LINK_MAX_AGE = 180 * 24 * 3600


def launch(request: HttpRequest, token: str) -> HttpResponse:
    """The lasting link from a student's e-mail: get a fresh partner sign-in URL, go there."""
    try:
        claims = signing.loads(token, salt=LAUNCH_SALT, max_age=LAUNCH_LINK_MAX_AGE)
    except signing.BadSignature:
        return HttpResponse(
            "This link is invalid or has expired. Ask your coordinator for a new one.", status=403
        )
    enrollment = get_object_or_404(
        Enrollment.objects.select_related("partner", "student"), pk=claims["e"]
    )
    try:
        launch_result = enrollment_launch_url(enrollment=enrollment)
    except (EnrollmentError, PartnerError) as exc:
        return HttpResponse(
            f"The course cannot be opened right now ({exc}). Please try again in a few minutes.",
            status=503 if isinstance(exc, PartnerError) else 409,
            content_type="text/plain",
        )
    return HttpResponseRedirect(launch_result.url)
