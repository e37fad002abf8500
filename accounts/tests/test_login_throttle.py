"""Password guessing at the admin sign-in stops after the failure limit, per username and address."""
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db


def attempt(password, address="203.0.113.7", username="ops"):
    client = Client(HTTP_HOST="alpha.localhost", REMOTE_ADDR=address)
    return client.post("/admin/login/", {"username": username, "password": password, "next": "/admin/"})


def test_guessing_locks_the_pair_out_even_for_the_right_password(in_alpha, settings):
    settings.AXES_FAILURE_LIMIT = 3
    get_user_model().objects.create_user("ops", password="the right one, long enough", is_staff=True)
    for _ in range(2):
        assert attempt("wrong").status_code == 200  # the form again, with its error
    assert attempt("wrong").status_code == 429  # the limit reached
    locked = attempt("the right one, long enough")
    assert locked.status_code == 429
    # Another address is not locked out (an attacker cannot lock a user out from everywhere)...
    assert attempt("the right one, long enough", address="198.51.100.9").status_code == 302


def test_a_success_resets_the_count(in_alpha, settings):
    settings.AXES_FAILURE_LIMIT = 3
    get_user_model().objects.create_user("ops", password="the right one, long enough", is_staff=True)
    for _ in range(2):
        attempt("wrong")
    assert attempt("the right one, long enough").status_code == 302
    for _ in range(2):
        attempt("wrong")
    assert attempt("the right one, long enough").status_code == 302
