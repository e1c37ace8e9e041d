"""Logging set-up: plain lines for people, JSON lines for log collectors."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any


class JsonFormatter(logging.Formatter):
    EXTRA = ("message_id", "message_ids", "request_id", "request_ids", "event_id", "device_id",
             "service")

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in self.EXTRA:
            if hasattr(record, key):
                out[key] = getattr(record, key)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def setup(level: str = "INFO", as_json: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if as_json
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiormq").setLevel(logging.WARNING)
    logging.getLogger("aio_pika").setLevel(logging.WARNING)


class _UpgradesOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.INFO or record.getMessage().startswith("Running upgrade")


def quiet_alembic(keep_upgrades: bool = False) -> None:
    """No "Context impl SQLiteImpl" / "Will assume transactional DDL" lines on every command:
    Alembic says only what it changes (`keep_upgrades`) and its warnings."""
    # A logger's filter sees only records made on that very logger: the one that talks.
    talker = logging.getLogger("alembic.runtime.migration")
    talker.filters[:] = []
    if keep_upgrades:
        talker.addFilter(_UpgradesOnly())
    else:
        logging.getLogger("alembic").setLevel(logging.WARNING)
