"""The webhook receiver: only signed deliveries count, each once; bad ones are refused or recorded, never queued."""
import hashlib
import hmac
import json
import uuid

import pytest
from django.test import Client

from discovery.models import Run
from discovery.tests.factories import ConnectionFactory, GithubConnectionFactory
from freshness import receiving, refresh
from freshness.models import GithubWebhook, InboundDelivery

PUSH = {"ref": "refs/heads/main", "organization": {"login": "acme"},
        "repository": {"name": "payments-api", "default_branch": "main", "owner": {"login": "acme"}}}


@pytest.fixture
def hook(workspace):
    connection = GithubConnectionFactory(workspace=workspace)
    return connection, receiving.configure(connection)


def deliver(connection, secret, payload, *, event="push", delivery=None, signature=None, host="alpha.localhost"):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    sig = signature if signature is not None else \
        "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return Client(HTTP_HOST=host).post(
        f"/webhooks/github/{connection.pk}/", data=body, content_type="application/json",
        HTTP_X_GITHUB_EVENT=event, HTTP_X_GITHUB_DELIVERY=delivery or str(uuid.uuid4()), HTTP_X_HUB_SIGNATURE_256=sig)


def test_a_signed_push_is_recorded_once_with_its_plan_and_queued(hook, django_capture_on_commit_callbacks):
    connection, secret = hook
    with django_capture_on_commit_callbacks() as queued:
        answer = deliver(connection, secret, PUSH, delivery="d-1")
    assert answer.status_code == 202 and answer.json()["plan"]["repos"] == ["payments-api"]
    assert len(queued) == 1
    with django_capture_on_commit_callbacks() as again:
        repeat = deliver(connection, secret, PUSH, delivery="d-1")
    assert repeat.status_code == 200 and "duplicate" in repeat.json()["message"]
    assert again == []
    [row] = InboundDelivery.objects.all()
    assert (row.event, row.status, row.plan["repos"]) == ("push", "queued", ["payments-api"])


@pytest.mark.parametrize("signature", ["", "sha256=deadbeef", "sha1=" + "0" * 40])
def test_a_bad_signature_is_401_and_nothing_is_recorded_or_queued(hook, signature, django_capture_on_commit_callbacks):
    connection, _ = hook
    with django_capture_on_commit_callbacks() as queued:
        answer = deliver(connection, "", PUSH, signature=signature)
    assert answer.status_code == 401
    assert queued == [] and not InboundDelivery.objects.exists()


def test_a_body_changed_after_signing_is_refused(hook):
    connection, secret = hook
    body = json.dumps(PUSH).encode()
    sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    tampered = body.replace(b"payments-api", b"billing-api")
    assert deliver(connection, secret, tampered, signature=sig).status_code == 401


def test_the_secret_of_another_connection_or_tenant_does_not_open_this_one(hook, workspace, tenant_beta):
    connection, _ = hook
    other = GithubConnectionFactory(workspace=workspace)
    other_secret = receiving.configure(other)
    assert deliver(connection, other_secret, PUSH).status_code == 401
    # Tenant beta's host does not know alpha's connection at all.
    assert deliver(connection, "", PUSH, host="beta.localhost").status_code in (401, 404)


def test_unknown_connections_and_aws_connections_answer_404_alike(workspace):
    aws = ConnectionFactory(workspace=workspace)
    GithubWebhook(connection=aws).set_secret("x")
    for connection_id in (uuid.uuid4(), aws.pk):
        answer = Client(HTTP_HOST="alpha.localhost").post(f"/webhooks/github/{connection_id}/", data=b"{}",
                                                          content_type="application/json",
                                                          HTTP_X_GITHUB_EVENT="push")
        assert answer.status_code == 404


def test_ping_is_answered_and_unknown_events_are_204_and_ignored(hook):
    connection, secret = hook
    assert deliver(connection, secret, {"zen": "Keep it simple"}, event="ping").status_code == 200
    assert deliver(connection, secret, {"action": "opened"}, event="pull_request").status_code == 204
    assert not InboundDelivery.objects.exists()


@pytest.mark.parametrize("payload", [b"{not json", b"[]", {"ref": "refs/heads/main"},
                                     {**PUSH, "repository": {"name": ["x"], "default_branch": "main"}}])
def test_a_signed_but_malformed_payload_is_400_and_recorded(hook, payload, django_capture_on_commit_callbacks):
    connection, secret = hook
    with django_capture_on_commit_callbacks() as queued:
        answer = deliver(connection, secret, payload)
    assert answer.status_code == 400
    [row] = InboundDelivery.objects.all()
    assert row.status == "invalid" and row.detail and queued == []


