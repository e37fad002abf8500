"""Incremental AWS scans: what ``scan_state`` hands an incremental job, and end to end through moto and real
workers: a full scan, a round of deploys, an incremental scan that reads only what changed and marks the rest
seen, and a deletion that only the next full scan retires."""
import time

import pytest
from django.db import transaction
from django_tenants.utils import tenant_context

from discovery import facts as k
from discovery import runs, scan_state, store, workflow
from discovery.facts import Batch, FactRecord
from discovery.models import ACTIVE_STATUSES, Fact, FactLink, Job, Run, RunStatus
from discovery.tests.factories import ConnectionFactory
from portal.workspaces.models import Workspace

STACK = "arn:aws:cloudformation:us-east-1:111111111111:stack/{}/0000"


def _stack(name, region="us-east-1", resources=True):
    attributes = {"status": "CREATE_COMPLETE", "created_at": "2026-01-01T00:00:00+00:00", "updated_at": None,
                  **({"resources": []} if resources else {})}
    return FactRecord(k.CFN_STACK, STACK.format(name), name, "111111111111", region, attributes)


def _run(conn, mode, stacks=()):
    run = runs.create_scan_run(conn, selection={"kinds": ["cloudformation"]}, scan_mode=mode)
    job = run.jobs.get()
    known = scan_state._aws_known(conn, job)
    store.persist_batch(run, job, Batch(facts=list(stacks)))
    runs.record_job_outcome(job, status=RunStatus.SUCCEEDED)
    runs.finish_run(run)
    return known


def test_an_incremental_job_knows_what_the_last_successful_run_stored(workspace):
    conn = ConnectionFactory()
    # No earlier run: read everything, whatever the mode.
    assert _run(conn, "incremental", [_stack("gone")]) is None
    # Full and auto runs read everything.
    assert _run(conn, "full", [_stack("kept"), _stack("no-detail", resources=False),
                               _stack("elsewhere", region="eu-west-1")]) is None
    assert _run(conn, "auto", [_stack("kept"), _stack("no-detail", resources=False)]) is None
    known = _run(conn, "incremental")
    # Only this job's region, only complete reads, only what the last successful run saw ("gone" was not).
    assert dict(known.of(k.CFN_STACK)) == {STACK.format("kept"): {
        "status": "CREATE_COMPLETE", "created_at": "2026-01-01T00:00:00+00:00", "updated_at": None}}
    assert set(known.facts) == {k.CFN_STACK}


def test_a_failed_previous_run_is_no_base(workspace):
    conn = ConnectionFactory()
    run = runs.create_scan_run(conn, selection={"kinds": ["cloudformation"]}, scan_mode="full")
    store.persist_batch(run, run.jobs.get(), Batch(facts=[_stack("kept")]))
    runs.record_job_outcome(run.jobs.get(), status=RunStatus.FAILED, failure={"reason_code": "throttled"})
    runs.finish_run(run)
    assert Run.objects.get(pk=run.pk).status == RunStatus.FAILED
    assert _run(conn, "incremental") is None


# --- end to end ------------------------------------------------------------------------------------------------
ACCOUNT = "222233334444"
ECR = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
SCENARIO = f"""
format: roster-scenario/1
name: e2e-incremental-aws
aws:
  accounts:
    - id: "{ACCOUNT}"
      name: prod
      regions:
        - name: us-east-1
          stacks:
            - {{name: orders-prod, tags: {{team: orders}}, resources: [ecs:prod/orders, lambda:orders-webhook,
                                                                     sqs:orders-events]}}
            - {{name: billing-prod, tags: {{team: billing}}, resources: [lambda:billing-worker]}}
          ecs_clusters:
            - name: prod
              services:
                - {{name: orders, image: "{ECR}/orders:1.0", tags: {{team: orders}}}}
                - {{name: search, image: "{ECR}/search:1.0", tags: {{team: search}}}}
          lambdas:
            - {{name: orders-webhook, tags: {{team: orders}}}}
            - {{name: billing-worker, tags: {{team: billing}}}}
            - {{name: reporter, tags: {{team: data}}}}
            - {{name: old-job, tags: {{team: data}}}}
          apis:
            - {{name: hooks, type: HTTP, integrations: [reporter]}}
          sqs_queues:
            - {{name: orders-events, tags: {{team: orders}}}}
            - {{name: loose-queue, tags: {{team: data}}}}
          ecr_repositories: [orders, search]
          rds_instances:
            - {{id: orders-db}}
github: {{orgs: []}}
"""


