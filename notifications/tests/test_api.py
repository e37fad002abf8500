"""The webhooks API and admin pages: admins only, the secret shown once, URLs checked (SSRF) with a clear 400,
deliveries listed, retried and pinged, nothing of another tenant's visible."""
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django_tenants.utils import tenant_context
from rest_framework.test import APIClient

from accounts.roles import set_role
from accounts.testing import user_with_token
from audit.models import AuditEvent
from notifications import delivery, subscriptions
from notifications.models import Delivery, Subscription

pytestmark = pytest.mark.django_db
LIST = "/api/v1/webhooks/subscriptions/"


def client_for(role: str, host: str = "alpha.localhost", name: str = "") -> APIClient:
    _, token = user_with_token(name or f"hooks-{role}", role)
    client = APIClient(HTTP_HOST=host)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def api(workspace):
    return client_for("admin")


@pytest.fixture
def created(api):
    response = api.post(LIST, {"name": "ops", "url": "http://127.0.0.1:9/hook", "events": ["run.finished"]},
                        format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_the_secret_is_shown_once_and_stored_encrypted(api, created):
    secret = created["secret"]
    assert secret.startswith("whsec_") and created["events"] == ["run.finished"] and created["active"] is True
    shown = api.get(f"{LIST}{created['id']}/").json()
    listed = api.get(LIST).json()["results"]
    assert "secret" not in shown and all("secret" not in s for s in listed) and secret not in str(listed)
    sub = Subscription.objects.get(pk=created["id"])
    assert sub.get_secret() == secret and secret.encode() not in bytes(sub.secret_ciphertext)
    audit = AuditEvent.objects.get(action="webhook.created", object_id=created["id"])
    assert audit.actor == "hooks-admin" and secret not in str(audit.data)


@pytest.mark.parametrize("url, says", [
    ("http://10.0.0.8/hook", "non-public address"),
    ("http://169.254.169.254/latest/meta-data/", "non-public address"),
    ("https://admin:hunter2@hooks.example.com/", "credentials"),
    ("gopher://127.0.0.1:6379/_FLUSHALL", "only https or http"),
    ("https://nowhere.invalid/hook", "does not resolve"),
])
def test_urls_roster_must_not_call_are_a_clear_400(api, url, says):
    response = api.post(LIST, {"name": "bad", "url": url}, format="json")
    assert response.status_code == 400 and says in str(response.json()["url"]), response.content
    assert "hunter2" not in response.content.decode()
    assert not Subscription.objects.exists()


def test_bad_events_and_a_taken_name_are_a_400_too(api, created):
    unknown = api.post(LIST, {"name": "x", "url": "http://127.0.0.1:9/", "events": ["nope"]}, format="json")
    assert unknown.status_code == 400 and "events" in unknown.json()
    assert api.post(LIST, {"name": "x", "url": "http://127.0.0.1:9/", "events": []}, format="json").status_code == 400
    taken = api.post(LIST, {"name": "ops", "url": "http://127.0.0.1:9/"}, format="json")
    assert taken.status_code == 400 and "already has this name" in str(taken.json())
    renamed = api.patch(f"{LIST}{created['id']}/", {"url": "http://10.1.1.1/"}, format="json")
    assert renamed.status_code == 400
    assert Subscription.objects.get(pk=created["id"]).url == "http://127.0.0.1:9/hook"


def test_rotating_gives_a_new_secret_and_turning_on_clears_the_disabled_flag(api, created):
    rotated = api.post(f"{LIST}{created['id']}/rotate-secret/")
    assert rotated.status_code == 200 and rotated.json()["secret"] not in ("", created["secret"])
    delivery.disable(Subscription.objects.get(pk=created["id"]), "20 deliveries in a row failed")
    flagged = api.get(f"{LIST}{created['id']}/").json()
    assert flagged["active"] is False and flagged["disabled_at"] and flagged["disabled_reason"]
    back = api.patch(f"{LIST}{created['id']}/", {"active": True}, format="json").json()
    assert back["active"] is True and back["disabled_at"] is None and back["consecutive_failures"] == 0
    assert api.delete(f"{LIST}{created['id']}/").status_code == 204
    assert AuditEvent.objects.filter(action="webhook.deleted", object_id=created["id"]).exists()


def test_ping_deliveries_and_retry(api, created, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        pinged = api.post(f"{LIST}{created['id']}/test/")
    assert pinged.status_code == 202 and pinged.json()["event_type"] == "ping" and len(queued) == 1
    listed = api.get(f"{LIST}{created['id']}/deliveries/", {"status": "pending"}).json()
    assert [d["id"] for d in listed["results"]] == [pinged.json()["id"]]
    assert api.get(f"{LIST}{created['id']}/deliveries/", {"status": "succeeded"}).json()["results"] == []
    assert api.get(f"{LIST}{created['id']}/deliveries/", {"status": "bogus"}).status_code == 400

    delivery.send(pinged.json()["id"])  # nobody listens on port 9: a failed attempt, logged
    detail = api.get(f"/api/v1/webhooks/deliveries/{pinged.json()['id']}/").json()
    assert detail["payload"]["type"] == "ping" and detail["attempts"] == 1
    assert detail["attempt_log"][0]["succeeded"] is False and detail["attempt_log"][0]["error"]
    with django_capture_on_commit_callbacks() as queued:
        retried = api.post(f"/api/v1/webhooks/deliveries/{pinged.json()['id']}/retry/")
    assert retried.status_code == 202 and retried.json()["status"] == "pending" and len(queued) == 1

    api.patch(f"{LIST}{created['id']}/", {"active": False}, format="json")
    refused = api.post(f"/api/v1/webhooks/deliveries/{pinged.json()['id']}/retry/")
    assert refused.status_code == 409 and "turned off" in refused.json()["detail"]
    assert api.post(f"{LIST}{created['id']}/test/").status_code == 409


def test_editors_and_viewers_are_refused(created):
    for role in ("viewer", "editor"):
        client = client_for(role)
        assert client.get(LIST).status_code == 403
        assert client.post(f"{LIST}{created['id']}/rotate-secret/").status_code == 403


def test_another_tenant_sees_none_of_it(created, tenant_beta):
    ping = Delivery.objects.first() or subscriptions.ping(Subscription.objects.get(pk=created["id"]))
    with tenant_context(tenant_beta):
        beta = client_for("admin", host="beta.localhost", name="beta-admin")
        assert beta.get(LIST).json()["results"] == []
        assert beta.get(f"{LIST}{created['id']}/").status_code == 404
        assert beta.post(f"{LIST}{created['id']}/rotate-secret/").status_code == 404
        assert beta.get(f"/api/v1/webhooks/deliveries/{ping.pk}/").status_code == 404
        assert beta.post(f"/api/v1/webhooks/deliveries/{ping.pk}/retry/").status_code == 404


# --- the admin ------------------------------------------------------------------------------------------------
@pytest.fixture
def admin_site(workspace):
    user = get_user_model().objects.create_user("hooks-site-admin", password="x")
    set_role(user, "admin")
    client = Client(HTTP_HOST="alpha.localhost")
    client.force_login(user)
    return client


def test_the_admin_adds_a_subscription_shows_its_secret_once_and_checks_the_url(admin_site, workspace):
    add = reverse("admin:notifications_subscription_add")
    refused = admin_site.post(add, {"workspace": str(workspace.pk), "name": "x", "url": "http://169.254.169.254/",
                                    "events": ["run.finished"], "active": "on"})
    assert refused.status_code == 200 and "non-public address" in refused.content.decode()
    saved = admin_site.post(add, {"workspace": str(workspace.pk), "name": "ops", "url": "http://127.0.0.1:9/",
                                  "events": ["run.finished", "service.discovered"], "active": "on"}, follow=True)
    sub = Subscription.objects.get(name="ops")
    assert sub.events == ["service.discovered", "run.finished"] and sub.created_by == "hooks-site-admin"
    assert sub.get_secret() in saved.content.decode()  # the message, this once
    page = admin_site.get(reverse("admin:notifications_subscription_change", args=[sub.pk])).content.decode()
    assert sub.get_secret() not in page


def test_the_admin_retries_deliveries(admin_site, workspace, django_capture_on_commit_callbacks):
    sub = Subscription(workspace=workspace, name="ops", url="http://127.0.0.1:9/")
    subscriptions.create(sub)
    ping = subscriptions.ping(sub)
    Delivery.objects.filter(pk=ping.pk).update(status="failed", next_attempt_at=None)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        admin_site.post(reverse("admin:notifications_delivery_changelist"),
                        {"action": "retry", "_selected_action": [str(ping.pk)]})
    ping.refresh_from_db()
    assert ping.status == "pending" and len(queued) == 1
    page = admin_site.get(reverse("admin:notifications_delivery_change", args=[ping.pk]))
    assert page.status_code == 200 and "attempt" in page.content.decode().lower()
