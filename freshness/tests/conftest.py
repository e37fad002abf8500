import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api(workspace):
    """api(role): an API client of tenant alpha signed in with a token of a user with that role."""
    from accounts.testing import user_with_token

    def client(role):
        _, token = user_with_token(f"freshness-{role}", role)
        c = APIClient(HTTP_HOST="alpha.localhost")
        c.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return c
    return client
