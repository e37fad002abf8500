"""Test settings: the same stack (real PostgreSQL and Redis) on a separate database and Redis db,
so a running demo and the suite never share queues or data."""
import os

from portal.env import read_run_env, redis_url_with_db

# Redis db 1 on the server (and with the password) that the environment or .run/env names; the Celery
# workers the suite starts inherit this URL.
os.environ["ROSTER_REDIS_URL"] = redis_url_with_db(
    os.environ.get("ROSTER_REDIS_URL") or read_run_env().get("ROSTER_REDIS_URL") or "redis://127.0.0.1:63799/0", 1)
# The suite runs against the local peers (moto, the GitHub emulator) on loopback.
os.environ.setdefault("ROSTER_LOCAL_PEERS", "1")
# Each test session (its own test database) has its own queues: two sessions at once never take each other's
# tasks, and a session purges only its own (the workers it starts get the same prefix: tests.peers.worker_env).
os.environ.setdefault("ROSTER_BROKER_KEY_PREFIX", f"{os.environ.get('ROSTER_TEST_DB_NAME', 'test_roster')}:")
os.environ.setdefault("ROSTER_ENCRYPTION_KEY", "tQ2vLkWm4e6s7nQmM1m3x1m6Rr3nX9pZb4l0mJ2Jb5Q=")

from portal.settings import *  # noqa: E402,F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = False
ROSTER_DEBUG = False
