"""Working time on the official Chinese calendar: deadlines, quiet hours, off-duty.

Pure: no database, no I/O except logging. Every datetime in and out is timezone-aware;
results are expressed in the calendar's zone. Arithmetic is done in UTC so that a zone
with daylight saving time (not China's, but a deployment may configure one) is still right.

Which days are working days, per date, in this order:
1. A date listed in `holidays:` in config.yaml (holiday dates and make-up working days 调休).
   It wins even inside the package's range, so a late change to the schedule can be patched.
2. The `chinesecalendar` package: the official schedule, 调休 included (2004 through 2026 in
   1.11.0; it raises NotImplementedError after that).
3. The statutory days off that the `holidays` package computes from the lunar calendar for any
   year (Spring Festival, Qingming, Dragon Boat, Mid-Autumn, and the fixed ones). It knows no
   make-up working days: those exist only once the State Council publishes them, hence 1.
   (On 2024–2026 its weekday days off equal chinesecalendar's: tests/test_worktime.py checks.)
4. Otherwise Monday–Friday.
A year past the package's table that config does not list is logged once as a warning (its
调休 are unknown), never a crash; the staff chat is told before the table runs out (sweep).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Literal, Protocol
from zoneinfo import ZoneInfo

import chinese_calendar

if TYPE_CHECKING:  # structural types below keep this module importable on its own
    from bot.core.settings import Settings

Unit = Literal["hours", "work_hours", "work_days"]

# A run of this many days without a working day means the schedule is broken (e.g. a config
# that marks a whole year as holidays): fail loudly instead of looping forever.
_MAX_IDLE_DAYS = 366
SCHEDULE_WARNING_DAYS = 30


class HolidaySchedule(Protocol):
    """`Settings.holidays`: the official schedule for dates the package does not know."""

    @property
    def holidays(self) -> Sequence[date]: ...
    @property
    def workdays(self) -> Sequence[date]: ...  # make-up working days (调休)


class QuietSpell(Protocol):
    """`Settings.quiet_hours`."""

    @property
    def start(self) -> time: ...
    @property
    def end(self) -> time: ...


class WorkSpanLike(Protocol):
    """One of `Settings.work_hours`: working hours from `start` (inclusive) to `end`."""

    @property
    def start(self) -> time: ...
    @property
    def end(self) -> time: ...


class _Quiet:
    def __init__(self, start: time = time(22, 0), end: time = time(7, 30)) -> None:
        self.start = start
        self.end = end


def _package_range() -> tuple[date, date]:
    # read the range from the package's own table, so an upgrade extends it with no code change
    days = chinese_calendar.constants.holidays
    return date(min(days).year, 1, 1), date(max(days).year, 12, 31)


@functools.cache
def statutory_days_off(year: int) -> frozenset[date]:
    """China's statutory holidays of `year` (with the days off the law adds when one falls on a
    weekend), computed by the `holidays` package from the lunar calendar. Imported on first use:
    it costs ≈0.2 s, and only dates past chinesecalendar's table need it."""
    from holidays.countries.china import China

    return frozenset(China(years=year))


