"""The repositories reconcile may link: which count, what they declare, finding one by name, key or reference."""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from catalog import naming
from catalog.reconcile.resource_index import ResourceIndex
from catalog.reconcile.types import FactView
from discovery.facts import DECLARES, GH_CATALOG_ENTITY, GH_ORG, GH_REPO

# catalog-info entity kinds that name a deployable (Systems, Groups, Users ... do not)
ENTITY_KINDS = ("Component", "API", "Resource")


def is_deployable_entity(entity: FactView) -> bool:
    return (entity.attributes or {}).get("entity_kind", "Component") in ENTITY_KINDS


class Repositories:
    """Live repositories (archived and forked ones are excluded) and their lookups.

    A catalog-info entity belongs to the repository its ``github.com/project-slug`` names, wherever
    the file sits (a central catalog repository describes many); one naming a repository we do not
    read (another org, archived) speaks for none of ours. Without a slug it belongs to its holder."""

    def __init__(self, ix: ResourceIndex, excluded: list[dict[str, Any]]):
        self.repos: dict[str, FactView] = {}
        self.repo_keys: dict[str, set[str]] = {}
        self.repo_by_name: dict[str, str] = {}
        self.repo_by_key: dict[str, list[str]] = defaultdict(list)
        self.repo_declares: dict[str, dict[str, list[FactView]]] = {}
        # a company's name often prefixes its resource and repository names ("acme-billing-prod")
        self.orgs = frozenset(w for kind in (GH_ORG, GH_REPO) for f in ix.by_kind.get(kind, ())
                              for w in naming.words(f.account or f.name))
        for repo in ix.by_kind.get(GH_REPO, ()):
            attrs = repo.attributes or {}
            if attrs.get("archived") or attrs.get("fork"):
                excluded.append({"external_id": repo.external_id, "kind": repo.kind, "name": repo.name,
                                 "reason": "archived" if attrs.get("archived") else "fork"})
                continue
            self.repos[repo.external_id] = repo
            declared: dict[str, list[FactView]] = defaultdict(list)
            for target in ix.targets(repo.external_id, DECLARES):
                declared[target.kind].append(target)
            self.repo_declares[repo.external_id] = declared
            full = str(attrs.get("full_name") or f"{repo.account}/{repo.name}").lower()
            self.repo_by_name[full] = repo.external_id
            self.repo_by_name.setdefault(repo.name.lower(), repo.external_id)
        self._rehome_entities()
        for repo_id, repo in self.repos.items():
            keys = naming.name_keys(repo.name, strip_env=False, drop_prefixes=self.orgs) | naming.name_keys(repo.name)
            for entity in self.repo_declares[repo_id].get(GH_CATALOG_ENTITY, ()):
                if is_deployable_entity(entity):
                    keys |= naming.name_keys(entity.name, strip_env=False)
            self.repo_keys[repo_id] = keys
            for key in keys:
                self.repo_by_key[key].append(repo_id)

    def _rehome_entities(self) -> None:
        """Move each catalog entity to the repository its project slug names (see the class)."""
        arriving: dict[str, list[FactView]] = defaultdict(list)
        for repo_id, declared in self.repo_declares.items():
            kept = []
            for entity in declared.get(GH_CATALOG_ENTITY, ()):
                slug = str((entity.attributes or {}).get("project_slug") or "").strip().lower()
                # only an org/name slug moves an entity: a bare name could be any org's
                home = self.repo_by_name.get(slug) if "/" in slug else repo_id
                if home == repo_id:
                    kept.append(entity)
                elif home is not None:
                    arriving[home].append(entity)
            if GH_CATALOG_ENTITY in declared:
                declared[GH_CATALOG_ENTITY] = kept
        for home, entities in arriving.items():
            self.repo_declares[home][GH_CATALOG_ENTITY].extend(entities)

    def repo_for_reference(self, value: str) -> str | None:
        """A repository named by a tag value: "org/name", a GitHub URL, or a bare name."""
        v = str(value).strip().lower()
        for prefix in ("https://", "http://", "git@", "ssh://git@"):
            if v.startswith(prefix):
                v = v[len(prefix):]
        v = v.replace("github.com:", "github.com/")
        if v.startswith("github.com/"):
            v = v[len("github.com/"):]
        v = v.removesuffix(".git").strip("/")
        parts = v.split("/")
        if len(parts) >= 2 and "/".join(parts[:2]) in self.repo_by_name:
            return self.repo_by_name["/".join(parts[:2])]
        return self.repo_by_name.get(parts[-1]) if parts and parts[-1] else None

    def entities(self, repo_id: str) -> list[FactView]:
        """The catalog-info Components, APIs and Resources a repository declares."""
        return [e for e in self.repo_declares.get(repo_id, {}).get(GH_CATALOG_ENTITY, ()) if is_deployable_entity(e)]
