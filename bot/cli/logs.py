"""Log lines: plain text by default, or one JSON object a line (`log_format: json`, or GRIDBOT_LOG_FORMAT)
for the log stacks of 政务云 deployments, which index fields instead of parsing text."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# what every LogRecord carries: the rest came from `extra=` and goes out as fields of its own
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in out:
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def configure(verbose: bool, env: Mapping[str, str]) -> None:
    """At start-up, before any config is read: GRIDBOT_LOG_FORMAT decides until then."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format=TEXT_FORMAT, stream=sys.stderr)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one line per job run is noise
    logging.getLogger("alembic").setLevel(logging.WARNING)
    use_format(env.get("GRIDBOT_LOG_FORMAT", "text"))


def use_format(fmt: str) -> None:
    """Switch the root handlers' format ("text" | "json"); the config's `log_format` calls it once loaded."""
    formatter = JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)
