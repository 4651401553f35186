"""The send loop for any outbound ledger: a chunk of claimed rows over ONE SMTP connection.

At most once. Before anything is handed to SMTP, one conditional UPDATE raises `attempts`
for the whole chunk, but only on rows still sending that hold the value the task expects
(0, or what the `handed` map of a retry says), and returns the ids it raised. A task
delivered twice (the broker re-delivers after a crash, or a sweep re-enqueued a chunk)
therefore finds its rows already raised and sends none of them: each row goes to SMTP at
most once per known outcome. Rows sent are marked sent in one UPDATE when the chunk ends
(also when it ends early on an error).

The trade-off, chosen for throughput (a distribution to 50,000 people must come close to a
plain loop sending the same mails): the per-row database work is gone (two queries per
chunk instead of two per row), and what a killed worker leaves behind is the whole chunk
in hand, not one row. Its rows keep their raised count, are never picked up again, and are
reported by the stuck check as failed with the reason: the ones already delivered and the
ones not yet reached alike. Nothing is sent twice and nothing is lost silently; the chunk
size bounds how many rows a crash puts in doubt. On a temporary failure (SMTP said "later")
the rows not yet reached get their count back, so the retry may send them; the row that
failed is named in the `handed` map the retry carries.
"""

import contextlib
import logging
import smtplib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from django.core.mail import EmailMessage, get_connection
from django.db import connection as db_connection
from django.db.models import F
from django.utils import timezone

from outbox.ledger import SENDING_SQL, Ledger

logger = logging.getLogger(__name__)

# (status, reason) to finish a row with instead of sending it; None to send it.
Skip = tuple[str, str] | None


class TransientSendError(Exception):
    """SMTP said "later": the task retries. `handed` maps row id -> attempts already known
    to have failed, so the retry may hand those rows over again."""

    def __init__(self, cause: Exception, handed: dict[str, int]) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.handed = handed


