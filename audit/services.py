"""Write audit entries. Call inside the transaction of the change being recorded."""

from typing import Any

from django.db import models

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
    return AuditEvent.objects.create(
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
