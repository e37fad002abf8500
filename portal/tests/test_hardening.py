"""Settings and surfaces an attacker probes first: the secret key, cookies and HSTS outside local mode, the
health check, the API docs' assets, password rules."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]


def production_settings(**env) -> subprocess.CompletedProcess:
    """Import the real settings in a fresh interpreter with a production-like environment."""
    code = ("import json; from django.conf import settings as s; import django; django.setup(); print(json.dumps("
            "{k: getattr(s, k, None) for k in ('DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
            "'SECURE_HSTS_SECONDS', 'SECURE_SSL_REDIRECT', 'SECURE_PROXY_SSL_HEADER', 'ROSTER_LOCAL_PEERS')}))")
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "ROSTER_DEBUG": "0",
                   "ROSTER_LOCAL_PEERS": "0", **env}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True,
                          timeout=120)


def test_no_secret_key_means_no_start():
    result = production_settings(ROSTER_SECRET_KEY="")
    assert result.returncode != 0 and "ROSTER_SECRET_KEY is not set" in result.stderr


def test_outside_local_mode_cookies_are_secure_and_hsts_is_on():
    result = production_settings(ROSTER_SECRET_KEY="k" * 50)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False and values["ROSTER_LOCAL_PEERS"] is False
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"] and values["SECURE_SSL_REDIRECT"]
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_PROXY_SSL_HEADER"] is None  # X-Forwarded-Proto is not believed unless the operator says
    behind = json.loads(production_settings(ROSTER_SECRET_KEY="k" * 50, ROSTER_BEHIND_TLS_PROXY="1")
                        .stdout.strip().splitlines()[-1])
    assert behind["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


@pytest.mark.django_db
def test_health_check_says_nothing_about_the_tenant(tenant_alpha):
    body = Client(HTTP_HOST="alpha.localhost").get("/healthz").json()
    assert body == {"status": "ok"}


@pytest.mark.django_db
def test_api_docs_load_nothing_from_a_cdn(tenant_alpha):
    page = Client(HTTP_HOST="alpha.localhost").get("/api/v1/docs/").content.decode()
    assert "swagger-ui" in page
    for cdn in ("cdn.jsdelivr.net", "unpkg.com", "cdnjs", "http://", "https://"):
        assert cdn not in page.replace("http://alpha.localhost", ""), cdn


def test_weak_passwords_are_refused():
    for weak in ("admin", "password1234", "123456789012"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("correct horse battery staple")


def celery_limits(**env) -> tuple:
    """(visibility timeout, hard limit, soft limit) as the Celery app of a fresh process sees them."""
    code = ("from celery_app import app; c = app.conf; "
            "print(c.broker_transport_options['visibility_timeout'], c.task_time_limit, c.task_soft_time_limit)")
    environment = {k: v for k, v in os.environ.items() if k != "ROSTER_VISIBILITY_TIMEOUT"}
    environment.update(DJANGO_SETTINGS_MODULE="portal.settings_test", **env)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return tuple(int(v) for v in result.stdout.split())


def test_tasks_stop_before_the_broker_would_hand_them_to_another_worker():
    """The soft limit (the job records a time_limit failure) comes a minute before the hard kill, which comes
    30 s before the broker's visibility timeout redelivers the message: nothing runs twice."""
    assert celery_limits() == (600, 570, 510)  # the default
    assert celery_limits(ROSTER_VISIBILITY_TIMEOUT="3600") == (3600, 3570, 3510)  # an operator's longer jobs


@pytest.mark.parametrize("setting, value, message", [
    ("ROSTER_JOB_HEARTBEAT_SECONDS", "40", "at most half of ROSTER_JOB_LEASE_SECONDS"),
    ("ROSTER_JOB_MAX_ATTEMPTS", "0", "ROSTER_JOB_MAX_ATTEMPTS must be at least 1"),
    ("ROSTER_RUN_STALL_MINUTES", "1", "longer than a lease"),
])
def test_lease_settings_that_do_not_fit_together_are_refused_at_start(setting, value, message):
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings_test", setting: value}
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and message in result.stderr


def test_a_visibility_timeout_too_short_for_the_time_limits_is_refused_at_start():
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings_test", "ROSTER_VISIBILITY_TIMEOUT": "60"}
    result = subprocess.run([sys.executable, "-c", "from celery_app import app; app.conf.task_time_limit"], cwd=ROOT,
                            env=environment, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "ROSTER_VISIBILITY_TIMEOUT must be at least 120 seconds" in result.stderr


def test_a_job_stopped_by_the_soft_limit_fails_with_its_own_reason():
    from celery.exceptions import SoftTimeLimitExceeded

    from discovery.scanning import describe_failure

    failure = describe_failure(SoftTimeLimitExceeded(), item="aws:1:us-east-1:ecs")
    assert failure["reason_code"] == "time_limit" and "ROSTER_VISIBILITY_TIMEOUT" in failure["remediation"]
