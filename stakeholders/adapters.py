from allauth.account.adapter import DefaultAccountAdapter


class InvitationOnlyAccountAdapter(DefaultAccountAdapter):
    """No open sign-up: people join by invitation from a coordinator or network staff."""

    def is_open_for_signup(self, request) -> bool:
        return False
