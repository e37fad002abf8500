"""Credential-shaped text never reaches a log: not through a record's arguments, not through a logged
exception (rendered by the formatter long after the filter ran), in the web process's handlers, in
handlers nobody configured for it, nor in real Celery worker and beat processes, whose logging Celery
sets up itself."""
import io
import logging
import os
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings
from kombu import Exchange, Queue

from portal.logging import RedactingFormatter, install_record_redaction, redact_handler

# Built at run time: a GitHub-token-shaped canary that no scanner flags in this file.
TOKEN = "ghp_" + "Zq7Xw3Kp9Lm2" * 3
TAIL = TOKEN[-12:]  # any fragment of it in a log is a leak


def raw_record(msg, args=(), exc_info=None, name="roster.test"):
    """A record made without the process's record factory: only the handler under test may mask it."""
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, exc_info)


def exc_info_with_token():
    try:
        raise RuntimeError(f"upstream refused {TOKEN}")
    except RuntimeError:
        return sys.exc_info()


def emit(handler: logging.Handler, record: logging.LogRecord) -> str:
    buf = io.StringIO()
    handler.setStream(buf)
    handler.handle(record)
    return buf.getvalue()


def assert_redacted(text: str, *markers: str) -> None:
    for marker in markers:
        assert marker in text, f"{marker!r} missing from the log output:\n{text}"
    assert TOKEN not in text and TAIL not in text, f"the token leaked:\n{text}"
    assert "[redacted]" in text


def test_formatter_masks_args_and_tracebacks():
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s %(message)s"))
    assert_redacted(emit(handler, raw_record("calling upstream with %s", (TOKEN,))), "ERROR roster.test calling")
    out = emit(handler, raw_record("upstream failed", exc_info=exc_info_with_token()))
    assert_redacted(out, "upstream failed", "Traceback (most recent call last)", "RuntimeError: upstream refused")


def test_wrapping_keeps_the_handlers_own_format():
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("PREFIX[%(name)s] %(message)s"))
    redact_handler(handler)
    redact_handler(handler)  # idempotent
    assert isinstance(handler.formatter, RedactingFormatter)
    assert len(handler.filters) == 1
    out = emit(handler, raw_record("token %s", (TOKEN,), exc_info=exc_info_with_token()))
    assert_redacted(out, "PREFIX[roster.test]", "RuntimeError: upstream refused")


def test_a_handler_nobody_configured_writes_no_secret():
    """Any handler (gunicorn's, a library's) with a plain formatter: the record factory masked the record."""
    install_record_redaction()  # celery_app did already, in every process; idempotent
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger(f"roster.test.bare.{uuid.uuid4().hex}")
    logger.propagate = False
    logger.addHandler(handler)
    logger.error("calling upstream with %s", TOKEN)
    try:
        raise RuntimeError(f"upstream refused {TOKEN}")
    except RuntimeError:
        logger.exception("upstream failed")
    assert_redacted(buf.getvalue(), "calling upstream with", "RuntimeError: upstream refused")


def test_djangos_console_handler_writes_no_secret():
    console = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    assert console, "settings.LOGGING's console handler is not on the root logger"
    handler = console[0]
    original = handler.stream
    try:
        out = emit(handler, raw_record("calling upstream with %s", (TOKEN,), exc_info=exc_info_with_token()))
    finally:
        handler.setStream(original)
    assert_redacted(out, "calling upstream with", "RuntimeError: upstream refused")


