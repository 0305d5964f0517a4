"""`log_format: json`: one JSON object a log line (ts, level, logger, message, extra fields); text is the default."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from bot.cli.logs import JsonFormatter
from tests.ops.conftest import gridbot_run


def run_bot(tmp_path: Path, **config: object) -> list[str]:
    """`gridbot run` on the console adapter with no input: it starts, logs, and ends at once."""
    done = gridbot_run(tmp_path, config, "GRIDBOT_LOG_FORMAT")
    assert done.returncode == 0, done.stderr
    return [line for line in done.stderr.splitlines() if line.strip()]


def test_json_log_lines_from_a_real_run(tmp_path: Path) -> None:
    lines = run_bot(tmp_path, log_format="json")
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    ready = [r for r in records if r["message"].startswith("gridbot ready: adapter=console")]
    assert len(ready) == 1
    assert ready[0]["level"] == "INFO"
    assert ready[0]["logger"] == "gridbot"
    assert ready[0]["ts"].endswith("+00:00")


def test_text_stays_the_default(tmp_path: Path) -> None:
    lines = run_bot(tmp_path)
    ready = [line for line in lines if "gridbot ready: adapter=console" in line]
    assert len(ready) == 1
    assert " INFO gridbot: gridbot ready" in ready[0]
    assert not ready[0].startswith("{")


def test_extra_fields_and_exceptions_are_fields_of_their_own() -> None:
    record = logging.LogRecord("gridbot.test", logging.WARNING, __file__, 1, "ticket %d late", (7,), None)
    record.ticket = 7
    record.chat = "美景天城3栋"
    out = json.loads(JsonFormatter().format(record))
    assert out["message"] == "ticket 7 late"
    assert (out["level"], out["logger"], out["ticket"], out["chat"]) == ("WARNING", "gridbot.test", 7, "美景天城3栋")
    assert set(out) == {"ts", "level", "logger", "message", "ticket", "chat"}
    try:
        raise ValueError("boom")
    except ValueError:
        failed = logging.LogRecord("gridbot.test", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    assert "ValueError: boom" in json.loads(JsonFormatter().format(failed))["exc"]
