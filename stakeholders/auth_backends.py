"""AUTHENTICATION_BACKENDS: Django's and allauth's, finding the signed-in account of each
request with a statement compiled once (stakeholders/compiled.py). Signing in, passwords
and permissions are theirs, unchanged."""

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth import backends

from stakeholders.compiled import CompiledLookup
from stakeholders.models import User

_ACCOUNT_BY_ID = CompiledLookup(lambda: User._default_manager.filter(pk=0))


class AccountByIdMixin:
    def get_user(self, user_id):
        user = _ACCOUNT_BY_ID.get(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class ModelBackend(AccountByIdMixin, backends.ModelBackend):
    pass


class AccountBackend(AccountByIdMixin, AuthenticationBackend):
    pass
