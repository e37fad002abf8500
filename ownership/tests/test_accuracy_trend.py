"""The accuracy trend: services corrected within 7 days of their discovery count against the week (and the sources)
that discovered them."""
from datetime import datetime, timedelta, timezone

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from accounts.testing import token_for
from catalog.models import Service
from ownership.accuracy_trend import trend
from ownership.models import Correction

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)  # a Wednesday
THIS_WEEK = datetime(2026, 11, 30, tzinfo=timezone.utc)  # its Monday


def discovered(name, at, sources, corrected_after=None):
    service = Service.objects.create(key=f"svc:{name}", name=name, sources=sources)
    Service.objects.filter(pk=service.pk).update(created_at=at)
    if corrected_after is not None:
        correction = Correction.objects.create(service=service, service_name=name, field="owner", user="u")
        Correction.objects.filter(pk=correction.pk).update(created_at=at + corrected_after)
    return service


@pytest.fixture
def history(in_alpha):
    two_weeks_ago = THIS_WEEK - timedelta(weeks=2) + timedelta(days=1)
    discovered("a", two_weeks_ago, ["ecs_service", "github_repo"], corrected_after=timedelta(days=2))
    discovered("b", two_weeks_ago, ["ecs_service"], corrected_after=timedelta(days=9))  # too late: counts as right
    discovered("c", two_weeks_ago, ["lambda"])
    discovered("d", two_weeks_ago, ["lambda"])
    discovered("e", THIS_WEEK + timedelta(hours=3), ["lambda"], corrected_after=timedelta(hours=1))
    discovered("old", THIS_WEEK - timedelta(weeks=20), ["lambda"], corrected_after=timedelta(days=1))  # before the window


def test_accuracy_by_week_of_discovery(history):
    weeks = trend(3, now=NOW)["weeks"]
    assert [(w["week"], w["discovered"], w["corrected"], w["accuracy"], w["open"]) for w in weeks] == [
        ("2026-11-16", 4, 1, 0.75, False),   # a corrected within 7 days, b after 9: 1 of 4
        ("2026-11-23", 0, 0, None, False),
        ("2026-11-30", 1, 1, 0.0, True),     # this week is still open
    ]


def test_accuracy_by_discovering_source(history):
    sources = {s["source"]: (s["discovered"], s["corrected"], s["accuracy"]) for s in trend(3, now=NOW)["sources"]}
    assert sources == {"lambda": (3, 1, 0.6667), "ecs_service": (2, 1, 0.5), "github_repo": (1, 1, 0.0)}


def test_the_api_answers_viewers_and_refuses_a_bad_window(history):
    viewer = APIClient(HTTP_HOST="alpha.localhost")
    viewer.credentials(HTTP_AUTHORIZATION="Token " + token_for(get_user_model().objects.create_user("trend"), "viewer"))
    body = viewer.get("/api/v1/dashboard/accuracy-trend/", {"weeks": "52"}).json()
    assert body["window_days"] == 7 and len(body["weeks"]) == 52
    assert sum(w["discovered"] for w in body["weeks"]) == 6  # "old" too, 20 weeks back
    for bad in ("0", "53", "x", "1e3"):
        assert viewer.get("/api/v1/dashboard/accuracy-trend/", {"weeks": bad}).status_code == 400
