"""The network coverage table's rows, written in Python (trainings/coverage_rows.py), read
exactly as the template loop they replace wrote them; and the one PostgreSQL counting query
(`coverage_selectors._counts_sql`) counts exactly what the ORM's two queries count.
"""

from datetime import timedelta

import pytest
from django.template import engines

from stakeholders.models import Leg
from tests import factories, test_training_coverage
from tests.test_training_coverage import TODAY, complete
from trainings import coverage_selectors as selectors
from trainings.coverage_rows import bar, render_city_rows
from workinggroups.models import Convening, ConveningStatus, Membership

pytestmark = pytest.mark.django_db

# The coverage tests' three modules: the same fixture, under its name.
catalogue = test_training_coverage.catalogue

# The loop templates/trainings/coverage/network.html had, as it was, with the rows the view
# built for it: what the Python rows must write, byte for byte.
TEMPLATE_ROWS = """{% load i18n %}{% for row in rows %}
    <tr><th scope="row"><a href="{% url 'city_training_coverage' slug=row.city.slug %}">{{ row.city.name }}</a><br><span class="meta">{{ row.city.state }}</span></th>
      {% for leg in row.coverage.legs %}<td>{% if leg.members %}{% include "trainings/coverage/_bar.html" with current=leg.share due=0 %} <span class="coverage-numbers">{% blocktranslate with trained=leg.trained members=leg.members share=leg.share %}{{ trained }} of {{ members }} ({{ share }}%){% endblocktranslate %}</span>{% if leg.lags %} <strong class="flag">{% translate "lags" %}</strong>{% endif %}{% else %}{% translate "no members" %}{% endif %}</td>{% endfor %}
      <td>{% if row.lagging %}<ul class="plain">{% for item in row.lagging %}<li><strong>{{ item.leg.label }}:</strong> {{ item.why }}</li>{% endfor %}</ul>{% elif not row.coverage.foundational_count %}{% translate "no foundational module yet" %}{% else %}{% translate "none" %}{% endif %}</td></tr>
  {% endfor %}"""  # noqa: E501 - the template's own lines

BAR_TEMPLATE = '{% include "trainings/coverage/_bar.html" %}'


def template_rows(cities, coverage) -> str:
    rows = [
        {
            "city": city,
            "coverage": coverage[city.pk],
            "lagging": [
                {"leg": leg, "why": selectors.lag_sentence(leg, coverage[city.pk])}
                for leg in coverage[city.pk].lagging_legs
            ],
        }
        for city in cities
    ]
    return engines["django"].from_string(TEMPLATE_ROWS).render({"rows": rows})


def python_rows(cities, coverage) -> str:
    # The template has the loop's leading and trailing text around `{{ city_rows }}`.
    return str(render_city_rows(cities, coverage))


@pytest.fixture
def cities(catalogue):
    """Cities that between them write every kind of cell: lagging legs for each reason,
    legs without members, completions due for a refresher, a city with no member at all,
    and a name, state and slug that need escaping or not."""
    landscape, roles = catalogue["landscape"], catalogue["roles"]
    long_ago = TODAY - timedelta(days=800)

    # Community all trained (one due for a refresher); law enforcement none; city staff
    # one of three; mayor and council: no members. A person in two groups counts once.
    mixed = factories.city("Las Cruces")
    llg, cpt = factories.group(mixed), factories.group(mixed, kind="cpt", name="CPT")
    for n in range(3):
        person = factories.member(llg, Leg.COMMUNITY)
        complete(person, landscape, long_ago if n == 0 else TODAY)
        complete(person, roles)
        if n == 0:
            Membership.objects.create(group=cpt, person=person)
    for _ in range(2):
        factories.member(cpt, Leg.LAW_ENFORCEMENT)
    staff = [factories.member(llg, Leg.CITY_STAFF) for _ in range(3)]
    complete(staff[0], landscape)
    complete(staff[0], roles)
    complete(staff[1], landscape, long_ago)

    # A held training session brings in the quarter floor: 1 of 5 trained is under it.
    floor = factories.city(
        'Santa Fe & "Sons" <Tesuque>', state="New <Mexico> & 'co'", slug="santa-fe_2"
    )
    group = factories.group(floor)
    factories.convening(
        group,
        kind=Convening.Kind.TRAINING,
        status=ConveningStatus.HELD,
        days_from_now=-30,
    )
    for leg in Leg:
        people = [factories.member(group, leg) for _ in range(5)]
        complete(people[0], landscape)
        complete(people[0], roles)
        if leg == Leg.MAYOR_COUNCIL:
            for person in people[1:]:
                complete(person, landscape)
                complete(person, roles)

    # Every leg trained: nothing lags.
    balanced = factories.city("Roswell")
    group = factories.group(balanced)
    for leg in Leg:
        person = factories.member(group, leg)
        complete(person, landscape)
        complete(person, roles, long_ago)
        complete(person, catalogue["elective"])

    empty = factories.city("Zuni")  # no working group, no member
    factories.group(empty)
    return [mixed, floor, balanced, empty]


