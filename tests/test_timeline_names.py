"""Every action a handler writes to a ticket's timeline has a Chinese name for /查询 and the ticket page:
an action without one showed its stored English key (`missed`, `overdue`) to staff."""

from __future__ import annotations

import re
from pathlib import Path

from handlers.domain.timeline import ACTION_NAMES

ROOT = Path(__file__).resolve().parents[1]
# tickets.event(deps, ticket, "action", …) and tickets.hand_over(deps, ticket, holder, "action", …)
WRITTEN = re.compile(r'tickets\.(?:event|hand_over)\(\s*deps,[^"()]*"([a-z_]+)"')


def test_every_written_action_has_a_name() -> None:
    written = {m for path in (ROOT / "handlers").rglob("*.py") for m in WRITTEN.findall(path.read_text("utf-8"))}
    assert {"missed", "overdue", "rework"} <= written  # the pattern still finds them
    assert sorted(written - ACTION_NAMES.keys()) == []