class WorkCalendar:
    def __init__(
        self,
        tz: ZoneInfo,
        holidays: HolidaySchedule | None = None,
        quiet: QuietSpell | None = None,
        work_start: time = time(8, 30),
        work_end: time = time(17, 30),
        log: logging.Logger | None = None,
        work_hours: Sequence[WorkSpanLike] | None = None,
    ) -> None:
        # `work_hours` (a lunch break splits the day) wins over the single work_start–work_end span
        spans = sorted((s.start, s.end) for s in work_hours) if work_hours else [(work_start, work_end)]
        if any(end <= start for start, end in spans):
            raise ValueError("work_end must be later than work_start on the same day")
        if any(later[0] < earlier[1] for earlier, later in pairwise(spans)):
            raise ValueError("work_hours: spans overlap")
        off: Sequence[date] = holidays.holidays if holidays else ()
        on: Sequence[date] = holidays.workdays if holidays else ()
        both = set(off) & set(on)
        if both:
            listed = ", ".join(d.isoformat() for d in sorted(both))
            raise ValueError(f"holidays: {listed} listed both as holiday and as working day")
        self.tz = tz
        self.quiet: QuietSpell = quiet or _Quiet()
        self.spans: tuple[tuple[time, time], ...] = tuple(spans)
        # the office day from the first start to the last end, breaks included (is_off_duty)
        self.work_start = spans[0][0]
        self.work_end = spans[-1][1]
        self.log = log or logging.getLogger(__name__)
        self._holidays = frozenset(off)
        self._workdays = frozenset(on)
        self._config_years = frozenset(d.year for d in self._holidays | self._workdays)
        self._pkg_first, self._pkg_last = _package_range()
        self._warned_years: set[int] = set()

    @classmethod
    def from_settings(cls, settings: Settings, log: logging.Logger | None = None) -> WorkCalendar:
        return cls(settings.tz, settings.holidays, settings.quiet_hours, log=log, work_hours=settings.work_hours)

    # -- days ------------------------------------------------------------------------------

    def is_workday(self, day: date) -> bool:
        if isinstance(day, datetime):  # a datetime is a date subclass: use its local date
            day = self._local(day).date()
        if day in self._workdays:
            return True
        if day in self._holidays:
            return False
        if self._pkg_first <= day <= self._pkg_last:
            try:
                return bool(chinese_calendar.is_workday(day))
            except NotImplementedError:  # a package whose table has gaps: fall through
                pass
        if day.year not in self._config_years and day.year not in self._warned_years:
            self._warned_years.add(day.year)
            self.log.warning(
                "official holiday schedule for %d is unknown (calendar package knows %d-%d, config "
                "holidays: has none for it): using the statutory holidays computed from the lunar "
                "calendar and Monday-Friday otherwise, with no make-up working days; add the year's "
                "holidays and make-up working days to config.yaml",
                day.year,
                self._pkg_first.year,
                self._pkg_last.year,
            )
        if day in statutory_days_off(day.year):
            return False
        return day.weekday() < 5

    def next_workday(self, day: date) -> date:
        """The first working day strictly after `day`."""
        for _ in range(_MAX_IDLE_DAYS):
            day += timedelta(days=1)
            if self.is_workday(day):
                return day
        raise RuntimeError(f"no working day within {_MAX_IDLE_DAYS} days after {day}: check holidays: in config")

    def known_until(self) -> date:
        """The last date whose schedule comes from the package or config, not the fallback."""
        last = self._pkg_last
        if self._config_years:
            last = max(last, date(max(self._config_years), 12, 31))
        return last

    def needs_schedule_warning(self, today: date) -> bool:
        """True from 30 days before known_until(): time to add next year's schedule."""
        return (self.known_until() - today).days <= SCHEDULE_WARNING_DAYS

    # -- deadlines -------------------------------------------------------------------------

    def add_hours(self, start: datetime, hours: float) -> datetime:
        """Calendar hours: the 12-hour promise to residents runs through nights and holidays."""
        return (self._utc(start) + timedelta(hours=hours)).astimezone(self.tz)

    def add_work_hours(self, start: datetime, hours: float) -> datetime:
        """Hours counted only inside the `work_hours` spans of working days.

        Time before a span counts from its start (a report at 12:30 with a 12:00–14:00 break
        counts from 14:00, as 数字城管 time limits do); a start after the last span, or on a day
        off, counts from the next working day's first span. A deadline that uses up a span
        exactly ends at that span's end (12:00 or 17:30), not after the break or the night.
        Zero hours returns `start` itself.
        """
        if hours < 0:
            raise ValueError("hours must not be negative")
        cur = self._utc(start)
        remaining = timedelta(hours=hours)
        if not remaining:
            return cur.astimezone(self.tz)
        day = cur.astimezone(self.tz).date()
        if not self.is_workday(day):
            day = self.next_workday(day)
        while True:
            for begin, end in self._windows(day):
                begin = max(begin, cur)
                if begin < end:
                    if remaining <= end - begin:
                        return (begin + remaining).astimezone(self.tz)
                    remaining -= end - begin
            day = self.next_workday(day)

    def add_work_days(self, start: datetime, days: float) -> datetime:
        """N working days: the same wall-clock time on the Nth working day after the start day.

        Precisely: a start on a day off is first moved to the next working day's work_start
        (so a Saturday report gets N full working days, not a Monday-morning hour); then the
        date steps forward over N working days, keeping the time of day (Fri 16:00 + 2 → Tue
        16:00; Fri 23:00 + 1 → Mon 23:00, the whole of Monday). A fractional part is that share
        of a working day, added as work hours (0.5 day = 4.5 h with 08:30–17:30, 3.5 h with
        08:30–12:00 and 14:00–17:30). The time of day is kept even inside a lunch break: the
        break is skipped at the start and at the end alike, so N whole working days are still N.
        """
        if days < 0:
            raise ValueError("days must not be negative")
        local = self._local(start)
        day = local.date()
        if not self.is_workday(day):
            day = self.next_workday(day)
            local = self._windows(day)[0][0].astimezone(self.tz)
        whole = int(days)
        for _ in range(whole):
            day = self.next_workday(day)
        # combine + UTC round trip normalises a wall time that falls in a DST gap
        result = datetime.combine(day, local.time(), tzinfo=self.tz).astimezone(UTC)
        fraction = days - whole
        if fraction:
            return self.add_work_hours(result, fraction * self._workday_hours())
        return result.astimezone(self.tz)

    def deadline(self, start: datetime, amount: float, unit: Unit) -> datetime:
        if unit == "hours":
            return self.add_hours(start, amount)
        if unit == "work_hours":
            return self.add_work_hours(start, amount)
        if unit == "work_days":
            return self.add_work_days(start, amount)
        raise ValueError(f"unknown deadline unit {unit!r}")

    # -- quiet hours and duty --------------------------------------------------------------

    def in_quiet_hours(self, when: datetime) -> bool:
        """Quiet from `start` inclusive to `end` exclusive: 22:00 is quiet, 07:30 is not.

        Equal start and end mean no quiet hours at all.
        """
        now = self._local(when).time()
        start, end = self.quiet.start, self.quiet.end
        if start == end:
            return False
        if start < end:  # a same-day spell, e.g. 12:00–14:00
            return start <= now < end
        return now >= start or now < end  # the usual spell across midnight

    def quiet_end(self, when: datetime) -> datetime:
        """When a post held by quiet hours may go out; `when` itself if it is not quiet."""
        local = self._local(when)
        if not self.in_quiet_hours(local):
            return local
        day = local.date()
        if self.quiet.start > self.quiet.end and local.time() >= self.quiet.start:
            day += timedelta(days=1)  # evening part of the spell: it ends tomorrow morning
        return self._at(day, self.quiet.end)

    def quiet_start_before(self, when: datetime) -> datetime:
        """The start of the quiet spell containing `when`; `when` itself if it is not quiet.

        A status line due at 03:00 must go out before 22:00 the evening before, not at 07:30.
        """
        local = self._local(when)
        if not self.in_quiet_hours(local):
            return local
        day = local.date()
        if self.quiet.start > self.quiet.end and local.time() < self.quiet.end:
            day -= timedelta(days=1)  # morning part of the spell: it began yesterday evening
        return self._at(day, self.quiet.start)

    def is_off_duty(self, when: datetime) -> bool:
        """Outside working hours, or on a weekend or holiday (the duty roster takes over).

        A lunch break counts as on duty: the office is closed, but the grid worker is at work
        and reachable by phone, and the duty roster is for nights, weekends and holidays only;
        alerting it for an emergency at 12:30 would wake the wrong people for the wrong reason.
        """
        local = self._local(when)
        if not self.is_workday(local.date()):
            return True
        return not (self.work_start <= local.time() < self.work_end)

    # -- helpers ---------------------------------------------------------------------------

    def _local(self, when: datetime) -> datetime:
        if when.tzinfo is None or when.utcoffset() is None:
            raise ValueError(f"naive datetime {when.isoformat()}: times must be timezone-aware")
        return when.astimezone(self.tz)

    def _utc(self, when: datetime) -> datetime:
        return self._local(when).astimezone(UTC)

    def _at(self, day: date, wall: time) -> datetime:
        return datetime.combine(day, wall, tzinfo=self.tz).astimezone(UTC).astimezone(self.tz)

    def _windows(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's working spans in UTC (subtraction of aware datetimes in one zone ignores DST)."""
        return [
            (
                datetime.combine(day, start, tzinfo=self.tz).astimezone(UTC),
                datetime.combine(day, end, tzinfo=self.tz).astimezone(UTC),
            )
            for start, end in self.spans
        ]

    def _workday_hours(self) -> float:
        worked = sum(
            (datetime.combine(date.min, end) - datetime.combine(date.min, start) for start, end in self.spans),
            timedelta(),
        )
        return worked.total_seconds() / 3600