def is_transient(error: Exception) -> bool:
    """4xx replies, dropped or refused connections: worth another try. 5xx: not."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _reply in error.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(error, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return True
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return isinstance(error, OSError)  # refused, reset, timed out


def finish(ledger: Ledger, ids: Iterable[int], status: str, reason: str = "", **extra) -> int:
    """Mark rows still sending with a final status (and a reason, when there is one)."""
    ids = list(ids)
    if not ids:
        return 0
    if reason:  # a row sent after a 451 keeps that error: it explains the delay
        extra[ledger.error_field] = ledger.reason(reason)
    return ledger.still_sending(ids).update(status=status, **extra)


def _by_expected(rows: Iterable, handed: dict[str, int]) -> dict[int, list[int]]:
    groups: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        groups[handed.get(str(row.pk), 0)].append(row.pk)
    return groups


def guard(ledger: Ledger, rows: Sequence, handed: dict[str, int]) -> list:
    """Raise `attempts` on the rows still sending with the expected count; return those rows.

    One UPDATE ... RETURNING per distinct expected count (one, except on a retry after a
    failure). It also stamps the claim time afresh: the stuck check measures from the moment
    a sender took the rows, so a long distribution's last chunks are not called stuck while
    they are being sent.
    """
    if not rows:
        return []
    quote = db_connection.ops.quote_name
    table = quote(ledger.model._meta.db_table)
    pk = quote(ledger.model._meta.pk.column)
    status, attempts = quote(ledger.column("status")), quote(ledger.column(ledger.attempts_field))
    claimed = quote(ledger.column(ledger.claimed_field))
    now = timezone.now()
    raised: set[int] = set()
    with db_connection.cursor() as cursor:
        for expected, ids in _by_expected(rows, handed).items():
            marks = ", ".join(["%s"] * len(ids))
            # Names are the model's own, quoted; every value travels as a parameter. The
            # status as a subquery: found by primary key alone (outbox.ledger.SENDING_SQL).
            cursor.execute(
                f"UPDATE {table} SET {attempts} = {attempts} + 1, {claimed} = %s "  # noqa: S608
                f"WHERE {pk} IN ({marks}) AND {status} = ({SENDING_SQL}) AND {attempts} = %s "
                f"RETURNING {pk}",
                [now, *ids, ledger.sending, expected],
            )
            raised.update(found for (found,) in cursor.fetchall())
    return [row for row in rows if row.pk in raised]


def unguard(ledger: Ledger, rows: Sequence, handed: dict[str, int], **extra) -> int:
    """Give rows raised by `guard` but never handed to SMTP their count back (and `extra`)."""
    done = 0
    for expected, ids in _by_expected(rows, handed).items():
        done += (
            ledger.still_sending(ids)
            .filter(**{ledger.attempts_field: expected + 1})
            .update(**{ledger.attempts_field: F(ledger.attempts_field) - 1}, **extra)
        )
    return done


def send_rows(
    ledger: Ledger,
    *,
    rows: Sequence,
    compose: Callable[[object], EmailMessage],
    skip: Callable[[object], Skip] | None = None,
    before_send: Callable[[object], Skip] | None = None,
    on_refused: Callable[[object, Exception], object] | None = None,
    handed: dict[str, int] | None = None,
) -> int:
    """Send the chunk's rows (already loaded, still sending) over one SMTP connection.

    `skip(row)` is asked first, from what the caller loaded for the chunk (no queries per
    row): rows it names are finished with its (status, reason), grouped in one UPDATE per
    reason. `before_send(row)` is asked right before each hand-over (the caller keeps it
    cheap); a row it names is not sent and finished the same way. `on_refused(row, error)`
    runs after a permanent refusal marked the row failed.

    Raise TransientSendError on a temporary failure (rows sent so far are marked sent); mark
    a row failed on a permanent one and go on with the next. Return how many were sent.
    """
    handed = dict(handed or {})
    skipped: dict[tuple[str, str], list[int]] = defaultdict(list)
    candidates = []
    for row in rows:
        reason = skip(row) if skip else None
        if reason is None:
            candidates.append(row)
        else:
            skipped[reason].append(row.pk)
    for (status, reason), ids in skipped.items():
        finish(ledger, ids, status, reason)

    # Rows not in `guarded` were handed over before by a task that did not report back.
    guarded = guard(ledger, candidates, handed)
    sent: list[int] = []
    stopped: dict[tuple[str, str], list] = defaultdict(list)
    connection = get_connection()
    try:
        for position, row in enumerate(guarded):
            stop = before_send(row) if before_send else None
            if stop is not None:
                stopped[stop].append(row)
                continue
            email = compose(row)
            try:
                connection.open()  # once: later calls find it open and reuse it
                connection.send_messages([email])
            except Exception as error:
                if not is_transient(error):
                    logger.warning("%s %s refused: %s", ledger.noun.capitalize(), row.pk, error)
                    finish(ledger, [row.pk], ledger.failed, f"refused: {error}")
                    if on_refused is not None:
                        on_refused(row, error)
                    continue
                unguard(ledger, guarded[position + 1 :], handed)
                handed[str(row.pk)] = handed.get(str(row.pk), 0) + 1
                ledger.rows.filter(pk=row.pk).update(
                    **{ledger.error_field: ledger.reason(str(error))}
                )
                raise TransientSendError(error, handed) from error
            sent.append(row.pk)
    finally:
        # Also when the loop ends early: what went out is marked, what was stopped is told.
        finish(ledger, sent, ledger.sent, **{ledger.sent_field: timezone.now()})
        for (status, reason), stopped_rows in stopped.items():
            unguard(
                ledger,
                stopped_rows,
                handed,
                status=status,
                **{ledger.error_field: ledger.reason(reason)},
            )
        # The server may have gone away first; then there is nothing left to close.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            connection.close()
    return len(sent)
