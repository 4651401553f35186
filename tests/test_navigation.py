"""The main navigation: each role sees the links it may use, and the current page is marked."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def nav_links(response) -> dict[str, bool]:
    """Link text -> whether it is marked as the current page, from the main navigation."""
    nav = re.search(r'<ul class="nav">(.*?)</ul>', response.content.decode(), re.S).group(1)
    return {
        text: bool(current)
        for current, text in re.findall(r'<a href="[^"]+"( aria-current="page")?>([^<]+)</a>', nav)
    }


def test_network_staff_see_progress_reports_roles_and_the_audit_log(client, staff_user):
    client.force_login(staff_user)
    links = nav_links(client.get(reverse("progress_reports")))
    for text in ["All pilot cities", "Progress", "Reports", "Accounts and roles", "Audit log"]:
        assert text in links
    assert links["Reports"] is True
    assert links["All pilot cities"] is False


def test_coordinators_see_progress_but_not_the_audit_log(client, coordinator_user):
    client.force_login(coordinator_user)
    links = nav_links(client.get(reverse("home")))
    assert links["My city"] is True
    assert "Progress" in links and "Briefing requests" in links
    assert "Audit log" not in links and "Accounts and roles" not in links


def test_members_see_their_convenings_and_city_only(client, member, city):
    # `member` is the member's account.
    client.force_login(member)
    links = nav_links(client.get(reverse("training_modules")))
    assert links["Trainings"] is True
    assert {"My convenings", "My city", "Landscape briefings", "My account"} <= set(links)
    assert "Progress" not in links and "Reports" not in links
    body = client.get(reverse("home")).content.decode()
    assert reverse("city_detail", kwargs={"slug": city.slug}) in body
