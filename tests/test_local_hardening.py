"""The local stack that scripts/roster.sh starts (and `make test` runs against) keeps its secrets private
and lets nobody in without them: .run and its key and password files are private to their owner,
PostgreSQL refuses a connection without the password (over TCP and on its socket), Redis refuses
commands without the password, and pg_hba.conf trusts nobody."""
import os
import stat
from pathlib import Path

import psycopg
import pytest
import redis
from django.conf import settings

RUN = Path(settings.BASE_DIR) / ".run"
PRIVATE_FILES = ("env", "secret.key", "django.key", "pg.password", "pgpass", "redis.password", "redis.conf")

pytestmark = pytest.mark.skipif(not (RUN / "pg" / "data").exists(),
                                reason="the suite is not running against the stack scripts/roster.sh starts")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def db_params(**overrides) -> dict:
    db = settings.DATABASES["default"]
    # passfile: never fall back on a ~/.pgpass or the PGPASSFILE the scripts export.
    return {"host": db["HOST"], "port": db["PORT"], "user": db["USER"], "dbname": "postgres",
            "passfile": os.devnull, "connect_timeout": 5, **overrides}


@pytest.fixture
def no_libpq_password(monkeypatch):
    for name in ("PGPASSWORD", "PGPASSFILE", "PGSERVICEFILE"):
        monkeypatch.delenv(name, raising=False)


def test_run_directory_is_private():
    assert mode(RUN) & 0o077 == 0, f".run is {oct(mode(RUN))}: others may enter or list it"


@pytest.mark.parametrize("name", PRIVATE_FILES)
def test_secret_files_are_private(name):
    path = RUN / name
    assert path.exists(), f".run/{name} is missing"
    assert mode(path) == 0o600, f".run/{name} is {oct(mode(path))}, not 0600"


def test_env_carries_the_passwords():
    env = (RUN / "env").read_text()
    assert f"ROSTER_DB_PASSWORD={(RUN / 'pg.password').read_text().strip()}\n" in env
    assert f"ROSTER_REDIS_URL=redis://:{(RUN / 'redis.password').read_text().strip()}@" in env
    assert "ROSTER_LOCAL_PEERS=1\n" in env


def test_pg_hba_trusts_nobody():
    hba = (RUN / "pg" / "data" / "pg_hba.conf").read_text()
    rules = [line.split() for line in hba.splitlines() if line.split() and not line.lstrip().startswith("#")]
    assert rules, "pg_hba.conf has no rules"
    assert all(rule[-1] == "scram-sha-256" for rule in rules), rules
    assert not any("trust" in rule for rule in rules)


def test_postgres_wants_the_password_over_tcp(no_libpq_password):
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(**db_params()).close()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(**db_params(password="not-the-password")).close()
    # ...and the refusals are about the password: with it, the same connection works.
    with psycopg.connect(**db_params(password=settings.DATABASES["default"]["PASSWORD"])) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_postgres_wants_the_password_on_its_socket(no_libpq_password):
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(**db_params(host=str(RUN / "pg"))).close()


def test_postgres_listens_on_loopback_only():
    with psycopg.connect(**db_params(password=settings.DATABASES["default"]["PASSWORD"])) as conn:
        assert conn.execute("SHOW listen_addresses").fetchone() == ("127.0.0.1",)
        assert conn.execute("SHOW password_encryption").fetchone() == ("scram-sha-256",)


def test_redis_wants_the_password():
    configured = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5)
    assert configured.connection_pool.connection_kwargs.get("password"), "ROSTER_REDIS_URL carries no password"
    anonymous = redis.Redis(host=configured.connection_pool.connection_kwargs["host"],
                            port=configured.connection_pool.connection_kwargs["port"], socket_timeout=5)
    with pytest.raises(redis.exceptions.AuthenticationError):
        anonymous.ping()
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis(host=anonymous.connection_pool.connection_kwargs["host"],
                    port=anonymous.connection_pool.connection_kwargs["port"], password="not-the-password",
                    socket_timeout=5).ping()
    assert configured.ping() is True
