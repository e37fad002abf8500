"""Cross-tenant matrix, generated from the URL conf: every API operation with tenant A's token on tenant B's
host is refused (401), and every operation on B's host with B's token but A's object ids finds nothing
(404), never A's data. A task sent without a tenant's schema header runs nowhere."""
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context
from rest_framework.test import APIClient

from accounts import tokens
from accounts.tests.test_role_matrix import OPERATIONS, PLACEHOLDER
from accounts.testing import token_for
from audit.events import record
from catalog.models import DiscoveryEvent, Service, Team
from discovery import runs
from discovery.models import Fact
from discovery.tasks import run_job
from discovery.tests.factories import ConnectionFactory, GithubConnectionFactory
from freshness import receiving, schedules
from freshness.models import InboundDelivery
from notifications import subscriptions
from notifications.models import Subscription
from portal.models import Tenant
from portal.workspaces.models import Workspace

pytestmark = pytest.mark.django_db
MARKER = "zz-alpha-only"


def objects_of(tenant) -> dict:
    """One object of every kind the API addresses by id, in ``tenant``; names carry MARKER to spot leaks."""
    with tenant_context(tenant):
        user = get_user_model().objects.create_user(f"{MARKER}-user")
        conn = ConnectionFactory(name=f"{MARKER}-conn")
        run = runs.create_scan_run(conn, selection={"kinds": ["ecs"]})
        now = timezone.now()
        fact = Fact.objects.create(workspace=Workspace.default(), connection=conn, kind="aws.ecs.service",
                                   external_id=f"arn:aws:ecs:us-east-1:111111111111:service/{MARKER}", name=MARKER,
                                   provenance={}, first_seen=now, last_seen=now)
        team = Team.objects.create(slug=f"{MARKER}-team", name=MARKER)
        service = Service.objects.create(name=f"{MARKER}-svc", key=f"{MARKER}-svc", owner=team)
        event = DiscoveryEvent.objects.create(service=service, service_name=service.name, event_type="discovered")
        token, _ = tokens.issue(user, name=MARKER)
        audit = record("test.marker", actor=MARKER)
        schedules.ensure_schedules()
        github = GithubConnectionFactory(name=f"{MARKER}-github")
        receiving.configure(github)
        inbound = InboundDelivery.objects.create(connection=github, delivery_id=MARKER, event="push",
                                                 status="ignored", detail=MARKER)
        sub = Subscription(workspace=Workspace.default(), name=f"{MARKER}-hook", url="http://127.0.0.1:9/hook")
        subscriptions.create(sub)
        ping = subscriptions.ping(sub)
        return {"connection": conn.pk, "run": run.pk, "fact": fact.pk, "team": team.pk, "service": service.pk,
                "discovery-event": event.pk, "token": token.pk, "user": user.pk, "audit-event": audit.pk,
                "arn": fact.external_id, "schedule": conn.schedule.pk,
                "github-webhook-config": github.github_webhook.pk, "github-delivery": inbound.pk,
                "webhook-subscription": sub.pk, "webhook-delivery": ping.pk}


def path_with(name: str, route_path: str, ids: dict) -> str:
    """The operation's path with A's ids put where the placeholders were (their kind from the URL name)."""
    kind = name.rsplit("-", 1)[0]
    for candidate in (name, kind, kind.rsplit("-", 1)[0]):
        if candidate in ids:
            kind = candidate
            break
    if "/resources/" in route_path:
        return route_path.replace("/x/", f"/{ids['arn']}/")
    parts = route_path.split("/")
    return "/".join(str(ids.get(kind, uuid.uuid4())) if _is_uuid(p) else p for p in parts)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
        return True
    except ValueError:
        return False


@pytest.fixture
def world(tenant_alpha, tenant_beta):
    alpha_ids = objects_of(tenant_alpha)
    keys = {}
    for tenant in (tenant_alpha, tenant_beta):
        with tenant_context(tenant):
            keys[tenant.name] = token_for(get_user_model().objects.create_user(f"admin-{tenant.name}"), "admin")
    return {"alpha_ids": alpha_ids, "keys": keys}


def client(host_tenant: str, key: str) -> APIClient:
    c = APIClient(HTTP_HOST=f"{host_tenant}.localhost")
    c.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return c


PROTECTED = [op for op in OPERATIONS if op[0] not in ("api-schema", "api-docs")]


@pytest.mark.parametrize("name,method,path", PROTECTED, ids=[f"{m} {n}" for n, m, _ in PROTECTED])
def test_alphas_token_is_unknown_on_betas_host(world, name, method, path):
    response = getattr(client("beta", world["keys"]["alpha"]), method.lower())(
        path_with(name, path, world["alpha_ids"]), data={}, format="json")
    assert response.status_code == 401, (response.status_code, response.content[:200])


@pytest.mark.parametrize("name,method,path", PROTECTED, ids=[f"{m} {n}" for n, m, _ in PROTECTED])
def test_alphas_ids_find_nothing_on_betas_host(world, name, method, path):
    target = path_with(name, path, world["alpha_ids"])
    # Deleting names the tenant: beta's admin naming alpha is refused, and alpha stays.
    body = {"confirm": "alpha"} if name == "tenant-delete" else {}
    response = getattr(client("beta", world["keys"]["beta"]), method.lower())(target, data=body, format="json")
    if name == "tenant-delete":
        assert response.status_code == 400
        with schema_context("public"):
            assert Tenant.objects.filter(name="alpha").exists()
    assert MARKER not in response.content.decode(errors="replace"), (method, target, response.content[:300])
    if _is_uuid(target.rstrip("/").split("/")[-1]) or "/resources/" in target or any(
            _is_uuid(part) for part in target.split("/")):
        assert response.status_code == 404, (method, target, response.status_code)


def test_a_task_without_a_schema_header_runs_nowhere(world, tenant_alpha):
    """tenant-schemas-celery runs a header-less task in public; our tasks refuse a payload naming another schema."""
    with tenant_context(tenant_alpha):
        job = runs.create_scan_run(ConnectionFactory(name="headerless"), selection={"kinds": ["sqs"]}).jobs.get()
        payload = [tenant_alpha.schema_name, str(job.run.workspace_id), str(job.run_id), str(job.pk)]
    with schema_context("public"):
        assert run_job.apply(args=payload).get() == "refused"
    with tenant_context(tenant_alpha):
        job.refresh_from_db()
        assert job.status == "queued"


def test_every_id_addressed_operation_gets_one_of_alphas_ids(world):
    """The matrix is only as good as its ids: each addressed operation must be given a real object of A."""
    ids = {str(v) for v in world["alpha_ids"].values()}
    addressed = [(n, p) for n, _, p in PROTECTED if any(_is_uuid(part) for part in p.split("/"))]
    assert len(addressed) >= 15
    for name, route_path in addressed:
        target = path_with(name, route_path, world["alpha_ids"])
        assert any(part in ids for part in target.split("/")), (name, target)
