"""Freshness: how long a push that changes CODEOWNERS takes to show as the new owner, and what share of a full
AWS scan's API calls an incremental scan makes.

    .venv/bin/python bench/freshness.py [--pushes 20] [--resources 5000] [--changed 0.01] [--skip-aws]

Push to catalog: the sample company discovered once through real workers, its GitHub connection's webhook
registered in the GitHub emulator, a real Roster web server (gunicorn) receiving the emulator's signed
deliveries. Each push hands a service to the other of two teams in its CODEOWNERS; the clock runs from the push
(the emulator's control call) until the service's API answer and the search API both name the new owner.
Targets: push to catalog p95 under 10 s; incremental AWS calls under 15% of a full scan's (bench/freshness_aws.py).
"""
import sys
from pathlib import Path

# Run as a script, this folder is first on sys.path, and bench/catalog.py would shadow the catalog app.
_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
sys.path.insert(0, str(_BENCH.parent))

import argparse
import http.client
import json
import os
import statistics
import time
import urllib.request

from bench.harness import ROOT, discover, drop, setup, stack, table
from bench.processes import start_gunicorn, stop_process
from tests.peers import free_port

from peers.scenario import load_scenario

TENANT = "bench-freshness"
PUSH_TARGET_S = 10.0


def control(github: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(github + path, data=json.dumps(body).encode() if body is not None else None,
                                     method="POST" if body is not None else "GET",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read() or b"{}")


class Api:
    def __init__(self, port: int, token: str):
        self.port, self.token = port, token

    def get(self, path: str) -> dict:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("GET", path, headers={"Host": f"{TENANT}.localhost:{self.port}",
                                           "Authorization": f"Token {self.token}"})
        answer = conn.getresponse()
        body = answer.read()
        if answer.status != 200:
            raise RuntimeError(f"GET {path}: {answer.status} {body[:200]!r}")
        return json.loads(body)


def prepare(urls: dict) -> dict:
    """The sample company discovered, a viewer's token, the webhook secret; returns what the pushes need."""
    from django.db import transaction

    from accounts.testing import user_with_token
    from catalog.models import Service, Team
    from discovery.models import Connection
    from freshness import receiving
    from portal.tenancy import tenant_scope

    setup(load_scenario(ROOT / "scenarios" / "sample-company.yaml"), urls, TENANT)
    discover(TENANT)
    with tenant_scope(TENANT), transaction.atomic():
        github = Connection.objects.get(provider="github")
        org = github.config["org"]
        # A repository-only service: its CODEOWNERS is all there is to say who owns it (no AWS tags to outvote).
        service = (Service.objects.filter(owner_source="codeowners", repo__startswith=f"{org}/", hidden=False,
                                          resources__isnull=True).order_by("name").first())
        if service is None:
            raise SystemExit("the sample company has no service owned through CODEOWNERS")
        teams = [service.owner.slug, Team.objects.filter(github_org=org).exclude(pk=service.owner_id)
                 .order_by("slug").values_list("slug", flat=True).first()]
        secret = receiving.configure(github)
        _, token = user_with_token("bench-freshness", "viewer")
        return {"connection": str(github.pk), "org": org, "service": str(service.pk), "name": service.name,
                "repo": service.repo, "teams": teams, "secret": secret, "token": token}


def measure_push_to_catalog(urls: dict, pushes: int) -> dict:
    env = {**os.environ, "ROSTER_LOCAL_PEERS": "1", "ROSTER_AWS_ENDPOINT_URL": urls["aws"],
           "ROSTER_GITHUB_EMULATOR_URL": urls["github"], "ROSTER_DEBUG": "1", "ROSTER_SSL_REDIRECT": "0"}
    port = free_port()
    web = start_gunicorn("portal.wsgi:application", env, port, name="freshness", threads=4)
    try:
        info = prepare(urls)
        control(urls["github"], "/_emulator/hooks", {
            "url": f"http://{TENANT}.localhost:{port}/webhooks/github/{info['connection']}/",
            "secret": info["secret"], "events": ["*"], "org": info["org"]})
        api, seconds = Api(port, info["token"]), []
        for i in range(pushes):
            owner = info["teams"][(i + 1) % 2]
            start = time.monotonic()
            control(urls["github"], "/_emulator/push", {
                "repo": info["repo"], "files": {".github/CODEOWNERS": f"* @{info['org']}/{owner}\n# push {i}\n"}})
            while True:
                detail = api.get(f"/api/v1/services/{info['service']}/")
                if (detail.get("owner") or {}).get("slug") == owner:
                    hits = api.get(f"/api/v1/services/search/?q={info['name']}")["hits"]
                    if any(h["id"] == info["service"] and h.get("team_slug") == owner for h in hits):
                        break
                if time.monotonic() - start > 120:
                    raise RuntimeError(f"push {i}: the owner did not become {owner} within 120 s")
                time.sleep(0.05)
            seconds.append(time.monotonic() - start)
            time.sleep(0.5)  # the push's reconcile has finished; the next push starts from a quiet system
    finally:
        stop_process(web)
        drop(TENANT)
    ordered = sorted(seconds)
    return {"pushes": pushes, "push_to_catalog_p50_s": round(statistics.median(ordered), 3),
            "push_to_catalog_p95_s": round(ordered[max(0, int(round(0.95 * len(ordered))) - 1)], 3),
            "push_to_catalog_max_s": round(ordered[-1], 3), "push_target_s": PUSH_TARGET_S}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pushes", type=int, default=20)
    parser.add_argument("--resources", type=int, default=5000)
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--skip-aws", action="store_true", help="only the push to catalog figure")
    args = parser.parse_args()
    from bench.freshness_aws import measure_incremental_aws

    with stack(workers=args.workers) as urls:
        push = measure_push_to_catalog(urls, args.pushes)
        aws = None if args.skip_aws else measure_incremental_aws(args.resources, args.changed, urls=urls)
    rows = [{"figure": "push to catalog p50 (s)", "value": push["push_to_catalog_p50_s"], "target": ""},
            {"figure": "push to catalog p95 (s)", "value": push["push_to_catalog_p95_s"],
             "target": f"< {PUSH_TARGET_S:.0f}"},
            {"figure": "push to catalog max (s)", "value": push["push_to_catalog_max_s"], "target": ""}]
    if aws:
        rows += [{"figure": "full AWS scan API calls", "value": aws["full_api_calls"], "target": ""},
                 {"figure": "incremental AWS scan API calls", "value": aws["incremental_api_calls"], "target": ""},
                 {"figure": "incremental / full API calls", "value": aws["incremental_aws_call_share"],
                  "target": f"< {aws['target_share']}"}]
    print(f"\nFreshness: {args.pushes} CODEOWNERS pushes on the sample company; "
          f"{args.resources} AWS resources with {args.changed:.0%} changed")
    print(table(rows, ["figure", "value", "target"]))
    figures = {**push}
    if aws:
        figures.update({key: aws[key] for key in ("resources", "full_api_calls", "incremental_api_calls",
                                                  "incremental_aws_call_share")})
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
