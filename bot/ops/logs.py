"""Logging: text lines or (`LOG_FORMAT=json`) one JSON object a line, for journald or a log
shipper. What is logged is the same either way: no message text and no phone numbers at
INFO (the handlers log ids and kinds only), and the HTTP clients stay at WARNING because
their URLs carry the token.

PTB's updater logs a traceback at ERROR for a failed poll, and when the bot is stopped
while the messenger is unreachable it logs three (the poll that was cut short, the
stop, the network loop). The poll's failure already reaches `polling_trouble` as one
line; `OneLineForNetworkErrors` turns what PTB logs of a network error into one warning
without a traceback.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from telegram.error import NetworkError

NOISY = ("httpx", "httpcore", "apscheduler", "tornado.access", "telegram.ext.Updater")
PTB_NETWORK_LOGGERS = ("telegram.ext", "telegram.ext.Updater", "telegram.ext.Application")


class JsonFormatter(logging.Formatter):
    """`{"time": …, "level": …, "logger": …, "message": …}`, plus `error` for an
    exception (its type and text: the traceback goes in `traceback`)."""

    def format(self, record: logging.LogRecord) -> str:
        """One line of JSON."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            entry["error"] = f"{type(error).__name__}: {error}"
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class OneLineForNetworkErrors(logging.Filter):
    """A network error PTB logs with its traceback becomes one WARNING line."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; every record is kept."""
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, NetworkError):
            text = record.getMessage()
            if text.startswith("Error while calling `get_updates` one more time"):
                text = ("stopped while the messenger was unreachable: the last updates are "
                        "confirmed at the next start")
            record.msg, record.args = f"{text} ({type(error).__name__})", None
            record.exc_info, record.exc_text = None, None
            if record.levelno > logging.WARNING:
                record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def setup_logging(level: str, fmt: str = "text") -> None:
    """Log to stderr, as text or JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    for name in PTB_NETWORK_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, OneLineForNetworkErrors) for f in logger.filters):
            logger.addFilter(OneLineForNetworkErrors())
