from collections.abc import Callable

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

# What the organisation's student portal needs: read everything, create and change
# students and enrollments.
API_PERMISSIONS = [
    "partners.view_partner",
    "partners.view_partnercourse",
    "enrollments.view_student",
    "enrollments.add_student",
    "enrollments.change_student",
    "enrollments.view_enrollment",
    "enrollments.add_enrollment",
    "enrollments.change_enrollment",
    "enrollments.view_certificate",
]


def grant(user: User, *perms: str) -> None:
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


@pytest.fixture
def make_client(db) -> Callable[..., APIClient]:
    """A client authenticated by a fresh user's token, with the permissions given. Each
    token is new, so its throttle count starts at zero whatever ran before."""
    made = iter(range(1, 1000))

    def make(*perms: str, staff: bool = False) -> APIClient:
        user = User.objects.create_user(f"api-user-{next(made)}", is_staff=staff)
        grant(user, *perms)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        client.user = user
        return client

    return make


@pytest.fixture
def api(make_client) -> APIClient:
    """The portal: a token with every permission the API uses."""
    return make_client(*API_PERMISSIONS)


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()
