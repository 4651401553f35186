"""The convening ledger at scale, for the reminder_sweep benchmark (config/bench_outbound.py).

Runs inside Django, against the bench database. All SQL here is PostgreSQL's; table names come
from the models, never from input.
"""

from pathlib import Path

from django.db import connection

from stakeholders.scale import PREFIX

BENCH_MARK = "bench: started after the ledger was built"


def _tables() -> dict[str, str]:
    from stakeholders.models import City
    from workinggroups.models import Convening, ConveningMessage, Invitation, WorkingGroup

    quote = connection.ops.quote_name
    models = {"m": ConveningMessage, "i": Invitation, "c": Convening, "g": WorkingGroup}
    return {key: quote(model._meta.db_table) for key, model in {**models, "city": City}.items()}


def table() -> str:
    return _tables()["m"]


# Every (invitation, offset) of every scale convening: the convening's own offsets, else its
# city's. Past reminders were sent, a cancelled convening's skipped, the rest are pending.
_SOURCE = """
    FROM {i} i JOIN {c} c ON c.id = i.convening_id JOIN {g} g ON g.id = c.group_id
    JOIN {city} city ON city.id = g.city_id
    CROSS JOIN LATERAL jsonb_array_elements_text(
        COALESCE(c.reminder_offsets_minutes, city.reminder_offsets_minutes)) AS o(minutes)
    WHERE city.slug LIKE %s
"""
_INSERT = """
    INSERT INTO {m} (convening_id, person_id, kind, offset_minutes, sequence, due_at, status,
                     claimed_at, sent_at, attempts, last_error, created_at)
    SELECT convening_id, person_id, 'reminder', minutes, sequence, due_at, status,
           CASE WHEN status = 'sent' THEN due_at END, CASE WHEN status = 'sent' THEN due_at END,
           CASE WHEN status = 'sent' THEN 1 ELSE 0 END, '', invited_at
    FROM (
        SELECT i.convening_id, i.person_id, o.minutes::int AS minutes, c.sequence, i.invited_at,
               c.starts_at - make_interval(mins => o.minutes::int) AS due_at,
               CASE WHEN c.status = 'cancelled' THEN 'skipped'
                    WHEN c.starts_at - make_interval(mins => o.minutes::int) > now()
                    THEN 'pending' ELSE 'sent' END AS status
        {source}
    ) planned
"""


def _execute(sql: str, params=()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql.format(**_tables()), params)
        return cursor.rowcount


def _value(sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql.format(**_tables()), params)
        return cursor.fetchone()[0]


def ensure() -> dict:
    """Build the scale ledger unless it is there with one row per invitation and offset."""
    import time

    like = [f"{PREFIX}%"]
    expected = _value("SELECT count(*) " + _SOURCE, like)
    present = _value(
        "SELECT count(*) FROM {m} m JOIN {c} c ON c.id = m.convening_id"
        " JOIN {g} g ON g.id = c.group_id JOIN {city} city ON city.id = g.city_id"
        " WHERE city.slug LIKE %s AND m.kind = 'reminder'",
        like,
    )
    seconds = 0.0
    if present != expected:
        print(f"  building the ledger: {expected:,} reminder rows ...", flush=True)
        start = time.perf_counter()
        _execute(
            "DELETE FROM {m} WHERE convening_id IN (SELECT c.id FROM {c} c"
            " JOIN {g} g ON g.id = c.group_id JOIN {city} city ON city.id = g.city_id"
            " WHERE city.slug LIKE %s)",
            like,
        )
        _execute(_INSERT.replace("{source}", _SOURCE), like)
        _execute("VACUUM (ANALYZE) {m}")
        seconds = time.perf_counter() - start
        print(f"  ledger built in {seconds:.1f} s", flush=True)
    else:
        print(f"  ledger already there: {present:,} reminder rows", flush=True)
    return {
        "ledger_rows": expected,
        "ledger_built_this_run": present != expected,
        "ledger_seconds": round(seconds, 1),
    }


def release(*, restore: bool = False) -> int:
    """Claimed rows back to pending (through the partial stuck index); with `restore`, also
    back to their real due time, the convening's start less the offset."""
    if not restore:
        return _execute(
            "UPDATE {m} SET status = 'pending', claimed_at = NULL WHERE status = 'sending'"
        )
    return _execute(
        "UPDATE {m} m SET status = 'pending', claimed_at = NULL,"
        " due_at = c.starts_at - make_interval(mins => m.offset_minutes)"
        " FROM {c} c WHERE m.status = 'sending' AND c.id = m.convening_id"
    )


