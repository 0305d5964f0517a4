"""Health of a running bot, for `gridbot health` (a systemd or cron check) and the staff chat.

The live bot writes `data_dir/health.json` at every sweep tick; `gridbot health` reads it and exits
non-zero when the file is stale, the adapter is not connected, or sends keep failing.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

FAILING_SENDS = 5  # consecutive failed sends that count as "sending keeps failing"


@dataclass(frozen=True)
class Health:
    at: str
    pid: int
    adapter: str
    connected: bool
    detail: str
    outbox_pending: int
    outbox_failed: int
    consecutive_send_failures: int

    @property
    def problems(self) -> list[str]:
        out = []
        if not self.connected:
            out.append(f"adapter {self.adapter} not connected: {self.detail}")
        if self.consecutive_send_failures >= FAILING_SENDS:
            out.append(f"{self.consecutive_send_failures} sends failed in a row")
        return out


def health_path(data_dir: Path) -> Path:
    return data_dir / "health.json"


def write_health(data_dir: Path, health: Health) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = health_path(data_dir).with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(health), ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, health_path(data_dir))  # atomic: a reader never sees half a file


def check(data_dir: Path, now: datetime, max_age: timedelta) -> tuple[bool, str]:
    """(healthy, one English line) for `gridbot health`."""
    path = health_path(data_dir)
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        health = Health(**data)
    except FileNotFoundError:
        return False, f"unhealthy: no health file at {path} (is `gridbot run` running with this data_dir?)"
    except (ValueError, TypeError) as exc:
        return False, f"unhealthy: unreadable health file {path}: {exc}"
    age = now - datetime.fromisoformat(health.at)
    if age > max_age:
        return False, f"unhealthy: last heartbeat {int(age.total_seconds())} s ago (pid {health.pid})"
    if health.problems:
        return False, "unhealthy: " + "; ".join(health.problems)
    return True, (
        f"healthy: adapter {health.adapter} connected, {health.outbox_pending} messages waiting, "
        f"{health.outbox_failed} failed for good, heartbeat {int(age.total_seconds())} s ago"
    )
