"""Registering webhooks on the emulator's REST API (shapes from GitHub's OpenAPI description), how deliveries
go out (pings, form bodies, receivers that fail or are slow, no redirects) and the loopback-only rule: a hook
URL that could reach anything but this machine is refused, however it is spelled."""
from __future__ import annotations

import json
import socket
import threading

import pytest
import requests

from peers.github_emulator import create_app, get_schema, start_in_thread
from peers.github_emulator.webhook_schemas import validate_payload
from peers.github_emulator.webhooks import HookError, loopback_target
from peers.scenario import parse_scenario

from .test_webhooks import MEMBER_TOKEN, OWNER_TOKEN, SCENARIO
from .webhook_receiver import Receiver

ATTACKS = [
    "http://169.254.169.254/latest/meta-data/", "http://10.0.0.7:8080/hook", "http://example.com/hook",
    "https://api.github.com/", "http://0.0.0.0:8000/", "http://[::ffff:169.254.169.254]/", "http://[fd00::1]/",
    "http://127.0.0.1@evil.example/", "http://evil.example#@127.0.0.1/", "http://evil.example\\@127.0.0.1/",
    "http://127.0.0.1.nip.io/", "http://localhost.evil.example/", "http://2130706433/", "http://0x7f.1/",
    "file:///etc/passwd", "gopher://127.0.0.1:6379/_FLUSHALL", "ftp://127.0.0.1/", "//127.0.0.1/", "127.0.0.1:80",
    "http://127.0.0.1:99999/", "http://127.0.0.1/\r\nX-Injected: 1", "", None, 42,
]


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def base():
    get_schema()
    app = create_app(parse_scenario(SCENARIO), tokens={OWNER_TOKEN: "olive-owner", MEMBER_TOKEN: "max-dev"},
                     warm_schema=False)
    url, stop = start_in_thread(app)
    yield url
    stop()


def owner() -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"token {OWNER_TOKEN}"
    return session


def flush(base: str) -> None:
    assert requests.post(f"{base}/_emulator/hooks/flush").json() == {"flushed": True}


def deliveries(base: str, **query: str) -> list[dict]:
    return requests.get(f"{base}/_emulator/deliveries", params={"payload": "1", **query}).json()


@pytest.mark.parametrize("scope, path", [("org", "/orgs/acme"), ("repo", "/repos/acme/billing")])
def test_rest_hook_lifecycle(base, receiver, openapi, scope, path):
    http = owner()
    spec = "/orgs/{org}/hooks" if scope == "org" else "/repos/{owner}/{repo}/hooks"
    created = http.post(f"{base}{path}/hooks", json={
        "name": "web", "active": True, "events": ["push", "repository"],
        "config": {"url": receiver.url(f"/ok/{scope}"), "content_type": "json", "secret": "s", "insecure_ssl": "0"}})
    assert created.status_code == 201, created.text
    hook = created.json()
    openapi.validate(spec, hook, 201, "post")
    assert hook["config"]["secret"] == "********" and hook["type"] == ("Organization" if scope == "org" else "Repository")
    assert created.headers["Location"].endswith(f"{path}/hooks/{hook['id']}")
    one = f"{base}{path}/hooks/{hook['id']}"
    openapi.validate(spec, http.get(f"{base}{path}/hooks").json())
    openapi.validate(spec + "/{hook_id}", http.get(one).json())

    flush(base)  # GitHub pings a new hook
    [ping] = deliveries(base, hook_id=str(hook["id"]), event="ping")
    assert ping["status_code"] == 200 and ping["payload"]["hook"]["id"] == hook["id"]
    validate_payload("ping", ping["payload"])
    listed = http.get(f"{one}/deliveries").json()
    openapi.validate(spec + "/{hook_id}/deliveries", listed)
    assert [(d["event"], d["status_code"]) for d in listed] == [("ping", 200)]
    assert http.post(f"{one}/pings").status_code == 204

    patched = http.patch(one, json={"active": False, "events": ["*"], "config": {"url": receiver.url("/ok/moved")}})
    assert patched.status_code == 200
    openapi.validate(spec + "/{hook_id}", patched.json(), 200, "patch")
    assert (patched.json()["active"], patched.json()["events"]) == (False, ["*"])
    assert patched.json()["config"]["secret"] == "********"  # a new url keeps the secret
    requests.post(f"{base}/_emulator/push?wait=1", json={"repo": "acme/billing", "files": {"a.txt": "a"}})
    assert not deliveries(base, hook_id=str(hook["id"]), event="push")  # inactive hooks hear nothing

    assert http.delete(one).status_code == 204
    assert http.get(one).status_code == 404 and http.get(f"{base}{path}/hooks").json() == []