def scan_and_wait(tenant, mode, timeout=240) -> Run:
    with tenant_context(tenant):
        with transaction.atomic():
            result = workflow.discover_workspace(Workspace.default(), trigger="test", scan_mode=mode, reconcile=False)
        (run,) = result["runs"]
        deadline = time.monotonic() + timeout
        while Run.objects.filter(pk=run.pk, status__in=ACTIVE_STATUSES).exists():
            assert time.monotonic() < deadline, "the scan did not finish"
            time.sleep(0.3)
        run.refresh_from_db()
        assert run.status == RunStatus.SUCCEEDED, run.failures
        return run


def calls(run: Run) -> dict[str, int]:
    total: dict[str, int] = {}
    for stats in Job.objects.filter(run=run).values_list("stats", flat=True):
        for operation, n in (stats.get("extra") or {}).get("per_operation", {}).items():
            total[operation] = total.get(operation, 0) + n
    return total


def snapshot():
    return {(f.kind, f.name): (f.attributes, f.tags, f.last_seen_run_id) for f in Fact.objects.all()}


@pytest.fixture(scope="module")
def account(live_peers, live_workers, django_db_blocker):
    from peers.demo import setup_tenant
    from peers.scenario import parse_scenario
    from portal.models import Tenant

    scenario = parse_scenario(SCENARIO)
    with django_db_blocker.unblock():
        setup_tenant(scenario, aws_endpoint=live_peers["aws"], github_url=live_peers["github"])
        tenant = Tenant.objects.get(name="e2e-incremental-aws")
        yield tenant, live_peers["aws"]
        tenant.delete(force_drop=True)


@pytest.mark.e2e
def test_incremental_scan_reads_what_changed_and_retires_nothing(account, django_db_blocker):
    from peers.big_account import apply_changes

    tenant, moto = account
    with django_db_blocker.unblock():
        full = scan_and_wait(tenant, "full")
        with tenant_context(tenant):
            before = snapshot()
        apply_changes(moto, ACCOUNT, {"stacks": [("us-east-1", "billing-prod")], "lambdas": [("us-east-1", "reporter")],
                                      "ecs": [("us-east-1", "prod", "search")]},
                      release="2", delete_lambdas=[("us-east-1", "old-job")])
        incremental = scan_and_wait(tenant, "incremental")
        with tenant_context(tenant):
            after = snapshot()
            modes = set(Job.objects.filter(run=incremental).values_list("stats__extra__mode", flat=True))
            assert modes == {"incremental"}
            changed = {(k.CFN_STACK, "billing-prod"), (k.LAMBDA_FUNCTION, "reporter"), (k.ECS_SERVICE, "search")}
            # Re-read: the new attributes are stored.
            billing = after[(k.CFN_STACK, "billing-prod")]
            assert billing[0]["status"] == "UPDATE_COMPLETE" and billing[1]["release"] == "2"
            reporter = after[(k.LAMBDA_FUNCTION, "reporter")]
            assert (reporter[0]["description"], reporter[0]["memory_size"]) == ("release 2", 512)
            assert after[(k.ECS_SERVICE, "search")][0]["images"] == [f"{ECR}/search:2"]
            # Unchanged: current (seen by this run) with exactly what the full scan stored.
            gone = (k.LAMBDA_FUNCTION, "old-job")
            for key, (attributes, tags, seen_by) in after.items():
                if key == gone:
                    continue
                assert seen_by == incremental.pk, key
                if key not in changed:
                    assert (attributes, tags) == before[key][:2], key
            assert not FactLink.objects.filter(source_id__startswith="arn:aws:cloudformation").exclude(
                last_seen_run=incremental).exists()
            # ... and not described again.
            spent = calls(incremental)
            assert spent["cloudformation:ListStackResources"] == 1  # billing-prod
            assert spent["lambda:ListTags"] == 1                     # reporter
            assert spent["ecs:DescribeTaskDefinition"] == 1          # search's new revision
            for detail in ("sqs:GetQueueAttributes", "sqs:ListQueueTags", "ecr:ListTagsForResource",
                           "apigatewayv2:GetIntegrations"):
                assert detail not in spent and calls(full)[detail] > 0, detail
            assert incremental.stats["api_calls"] < full.stats["api_calls"]
            # The deleted function was not seen, and an incremental read proves nothing gone.
            assert after[gone][2] == full.pk
            current, _ = store.current_facts()
            assert current.filter(kind=k.LAMBDA_FUNCTION, name="old-job").exists()

        again = scan_and_wait(tenant, "full")
        with tenant_context(tenant):
            current, _ = store.current_facts()
            assert not current.filter(kind=k.LAMBDA_FUNCTION, name="old-job").exists()
            assert current.filter(kind=k.LAMBDA_FUNCTION).count() == 3
            assert set(Job.objects.filter(run=again).values_list("stats__extra__mode", flat=True)) == {"full"}
            assert snapshot()[(k.LAMBDA_FUNCTION, "reporter")][:2] == after[(k.LAMBDA_FUNCTION, "reporter")][:2]