def test_celery_logging_setup_masks_what_beat_and_workers_log(tmp_path):
    """The logging Celery sets up in a beat (or worker) process, in a real process: app.log.setup is what
    `celery beat` runs; it replaces the root handlers and fires after_setup_logger."""
    logfile = tmp_path / "celery.log"
    code = f"""
import logging, sys
from celery_app import app
app.log.setup(loglevel="INFO", logfile={str(logfile)!r}, redirect_stdouts=True, colorize=False)
logging.getLogger("roster.beat").info("marker-args: %s", {TOKEN!r})
try:
    raise RuntimeError("upstream refused " + {TOKEN!r})
except RuntimeError:
    logging.getLogger("celery.beat").exception("marker-exc")
from celery.utils.log import get_task_logger
get_task_logger("roster.task").warning("marker-task: %s", {TOKEN!r})
print("marker-print:", {TOKEN!r})
"""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings_test"}
    subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, check=True, timeout=120)
    assert_redacted(logfile.read_text(), "marker-args:", "marker-exc", "RuntimeError: upstream refused",
                    "marker-task:", "marker-print:")


@pytest.mark.e2e
def test_a_real_worker_logs_no_secret():
    """A real `celery worker` (prefork pool) runs a task that logs the token every way a task can."""
    from django.db import connection

    from celery_app import app
    from tests.peers import Process, worker_env

    queue = f"test-logging-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    proc = Process(queue, [sys.executable, "-m", "celery", "-A", "celery_app", "worker", "-Q", queue, "-c", "1",
                           "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
                           "-n", f"{queue}@%h", "--include", "portal.tests.logging_tasks"],
                   env=worker_env(connection.settings_dict["NAME"]))
    log_path = settings.BASE_DIR / ".run" / "log" / f"test-{queue}.log"
    try:
        result = app.send_task("roster.tests.log_secret", args=[TOKEN], queue=queue)
        deadline = time.monotonic() + 90
        while not result.ready():
            assert proc.proc.poll() is None, f"the worker exited:\n{log_path.read_text()}"
            assert time.monotonic() < deadline, f"the worker did not run the task:\n{log_path.read_text()}"
            time.sleep(0.2)
        assert result.failed()  # the task fails on purpose, so that Celery logs the failure too
        result.forget()
        time.sleep(0.5)  # the failure line is written after the result is stored
    finally:
        proc.stop()
        with app.connection_for_write() as conn:
            channel = conn.default_channel
            # declared on this channel first, so deleting it removes its binding keys too
            Queue(queue, Exchange(queue, type="direct"), routing_key=queue).bind(channel).declare()
            channel.queue_delete(queue)
    out = log_path.read_text()
    log_path.unlink()
    assert_redacted(out, "marker-args: calling upstream with", "marker-task-args:", "marker-exc: upstream failed",
                    "marker-task-exc:", "RuntimeError: upstream refused", "marker-print:",
                    "marker-failure: upstream said no to")


def test_json_logs_are_one_masked_object_per_line_in_django_and_celery_processes(tmp_path):
    """ROSTER_LOG_FORMAT=json: the web/commands' handler and the handlers Celery installs write JSON lines
    (time, level, logger, message, tenant), masked like the text format."""
    import json

    logfile = tmp_path / "celery.log"
    code = f"""
import logging
import django
django.setup()
logging.getLogger("roster.web").warning("marker-web: %s", {TOKEN!r})
from celery_app import app
app.log.setup(loglevel="INFO", logfile={str(logfile)!r}, redirect_stdouts=False, colorize=False)
logging.getLogger("roster.beat").info("marker-beat: %s", {TOKEN!r})
"""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings_test", "ROSTER_LOG_FORMAT": "json"}
    result = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True,
                            text=True, timeout=120, check=True)
    web = [json.loads(line) for line in result.stderr.splitlines() if "marker-web" in line]
    beat = [json.loads(line) for line in logfile.read_text().splitlines() if "marker-beat" in line]
    assert [(w["level"], w["logger"], w["tenant"]) for w in web] == [("WARNING", "roster.web", "public")]
    assert [(b["level"], b["logger"]) for b in beat] == [("INFO", "roster.beat")]
    for line in web + beat:
        assert "time" in line and TOKEN not in json.dumps(line) and "[redacted]" in line["message"]


def test_an_unknown_log_format_is_refused_at_start():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings_test", "ROSTER_LOG_FORMAT": "xml"}
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=settings.BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "ROSTER_LOG_FORMAT must be text or json" in result.stderr
