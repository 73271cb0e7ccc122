"""Process set-up shared by `ntrack serve` and `ntrack project`.

Logging: one JSON object per line on stderr, each with the request id of the HTTP request
it was written for (if any), and with secrets masked.

`ntrack serve` and `ntrack project` call `setup_logging`; uvicorn gets the same dict config
(`logging_config`) so its own records, and those of every worker process it spawns, are JSON
too. The request id lives in a context variable that the API middleware sets per request;
`RequestIdFilter` copies it into every record, whichever logger wrote it.
Metrics: `clear_metrics_dir` empties prometheus_client's multi-process directory.
"""

from __future__ import annotations

import logging
import logging.config
import os
import re
from contextvars import ContextVar
from pathlib import Path
from typing import Any

request_id: ContextVar[str | None] = ContextVar("ntrack_request_id", default=None)

# What must never reach a log line: bearer secrets and passwords in URLs or conninfo strings.
_SECRETS = (
    (re.compile(r"(?i)\b(bearer)\s+[^\s,;\"']+"), r"\1 ***"),
    (
        re.compile(r"(?i)\b(authorization)([\"']?\s*[:=]\s*[\"']?)(?!bearer\b)[^\s,;\"']+"),
        r"\1\2***",
    ),
    (re.compile(r"(//[^:/@\s]+):[^@\s]*@"), r"\1:***@"),
    (re.compile(r"(?i)\b(password)(\s*=\s*)[^\s,;\"']+"), r"\1\2***"),
)


# Every pattern above needs one of these words or an "@": most lines have none, and one
# search is cheaper than four substitutions on every log record (the access log included).
_MAY_HOLD_SECRETS = re.compile(r"(?i)bearer|authorization|password|@")


def redact(text: str) -> str:
    if not _MAY_HOLD_SECRETS.search(text):
        return text
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record and masks secrets in its message."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.__dict__.pop("color_message", None)  # uvicorn's ANSI copy of the message
        try:
            message = record.getMessage()
        except Exception:  # a bad format string is the caller's bug; let the handler report it
            return True
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` mapping; also what uvicorn gets as `log_config`."""
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "services.logs.RequestIdFilter"}},
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(levelname)s %(name)s %(process)d %(message)s",
                "rename_fields": {"levelname": "level", "name": "logger", "process": "pid"},
                "timestamp": "time",  # ISO 8601, UTC, milliseconds
            },
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "json",
                "filters": ["request_id"],
            },
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            # uvicorn's loggers propagate to the root handler: one format, one stream.
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            # The API's own access log (services.api.observability) carries route, status,
            # duration and request id; uvicorn's would repeat it without them.
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": True},
        },
    }


def setup_logging(level: str = "INFO") -> None:
    logging.config.dictConfig(logging_config(level))


def clear_metrics_dir() -> None:
    """Empty `PROMETHEUS_MULTIPROC_DIR` of the previous run's metric files (call it before
    the workers start). This process's own files stay: it may already be counting in them."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return
    Path(directory).mkdir(parents=True, exist_ok=True)
    for stale in Path(directory).glob("*.db"):
        if not stale.stem.endswith(f"_{os.getpid()}"):
            stale.unlink(missing_ok=True)
