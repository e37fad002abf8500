"""The AWS side of a company: accounts and regions, and the resources declared in each region
(stacks and alarms refer to them by in-region refs, the truth by ``kind:account/region/name``)."""
from __future__ import annotations

import random
from collections import namedtuple
from typing import Any

Res = namedtuple("Res", "ref truth")  # ref: in-region ref for stacks/alarms; truth: kind:account/region/name


class Region:
    """One account+region: resources are declared here and referenced by stacks and alarms."""

    def __init__(self, acct: str, name: str):
        self.acct, self.name = acct, name
        self.stacks: list[dict] = []
        self.clusters: dict[str, list[dict]] = {}
        self.lambdas: list[dict] = []
        self.apis: list[dict] = []
        self.dbs: list[dict] = []
        self.queues: list[dict] = []
        self.ecr: list[str] = []
        self.alarms: list[dict] = []

    def truth(self, kind: str, name: str) -> str:
        return f"{kind}:{self.acct}/{self.name}/{name}"

    def stack(self, name: str, tags: dict, refs: list[Res]) -> str:
        self.stacks.append({"name": name, "tags": dict(tags), "resources": [r.ref for r in refs]})
        return self.truth("stack", name)

    def ecs(self, cluster: str, name: str, image: str, tags: dict | None = None, desired: int = 1) -> Res:
        self.clusters.setdefault(cluster, []).append(
            {"name": name, "image": image, "desired_count": desired, "tags": dict(tags or {})})
        return Res(f"ecs:{cluster}/{name}", self.truth("ecs", name))

    def function(self, name: str, runtime: str, handler: str, tags: dict | None = None,
                 trigger: str | None = None) -> Res:
        fn = {"name": name, "runtime": runtime, "handler": handler, "tags": dict(tags or {})}
        if trigger:
            fn["sqs_trigger"] = trigger
        self.lambdas.append(fn)
        return Res(f"lambda:{name}", self.truth("lambda", name))

    def api(self, name: str, kind: str, integrations: list[str], tags: dict | None = None) -> Res:
        self.apis.append({"name": name, "type": kind, "tags": dict(tags or {}), "integrations": list(integrations)})
        return Res(f"api:{name}", self.truth("api", name))

    def db(self, ident: str, engine: str = "postgres", tags: dict | None = None) -> Res:
        self.dbs.append({"id": ident, "engine": engine, "tags": dict(tags or {})})
        return Res(f"rds:{ident}", self.truth("rds", ident))

    def queue(self, name: str, tags: dict | None = None) -> Res:
        self.queues.append({"name": name, "tags": dict(tags or {})})
        return Res(f"sqs:{name}", self.truth("sqs", name))

    def alarm(self, name: str, target: Res, state: str = "OK") -> None:
        self.alarms.append({"name": name, "state": state, "target": target.ref})

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"name": self.name}
        parts = {
            "stacks": self.stacks,
            "ecs_clusters": [{"name": c, "services": s} for c, s in self.clusters.items()],
            "lambdas": self.lambdas, "apis": self.apis, "rds_instances": self.dbs, "sqs_queues": self.queues,
            "ecr_repositories": self.ecr, "alarms": self.alarms,
        }
        out.update({k: v for k, v in parts.items() if v})
        return out


class AwsSide:
    """Accounts (name -> generated 12-digit id) and their regions; a ``Company`` mixin."""

    rng: random.Random
    accounts: dict[str, str]
    regions: dict[tuple[str, str], Region]

    def account(self, name: str) -> str:
        if name not in self.accounts:
            while True:
                acct = str(self.rng.randint(100000000000, 999999999999))
                if acct not in self.accounts.values():
                    break
            self.accounts[name] = acct
        return self.accounts[name]

    def region(self, account: str, region: str) -> Region:
        key = (account, region)
        if key not in self.regions:
            self.regions[key] = Region(self.account(account), region)
        return self.regions[key]
