"""Container images pushed to ECR: image references, ``docker``/``podman`` commands and the
image inputs of actions. Only ECR images are targets, private (``<account>.dkr.ecr.<region>...``)
or public (``public.ecr.aws/<alias>/<repository>``); a registry we can't see (``REG``) still
yields the repository name."""
from __future__ import annotations

import re

from .context import (
    ACCOUNT,
    ECR_IMAGE,
    REG,
    REGION,
    UNRES_REF,
    Scan,
    Step,
    clean,
    printable,
)
from .shell import opts_of

ECR_PUBLIC = "public.ecr.aws"
ECR_PUBLIC_REGION = "us-east-1"
_ECR_HOST = re.compile(r"^(?P<account>.+?)\.dkr\.ecr(?:-fips)?\.(?P<region>[^./]+)\.amazonaws\.com(?:\.cn)?$")
_ECR_NAME = re.compile(r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$")
_DOCKER_FLAGS = {"--push", "--load", "--pull", "--no-cache", "-q", "--quiet", "--rm", "--force-rm",
                 "--squash", "--compress", "--disable-content-trust", "--all-tags", "-a"}


def image_list(value: str) -> list[str]:
    """Image references in an action input: newline or comma separated, ``name=`` CSV entries allowed."""
    refs = []
    for entry in re.split(r"[\n,]", value):
        entry = entry.strip()
        if not entry or ("=" in entry and not entry.startswith("name=")):
            continue
        refs.append(entry[5:] if entry.startswith("name=") else entry)
    return refs


def parse_image(ref: str) -> tuple[str | None, str | None, str] | None:
    """ECR image reference -> (account, region, repository name); None when it is not an ECR image.

    The tag or digest is dropped; account/region are None when the registry is not visible."""
    ref = ref.strip().strip("'\"")
    if ref.startswith("docker://"):
        ref = ref[len("docker://"):]
    host, slash, rest = ref.partition("/")
    if not slash or not rest:
        bare = ref.split("@", 1)[0].split(":", 1)[0]
        if UNRES_REF.fullmatch(bare):
            return None, None, bare  # the whole reference is an unknown expression
        return None
    if host == REG:
        account = region = None
    elif host.lower() == ECR_PUBLIC:
        # public.ecr.aws/<registry alias>/<repository>: the alias is the registry's, not the repository's
        alias, slash, rest = rest.partition("/")
        if not slash or not rest:
            return None
        account, region = None, ECR_PUBLIC_REGION  # ECR Public lives in us-east-1, whatever the job's region
    else:
        m = _ECR_HOST.match(host)
        if not m:
            return None
        account, region = m.group("account"), m.group("region")
    name = rest.split("@", 1)[0]
    if ":" in name.rsplit("/", 1)[-1]:
        name = name[: name.rindex(":")]
    return clean(account, ACCOUNT), clean(region, REGION), name


def add_image(scan: Scan, ref: str, path: str, line: int, source: str, step: Step | None) -> None:
    parsed = parse_image(ref)
    if parsed is None:
        return
    account, region, name = parsed
    if not UNRES_REF.search(name) and not _ECR_NAME.match(name):
        return
    scan.add(ECR_IMAGE, name, path, line, source, step=step, account=account, region=region,
             what=f"image {printable(ref, scan.unresolved)}")


def docker(scan: Scan, args: list[str], path: str, line: int, step: Step, cwd: str) -> None:
    """``docker build -t``, ``docker push``, ``docker tag``, ``docker buildx imagetools create -t``."""
    while args and args[0] in ("buildx", "image", "builder"):
        args = args[1:]
    if not args:
        return
    opts, pos = opts_of(args[1:], _DOCKER_FLAGS)
    sub = args[0]
    refs: list[str] = []
    if sub == "build" or (sub == "imagetools" and pos[:1] == ["create"]):
        refs = [v for v in opts.get("-t", []) + opts.get("--tag", []) if v]
    elif sub == "push":
        refs = pos[:1]
    elif sub == "tag":
        refs = pos[:2]
    for ref in refs:
        add_image(scan, ref, path, line, "docker", step)
