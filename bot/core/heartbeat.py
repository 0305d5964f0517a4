"""Health of a running bot, for `gridbot health` (a systemd or cron check), the web page's `/healthz`
and the staff chat.

The live bot writes `data_dir/health.json` at every sweep tick; `gridbot health` and `/healthz` read it
and call the bot unhealthy when the file is stale, the adapter is not connected, or sends keep failing.
In bot/core because the web page (a lower layer than the runtime that writes it) reads it too.
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
    # written by a bot that stopped cleanly: a fresh heartbeat must not make a stopped bot look healthy
    stopped: bool = False
    # account_limits (#18): this local day's sends and the groups the account is in, against their limits
    sent_today: int = 0
    messages_per_day: int = 0
    groups: int = 0
    groups_limit: int = 0
    # two accounts in the same groups (#18): which account this process is, and whether it speaks
    account: str = ""
    speaking: bool = True

    @property
    def problems(self) -> list[str]:
        return self.problems_said(detail=True)

    def problems_said(self, *, detail: bool) -> list[str]:
        """`detail=False` for `/healthz`, which anyone may read: the adapter's detail can name the account."""
        out = []
        if self.stopped:
            return [f"the bot stopped at {self.at}"]
        if not self.connected:
            out.append(f"adapter {self.adapter} not connected" + (f": {self.detail}" if detail else ""))
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


def max_age(sweep_interval_seconds: int) -> timedelta:
    """A heartbeat older than this: the bot process is gone or stuck (three missed sweep ticks, at least 3 min)."""
    return timedelta(seconds=max(3 * sweep_interval_seconds, 180))


def read_health(data_dir: Path) -> Health:
    """The last heartbeat; FileNotFoundError when no bot wrote one, ValueError / TypeError when unreadable."""
    data: dict[str, Any] = json.loads(health_path(data_dir).read_text(encoding="utf-8"))
    return Health(**data)


def check(data_dir: Path, now: datetime, max_age: timedelta) -> tuple[bool, str]:
    """(healthy, one English line) for `gridbot health`."""
    path = health_path(data_dir)
    try:
        health = read_health(data_dir)
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


def _running(data_dir: Path) -> Health | None:
    """The last heartbeat of a bot that has not stopped (None without one)."""
    try:
        health = read_health(data_dir)
    except (OSError, ValueError, TypeError):
        return None
    return None if health.stopped else health


def limits_line(data_dir: Path) -> str | None:
    """`gridbot health`'s line on `account_limits`: today's sends and the groups (None without a heartbeat
    that says them)."""
    health = _running(data_dir)
    if health is None or not health.messages_per_day:
        return None
    return (
        f"account limits: {health.sent_today}/{health.messages_per_day} messages sent today, "
        f"{health.groups}/{health.groups_limit} groups"
    )


def speaking_line(data_dir: Path) -> str | None:
    """`gridbot health`'s line on the speaking lease (#18): whether this account sends or stands by."""
    health = _running(data_dir)
    if health is None or not health.account:
        return None
    said = "speaks (sends what the outbox holds)" if health.speaking else "stands by (another account speaks)"
    return f"account {health.account}: {said}"
