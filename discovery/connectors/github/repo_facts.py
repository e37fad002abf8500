"""Turn one fetched GitHub repository (and an org's teams and members) into facts, links and warnings.

The GitHub connector fetches; these functions only interpret, so they take plain dicts and never
raise: a file that is binary, not UTF-8, too big or malformed becomes a warning on the batch.
"""
from __future__ import annotations

import posixpath
from collections import Counter
from datetime import datetime
from typing import Any, Callable

from discovery import facts
from discovery.connectors.github.catalog_info import CATALOG_INFO_NAMES, parse_catalog_info
from discovery.connectors.github.codeowners import parse_codeowners, pick_codeowners
from discovery.connectors.github.deploy_targets import WORKFLOW_PATH, find_deploy_targets
from discovery.connectors.github.readme import pick_readme, readme_description
from discovery.connectors.github.terraform import is_terraform, read_terraform

REPO_OPERATION = "github:repository"
ORG_OPERATION = "github:organization"

INVALID_CODEOWNERS_LINE = "invalid_codeowners_line"
INVALID_YAML = "invalid_yaml"
UNRESOLVED_EXPRESSION = "unresolved_expression"
FILE_TRUNCATED = "file_truncated"
BINARY_FILE = "binary_file"
NON_UTF8_FILE = "non_utf8_file"

_BINARY_SNIFF = 8192
MAX_CATALOG_FILES = 200  # catalog-info files read per repository (a monorepo keeps one per service folder)
# GraphQL says READ/WRITE; REST and the scenario say pull/push.
_PERMISSIONS = {"read": "pull", "write": "push", "pull": "pull", "triage": "triage", "push": "push",
                "maintain": "maintain", "admin": "admin"}


def _warning(batch: facts.Batch, reason_code: str, item: str, message: str) -> None:
    batch.warnings.append({"reason_code": reason_code, "message": message, "item": item})


