"""The shared token bucket on the real Redis: a burst, then the rate, shared by every process's limiter of a
scope and by no other scope; throttling halves the rate, quiet time gives it back; no Redis, no stall."""
import uuid

import boto3
import pytest
from botocore.stub import Stubber

from discovery import ratelimit
from discovery.connectors.aws.retry import RetryPolicy, call
from discovery.connectors.stats import CallStats
from portal import redis_client


class Recorder:
    def __init__(self):
        self.waits = []

    def __call__(self, seconds):
        self.waits.append(seconds)


def limiter(scope, rates, sleep=None):
    return ratelimit.Limiter(scope, rates, sleep=sleep or Recorder())


@pytest.fixture
def scope():
    name = f"test-{uuid.uuid4().hex[:12]}"
    yield name
    client = redis_client.client()
    for key in client.scan_iter(f"roster:ratelimit:{name}:*"):
        client.delete(key)


def rate_of(scope, host):
    return float(redis_client.client().hget(f"roster:ratelimit:{scope}:{host}", "rate"))


def test_a_quiet_bucket_allows_its_burst_then_paces_at_the_rate(scope):
    rates = ratelimit.Rates(rate=10, burst=5)
    sleep = Recorder()
    bucket = limiter(scope, rates, sleep)
    waits = [bucket.acquire("ecs.us-east-1") for _ in range(9)]
    assert waits[:5] == [0.0] * 5
    # each later request reserves the next token: 0.1 s, 0.2 s, ... apart (give or take the calls' own time)
    assert all(0.05 <= w <= 0.45 for w in waits[5:]) and waits[5:] == sorted(waits[5:])
    assert sleep.waits == waits[5:]


def test_limiters_of_one_scope_share_the_bucket_and_other_scopes_do_not(scope):
    rates = ratelimit.Rates(rate=10, burst=4)
    first, second = limiter(scope, rates), limiter(scope, rates)  # two worker processes
    waits = [w.acquire("lambda.eu-west-1") for _ in range(2) for w in (first, second)]
    assert waits == [0.0] * 4
    assert second.acquire("lambda.eu-west-1") > 0  # the fifth request of the scope, whichever process asks
    assert limiter(f"{scope}-other", rates).acquire("lambda.eu-west-1") == 0.0
    assert first.acquire("ecs.eu-west-1") == 0.0  # another upstream host: its own bucket


def test_throttling_halves_the_rate_down_to_the_floor_and_quiet_time_restores_it(scope):
    import time

    rates = ratelimit.Rates(rate=16, burst=50, min_rate=3, quiet_seconds=0.2, regain=200)
    bucket = limiter(scope, rates)
    bucket.acquire("sqs.us-east-1")
    assert [bucket.penalize("sqs.us-east-1") for _ in range(4)] == [8.0, 4.0, 3.0, 3.0]
    bucket.acquire("sqs.us-east-1")
    assert rate_of(scope, "sqs.us-east-1") == pytest.approx(3.0, abs=0.5)  # still within the quiet window
    time.sleep(0.3)
    bucket.acquire("sqs.us-east-1")
    assert rate_of(scope, "sqs.us-east-1") == 16.0  # regained, never above the configured rate


def test_without_redis_requests_go_through_and_nothing_raises(monkeypatch, caplog):
    def down():
        raise ConnectionError("redis is down")
    monkeypatch.setattr(redis_client, "client", down)
    bucket = limiter("no-redis", ratelimit.Rates(rate=1, burst=1))
    assert [bucket.acquire("ecs.us-east-1") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.penalize("ecs.us-east-1") is None
    assert sum("rate limiter unavailable" in r.message for r in caplog.records) == 1


class FakeLimiter:
    def __init__(self, wait=0.0):
        self.wait, self.acquired, self.penalized = wait, [], []

    def acquire(self, host):
        self.acquired.append(host)
        return self.wait

    def penalize(self, host):
        self.penalized.append(host)


def test_every_aws_request_is_paced_and_a_throttle_slows_the_shared_bucket():
    client = boto3.client("ecs", region_name="eu-central-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    stubber.add_client_error("list_clusters", service_error_code="ThrottlingException", http_status_code=400)
    stubber.add_response("list_clusters", {"clusterArns": []})
    fake = FakeLimiter(wait=0.25)
    stats = CallStats(limiter=fake)
    with stubber:
        call(stats, client, "list_clusters", retry_policy=RetryPolicy(sleep=lambda s: None))
    assert fake.acquired == ["ecs.eu-central-1", "ecs.eu-central-1"]  # the retry waits for a token too
    assert fake.penalized == ["ecs.eu-central-1"]
    data = stats.as_dict()
    assert (data["api_calls"], data["throttled"], data["rate_limit_waits"]) == (2, 1, 2)
    assert data["wait_seconds"] >= 0.5
