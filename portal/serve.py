"""The web server, one definition for `make up`, the demo and the tests: gunicorn managing uvicorn's ASGI
workers (uvicorn-worker) on portal.asgi. Arguments are gunicorn's (--bind, --workers, --timeout, ...).

    python -m portal.serve --bind 127.0.0.1:8000 --workers 3
"""
import os
import sys

ARGS = ["portal.asgi:application", "--worker-class", "uvicorn_worker.UvicornWorker", "--graceful-timeout", "5"]


def argv(*extra: str) -> list[str]:
    return [sys.executable, "-m", "gunicorn", *ARGS, *extra]


if __name__ == "__main__":
    os.execv(sys.executable, argv(*sys.argv[1:]))
