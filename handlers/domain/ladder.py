"""Deadlines on the escalation ladder: what is due when, derived from the ticket row.

The timers live in the database (tickets.deadline_at, ack_due_at, remind_at,
promise_at) and `next_due_at` is their minimum, so the sweep finds due work
with one indexed range query and a restart loses nothing. A paused ticket (/挂起)
keeps its timers as they stood, and only its `resume_at` is due; resuming moves
them by the time the clock stood still (handlers/domain/pauses.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TypedDict

from handlers.deps import Deps
from storage.records import Ticket
from storage.writes import TicketUpdate

URGENT_DEADLINE_HOURS = 2.0
TIMERS = ("deadline_at", "ack_due_at", "remind_at", "promise_at")  # `next_due_at` is the earliest of these
PAUSE = ("paused_at", "resume_at")  # while `paused_at` is set, `next_due_at` is `resume_at` alone


class NoTimers(TypedDict):
    """A ticket that leaves the ladder (resolved, rejected, merged, cancelled) has nothing left due."""

    deadline_at: None
    ack_due_at: None
    remind_at: None
    promise_at: None
    paused_at: None
    resume_at: None


class LevelTimers(TypedDict):
    """A ticket's place on the ladder as it arrives at a level (a ticket's columns of those names)."""

    level: int
    level_since: datetime
    deadline_at: datetime
    remind_at: datetime | None
    ack_due_at: datetime | None


def level_deadline(deps: Deps, level: int, category: str, start: datetime, urgent: bool) -> datetime:
    settings = deps.settings
    lv = settings.level(level)
    cat = settings.categories.get(category)
    amount, unit = lv.deadline, lv.unit
    if cat is not None and cat.deadline_hours is not None and level == cat.start_level:
        amount, unit = cat.deadline_hours, "hours"
    if urgent:
        amount, unit = min(amount if unit == "hours" else URGENT_DEADLINE_HOURS, URGENT_DEADLINE_HOURS), "hours"
    return deps.calendar.deadline(start, amount, unit)


def timers_for_level(
    deps: Deps,
    level: int,
    category: str,
    start: datetime,
    *,
    urgent: bool,
    accepted: bool,
    result_due: datetime | None = None,
) -> LevelTimers:
    """The deadline, accept-by and reminder times of a ticket arriving at `level` at `start`.

    `result_due` (a preset's time to a result, handlers/domain/limits.py) bounds the level's deadline, and is
    the deadline at the top of the ladder; once it has passed, the level's own deadline applies."""
    lv = deps.settings.level(level)
    deadline = level_deadline(deps, level, category, start, urgent)
    if result_due is not None and result_due > start:
        deadline = result_due if level >= deps.settings.top_level else min(deadline, result_due)
    remind = deadline - timedelta(hours=lv.remind_before)
    ack_due = None
    if not accepted and lv.ack_within and not urgent:
        ack_due = deps.calendar.deadline(start, lv.ack_within, "work_hours")
        if ack_due >= deadline:
            ack_due = None
    return {
        "level": level,
        "level_since": start,
        "deadline_at": deadline,
        "remind_at": remind if remind > start else None,
        "ack_due_at": ack_due,
    }


def timers_now(deps: Deps, ticket: Ticket, level: int, *, accepted: bool) -> LevelTimers:
    """`timers_for_level` for a ticket arriving at `level` now (an escalation, a move, a reopening, a rework)."""
    return timers_for_level(
        deps,
        level,
        ticket.category,
        deps.now,
        urgent=ticket.urgency == "urgent",
        accepted=accepted,
        result_due=ticket.result_due_at,
    )


def promise_time(deps: Deps, reported_at: datetime) -> datetime:
    """When the group must hear about the ticket again (the 12-hour rule).

    If the mark falls inside quiet hours, the status line goes out before they begin.
    """
    mark = reported_at + timedelta(hours=deps.settings.promise_hours)
    if deps.calendar.in_quiet_hours(mark):
        before = deps.calendar.quiet_start_before(mark) - timedelta(minutes=30)
        mark = max(before, reported_at + timedelta(minutes=1))
    return mark


def next_due(values: Mapping[str, object]) -> datetime | None:
    if isinstance(values.get("paused_at"), datetime):
        resume = values.get("resume_at")
        return resume if isinstance(resume, datetime) else None
    present = [t for t in (values.get(k) for k in TIMERS) if isinstance(t, datetime)]
    return min(present) if present else None


def with_next_due(current: TicketUpdate, changes: TicketUpdate) -> TicketUpdate:
    """Add `next_due_at` to a set of changes, reading unchanged timers from `current`."""
    merged: TicketUpdate = {**current, **changes}
    return {**changes, "next_due_at": next_due(merged)}
