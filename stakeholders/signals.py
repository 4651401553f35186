from django.db import transaction


def end_sessions_of_disabled_account(sender, instance, raw=False, **kwargs) -> None:
    """Disabling an account (is_active off, from any path: admin, shell, service) ends every
    session it has, so a removed coordinator cannot keep browsing in an open tab."""
    if raw or instance.pk is None or instance.is_active:
        return
    was_active = sender.objects.filter(pk=instance.pk, is_active=True).exists()
    if not was_active:
        return
    from allauth.usersessions.models import UserSession

    user_id = instance.pk

    def end_all() -> None:
        for session in UserSession.objects.filter(user_id=user_id):
            session.end()

    transaction.on_commit(end_all)


def sync_coordinator_flag(sender, instance, raw=False, **kwargs) -> None:
    """After a coordinate_city permission row is written or deleted (guardian's assign_perm
    and remove_perm, the admin, a cascade), set the user's is_city_coordinator from the rows:
    one UPDATE, so it can't drift from a stale in-memory user."""
    if raw:
        return
    from stakeholders.roles import sync_coordinator_flags

    sync_coordinator_flags([instance.user_id])
