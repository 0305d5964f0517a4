"""Clocks: handlers and jobs read time only through one of these."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    tz: ZoneInfo

    def now(self) -> datetime: ...


class SystemClock:
    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(self.tz)


class FakeClock:
    """A settable clock for tests and replay (simulated time)."""

    def __init__(self, start: datetime, tz: ZoneInfo | None = None) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start time")
        self.tz = tz or ZoneInfo("Asia/Shanghai")
        self._now = start.astimezone(self.tz)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("clock times must be timezone-aware")
        self._now = when.astimezone(self.tz)

    def advance(self, delta: timedelta) -> None:
        self._now += delta


class ShiftedClock:
    """Real time flowing from a chosen start: `GRIDBOT_NOW` pins the date of a whole process.

    Tests and demos that start `gridbot shell` / `gridbot run` as a subprocess set it, so what the
    bot does (calendar warnings, quiet hours, deadlines) does not depend on the day the test runs.
    Seconds still pass as they do on the wall (monotonic), so timers and time-outs behave normally.
    """

    def __init__(self, start: datetime, tz: ZoneInfo) -> None:
        if start.tzinfo is None:
            raise ValueError("ShiftedClock needs a timezone-aware start time")
        self.tz = tz
        self._start = start.astimezone(tz)
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0)


NOW_VARIABLE = "GRIDBOT_NOW"


def clock_from_env(tz: ZoneInfo, env: Mapping[str, str]) -> Clock:
    """The system clock, or a shifted one when `GRIDBOT_NOW` names a start (ISO 8601).

    A naive value is read in the deployment's zone. A malformed one raises ValueError naming
    the variable, so the process refuses to start instead of running on the wrong date.
    """
    value = env.get(NOW_VARIABLE, "").strip()
    if not value:
        return SystemClock(tz)
    try:
        start = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{NOW_VARIABLE}: not an ISO 8601 date-time: {value!r} (e.g. 2026-06-10T10:00:00+08:00)"
        ) from None
    if start.tzinfo is None:
        start = start.replace(tzinfo=tz)
    return ShiftedClock(start, tz)