def test_hook_management_is_for_owners(base, receiver):
    body = {"name": "web", "config": {"url": receiver.url()}}
    member = requests.post(f"{base}/orgs/acme/hooks", json=body, headers={"Authorization": f"token {MEMBER_TOKEN}"})
    assert member.status_code == 404  # GitHub hides what a member may not administer
    assert requests.post(f"{base}/orgs/acme/hooks", json=body).status_code == 401
    assert owner().post(f"{base}/orgs/nope/hooks", json=body).status_code == 404
    assert owner().get(f"{base}/orgs/acme/hooks/12345").status_code == 404


@pytest.mark.parametrize("body, problem", [
    ({"name": "web"}, "config"),
    ({"name": "web", "config": {"url": "http://127.0.0.1:1/", "content_type": "xml"}}, "content_type"),
    ({"name": "web", "config": {"url": "http://127.0.0.1:1/"}, "events": ["no_such_event"]}, "no_such_event"),
    ({"name": "web", "config": {"url": "http://127.0.0.1:1/"}, "events": "push"}, "events"),
    ({"name": "web", "config": {"url": "http://127.0.0.1:1/"}, "active": "yes"}, "active"),
    ({"name": "email", "config": {"url": "http://127.0.0.1:1/"}}, "web"),
])
def test_bad_hooks_answer_422(base, body, problem):
    resp = owner().post(f"{base}/orgs/acme/hooks", json=body)
    assert resp.status_code == 422 and resp.json()["message"] == "Validation Failed"
    assert problem in resp.json()["errors"][0]["message"]


@pytest.mark.parametrize("url", ATTACKS)
def test_non_loopback_urls_are_refused(base, url):
    with pytest.raises(HookError):
        loopback_target(url)
    rest = owner().post(f"{base}/orgs/acme/hooks", json={"name": "web", "config": {"url": url}})
    assert rest.status_code == 422, url
    control = requests.post(f"{base}/_emulator/hooks", json={"url": url, "org": "acme"})
    assert control.status_code == 400 and "url" in control.json()["message"], url
    assert requests.get(f"{base}/_emulator/hooks").json() == []


def test_loopback_targets_are_rebuilt_from_the_checked_parts():
    assert loopback_target("http://127.0.0.1:8000/hooks/github?x=1") == ("http://127.0.0.1:8000/hooks/github?x=1",
                                                                         "127.0.0.1:8000")
    assert loopback_target("http://[::1]:8000/h") == ("http://[::1]:8000/h", "[::1]:8000")
    assert loopback_target("http://127.9.9.9/") == ("http://127.9.9.9:80/", "127.9.9.9")
    # a *.localhost name goes to 127.0.0.1 without asking DNS, under its own Host (a tenant's host name)
    assert loopback_target("http://sample-company.localhost:8000/webhooks/github") == (
        "http://127.0.0.1:8000/webhooks/github", "sample-company.localhost:8000")
    assert loopback_target("http://user:pw@localhost:81/p")[0] == "http://127.0.0.1:81/p"  # no user info sent on


def test_localhost_names_reach_the_receiver_with_their_host(base, receiver):
    url = f"http://tenant-a.localhost:{receiver.server.server_port}/ok/tenant"
    requests.post(f"{base}/_emulator/hooks", json={"url": url, "org": "acme", "events": ["push"]})
    sent = requests.post(f"{base}/_emulator/push?wait=1", json={"repo": "acme/billing", "files": {"b": "b"}}).json()
    [got] = receiver.by_guid([d["guid"] for d in sent["deliveries"]])
    assert got.headers["Host"] == f"tenant-a.localhost:{receiver.server.server_port}" and got.path == "/ok/tenant"


def test_failing_receivers_are_recorded_not_fatal(base, receiver):
    with socket.socket() as s:  # a port nothing listens on: bind one, then close it
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    for url in (receiver.url("/fail"), f"http://127.0.0.1:{dead_port}/down", receiver.url("/redirect")):
        assert requests.post(f"{base}/_emulator/hooks", json={"url": url, "org": "acme", "events": ["push"]}).ok
    resp = requests.post(f"{base}/_emulator/push?wait=1", json={"repo": "acme/billing", "files": {"c": "c"}})
    assert resp.status_code == 200 and len(resp.json()["deliveries"]) == 3
    results = {d["url"]: (d["status_code"], d["error"]) for d in deliveries(base, event="push")}
    assert results[receiver.url("/fail")] == (500, "Invalid HTTP Response: 500")
    assert results[f"http://127.0.0.1:{dead_port}/down"][0] is None
    assert results[f"http://127.0.0.1:{dead_port}/down"][1].startswith("failed to connect")
    assert results[receiver.url("/redirect")][0] == 302  # recorded, not followed
    assert not [r for r in receiver.received if r.path == "/ok/after-redirect"]
    hooks = requests.get(f"{base}/_emulator/hooks").json()
    assert {h["url"]: h["last_response"]["status"] for h in hooks}[receiver.url("/fail")] == "failed"
    assert owner().get(f"{base}/orgs/acme").status_code == 200  # the emulator carries on


