"""The GitHub token (or App JWT) goes to the connection's allowed API root and nowhere else.

Real HTTP: a thread-served fake GitHub whose Link headers and redirects point at a second local server,
which records every request and the Authorization header it came with.
"""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection as db

from discovery import execute, runs
from discovery.connectors.github.client import GithubClient
from discovery.connectors.github.errors import GithubFailure
from discovery.models import Connection, RunStatus

TOKEN = "ghp_CONFINEDconfined0123456789abcdef"


class Server:
    """A local HTTP server: ``routes`` maps a path to (status, headers, body); every request is recorded."""

    def __init__(self, routes=None):
        self.routes = routes or {}
        self.seen: list[tuple[str, str, str | None]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                owner.seen.append((self.command, self.path, self.headers.get("Authorization")))
                status, headers, body = owner.routes.get(self.path.split("?")[0], (200, {}, []))
                data = json.dumps(body).encode()
                self.send_response(status)
                for key, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def attacker():
    server = Server()
    yield server
    server.stop()


@pytest.fixture
def github():
    server = Server()
    yield server
    server.stop()


def client_for(github):
    return GithubClient(github.url, TOKEN, max_retries=0)


@pytest.mark.parametrize("next_link", [
    "{attacker}/steal",                        # another port on the same address
    "http://localhost:{github_port}/steal",    # the same server under another name
    "https://127.0.0.1:{github_port}/steal",   # another scheme
    "http://x@127.0.0.1:{github_port}/steal",  # credentials in the link
])
def test_next_link_to_another_origin_is_not_followed(github, attacker, next_link):
    link = next_link.format(attacker=attacker.url, github_port=github.port)
    github.routes["/orgs/acme/repos"] = (200, {"Link": f'<{link}>; rel="next"'}, [{"name": "one"}])
    failure = None
    try:
        client_for(github).rest_all("/orgs/acme/repos")
    except GithubFailure as exc:
        failure = exc
    assert attacker.seen == []  # before the fix: ("GET", "/steal", "bearer ghp_...")
    assert [path for _, path, _ in github.seen if "steal" in path] == []
    assert failure is not None and failure.reason_code == "endpoint_refused" and failure.remediation
    assert TOKEN not in failure.message and "/steal" not in failure.message


def test_absolute_url_to_another_origin_is_refused_before_sending(github, attacker):
    with pytest.raises(GithubFailure) as failure:
        client_for(github).rest(f"{attacker.url}/orgs/acme")
    assert failure.value.reason_code == "endpoint_refused"
    assert attacker.seen == [] and github.seen == []


def test_redirect_to_another_origin_is_not_followed(github, attacker):
    github.routes["/orgs/acme"] = (302, {"Location": f"{attacker.url}/orgs/acme"}, {})
    with pytest.raises(GithubFailure) as failure:
        client_for(github).rest("/orgs/acme")
    assert failure.value.reason_code == "endpoint_refused"
    assert attacker.seen == []


def test_same_origin_links_and_redirects_still_work(github):
    github.routes["/orgs/old"] = (301, {"Location": "/orgs/acme"}, {})
    github.routes["/orgs/acme"] = (200, {}, {"login": "acme"})
    github.routes["/orgs/acme/repos"] = (200, {"Link": f'<{github.url}/orgs/acme/repos2>; rel="next"'}, [1])
    github.routes["/orgs/acme/repos2"] = (200, {}, [2])
    client = client_for(github)
    assert client.rest("/orgs/old") == {"login": "acme"}
    assert client.rest_all("/orgs/acme/repos") == [1, 2]
    assert {auth for _, _, auth in github.seen} == {f"bearer {TOKEN}"}


def scan(conn):
    run = runs.create_scan_run(conn)
    for job in run.jobs.all():
        execute.execute_job(execute.load_job(db.schema_name, str(run.workspace_id), str(run.pk), str(job.pk)))
    return runs.finish_run(run)


@pytest.mark.parametrize("auth,secret", [
    ("token", {"token": TOKEN}),
    ("app", {"private_key": "-----BEGIN RSA PRIVATE KEY-----\nnot-a-key\n-----END RSA PRIVATE KEY-----"}),
])
def test_base_url_written_around_the_api_is_refused_at_run_time(in_alpha, attacker, settings, auth, secret):
    """A base_url put in the database directly (admin JSON, a shell): the worker refuses it, sends nothing."""
    from portal.workspaces.models import Workspace

    settings.ROSTER_GITHUB_EMULATOR_URL = "http://127.0.0.1:9"  # the local peer is elsewhere
    conn = Connection(workspace=Workspace.default(), provider="github", name=f"gh-{auth}",
                      config={"org": "acme", "auth": auth, "app_id": 1, "base_url": attacker.url})
    conn.set_secret(secret)
    conn.save()
    run = scan(conn)
    assert attacker.seen == []  # neither the token nor the App JWT went there
    assert run.status == RunStatus.FAILED
    assert {f["reason_code"] for f in run.failures} == {"endpoint_refused"}
    assert all("ROSTER_GITHUB_ENTERPRISE_URLS" in f["remediation"] for f in run.failures)