def _guarded(batch: facts.Batch, reason_code: str, item: str, what: str, fn: Callable[[], Any], default: Any) -> Any:
    """Run one interpretation step; an unexpected failure costs that step only, never the batch."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - the contract is "never raises on any input"
        _warning(batch, reason_code, item, f"could not read {what}: {type(exc).__name__}: {exc}")
        return default


def _decode(batch: facts.Batch, full_name: str, path: str, content: Any, max_bytes: int,
            truncated: list[str]) -> str | None:
    """File content as text (capped at ``max_bytes`` of UTF-8), or None when it is not text."""
    item = f"{full_name}:{path}"
    if content is None:
        if path not in truncated:
            _warning(batch, BINARY_FILE, item, "no text content (binary or not fetched)")
        return None
    if isinstance(content, (bytes, bytearray, memoryview)):
        raw = bytes(content)
        if b"\x00" in raw[:_BINARY_SNIFF]:
            _warning(batch, BINARY_FILE, item, f"binary file ({len(raw)} bytes) skipped")
            return None
        cut = len(raw) > max_bytes
        if cut:
            raw = raw[:max_bytes]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            if cut and exc.start >= len(raw) - 3 and exc.reason == "unexpected end of data":
                text = raw[:exc.start].decode("utf-8", "replace")  # the cap split a character
            else:
                _warning(batch, NON_UTF8_FILE, item,
                         f"not valid UTF-8 (first bad byte at offset {exc.start}); undecodable bytes replaced")
                text = raw.decode("utf-8", "replace")
    elif isinstance(content, str):
        if "\x00" in content[:_BINARY_SNIFF]:
            _warning(batch, BINARY_FILE, item, "binary file (NUL bytes) skipped")
            return None
        try:
            raw = content.encode("utf-8")
        except UnicodeEncodeError:
            _warning(batch, NON_UTF8_FILE, item, "text has unpaired surrogates; replaced")
            raw = content.encode("utf-8", "replace")
            content = raw.decode("utf-8")
        cut = len(raw) > max_bytes
        text = raw[:max_bytes].decode("utf-8", "ignore") if cut else content
    else:
        _warning(batch, BINARY_FILE, item, f"unexpected content of type {type(content).__name__} skipped")
        return None
    if cut:
        _warning(batch, FILE_TRUNCATED, item, f"file larger than {max_bytes} bytes; read the first {max_bytes}")
        truncated.append(path)
    return text[1:] if text.startswith("\ufeff") else text


def _parse_date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def _commit_summary(commits: Any) -> tuple[dict[str, int], str | None]:
    """Commits per author login, and the newest commit date (as given) among those that parse."""
    authors: Counter[str] = Counter()
    newest: tuple[datetime, str] | None = None
    for commit in commits if isinstance(commits, list) else []:
        if not isinstance(commit, dict):
            continue
        login = commit.get("login")
        if isinstance(login, str) and login.strip():
            authors[login.strip()] += 1
        date = _parse_date(commit.get("date"))
        if date and (newest is None or date > newest[0]):
            newest = (date, commit["date"])
    return dict(authors), newest[1] if newest else None


def _str_list(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def repo_batch(org: str, repo: dict, *, max_file_bytes: int = 262144) -> facts.Batch:
    """Facts for one repository: the repository, its CODEOWNERS rules, catalog entities and deploy
    targets, with ``declares`` links from the repository to each. Never raises."""
    batch = facts.Batch()
    if not isinstance(repo, dict) or not isinstance(repo.get("name"), str) or not repo["name"]:
        return batch
    name = repo["name"]
    full_name = f"{org}/{name}"
    repo_id = facts.github_id(facts.GH_REPO, org, name)
    files = repo.get("files") if isinstance(repo.get("files"), dict) else {}
    truncated = _str_list(repo.get("truncated_files"))
    for path in truncated:
        _warning(batch, FILE_TRUNCATED, f"{full_name}:{path}", "the connector fetched only part of this file")
    texts: dict[str, str | None] = {}
    for path, content in files.items():
        if isinstance(path, str):
            texts[path] = _decode(batch, full_name, path, content, max_file_bytes, truncated)

    def declare(fact: facts.FactRecord) -> None:
        batch.facts.append(fact)
        batch.links.append(facts.LinkRecord(facts.GH_REPO, repo_id, facts.DECLARES, fact.kind, fact.external_id,
                                        operation=REPO_OPERATION))

    readme_path, readme_text = pick_readme(texts)
    readme = readme_description(readme_path, readme_text)  # total: any text in, a summary or None out

    codeowners_path, codeowners_text = pick_codeowners(texts)
    if codeowners_text is not None:
        item = f"{full_name}:{codeowners_path}"
        parsed = _guarded(batch, INVALID_CODEOWNERS_LINE, item, "CODEOWNERS",
                          lambda: parse_codeowners(codeowners_text), None)
        for warning in parsed.warnings if parsed else []:
            _warning(batch, INVALID_CODEOWNERS_LINE, item, f"line {warning['line']}: {warning['reason']}")
        for rule in parsed.rules if parsed else []:
            declare(facts.FactRecord(
                kind=facts.GH_CODEOWNER_RULE, external_id=facts.github_id(facts.GH_CODEOWNER_RULE, org, name, str(rule.line)),
                name=rule.pattern, account=org, operation=REPO_OPERATION,
                attributes={"repo": full_name, "path": codeowners_path, "line": rule.line, "pattern": rule.pattern,
                            "owners": list(rule.owners), "order": rule.order}))

    # the root catalog-info first, then any in subfolders (monorepos keep one per service)
    catalog_paths = sorted((p for p in texts if posixpath.basename(p) in CATALOG_INFO_NAMES),
                           key=lambda p: (p.count("/"), p))
    if len(catalog_paths) > MAX_CATALOG_FILES:
        _warning(batch, "input_too_large", f"{full_name}:{catalog_paths[MAX_CATALOG_FILES]}",
                 f"more than {MAX_CATALOG_FILES} catalog-info files; the deepest were not read")
    seen: set[str] = set()
    for catalog_path in catalog_paths[:MAX_CATALOG_FILES]:
        if texts[catalog_path] is None:
            continue
        item = f"{full_name}:{catalog_path}"
        entities, problems = _guarded(batch, INVALID_YAML, item, "catalog-info",
                                      lambda: parse_catalog_info(texts[catalog_path]), ([], []))
        for problem in problems:
            _warning(batch, INVALID_YAML, item, f"line {problem['line']}: {problem['reason']}")
        for entity in entities:
            external_id = facts.github_id(facts.GH_CATALOG_ENTITY, org, name, entity["entity_kind"], entity["name"])
            if external_id in seen:
                continue
            seen.add(external_id)
            declare(facts.FactRecord(
                kind=facts.GH_CATALOG_ENTITY, external_id=external_id, name=entity["name"], account=org,
                operation=REPO_OPERATION,
                attributes={"repo": full_name, "path": catalog_path, **{k: entity[k] for k in (
                    "entity_kind", "name", "owner", "owner_kind", "owner_ref", "system", "type", "lifecycle",
                    "description", "tags", "project_slug")}}))

    targets, problems = _guarded(batch, INVALID_YAML, f"{full_name}:.github/workflows", "deploy targets",
                                 lambda: find_deploy_targets(texts, repo=full_name), ([], []))
    for problem in problems:
        _warning(batch, problem["reason_code"], f"{full_name}:{problem['path']}",
                 f"line {problem['line']}: {problem['message']}")
    places: set[tuple] = set()
    seen = set()
    for target in targets:
        # One fact per place (kind, name, account, region): a service deployed under one name to several
        # regions or accounts keeps every place; targets that differ only in cluster or stage are one place.
        place = (target["target_kind"], target["name"], target.get("account"), target.get("region"))
        if place in places:
            continue
        places.add(place)
        external_id = deploy_target_id(org, name, target)
        if external_id in seen:
            external_id = deploy_target_id(org, name, target, with_place=True)
        seen.add(external_id)
        declare(facts.FactRecord(kind=facts.GH_DEPLOY_TARGET, external_id=external_id, name=target["name"], account=org,
                             operation=REPO_OPERATION, attributes={"repo": full_name, **target}))

    # what the repository's Terraform declares: kept apart from deploy targets, because an
    # infrastructure repository declares other repositories' services (it must not become their repository)
    if any(is_terraform(p) for p in texts):
        declared, problems = _guarded(batch, "invalid_hcl", f"{full_name}:*.tf", "Terraform",
                                      lambda: read_terraform(texts), ([], []))
        for problem in problems:
            _warning(batch, problem["reason_code"], f"{full_name}:{problem['path']}", problem["message"])
        seen = set()
        for d in declared:
            external_id = facts.github_id(facts.GH_IAC_RESOURCE, org, name, d["address"], d["path"])
            if external_id in seen:
                continue
            seen.add(external_id)
            declare(facts.FactRecord(kind=facts.GH_IAC_RESOURCE, external_id=external_id, name=d["name"],
                                     account=org, operation=REPO_OPERATION,
                                     attributes={"repo": full_name, "tool": "terraform", **d}))

    authors, last_commit_at = _commit_summary(repo.get("commits"))
    languages = repo.get("languages") if isinstance(repo.get("languages"), dict) else {}
    batch.facts.insert(0, facts.FactRecord(
        kind=facts.GH_REPO, external_id=repo_id, name=name, account=org, operation=REPO_OPERATION,
        attributes={
            "full_name": full_name,
            "description": repo.get("description") if isinstance(repo.get("description"), str) else None,
            "readme_description": readme,
            "primary_language": repo.get("primary_language") if isinstance(repo.get("primary_language"), str)
            else None,
            "languages": {k: v for k, v in languages.items() if isinstance(k, str) and type(v) is int},
            "topics": _str_list(repo.get("topics")),
            "archived": bool(repo.get("archived")),
            "fork": bool(repo.get("fork")),
            "default_branch": repo.get("default_branch") if isinstance(repo.get("default_branch"), str) else None,
            "pushed_at": repo.get("pushed_at") if isinstance(repo.get("pushed_at"), str) else None,
            "url": repo.get("url") if isinstance(repo.get("url"), str) else None,
            "commit_authors": authors,
            "last_commit_at": last_commit_at,
            "codeowners_path": codeowners_path,
            "workflow_files": sorted(p for p in texts if WORKFLOW_PATH.match(p)),
            "has_catalog_info": bool(catalog_paths),
            "files_truncated": sorted(set(truncated)),
        }))
    return batch


def deploy_target_id(org: str, repo: str, target: dict, *, with_place: bool = False) -> str:
    """A deploy target's external id. The first place of a kind and name keeps the id without a place (the
    id every such fact had before places were told apart), so re-reading a repository updates its stored
    facts instead of replacing them; each further place adds ``@{account}:{region}`` to the name. No ``/``
    is added: one place's id must not sit under another's (``discovery.store.touch`` matches path prefixes)."""
    target_name = target["name"]
    if with_place:
        target_name += f"@{target.get('account') or '-'}:{target.get('region') or '-'}"
    return facts.github_id(facts.GH_DEPLOY_TARGET, org, repo, target["target_kind"], target_name)


def _login(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("login") or value.get("slug")
    return value.strip() if isinstance(value, str) and value.strip() else None


def team_batch(org: str, teams: list[dict], members: list[dict], *, org_info: dict | None = None) -> facts.Batch:
    """Facts for an organization, its members and teams, with member_of, has_permission and child_of
    links. ``teams``/``members`` as in a scenario's ``github.orgs[]``; ``org_info`` may give the org's
    display name and description. Never raises."""
    batch = facts.Batch()
    info = org_info if isinstance(org_info, dict) else {}
    org_id = facts.github_id(facts.GH_ORG, org)
    batch.facts.append(facts.FactRecord(
        kind=facts.GH_ORG, external_id=org_id, name=org, account=org, operation=ORG_OPERATION,
        attributes={"name": info.get("name") if isinstance(info.get("name"), str) else org,
                    "description": info.get("description") if isinstance(info.get("description"), str) else None}))
    seen: set[str] = set()
    for member in members if isinstance(members, list) else []:
        login = _login(member)
        if not login or login in seen:
            continue
        seen.add(login)
        member = member if isinstance(member, dict) else {}
        batch.facts.append(facts.FactRecord(
            kind=facts.GH_MEMBER, external_id=facts.github_id(facts.GH_MEMBER, login), name=login, account=org,
            operation=ORG_OPERATION,
            attributes={"name": member.get("name") if isinstance(member.get("name"), str) else None,
                        "email": member.get("email") if isinstance(member.get("email"), str) else None}))
    seen = set()
    for team in teams if isinstance(teams, list) else []:
        slug = _login(team.get("slug")) if isinstance(team, dict) else None
        if not slug or slug in seen:
            continue
        seen.add(slug)
        team_id = facts.github_id(facts.GH_TEAM, org, slug)
        parent = _login(team.get("parent"))
        team_members = team.get("members") if isinstance(team.get("members"), list) else []
        logins = list(dict.fromkeys(filter(None, map(_login, team_members))))
        batch.facts.append(facts.FactRecord(
            kind=facts.GH_TEAM, external_id=team_id, name=slug, account=org, operation=ORG_OPERATION,
            attributes={"name": team.get("name") if isinstance(team.get("name"), str) else slug,
                        "description": team.get("description") if isinstance(team.get("description"), str) else "",
                        "parent": parent, "members": logins, "org": org}))
        for login in logins:
            batch.links.append(facts.LinkRecord(facts.GH_MEMBER, facts.github_id(facts.GH_MEMBER, login), facts.MEMBER_OF,
                                            facts.GH_TEAM, team_id, operation=ORG_OPERATION))
        repos = team.get("repos")
        if isinstance(repos, list):  # [{"name", "permission"}] as the REST API lists them
            repos = {r.get("name"): r.get("permission") for r in repos if isinstance(r, dict)}
        for repo_name, permission in (repos.items() if isinstance(repos, dict) else []):
            if not isinstance(repo_name, str) or not repo_name:
                continue
            level = _PERMISSIONS.get(str(permission).lower(), str(permission).lower()) if permission else "pull"
            batch.links.append(facts.LinkRecord(facts.GH_TEAM, team_id, facts.HAS_PERMISSION, facts.GH_REPO,
                                            facts.github_id(facts.GH_REPO, org, repo_name), attributes={"permission": level},
                                            operation=ORG_OPERATION))
        if parent:
            batch.links.append(facts.LinkRecord(facts.GH_TEAM, team_id, facts.CHILD_OF, facts.GH_TEAM,
                                            facts.github_id(facts.GH_TEAM, org, parent), operation=ORG_OPERATION))
    return batch
