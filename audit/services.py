"""Write audit entries. Call inside the transaction of the change being recorded."""

from functools import cache
from typing import Any

from django.db import connections, models, router, transaction
from django.db.models import signals
from django.db.models.sql import InsertQuery

from audit.models import AuditAction, AuditEvent


def client_address(request) -> str | None:
    """The client's address, read the way allauth's rate limits read it (see
    TRUSTED_PROXY_COUNT in the README), so the log and the limits agree."""
    if request is None:
        return None
    from allauth.account.adapter import get_adapter

    try:
        return get_adapter(request).get_client_ip(request) or None
    except Exception:  # a missing or malformed header must never lose the audit entry
        return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    actor,
    action: AuditAction,
    request=None,
    city=None,
    target: models.Model | None = None,
    **detail: Any,
) -> AuditEvent:
    """Append one entry to the audit log."""
    event = AuditEvent(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=getattr(actor, "email", "") or "anonymous",
        action=action,
        city=city,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=str(target)[:254] if target is not None else "",
        detail=detail,
        ip_address=client_address(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""),
    )
    _insert(event)
    return event


# --- The INSERT ---------------------------------------------------------------------------
# Every page that shows people writes an entry (the directory on each view: `make bench`'s
# "roster", issue 9). Model.save compiled the same INSERT on every call, about half a
# millisecond; on PostgreSQL the ORM's own statement is compiled once per database and run
# with the values prepared as save prepares them (Field.pre_save, get_db_prep_save). With a
# pre_save or post_save receiver on AuditEvent, or another database, it is a plain save.


# Entries that only record a look (the directory, on every view: the most frequent entry by
# far) are committed without waiting for PostgreSQL to flush the log to disk, which was
# half of the directory page's time. The write is as atomic and ordered as any other; a
# crash of the database server itself could lose the last fraction of a second of such
# entries (wal_writer_delay), never a change, an export or a download, which stay
# synchronous, and never inside a transaction of a change (the caller's, left alone).
ASYNC_COMMIT_ACTIONS = frozenset({AuditAction.ROSTER_VIEWED})


@cache
def _insert_fields() -> tuple[models.Field, ...]:
    meta = AuditEvent._meta
    return tuple(
        f for f in meta.local_concrete_fields if not f.generated and f is not meta.auto_field
    )


@cache
def _insert_sql(alias: str) -> str:
    """The INSERT … RETURNING the ORM writes for one entry on database `alias`."""
    query = InsertQuery(AuditEvent)
    query.insert_values(_insert_fields(), [AuditEvent()])
    compiler = query.get_compiler(using=alias)
    compiler.returning_fields = AuditEvent._meta.db_returning_fields
    [(sql, _params)] = compiler.as_sql()
    return sql


@cache
def _async_insert_sql(alias: str) -> str:
    """The same INSERT as one statement that also turns synchronous_commit off for its own
    implicit transaction: set_config(..., is_local => true) in a CTE the INSERT reads from
    (a CTE no one reads is never run). One statement, so the connection can prepare it."""
    quote = connections[alias].ops.quote_name
    table = quote(AuditEvent._meta.db_table)
    columns = ", ".join(quote(field.column) for field in _insert_fields())
    values = ", ".join(["%s"] * len(_insert_fields()))
    returning = ", ".join(quote(field.column) for field in AuditEvent._meta.db_returning_fields)
    # Names from the model, quoted; every value is a parameter.
    return (
        "WITH commit_setting AS (SELECT set_config('synchronous_commit', 'off', true)) "  # noqa: S608
        f"INSERT INTO {table} ({columns}) SELECT {values} FROM commit_setting "
        f"RETURNING {returning}"
    )


def _insert(event: AuditEvent) -> None:
    alias = router.db_for_write(AuditEvent, instance=event)
    connection = connections[alias]
    if (
        connection.vendor != "postgresql"
        or signals.pre_save.has_listeners(AuditEvent)
        or signals.post_save.has_listeners(AuditEvent)
    ):
        event.save(force_insert=True, using=alias)
        return
    params = [
        field.get_db_prep_save(field.pre_save(event, True), connection=connection)
        for field in _insert_fields()
    ]
    asynchronous = event.action in ASYNC_COMMIT_ACTIONS and not connection.in_atomic_block
    sql = _async_insert_sql(alias) if asynchronous else _insert_sql(alias)
    with transaction.mark_for_rollback_on_error(using=alias), connection.cursor() as cursor:
        cursor.execute(sql, params)
        (event.pk,) = cursor.fetchone()
    event._state.db = alias
    event._state.adding = False
