"""Read ``.run/env`` (written by ``make up``/``make demo``) so operator commands need no extra environment."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RUN_ENV = BASE_DIR / ".run" / "env"


def load_run_env(path: Path = RUN_ENV) -> None:
    """Set variables from the env file without overriding what the caller's environment already says."""
    if not path.exists():
        return
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        os.environ.setdefault(key.strip(), value.strip())
