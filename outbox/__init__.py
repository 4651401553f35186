"""The outbound ledger, written once: claim due rows, send them, mark them; report the stuck.

Every message to a person is a row first (ARCHITECTURE.md, "Outbound mail is data first"):
convening messages (workinggroups.outbound) and briefing deliveries (briefings.distribution)
are both such ledgers. A `Ledger` names the model and its fields; the functions here do the
rest, the same way for every ledger:

- outbox.ledger: `claim_due` (lock due rows, skipping rows another sweep holds, mark them
  sending), `sweep` (claim batch by batch and hand chunks of ids to an enqueue callable on
  commit; a chunk whose enqueue fails goes back to pending), `release`, `report_stuck`
  (rows sending for too long: never handed to SMTP -> pending; handed over -> failed with a
  reason, logged, never re-sent), `fail`.
- outbox.sending: `send_rows`, the send loop over ONE SMTP connection with the attempts
  guard, and `TransientSendError` / `is_transient` (4xx and dropped connections: retry).
- outbox.worker: the Celery side: the queue a task came from, the retry with backoff that
  carries the `handed` map, and the reason recorded when a send task gives up.

The guarantee is at most once: "claim, send, mark; a row stuck mid-send is reported, never
re-sent". outbox.sending explains what the chunk-wide guard costs and buys.

A plain package (no models, not an installed app): the ledgers' own apps own their tables.
"""

from outbox.ledger import (
    CLAIM_BATCH,
    SEND_CHUNK,
    STUCK_AFTER,
    STUCK_REASON,
    Ledger,
    claim_due,
    fail,
    release,
    report_stuck,
    sweep,
)
from outbox.sending import TransientSendError, is_transient, send_rows

__all__ = [
    "CLAIM_BATCH",
    "SEND_CHUNK",
    "STUCK_AFTER",
    "STUCK_REASON",
    "Ledger",
    "TransientSendError",
    "claim_due",
    "fail",
    "is_transient",
    "release",
    "report_stuck",
    "send_rows",
    "sweep",
]
