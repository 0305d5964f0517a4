"""How the work is done: categories, the ladder, quiet hours and holidays, limits, the outbox, FAQ, points, digests."""

from __future__ import annotations

import math
import re
from datetime import date, time
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from bot.core.settings_base import Model
from bot.core.settings_org import Role

HOURS_MAX = 24 * 366 * 10  # ten years: durations beyond it are typing mistakes (and overflow date arithmetic)


class Category(Model):
    name: str
    name_en: str = ""  # how a resident who writes in English is told the category ("" → the key, readable)
    sensitive: bool = False  # acknowledged privately, never posted in the group
    start_level: int = Field(default=1, ge=1, le=4)
    deadline_hours: float | None = Field(default=None, gt=0, le=HOURS_MAX)  # overrides the start level's deadline
    route_to: Literal["", "property", "department"] = ""
    department: str = ""  # person id of the functional department, with route_to: department
    verify: bool = False  # a verifier confirms before the ticket is closed
    # the time-limit kind under `ladder_preset: beijing_12345` ("": utilities by keyword, else general)
    kind: Literal["", "utilities", "general", "complex"] = ""
    # the city hotline's category code (GB/T 39666-style) for the export; the packaged defaults leave it empty
    code: str = Field(default="", max_length=32)


class LadderLevel(Model):
    level: int = Field(ge=1, le=4)
    role: Role
    name: str  # how residents are told who has it, e.g. 片区负责人
    deadline: float = Field(gt=0, le=HOURS_MAX)  # in `unit`s, counted from arrival at this level
    unit: Literal["hours", "work_hours", "work_days"] = "hours"
    ack_within: float | None = Field(default=None, gt=0, le=HOURS_MAX)  # accept (接单) deadline, in work hours
    remind_before: float = Field(default=2.0, ge=0, le=HOURS_MAX)  # hours before the deadline


class QuietHours(Model):
    start: time = time(22, 0)
    end: time = time(7, 30)


class WorkSpan(Model):
    """One stretch of working hours within a day, `start` inclusive, `end` exclusive."""

    start: time
    end: time


# "08:30-12:00": ASCII or full-width colon, a hyphen, dash or tilde between the two times
_SPAN = re.compile(r"^\s*(\d{1,2})[:：](\d{2})\s*[-–—~～]\s*(\d{1,2})[:：](\d{2})\s*$")
_SPAN_SEPARATORS = re.compile(r"[,，;；、]")
_SPAN_FORMAT = 'a span like "08:30-12:00"'


def _clock(hour: str, minute: str, span: str) -> time:
    if int(hour) > 23 or int(minute) > 59:
        raise ValueError(f"{span!r}: {hour}:{minute} is not a time of day (00:00-23:59)")
    return time(int(hour), int(minute))


def _one_span(text: Any) -> WorkSpan:
    if isinstance(text, WorkSpan):
        return text
    if isinstance(text, dict) and set(text) == {"start", "end"}:
        start, end = text["start"], text["end"]
        if isinstance(start, time) and isinstance(end, time):  # Settings.model_dump(), validated again
            return _one_span(f"{start:%H:%M}-{end:%H:%M}")
        if isinstance(start, str) and isinstance(end, str):  # {start: "08:30", end: "12:00"}
            return _one_span(f"{start}-{end}")
    # YAML reads an unquoted 8:30 as the number 510 (base 60): only text is taken as a span
    match = _SPAN.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r} is not {_SPAN_FORMAT}")
    span = text.strip()
    hour1, minute1, hour2, minute2 = match.groups()
    start, end = _clock(hour1, minute1, span), _clock(hour2, minute2, span)
    if end <= start:
        raise ValueError(f"{span!r} must end after it starts (a span lies within one day)")
    return WorkSpan(start=start, end=end)


def parse_work_hours(value: Any) -> tuple[WorkSpan, ...]:
    """`"08:30-12:00, 14:00-17:30"` or a list of such spans → sorted spans that do not overlap."""
    items = [p for p in _SPAN_SEPARATORS.split(value) if p.strip()] if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError(f'{value!r} is not {_SPAN_FORMAT} or a list of them, e.g. "08:30-12:00, 14:00-17:30"')
    if not items:
        raise ValueError('no working hours given (at least one span, e.g. "08:30-17:30")')
    spans = sorted((_one_span(item) for item in items), key=lambda s: s.start)
    for before, after in pairwise(spans):
        if after.start < before.end:
            raise ValueError(f"{_show(before)} and {_show(after)} overlap")
    return tuple(spans)


def _show(span: WorkSpan) -> str:
    return f"{span.start:%H:%M}-{span.end:%H:%M}"


WorkHours = Annotated[tuple[WorkSpan, ...], BeforeValidator(parse_work_hours)]
DEFAULT_WORK_HOURS = (WorkSpan(start=time(8, 30), end=time(17, 30)),)


class Holidays(Model):
    """Official schedule beyond the calendar package's range (e.g. next year's)."""

    holidays: list[date] = Field(default_factory=list)
    workdays: list[date] = Field(default_factory=list)  # make-up working days (调休)


class Dedupe(Model):
    window_hours: float = Field(default=24.0, ge=0, le=HOURS_MAX)
    similarity: float = Field(default=0.3, ge=0.0, le=1.0)
    split_window_hours: float = Field(default=2.0, ge=0, le=HOURS_MAX)
    # an emergency reported again in the same group soon after: one ticket, not a second round of alarms;
    # later it is taken as a new emergency
    urgent_window_minutes: float = Field(default=120.0, ge=0.0, le=HOURS_MAX * 60)


