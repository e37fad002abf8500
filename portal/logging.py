"""Mask anything shaped like a credential before a log line leaves the process.

Three layers, so that no handler (Django's, Celery's, gunicorn's, a library's) writes a secret:

* ``install_record_redaction()``: a log record factory that masks every record the process creates, its
  message (``msg % args``), its rendered traceback (``exc_text``) and its stack (``stack_info``), before
  any filter, handler or formatter sees it. celery_app.py installs it in every Roster process.
* ``RedactingFormatter``: masks the final formatted line (prefix, message, traceback) of a handler; it can
  wrap a handler's existing formatter (Celery's task formatter keeps adding the task id and name).
* ``RedactSecretsFilter``: the per-record masking, as a handler filter.

``redact_handlers(logger)`` puts the last two on a logger's handlers: celery_app.py calls it on the
handlers Celery creates in workers and beat (``after_setup_logger``, ``after_setup_task_logger``).
"""
import logging

from portal.redact import redact

_TRACEBACKS = logging.Formatter()


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask the record in place: message and arguments, traceback, stack. Never raises."""
    if getattr(record, "_roster_redacted", False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: leave it to the handler to report, as logging does
        return record
    try:
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            # Rendered now, masked, and cached where every Formatter looks first (Formatter.format uses
            # exc_text when it is set): no handler renders the raw exception afterwards.
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        record._roster_redacted = True
    except Exception:  # logging must never break the caller
        pass
    return record


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


class RedactingFormatter(logging.Formatter):
    """A Formatter (same arguments) whose output is masked; ``inner``: format with that formatter instead."""

    def __init__(self, *args, inner: logging.Formatter | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        redact_record(record)
        text = self.inner.format(record) if self.inner is not None else super().format(record)
        return redact(text)


def redact_handler(handler: logging.Handler) -> None:
    """Mask everything ``handler`` writes (idempotent): the filter, and its formatter wrapped."""
    if not any(isinstance(f, RedactSecretsFilter) for f in handler.filters):
        handler.addFilter(RedactSecretsFilter())
    if not isinstance(handler.formatter, RedactingFormatter):
        handler.setFormatter(RedactingFormatter(inner=handler.formatter))


def redact_handlers(logger: logging.Logger | None = None) -> None:
    """Mask the output of ``logger``'s handlers; without a logger, of every handler any logger has now."""
    if logger is not None:
        loggers = [logger]
    else:
        loggers = [logging.getLogger()] + [item for item in list(logging.Logger.manager.loggerDict.values())
                                           if isinstance(item, logging.Logger)]
    for each in loggers:
        for handler in list(each.handlers):
            redact_handler(handler)


def install_record_redaction() -> None:
    """Mask every log record this process creates from now on (idempotent)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "_roster_redacting", False):
        return

    def make_record(*args, **kwargs):
        return redact_record(previous(*args, **kwargs))

    make_record._roster_redacting = True
    logging.setLogRecordFactory(make_record)


class TenantFilter(logging.Filter):
    """Adds ``tenant``: the schema the process's database connection is in (no query), for JSON logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "tenant"):
            try:
                from django.db import connection

                record.tenant = getattr(connection, "schema_name", "") or ""
            except Exception:  # before Django is set up, or in a thread without a connection
                record.tenant = ""
        return True


JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(tenant)s %(process)d"


def json_formatter() -> logging.Formatter:
    """One JSON object per line (python-json-logger), masked like every other line Roster writes."""
    from pythonjsonlogger.json import JsonFormatter

    return RedactingFormatter(inner=JsonFormatter(JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level",
                                                                              "name": "logger"}))


def use_json(handler: logging.Handler) -> None:
    """Celery installs its own handlers in workers and beat: give them the JSON format too."""
    if not any(isinstance(f, TenantFilter) for f in handler.filters):
        handler.addFilter(TenantFilter())
    handler.setFormatter(json_formatter())