def make_due(convenings: int, now) -> dict:
    """Every pending reminder of the `convenings` soonest upcoming convenings due now, spread
    over the last half hour so none is an hour late and missed; every other pending row stays
    in the future (a tenth of the convenings, at most a thousand, when there are fewer than
    asked plus those: enough to show the sweep leaves what is not due). Return the counts."""
    release(restore=True)  # a run stopped half-way
    # Convenings that started since the ledger was built: their reminders are past.
    _execute(
        "UPDATE {m} SET status = 'missed', last_error = %s"
        " WHERE status = 'pending' AND due_at <= %s",
        [BENCH_MARK, now],
    )
    pending = _value("SELECT count(*) FROM {m} WHERE status = 'pending'")
    upcoming = (
        " FROM {c} c WHERE c.status = 'scheduled' AND c.starts_at > %s"
        " AND EXISTS (SELECT 1 FROM {m} m WHERE m.convening_id = c.id"
        " AND m.status = 'pending' AND m.kind = 'reminder')"
    )
    available = _value("SELECT count(*)" + upcoming, [now])
    kept_in_future = max(1, min(available // 10, 1_000))
    take = min(convenings, available - kept_in_future)
    if take < 1:
        raise RuntimeError(f"only {available} upcoming convenings with pending reminders")
    ids = _column("SELECT c.id" + upcoming + " ORDER BY c.starts_at, c.id LIMIT %s", [now, take])
    due = _execute(
        "UPDATE {m} SET due_at = %s - make_interval(secs => id %% 1800)"
        " WHERE convening_id = ANY(%s) AND status = 'pending' AND kind = 'reminder'",
        [now, ids],
    )
    if due >= pending:
        raise RuntimeError(f"all {pending} pending ledger rows due: none left in the future")
    got = _value("SELECT count(*) FROM {m} WHERE status = 'pending' AND due_at <= %s", [now])
    if got != due:
        raise RuntimeError(f"{got} ledger rows due, {due} wanted")
    _execute("ANALYZE {m}")
    return {
        "convenings": len(ids),
        "convenings_wanted": convenings,
        "upcoming_convenings_available": available,
        "due": due,
        "pending_rows": pending,
    }


def _column(sql: str, params=()) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql.format(**_tables()), params)
        return [row[0] for row in cursor.fetchall()]


def iterate_claimed() -> tuple[int, int, float]:
    """The baseline: a plain iteration over the claimed rows (a server-side cursor, each row
    read in Python, its convening noted). Return (rows, convenings, seconds)."""
    import time

    from django.db import transaction

    start = time.perf_counter()
    rows, convenings = 0, set()
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        columns = "id, convening_id, person_id, offset_minutes, due_at"
        cursor.execute(f"SELECT {columns} FROM {table()} WHERE status = 'sending'")  # noqa: S608
        while batch := cursor.fetchmany(2000):
            for row in batch:
                rows += 1
                convenings.add(row[1])
    return rows, len(convenings), time.perf_counter() - start


def explain_claim(now) -> tuple[list[str], list[str]]:
    """EXPLAIN the sweep's own queries (mark missed, claim, mark sending), captured from the real
    functions in a transaction rolled back; return the plans and any Seq Scan on the ledger."""
    import json

    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    from workinggroups import outbound

    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        outbound.messages_mark_missed(now=now)
        outbound.messages_claim_due(now=now)
        transaction.set_rollback(True)
    ledger = table().strip('"')
    plans, seq_scans = [], []
    for query in captured.captured_queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith(("SELECT", "UPDATE")):
            continue  # SAVEPOINT and the like
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
            plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        nodes = list(_nodes(plan[0]["Plan"]))
        steps = [
            " ".join(filter(None, [n["Node Type"], n.get("Index Name") or n.get("Relation Name")]))
            for n in nodes
            if "Scan" in n["Node Type"]
        ]
        plans.append(f"{sql.split()[0]}: {', '.join(steps)}")
        seq_scans += [
            sql[:120]
            for n in nodes
            if n["Node Type"] == "Seq Scan" and n.get("Relation Name") == ledger
        ]
    return plans, seq_scans


def _nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def claimed_ids() -> list[int]:
    with connection.cursor() as cursor:
        sql = "SELECT id FROM {m} WHERE status = 'sending' ORDER BY due_at"
        cursor.execute(sql.format(**_tables()))
        return [row[0] for row in cursor.fetchall()]


def vacuum() -> None:
    """The dead row versions of the last phase gone and the statistics fresh, so each phase
    starts alike (the machines' PostgreSQL runs without autovacuum: stale statistics from an
    earlier run's millions of updates planned the sweep's UPDATE as a Seq Scan)."""
    _execute("VACUUM (ANALYZE) {m}")


def rss_kb() -> dict[str, int]:
    """This process's resident set now (VmRSS) and at its peak (VmHWM), in kB (Linux)."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields
