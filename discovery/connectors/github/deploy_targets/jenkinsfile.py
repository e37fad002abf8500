"""Jenkins pipelines (``Jenkinsfile``, ``Jenkinsfile.x``, ``x.jenkinsfile``): the ``sh '...'``
steps, read as scripts, with the pipeline's literal ``environment {}`` assignments as env and the
region of the ``withAWS(region: '...') { }`` block (the pipeline-aws plugin) each step runs in, else
the environment's ``AWS_REGION``/``AWS_DEFAULT_REGION``."""
from __future__ import annotations

import bisect
import re

from .context import Job, Scan, Step
from .lines import Lines
from .scripts import scan_script

JENKINSFILE = re.compile(r"^(?:Jenkinsfile(?:\.[\w-]+)?|[\w-]+\.jenkinsfile)$")
_JENKINS_SH = re.compile(r"\bsh\s*\(?\s*(?:script\s*:\s*)?('\'\'|\"\"\"|'|\")(.*?)(?<!\\)\1", re.S)
# [ \t], not \s: with re.M, a \s* at each of many blank lines would rescan all the blank lines after it.
_JENKINS_ENV = re.compile(r"^[ \t]*([A-Za-z_]\w*)[ \t]*=[ \t]*['\"]([^'\"$\n]*)['\"][ \t]*$", re.M)
# withAWS(...) {: the argument list is read up to its first ")" and at most 512 characters
_WITH_AWS = re.compile(r"\bwithAWS\s*\(([^()]{0,512})\)\s*\{")
_REGION_ARG = re.compile(r"\bregion\s*:\s*['\"]([a-z0-9-]+)['\"]")
_BRACE = re.compile(r"[{}]")
MAX_BLOCKS = 200  # withAWS blocks read per file


def scan_jenkinsfile(scan: Scan, path: str, text: str) -> None:
    """``sh '...'`` steps of a Jenkins pipeline, with its ``environment {}`` literals as env."""
    env = dict(_JENKINS_ENV.findall(text))
    job = Job(path, env, {}, {})
    job.region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    blocks = _region_blocks(text)
    starts = [b[0] for b in blocks]
    line_at = Lines(text)
    for m in _JENKINS_SH.finditer(text):
        if not scan.script_work(path, line_at(m.start()), 0):
            return
        line = line_at(m.start(2))
        body = re.sub(r"\\([\\$\"'])", r"\1", m.group(2))  # Groovy string escapes
        step = Step(job, env, "", region=_region_at(blocks, starts, m.start()))
        scan_script(scan, path, body, step, line, True)


def _region_blocks(text: str) -> list[tuple[int, int, str]]:
    """(start, end, region) of each ``withAWS(region: 'x') { ... }`` block, in order of start."""
    blocks = []
    opened = []
    for m in _WITH_AWS.finditer(text):
        if len(opened) >= MAX_BLOCKS:
            break
        region = _REGION_ARG.search(m.group(1))
        if region:
            opened.append((m.end() - 1, region.group(1)))
    if not opened:
        return blocks
    closes = _matching_braces(text)
    for brace, region in opened:
        blocks.append((brace + 1, closes.get(brace, len(text)), region))
    return blocks


def _matching_braces(text: str) -> dict[int, int]:
    """Offset of each "{" -> offset of the "}" closing it, in one pass (braces in strings count too)."""
    closes: dict[int, int] = {}
    stack: list[int] = []
    for m in _BRACE.finditer(text):
        if m.group() == "{":
            stack.append(m.start())
        elif stack:
            closes[stack.pop()] = m.start()
    return closes


def _region_at(blocks: list[tuple[int, int, str]], starts: list[int], offset: int) -> str | None:
    """The region of the innermost withAWS block around ``offset``."""
    for i in range(bisect.bisect_right(starts, offset) - 1, -1, -1):
        start, end, region = blocks[i]
        if start <= offset < end:
            return region
    return None