class LikelyRequests(Model):
    """Messages that are probably a request: the grid worker is asked privately, in batches (#16)."""

    # a worker gets one private message per batch, not one per doubt
    batch_minutes: int = Field(default=5, ge=1, le=24 * 60)
    # an item nobody registers or dismisses lapses (it stays on record, it no longer waits)
    lapse_hours: float = Field(default=48.0, gt=0, le=24 * 30)


class Notices(Model):
    """Notices, sign-ups and polls in residents' groups (#20)."""

    # a 收到 / 已阅 in a group this long after a notice is counted for it (and opens nothing)
    window_hours: float = Field(default=48.0, gt=0, le=24 * 30)
    # a notice to more groups than this waits for the sender's 确认
    confirm_over_groups: int = Field(default=10, ge=1, le=100_000)
    confirm_minutes: int = Field(default=30, ge=1, le=24 * 60)  # how long a 确认 is waited for
    # a sign-up's current list is posted in its groups at most this often (not after every reply)
    list_every_minutes: int = Field(default=5, ge=1, le=24 * 60)
    signup_days: float = Field(default=3.0, gt=0, le=366)  # a sign-up without 截止 closes after this long
    # what residents wrote into a sign-up is kept this long after it closes (phones, names), then emptied
    entry_retention_days: int = Field(default=30, ge=1, le=36_500)
    # 楼门公约: a covenant is adopted when 同意 is at least two thirds of the votes cast and at least this
    # many residents voted (fewer: 未通过, however they voted)
    covenant_min_votes: int = Field(default=3, ge=1, le=100_000)
    # a notice's picture (JPEG, PNG or GIF): uploaded on the page up to this size; in chat, `附图` takes the
    # last picture the sender sent the bot in that chat within `picture_minutes`
    picture_max_kb: int = Field(default=5120, ge=16, le=20 * 1024)
    picture_minutes: int = Field(default=10, ge=1, le=24 * 60)


class Limits(Model):
    # zero or less is refused: `max_text_chars: -5` asked residents to keep under -5 characters and
    # `flood_per_minute: 0` ignored everyone
    max_text_chars: int = Field(default=2000, ge=1, le=1_000_000)
    flood_per_minute: int = Field(
        default=20, ge=1, le=100_000
    )  # messages per person per minute before the bot stops answering
    retention_days: int = Field(default=7, ge=1, le=36_500)  # residents' messages that opened nothing


class Outbox(Model):
    per_chat_per_minute: int = Field(default=20, ge=1, le=100_000)
    global_per_minute: int = Field(default=60, ge=1, le=100_000)
    max_attempts: int = Field(default=8, ge=1, le=1000)


class AccountLimits(Model):
    """What WeChat tolerates of one account before it restricts or bans it (#18): messages sent per local day
    and groups the account is in. `warn_at` of either says so in the staff chat; at `messages_per_day`
    residents' group posts that are not urgent wait for the next day (urgent ones and staff notices still go)."""

    messages_per_day: int = Field(default=2000, ge=1, le=1_000_000)
    groups: int = Field(default=300, ge=1, le=100_000)
    warn_at: float = Field(default=0.8, gt=0, le=1)  # the share of a limit that warns first

    def warn_level(self, limit: int) -> int:
        """The count that warns (at least 1, never above the limit)."""
        return max(1, min(limit, math.ceil(round(limit * self.warn_at, 6))))


class FaqEntry(Model):
    keywords: list[str]
    answer: str
    category: str = "permits"


class Points(Model):
    """积分 per event row; points are always recomputed from the timeline, never kept as a counter."""

    resolved_on_time: int = 5  # 办结 within the deadline in force
    resolved_late: int = 2
    satisfied: int = 2  # the reporter's rating, credited to whoever resolved it
    basic: int = 1
    unsatisfied: int = 0
    reopened: int = -3  # 不满意 / 还是没解决 reopened it
    rework: int = -2  # 核查 sent it back (返工)


class ScoreWeights(Model):
    """The combined score's weights of 响应率, 解决率 and 满意率 (one county's: 30 / 35 / 35)."""

    response: float = Field(default=30.0, ge=0, le=1000)
    solved: float = Field(default=35.0, ge=0, le=1000)
    satisfied: float = Field(default=35.0, ge=0, le=1000)

    @model_validator(mode="after")
    def _one_counts(self) -> ScoreWeights:
        # all three 0 left every 综合 blank, in the digests and on the page, without a word
        if not (self.response or self.solved or self.satisfied):
            raise ValueError("at least one weight must be above 0 (default 30 / 35 / 35)")
        return self


class Digests(Model):
    """Supervisors' digests: crontab lines (minute hour day month weekday, in `timezone`); "" turns one off."""

    day: str = "30 7 * * *"  # every morning: the preceding 24 hours
    week: str = "0 8 * * mon"  # Monday morning: the preceding 7 days, with a chart
    month: str = "0 8 1 * *"  # the 1st: the preceding month, with a chart
    to_staff_chat: bool = True
    to_supervisors: bool = False  # also privately to each supervisor of the community
    overdue_listed: int = Field(default=10, ge=0)  # overdue tickets named one by one; the rest are counted
    chart: bool = True  # weekly and monthly briefings come with a PNG chart
    score_weights: ScoreWeights = ScoreWeights()  # 综合 of the three rates (handlers/domain/rates.py)

    @field_validator("day", "week", "month")
    @classmethod
    def _crontab(cls, value: str) -> str:
        if value.strip():
            from apscheduler.triggers.cron import CronTrigger

            try:
                CronTrigger.from_crontab(value)
            except ValueError as exc:
                raise ValueError(f"not a crontab line (minute hour day month weekday): {value!r}: {exc}") from exc
        return value