def test_delivery_does_not_hold_up_the_change(base, receiver):
    requests.post(f"{base}/_emulator/hooks", json={"url": receiver.url("/hold"), "org": "acme", "events": ["push"]})
    receiver.hold()
    try:
        resp = requests.post(f"{base}/_emulator/push", json={"repo": "acme/billing", "files": {"d": "d"}}, timeout=5)
        assert resp.status_code == 200  # answered while the receiver still holds the delivery
        [pending] = deliveries(base, event="push")
        assert pending["status_code"] is None and pending["status"] == "queued"
        flushed = requests.post(f"{base}/_emulator/hooks/flush", json={"timeout": 0.2}).json()
        assert flushed == {"flushed": False}
    finally:
        receiver.release()
    flush(base)
    assert deliveries(base, event="push")[0]["status_code"] == 200


def test_form_content_type_is_signed_as_sent(base, receiver):
    secret = "form secret"
    requests.post(f"{base}/_emulator/hooks", json={"url": receiver.url("/ok/form"), "org": "acme",
                                                   "events": ["repository"], "content_type": "form", "secret": secret})
    sent = requests.post(f"{base}/_emulator/repos/acme/ledger/archive?wait=1").json()["deliveries"]
    [got] = receiver.by_guid([d["guid"] for d in sent])
    assert got.headers["Content-Type"] == "application/x-www-form-urlencoded" and got.signed_with(secret)
    assert got.payload["action"] == "archived"
    validate_payload("repository", got.payload)


def test_control_api_errors_are_clear(base):
    cases = [
        ("post", "/_emulator/repos/acme/nope/rename", {"name": "x"}, "no repository 'acme/nope'"),
        ("post", "/_emulator/repos/acme/billing/rename", {"name": "ledger"}, "already exists"),
        ("post", "/_emulator/repos/acme/billing/rename", {"name": "bad name"}, "repository name"),
        ("put", "/_emulator/orgs/acme/teams/platform/members/stranger", {}, "not a member of acme"),
        ("patch", "/_emulator/orgs/acme/teams/platform", {"parent": "platform-sre"}, "cycle"),
        ("post", "/_emulator/push", {"repo": "acme/billing", "branch": "main", "delete_branch": True}, "default branch"),
        ("post", "/_emulator/push", {"repo": "acme/billing", "branch": "../etc"}, "branch name"),
        ("post", "/_emulator/installation/repositories", {"org": "acme", "remove": ["billing"]}, "no GitHub App"),
        ("post", "/_emulator/hooks", {"url": "http://127.0.0.1:1/", "app": True}, "no GitHub App"),
        ("post", "/_emulator/push", {"files": {}}, "missing 'repo'"),
    ]
    for method, path, body, message in cases:
        resp = getattr(requests, method)(base + path, json=body)
        assert resp.status_code == 400 and message in resp.json()["message"], (path, resp.text)
    assert requests.post(f"{base}/_emulator/repos", data="[1, 2]").status_code == 400
    assert json.loads(requests.get(f"{base}/_emulator/deliveries").text) == []


def test_concurrent_changes_all_arrive_on_one_history(base, receiver):
    requests.post(f"{base}/_emulator/hooks", json={"url": receiver.url("/ok/many"), "org": "acme", "events": ["push"]})
    head = owner().get(f"{base}/repos/acme/ledger/commits").json()[0]["sha"]

    def push(n: int) -> None:
        requests.post(f"{base}/_emulator/push", json={"repo": "acme/ledger", "files": {f"f{n}.txt": str(n)}})

    threads = [threading.Thread(target=push, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    flush(base)
    pushes = deliveries(base, event="push")
    assert len(pushes) == 8 and all(d["status_code"] == 200 for d in pushes)
    # each push's before is the previous one's after: the store and the deliveries agree on one history
    chain = {d["payload"]["before"]: d["payload"]["after"] for d in pushes}
    for _ in range(8):
        head = chain.pop(head)
    assert chain == {} and owner().get(f"{base}/repos/acme/ledger/commits").json()[0]["sha"] == head
    assert len({d["guid"] for d in pushes}) == 8
