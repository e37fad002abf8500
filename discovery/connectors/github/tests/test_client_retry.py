"""The client's retries (tenacity): the waits GitHub asks for, backoff on 5xx, counts, and giving up.

Real HTTP: a local server answers a scripted sequence; sleeping is recorded instead of done."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from discovery.connectors.github import client as client_module
from discovery.connectors.github.client import GITHUB_COUNTS, EtagStore, GithubClient
from discovery.connectors.github.errors import GithubFailure


class Scripted:
    """Answers each request with the next (status, headers, body) of ``answers``; the last one repeats."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.seen: list[dict] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                owner.seen.append(dict(self.headers))
                status, headers, body = owner.answers.pop(0) if len(owner.answers) > 1 else owner.answers[0]
                data = json.dumps(body).encode()
                self.send_response(status)
                for key, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def github():
    servers = []

    def start(*answers):
        servers.append(Scripted(answers))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def client(server, slept, **kwargs):
    return GithubClient(server.url, "ghp_test", sleep=slept.append, url_guard=lambda url: None, **kwargs)


OK = (200, {}, {"login": "acme"})


def test_secondary_limit_waits_what_retry_after_says(github):
    server, slept = github((403, {"Retry-After": "7"}, {"message": "secondary rate limit"}), OK), []
    gh = client(server, slept)
    assert gh.rest("/orgs/acme") == {"login": "acme"}
    assert slept == [7.0] and len(server.seen) == 2
    stats = gh.stats.as_dict()
    assert (stats["api_calls"], stats["retries"], stats["throttled"], stats["secondary_limits"]) == (2, 0, 1, 1)
    assert stats["wait_seconds"] == 7.0


class Clock:
    """The client's clock: sleeping moves it on, so a wait until the reset is over when it returns."""

    def __init__(self):
        self.now = time.time()
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_primary_limit_waits_for_the_reset(github, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(client_module, "time", clock)
    reset = int(clock.now) + 30
    server = github((429, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}, {}), OK)
    gh = GithubClient(server.url, "ghp_test", sleep=clock.sleep, url_guard=lambda url: None)
    assert gh.rest("/orgs/acme") == {"login": "acme"}
    assert len(clock.slept) == 1 and 29 < clock.slept[0] <= 31  # until the reset, plus a second
    stats = gh.stats.as_dict()
    assert (stats["rate_limit_waits"], stats["throttled"], stats["retries"]) == (1, 1, 0)


def test_a_reset_further_away_than_allowed_fails_at_once(github):
    reset = int(time.time()) + 3600
    server, slept = github((403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}, {}), OK), []
    with pytest.raises(GithubFailure) as failure:
        client(server, slept, max_rate_wait=60).rest("/orgs/acme")
    assert failure.value.reason_code == "rate_limited" and "resets in" in failure.value.message
    assert slept == [] and len(server.seen) == 1


def test_5xx_backs_off_with_growing_jittered_waits_then_gives_up(github):
    server, slept = github((503, {}, {"message": "unavailable"})), []
    gh = client(server, slept, max_retries=4)
    with pytest.raises(GithubFailure) as failure:
        gh.rest("/orgs/acme")
    assert failure.value.reason_code == "unexpected_response" and "503" in failure.value.message
    assert len(server.seen) == 5 and len(slept) == 4
    assert all(0 <= wait <= cap for wait, cap in zip(slept, (1, 2, 4, 8)))  # full jitter under a doubling cap
    stats = gh.stats.as_dict()
    assert (stats["api_calls"], stats["retries"], stats["throttled"]) == (5, 4, 0)


def test_rate_limited_after_retries(github):
    server, slept = github((403, {"Retry-After": "1"}, {"message": "secondary rate limit"})), []
    with pytest.raises(GithubFailure) as failure:
        client(server, slept, max_retries=2).rest("/orgs/acme")
    assert failure.value.reason_code == "rate_limited" and len(server.seen) == 3 and slept == [1.0, 1.0]


def test_unreachable_host_is_retried_then_endpoint_unreachable(github):
    server, slept = github(OK), []
    server.stop()  # nothing listens there any more
    with pytest.raises(GithubFailure) as failure:
        client(server, slept, max_retries=2, timeout=2).rest("/orgs/acme")
    assert failure.value.reason_code == "endpoint_unreachable" and len(slept) == 2


def test_etags_given_are_sent_and_learned_ones_kept_apart(github):
    server, slept = github((304, {}, {}), (200, {"ETag": '"v2"'}, {"login": "acme"})), []
    url = server.url + "/orgs/acme"
    etags = EtagStore({url: ('"v1"', {"login": "cached"}, None)})
    gh = client(server, slept, etag_cache=etags)
    assert gh.rest("/orgs/acme") == {"login": "cached"}
    assert server.seen[0]["If-None-Match"] == '"v1"' and etags.learned == {}
    etags.known.clear()
    assert gh.rest("/orgs/acme") == {"login": "acme"}
    assert etags.learned == {url: ('"v2"', {"login": "acme"}, None)}
    assert {name: gh.stats.as_dict().get(name, 0) for name in ("not_modified", "rest_requests")} == \
        {"not_modified": 1, "rest_requests": 2}
    assert set(GITHUB_COUNTS) >= {"not_modified", "rest_requests"}
