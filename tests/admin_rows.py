"""One row of any model registered in the admin, for tests that walk the whole admin.

The project's models come from tests/factories.py; this adds the simulator's and the ones
Django and DRF register (users, groups, tokens). A model registered later with no maker
here or in MAKERS fails `make_row` with its name, so the admin tests cannot skip it.
"""

import itertools
from datetime import timedelta

from django.contrib.auth.models import Group, User
from django.utils import timezone
from rest_framework.authtoken.models import Token, TokenProxy

from partners.simulator.models import SimAccount, SimEnrollment, SimFault, SimVoucher, SimWebhook
from tests.factories import MAKERS

_seq = itertools.count(1)


def make_sim_account() -> SimAccount:
    n = next(_seq)
    return SimAccount.objects.create(
        partner="hsi", external_id=f"SIM-ACC-{n}", email=f"sim{n}@example.org"
    )


def make_sim_enrollment() -> SimEnrollment:
    n = next(_seq)
    return SimEnrollment.objects.create(
        partner="hsi", external_id=f"SIM-ENR-{n}", account=make_sim_account(), course_code="CPR"
    )


def make_sim_voucher() -> SimVoucher:
    n = next(_seq)
    return SimVoucher.objects.create(
        partner="certiport",
        code=f"SIM-V-{n}",
        course_code="MOS-WORD",
        account=make_sim_account(),
        expires_at=timezone.now() + timedelta(days=30),
    )


def make_sim_fault() -> SimFault:
    return SimFault.objects.create(partner=f"sim{next(_seq)}", error_rate=0.5)


def make_sim_webhook() -> SimWebhook:
    n = next(_seq)
    return SimWebhook.objects.create(
        partner="hsi",
        webhook_id=f"msg_sim_{n}",
        event_type="progress.updated",
        url="http://testserver/webhooks/partners/hsi/",
        body={"type": "progress.updated"},
        response_status=200,
    )


def make_user() -> User:
    return User.objects.create_user(f"user{next(_seq)}", email="user@example.org")


def make_group() -> Group:
    return Group.objects.create(name=f"Group {next(_seq)}")


def make_token() -> TokenProxy:
    token = Token.objects.create(user=make_user())
    return TokenProxy.objects.get(pk=token.pk)


ADMIN_MAKERS = {
    **MAKERS,
    SimAccount: make_sim_account,
    SimEnrollment: make_sim_enrollment,
    SimVoucher: make_sim_voucher,
    SimFault: make_sim_fault,
    SimWebhook: make_sim_webhook,
    User: make_user,
    Group: make_group,
    TokenProxy: make_token,
}


def make_row(model):
    """A new row of `model`, made the way its tests make it."""
    if model not in ADMIN_MAKERS:
        raise AssertionError(
            f"{model._meta.label} is in the admin but has no row maker: add one to "
            "tests/factories.py MAKERS or tests/admin_rows.py ADMIN_MAKERS"
        )
    return ADMIN_MAKERS[model]()
