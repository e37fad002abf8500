"""Hostile tenant data must never stall a worker.

Each input under adversarial/ (regenerate with adversarial/make_corpus.py) targets one path that
was quadratic or exponential: ``${{ }}`` and serverless ``${self:}`` fan-out, YAML alias and merge-key
bombs, regexes that backtrack, per-command re-parsing of companion files, per-job env copies ...
It goes through the entry point the worker uses: ``repo_batch`` for a repository snapshot (the
GitHub job), ``failure_from`` + ``describe_failure`` for an AWS error message (the AWS job), the log
filter for a log line. Each call must stay within a CPU budget far above what the fixed code needs
and far below what the old code took (minutes to hours, or all memory; see the PR for timings), and
the YAML/expansion cases within a memory budget. Results must still be sane: secrets stay redacted
(no truncation in the log path), targets and warnings come out as for any other input.
"""
from __future__ import annotations

import gzip
import logging
import time
import tracemalloc
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from discovery.connectors.aws.errors import failure_from
from discovery.connectors.github.codeowners import owners_for, parse_codeowners
from discovery.connectors.github.repo_facts import repo_batch
from discovery.scanning import describe_failure
from portal.logging import RedactSecretsFilter

CORPUS = Path(__file__).parent / "adversarial"
CPU_BUDGET = 2.0            # seconds of CPU per input; the fixed code needs well under a tenth
MEMORY_BUDGET = 50 << 20    # peak bytes allocated while reading one YAML / expansion input


def _text(path: Path) -> str:
    raw = path.read_bytes()
    return (gzip.decompress(raw) if path.suffix == ".gz" else raw).decode("utf-8")


def _repo(name: str) -> dict[str, str]:
    """A repository snapshot: {repository path: text}; ``x.gz`` is stored compressed, read as ``x``."""
    root = CORPUS / name
    return {str(p.relative_to(root)).removesuffix(".gz"): _text(p)
            for p in sorted(root.rglob("*")) if p.is_file()}


def _measure(fn, *args):
    # this thread's CPU only: in the full suite other threads of the process (a browser driver, live
    # servers of other tests) burn CPU meanwhile, and process_time() would bill it to the parser
    start = time.thread_time()
    result = fn(*args)
    return result, time.thread_time() - start


