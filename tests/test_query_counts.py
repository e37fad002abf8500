"""No page costs a query per row: list and detail endpoints (and the connections admin) answer in the same
number of queries for 3 rows as for 30, within a pinned ceiling."""
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.roles import set_role
from accounts.testing import token_for
from catalog.models import Service, ServiceResource, Team
from discovery import runs
from discovery.models import Fact
from discovery.tests.factories import ConnectionFactory
from portal.workspaces.models import Workspace

pytestmark = pytest.mark.django_db

# url -> the most queries it may take (authentication included); pinned, so a new N+1 fails loudly
CEILINGS = {"/api/v1/services/": 6, "/api/v1/teams/": 6, "/api/v1/runs/": 6, "/api/v1/facts/": 6,
            "/api/v1/connections/": 6}


def grow(n: int, offset: int) -> None:
    team = Team.objects.create(slug=f"team-{offset}", name=f"Team {offset}")
    conn = ConnectionFactory(name=f"conn-{offset}")
    now = timezone.now()
    for i in range(n):
        service = Service.objects.create(name=f"svc-{offset}-{i}", key=f"svc-{offset}-{i}", owner=team,
                                         runner_up=team)
        ServiceResource.objects.create(service=service, kind="aws.lambda.function", name=f"fn-{offset}-{i}",
                                       external_id=f"arn:aws:lambda:us-east-1:1:function:fn-{offset}-{i}",
                                       account="1", region="us-east-1", rule="tag", confidence=0.9)
        Team.objects.create(slug=f"t-{offset}-{i}", name=f"T {offset} {i}", parent=team)
        run = runs.create_scan_run(ConnectionFactory(name=f"c-{offset}-{i}"), selection={"kinds": ["ecs"]})
        Fact.objects.create(workspace=Workspace.default(), connection=conn, kind="aws.ecs.service",
                            external_id=f"arn:{offset}:{i}", name=f"f-{offset}-{i}", provenance={"run": str(run.pk)},
                            first_seen=now, last_seen=now, last_seen_run=run)


def queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, {"limit": 500} if params is None else params)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured)


@pytest.fixture
def api(in_alpha):
    client = APIClient(HTTP_HOST="alpha.localhost")
    client.credentials(HTTP_AUTHORIZATION="Token " + token_for(get_user_model().objects.create_user("counter"), "admin"))
    return client


@pytest.mark.parametrize("url", sorted(CEILINGS))
def test_lists_cost_the_same_for_3_rows_and_30(api, url):
    grow(3, 1)
    queries(api, url)  # warm: token lookup cached, prepared statements made
    small = queries(api, url)
    grow(27, 2)
    large = queries(api, url)
    assert small == large <= CEILINGS[url], (small, large)


@pytest.mark.parametrize("kind", ["services", "teams", "runs"])
def test_details_cost_the_same_however_many_related_rows(api, kind):
    grow(3, 1)
    row = {"services": Service.objects.first, "teams": lambda: Team.objects.get(slug="team-1"),
           "runs": lambda: runs.create_scan_run(ConnectionFactory(name="detail"), selection={})}[kind]()
    url = f"/api/v1/{kind}/{row.pk}/"
    queries(api, url)
    small = queries(api, url)
    grow(20, 2)
    assert queries(api, url) == small <= 12


def test_connections_admin_has_no_query_per_row(in_alpha):
    user = get_user_model().objects.create_user("admin-counter")
    set_role(user, "admin")
    client = Client(HTTP_HOST="alpha.localhost")
    client.force_login(user)
    grow(3, 1)
    url = "/admin/discovery/connection/"
    queries(client, url, {})
    small = queries(client, url, {})
    grow(20, 2)
    assert queries(client, url, {}) == small
