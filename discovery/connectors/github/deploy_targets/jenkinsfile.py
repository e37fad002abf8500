"""Jenkins pipelines (``Jenkinsfile``, ``Jenkinsfile.x``, ``x.jenkinsfile``): the ``sh '...'``
steps, read as scripts, with the pipeline's literal ``environment {}`` assignments as env."""
from __future__ import annotations

import re

from .context import Job, Scan, Step
from .lines import Lines
from .scripts import scan_script

JENKINSFILE = re.compile(r"^(?:Jenkinsfile(?:\.[\w-]+)?|[\w-]+\.jenkinsfile)$")
_JENKINS_SH = re.compile(r"\bsh\s*\(?\s*(?:script\s*:\s*)?('\'\'|\"\"\"|'|\")(.*?)(?<!\\)\1", re.S)
# [ \t], not \s: with re.M, a \s* at each of many blank lines would rescan all the blank lines after it.
_JENKINS_ENV = re.compile(r"^[ \t]*([A-Za-z_]\w*)[ \t]*=[ \t]*['\"]([^'\"$\n]*)['\"][ \t]*$", re.M)


def scan_jenkinsfile(scan: Scan, path: str, text: str) -> None:
    """``sh '...'`` steps of a Jenkins pipeline, with its ``environment {}`` literals as env."""
    env = dict(_JENKINS_ENV.findall(text))
    step = Step(Job(path, env, {}, {}), env, "")
    line_at = Lines(text)
    for m in _JENKINS_SH.finditer(text):
        if not scan.script_work(path, line_at(m.start()), 0):
            return
        line = line_at(m.start(2))
        body = re.sub(r"\\([\\$\"'])", r"\1", m.group(2))  # Groovy string escapes
        scan_script(scan, path, body, step, line, True)
