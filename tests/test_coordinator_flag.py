"""User.is_city_coordinator follows guardian's coordinate_city rows, whatever writes them."""

import pytest
from guardian.shortcuts import assign_perm, remove_perm

from stakeholders.models import User
from stakeholders.roles import (
    COORDINATE_CITY,
    grant_coordinator,
    revoke_coordinator,
    sync_coordinator_flags,
)
from stakeholders.tasks import resync_coordinator_flags
from tests import factories

pytestmark = pytest.mark.django_db


def _flag(user) -> bool:
    return User.objects.values_list("is_city_coordinator", flat=True).get(pk=user.pk)


def test_granting_and_revoking_set_the_flag(city, other_city):
    account = factories.user()
    assert not _flag(account)
    grant_coordinator(city=city, user=account)
    grant_coordinator(city=other_city, user=account)
    assert _flag(account)
    revoke_coordinator(city=city, user=account)
    assert _flag(account), "still coordinates the other city"
    revoke_coordinator(city=other_city, user=account)
    assert not _flag(account)


def test_guardian_calls_and_cascades_keep_it(city):
    account = factories.user()
    assign_perm(COORDINATE_CITY, account, city)
    assert _flag(account)
    remove_perm(COORDINATE_CITY, account, city)
    assert not _flag(account)
    assign_perm(COORDINATE_CITY, account, city)
    city.delete()  # the permission row goes with the city
    assert not _flag(account)


def test_other_permissions_do_not_make_a_coordinator(city):
    account = factories.user()
    assign_perm("stakeholders.view_city", account, city)
    assert not _flag(account)


def test_the_nightly_resync_corrects_a_flag_a_bulk_write_left(city, caplog):
    coordinator = factories.coordinator(city)
    member = factories.user()
    # As a bulk write that skipped the signals would leave them.
    User.objects.filter(pk=coordinator.pk).update(is_city_coordinator=False)
    User.objects.filter(pk=member.pk).update(is_city_coordinator=True)
    assert resync_coordinator_flags() == 2
    assert _flag(coordinator) and not _flag(member)
    assert sync_coordinator_flags() == 0