def test_the_python_rows_are_the_template_rows(cities):
    coverage = selectors.coverage_for_cities(
        [city.pk for city in cities], today=TODAY, foundational_only=True
    )
    # Every kind of cell is there, or the comparison would prove less than it says.
    reasons = {reason for c in coverage.values() for leg in c.legs for reason in leg.reasons}
    assert reasons == {
        selectors.NONE_TRAINED,
        selectors.BELOW_HALF_OF_BEST,
        selectors.BELOW_FLOOR_AFTER_SESSION,
    }
    assert any(not c.lagging_legs and c.members for c in coverage.values())
    assert any(not c.members for c in coverage.values())

    written = python_rows(cities, coverage)

    assert written == template_rows(cities, coverage)
    assert "Santa Fe &amp; &quot;Sons&quot; &lt;Tesuque&gt;" in written
    assert "New &lt;Mexico&gt; &amp; &#x27;co&#x27;" in written


def test_the_python_rows_say_when_no_module_is_foundational(cities, catalogue):
    for item in catalogue.values():
        item.is_foundational = False
        item.save()
    coverage = selectors.coverage_for_cities([city.pk for city in cities], today=TODAY)

    written = python_rows(cities, coverage)

    assert written == template_rows(cities, coverage)
    assert written.count("no foundational module yet") == len(cities)


def test_no_city_writes_no_row():
    assert python_rows([], {}) == template_rows([], {}) == ""


@pytest.mark.parametrize("current,due", [(0, 0), (40, 0), (0, 25), (40, 35), (100, 0)])
def test_the_bar_is_the_templates(current, due):
    template = engines["django"].from_string(BAR_TEMPLATE)
    assert bar(current, due) == template.render({"current": current, "due": due})


def test_the_network_page_writes_the_rows(client, cities):
    client.force_login(factories.network_staff())

    page = client.get("/trainings/coverage/").content.decode()

    coverage = selectors.coverage_for_cities([city.pk for city in cities], foundational_only=True)
    ordered = sorted(cities, key=lambda city: (city.name, city.pk))
    assert f"<tbody>\n  {template_rows(ordered, coverage)}\n  </tbody>" in page


@pytest.mark.parametrize("foundational_only", [True, False])
def test_the_counting_query_counts_what_the_orm_counts(cities, monkeypatch, foundational_only):
    ids = [city.pk for city in cities]
    for today in (TODAY, TODAY + timedelta(days=400)):  # later, more are due a refresher
        counted = selectors.coverage_for_cities(
            ids, today=today, foundational_only=foundational_only
        )
        with monkeypatch.context() as patched:
            patched.setattr(selectors, "_counts", selectors._counts_orm)
            by_orm = selectors.coverage_for_cities(
                ids, today=today, foundational_only=foundational_only
            )

        assert counted == by_orm
    due = [cell.due for c in counted.values() for row in c.modules for cell in row.cells]
    assert any(due)
