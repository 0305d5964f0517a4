"""The date every test runs on, whatever day the suite is run.

In-process code gets a FakeClock (tests/chat.py and the fixtures). A subprocess (`gridbot run`,
`gridbot shell`, the puppet server) gets `GRIDBOT_NOW` from `env()`: its clock starts where the
test session's own pinned timeline is at that moment and then runs at wall-clock speed, so a bot
restarted later in a test, and the puppet server that stamps the residents' messages, all agree on
one timeline instead of each jumping back to the start.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

# a Wednesday morning in working hours: no holiday near, far from the calendar's end, not quiet
START = datetime(2026, 6, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
_T0 = time.monotonic()


def now() -> datetime:
    """The session's pinned timeline: START when the suite began, then real seconds."""
    return START + timedelta(seconds=time.monotonic() - _T0)


def env(base: Mapping[str, str] | None = None, **extra: str) -> dict[str, str]:
    """An environment for a subprocess, with its clock pinned to now() at this moment."""
    return {**(os.environ if base is None else base), **extra, "GRIDBOT_NOW": now().isoformat()}