def test_a_push_to_another_branch_is_recorded_as_ignored(hook):
    connection, secret = hook
    answer = deliver(connection, secret, {**PUSH, "ref": "refs/heads/wip"})
    assert answer.status_code == 202
    assert InboundDelivery.objects.get().status == "ignored"


def test_only_get_and_post_semantics_apply_no_csrf_and_no_session_needed(hook):
    connection, secret = hook
    answer = Client(HTTP_HOST="alpha.localhost", enforce_csrf_checks=True).get(f"/webhooks/github/{connection.pk}/")
    assert answer.status_code == 405
    assert deliver(connection, secret, PUSH).status_code == 202  # enforce_csrf_checks is moot: csrf_exempt


def test_applying_a_push_starts_a_scan_of_just_that_repository(hook):
    connection, secret = hook
    deliver(connection, secret, PUSH)
    delivery = InboundDelivery.objects.get()
    assert refresh.apply(delivery.pk) == "applied"
    [run] = Run.objects.filter(connection=connection)
    assert run.selection == {"org": "acme", "repos": ["payments-api"], "scanners": ["github_repos"]}
    assert (run.trigger, run.full_scan, list(run.jobs.values_list("scanner", flat=True))) == (
        "webhook", False, ["github_repos"])
    assert refresh.apply(delivery.pk) == "applied"  # a redelivered task message does nothing twice
    assert Run.objects.filter(connection=connection).count() == 1


def test_a_second_push_while_the_first_is_scanned_waits(hook):
    connection, secret = hook
    deliver(connection, secret, PUSH)
    deliver(connection, secret, PUSH)
    first, second = InboundDelivery.objects.order_by("received_at")
    refresh.apply(first.pk)
    with pytest.raises(refresh.Busy):
        refresh.apply(second.pk)
    second.refresh_from_db()
    assert second.status == "queued" and second.attempts == 1


def test_a_deleted_repository_is_forgotten_and_the_workspace_reconciled(hook):
    from django.utils import timezone

    from discovery.models import Fact

    connection, secret = hook
    now = timezone.now()
    for ext, kind in (("github:repo/acme/old", "github_repository"), ("github:codeowners/acme/old/1", "x"),
                      ("github:repo/acme/older", "github_repository")):
        Fact.objects.create(workspace=connection.workspace, connection=connection, kind=kind, external_id=ext,
                            name=ext, provenance={}, first_seen=now, last_seen=now)
    deliver(connection, secret, {"action": "deleted", "organization": {"login": "acme"},
                                 "repository": {"name": "old", "owner": {"login": "acme"}}}, event="repository")
    assert refresh.apply(InboundDelivery.objects.get().pk) == "applied"
    assert list(Fact.objects.values_list("external_id", flat=True)) == ["github:repo/acme/older"]
    assert Run.objects.filter(kind=Run.Kind.RECONCILE, trigger="webhook").count() == 1


def test_admins_create_and_rotate_the_secret_which_is_shown_once(api, workspace):
    connection = GithubConnectionFactory(workspace=workspace)
    admin = api("admin")
    created = admin.post("/api/v1/github-webhooks/", {"connection": str(connection.pk)}, format="json").json()
    assert created["secret"] and created["url"].endswith(f"/webhooks/github/{connection.pk}/")
    listed = admin.get("/api/v1/github-webhooks/").json()["results"]
    assert listed[0]["secret"] is None
    rotated = admin.post(f"/api/v1/github-webhooks/{created['id']}/rotate/").json()
    assert rotated["secret"] and rotated["secret"] != created["secret"]
    assert deliver(connection, created["secret"], PUSH).status_code == 401  # the old secret no longer opens it
    assert deliver(connection, rotated["secret"], PUSH).status_code == 202
    assert api("editor").get("/api/v1/github-webhooks/").status_code == 403
    assert api("editor").get("/api/v1/github-webhooks/deliveries/").status_code == 403
    assert admin.get("/api/v1/github-webhooks/deliveries/").json()["results"][0]["event"] == "push"


def test_a_webhook_cannot_be_made_for_an_aws_connection(api, workspace):
    aws = ConnectionFactory(workspace=workspace)
    answer = api("admin").post("/api/v1/github-webhooks/", {"connection": str(aws.pk)}, format="json")
    assert answer.status_code == 404


def test_an_oversized_body_is_413_before_any_signature_work(hook, settings):
    connection, secret = hook
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    answer = deliver(connection, secret, {**PUSH, "padding": "x" * 4096})
    assert answer.status_code == 413
    assert not InboundDelivery.objects.exists()
