"""Tasks for portal/tests/test_logging.py, loaded only by the worker that test starts (celery --include):
they log a secret every way a task can, through the root logger, the task logger, a traceback, stdout
and an exception that fails the task."""
import logging

from celery import shared_task
from celery.utils.log import get_task_logger

log = logging.getLogger(__name__)
task_log = get_task_logger(__name__)


@shared_task(name="roster.tests.log_secret")
def log_secret(token: str) -> None:
    log.info("marker-args: calling upstream with %s", token)
    task_log.info("marker-task-args: calling upstream with %s", token)
    try:
        raise RuntimeError(f"upstream refused {token}")
    except RuntimeError:
        log.exception("marker-exc: upstream failed")
        task_log.exception("marker-task-exc: upstream failed")
    print(f"marker-print: {token}")  # workers send stdout to the log
    raise PermissionError(f"marker-failure: upstream said no to {token}")  # Celery logs the failure
