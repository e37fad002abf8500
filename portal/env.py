"""Read ``.run/env`` (written by ``make up``/``make demo``) so operator commands need no extra environment."""
import os
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
RUN_ENV = BASE_DIR / ".run" / "env"


def read_run_env(path: Path = RUN_ENV) -> dict[str, str]:
    """The variables in the env file ({} when there is none)."""
    values = {}
    if not path.exists():
        return values
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip()
    return values


def load_run_env(path: Path = RUN_ENV) -> None:
    """Set variables from the env file without overriding what the caller's environment already says."""
    for key, value in read_run_env(path).items():
        os.environ.setdefault(key, value)


def redis_url_with_db(url: str, db: int) -> str:
    """The same Redis server and credentials as ``url``, database ``db``."""
    parts = urlsplit(url)
    if parts.scheme == "unix":  # unix:///path/redis.sock?db=N
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "db"] + [("db", str(db))]
        return f"unix://{parts.netloc}{parts.path}?{urlencode(query)}"
    return parts._replace(path=f"/{db}").geturl()