def _peak(fn, *args) -> int:
    tracemalloc.start()
    try:
        fn(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _scan(files: dict[str, str]):
    return repo_batch("acme", {"name": "hostile", "files": files})


def _kinds(batch, kind: str) -> list:
    return [f for f in batch.facts if f.kind == kind]


def _targets(batch) -> set[tuple[str, str]]:
    return {(f.attributes["target_kind"], f.name) for f in _kinds(batch, "deploy_target")}


def _reasons(batch) -> set[str]:
    return {w["reason_code"] for w in batch.warnings}


# name -> (check of the batch, whether to bound memory too)
REPOS = {
    "repo-expression-fanout": (lambda b: "unresolved_expression" in _reasons(b) or _targets(b), True),
    "repo-unclosed-expressions": (lambda b: True, False),
    "repo-shell-doubling": (lambda b: _targets(b) == set() and "unresolved_expression" in _reasons(b), True),
    "repo-line-continuations": (lambda b: "input_too_large" in _reasons(b), False),
    "repo-shell-defaults": (lambda b: "input_too_large" in _reasons(b), False),
    "repo-ecr-registry-check": (lambda b: True, False),
    "repo-alias-amplification": (lambda b: "invalid_yaml" in _reasons(b), True),
    "repo-env-copies": (lambda b: True, True),
    "repo-matrix-steps": (lambda b: ("ecs_service", "v0") in _targets(b) and "input_too_large" in _reasons(b), False),
    "repo-fallback-spaces": (lambda b: ("ecs_service", "fb") in _targets(b), False),
    "repo-cdk-reparse": (lambda b: ("cdk_stack", "Stack999") in _targets(b), False),
    "repo-sam-reparse": (lambda b: ("cloudformation_stack", "s1999") in _targets(b), False),
    "repo-serverless-fanout": (lambda b: "unresolved_expression" in _reasons(b), True),
    "repo-serverless-merge-bomb": (lambda b: "invalid_yaml" in _reasons(b), True),
    "repo-template-merge-bomb": (lambda b: "invalid_yaml" in _reasons(b), True),
    "repo-template-functions": (lambda b: ("lambda_function", "fn0") in _targets(b), False),
    "repo-taskdef-containers": (lambda b: ("ecr_image", "r0") in _targets(b), False),
    "repo-samconfig-blank-lines": (lambda b: ("cloudformation_stack", "s") in _targets(b), False),
    "repo-jenkins-blank-lines": (lambda b: True, False),
    "repo-deep-nesting": (lambda b: {"invalid_yaml"} == _reasons(b), True),
    "repo-catalog-merge-bomb": (lambda b: "invalid_yaml" in _reasons(b), True),
    "repo-catalog-laughs": (lambda b: "invalid_yaml" in _reasons(b), True),
    "repo-codeowners-globs": (lambda b: len(_kinds(b, "github_codeowner_rule")) == 5, False),
    "repo-codeowners-huge-line": (lambda b: len(_kinds(b, "github_codeowner_rule")) == 1, False),
    "repo-readme-tag-text": (lambda b: True, False),
    "repo-readme-glued-urls": (lambda b: _kinds(b, "github_repository")[0].attributes["readme_description"], False),
    "repo-readme-emphasis": (lambda b: True, False),
    "repo-readme-link-openers": (lambda b: True, False),
    "repo-readme-rst-spaces": (lambda b: True, False),
    "repo-readme-rst-bare-refs": (lambda b: True, False),
    "repo-terraform-dense": (lambda b: [f.name for f in _kinds(b, "iac_resource")] == ["tf-ok"]
                             and {"input_too_large", "unresolved_expression"} <= _reasons(b), True),
}


def test_every_corpus_repository_has_a_case():
    assert {p.name for p in CORPUS.glob("repo-*")} == set(REPOS)


@pytest.mark.parametrize("name", sorted(REPOS))
def test_repository_snapshot_is_read_within_budget(name):
    files = _repo(name)
    check, bound_memory = REPOS[name]
    batch, cpu = _measure(_scan, files)
    assert cpu < CPU_BUDGET, f"{name}: {cpu:.2f} s of CPU"
    assert batch.facts and batch.facts[0].kind == "github_repository"
    assert check(batch), (name, _targets(batch), batch.warnings[:5])
    assert all(len(w["message"]) < 2000 for w in batch.warnings)
    if bound_memory:
        peak = _peak(_scan, files)
        assert peak < MEMORY_BUDGET, f"{name}: {peak / 2**20:.1f} MB peak"


def test_codeowners_patterns_match_in_linear_time():
    parsed = parse_codeowners(_repo("repo-codeowners-globs")["CODEOWNERS"])
    paths = ["a" * 300, "a/" * 150 + "y", "x/" + "q/" * 200 + "y", "/".join(["a"] * 100) + "/z", "a" * 4000 + "b"]
    owners, cpu = _measure(lambda: [owners_for(parsed, p) for p in paths])
    assert cpu < CPU_BUDGET, f"{cpu:.2f} s of CPU"
    assert owners == [["@org/all"], ["@org/all"], ["@org/deep"], ["@org/dirs"], ["@org/long"]]


def _client_error(message: str) -> ClientError:
    return ClientError({"Error": {"Code": "AccessDeniedException", "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": 403}}, "ListClusters")


def _aws_failure(message: str) -> dict:
    """What the AWS job records for a failed call: failure_from (in retry.call), then describe_failure."""
    failure = failure_from(_client_error(message), operation="ecs:ListClusters", region="us-east-1")
    described = describe_failure(failure, item="us-east-1")
    described["unexpected"] = describe_failure(RuntimeError(message), item="us-east-1")["message"]
    return described


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("aws-*")))
def test_aws_error_message_is_sanitized_within_budget(name):
    message = _text(CORPUS / name)
    assert len(message) >= 16 * 1024
    described, cpu = _measure(_aws_failure, message)
    assert cpu < CPU_BUDGET, f"{name}: {cpu:.2f} s of CPU"
    assert described["reason_code"] == "access_denied"
    for text in (described["message"], described["unexpected"]):
        assert len(text) <= 300 and "CANARY" not in text


def _log(message: str) -> str:
    record = logging.LogRecord("roster", logging.INFO, __file__, 1, "%s", (message,), None)
    RedactSecretsFilter().filter(record)
    return record.getMessage()


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("log-*")))
def test_log_line_is_redacted_within_budget(name):
    line = _text(CORPUS / name)
    cleaned, cpu = _measure(_log, line)
    assert cpu < CPU_BUDGET, f"{name}: {cpu:.2f} s of CPU"
    assert "CANARY" not in cleaned  # the secret sits at the very end: redaction must not truncate
