"""The distribution's chunk statements stay cheap: found by primary key, rows as plain values.

During a distribution every claimed row sits in the ledger's partial index on sending rows
(the stuck check's); a chunk's statements must not read that index (outbox.ledger
SENDING_SQL says why), and must still only touch rows that are sending.
"""

import pytest
from django.core import mail
from django.utils import timezone

from briefings import distribution
from briefings.models import TLP, Delivery, DeliveryStatus
from briefings.services import briefing_publish
from tests import factories

Status = DeliveryStatus


@pytest.fixture
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def published(city, people: int):
    group = factories.group(city)
    for _ in range(people):
        factories.member(group, consent_to_contact=True, consent_recorded_at=timezone.now())
    briefing = factories.briefing(tlp=TLP.GREEN, groups=[group])
    briefing_publish(actor=factories.network_staff(), briefing_id=briefing.pk)
    return briefing


@pytest.mark.django_db
def test_still_sending_finds_only_sending_rows_and_never_reads_the_stuck_index(city):
    briefing = published(city, 4)
    claimed = distribution.deliveries_claim_due(limit=3)
    queued = list(
        Delivery.objects.filter(briefing=briefing, status=Status.QUEUED).values_list(
            "pk", flat=True
        )
    )
    rows = distribution.LEDGER.still_sending([*claimed, *queued])

    assert sorted(rows.values_list("pk", flat=True)) == sorted(claimed)
    assert "delivery_stuck_idx" not in rows.explain()


@pytest.mark.django_db
def test_a_chunk_reads_its_rows_as_plain_values_and_sends_each_once(city, locmem):
    briefing = published(city, 3)
    chunk = distribution.deliveries_claim_due()
    erased = Delivery.objects.get(pk=min(chunk))
    erased.person.delete()  # the ledger keeps the row, without its person

    rows = distribution._chunk_rows(chunk)

    assert [row.pk for row in rows] == sorted(chunk)
    assert rows[0].person is None and rows[0].person_id is None
    assert all(row.person.email and row.person.consent_to_contact for row in rows[1:])
    assert distribution.deliveries_send(delivery_ids=chunk) == 2
    assert distribution.deliveries_send(delivery_ids=chunk) == 0  # delivered again: none
    assert sorted(len(message.to) for message in mail.outbox) == [1, 1]
    assert dict(Delivery.objects.filter(briefing=briefing).values_list("status", "last_error")) == {
        Status.SENT: "",
        Status.SKIPPED: distribution.ERASED,
    }
