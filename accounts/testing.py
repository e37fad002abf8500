"""For tests: a user of the current tenant with a role, and a key for them."""
from django.contrib.auth import get_user_model

from accounts import tokens
from accounts.roles import set_role


def token_for(user, role: str = "admin", **options) -> str:
    set_role(user, role)
    return tokens.issue(user, **options)[1]


def user_with_token(username: str, role: str = "admin", **options) -> tuple:
    user, _ = get_user_model().objects.get_or_create(username=username)
    return user, token_for(user, role, **options)
