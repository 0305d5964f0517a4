"""Working time on the official Chinese calendar (handlers/domain/worktime.py).

The 2026 holiday facts below were read from `chinesecalendar` 1.11.0 and written down here,
so a package update that changes them shows up as a failing test, not a silent shift.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from handlers.domain.worktime import WorkCalendar, statutory_days_off

SH = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Schedule:
    holidays: list[date] = field(default_factory=list)
    workdays: list[date] = field(default_factory=list)


@dataclass(frozen=True)
class Quiet:
    start: time
    end: time


# an illustrative 2027 schedule as an office would paste it into config.yaml
CONFIG_2027 = Schedule(
    holidays=[date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3)],
    workdays=[date(2027, 2, 20)],  # a Saturday made a working day
)


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0, tz: ZoneInfo = SH) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=tz)


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar(SH)


# -- which days are working days ---------------------------------------------------------------

OFFICIAL_2026 = [
    # New Year: Jan 1-3 off, Sunday Jan 4 worked
    (date(2026, 1, 1), False),
    (date(2026, 1, 3), False),
    (date(2026, 1, 4), True),
    # Spring Festival: Feb 15-23 off; Saturday Feb 14 and Saturday Feb 28 are make-up working days
    (date(2026, 2, 13), True),
    (date(2026, 2, 14), True),
    (date(2026, 2, 15), False),
    (date(2026, 2, 17), False),
    (date(2026, 2, 23), False),
    (date(2026, 2, 24), True),
    (date(2026, 2, 28), True),
    (date(2026, 3, 1), False),
    # National Day: Sunday Sep 20 and Saturday Oct 10 are make-up working days; Oct 1-7 off
    (date(2026, 9, 19), False),
    (date(2026, 9, 20), True),
    # Mid-Autumn Festival Sep 25-27 off: Sunday Sep 27 is NOT a make-up day
    (date(2026, 9, 25), False),
    (date(2026, 9, 26), False),
    (date(2026, 9, 27), False),
    (date(2026, 9, 28), True),
    (date(2026, 9, 30), True),
    (date(2026, 10, 1), False),
    (date(2026, 10, 4), False),
    (date(2026, 10, 7), False),
    (date(2026, 10, 8), True),
    (date(2026, 10, 9), True),
    (date(2026, 10, 10), True),
    (date(2026, 10, 11), False),
    (date(2026, 10, 12), True),
    # an ordinary week
    (date(2026, 3, 6), True),
    (date(2026, 3, 7), False),
    (date(2026, 3, 8), False),
    (date(2026, 12, 31), True),
]


@pytest.mark.parametrize(("day", "working"), OFFICIAL_2026)
def test_official_2026_schedule(cal: WorkCalendar, day: date, working: bool) -> None:
    assert cal.is_workday(day) is working
    assert chinese_calendar.is_workday(day) is working  # the package still says what we wrote down


def test_config_wins_inside_package_range() -> None:
    # a late change to the official schedule can be patched in config.yaml
    cal = WorkCalendar(SH, Schedule(holidays=[date(2026, 3, 3)], workdays=[date(2026, 3, 7)]))
    assert not cal.is_workday(date(2026, 3, 3))
    assert cal.is_workday(date(2026, 3, 7))
    assert cal.is_workday(date(2026, 10, 10))  # the rest still comes from the package
    assert not cal.is_workday(date(2026, 10, 1))


def test_conflicting_config_is_refused() -> None:
    with pytest.raises(ValueError, match="2027-01-01"):
        WorkCalendar(SH, Schedule(holidays=[date(2027, 1, 1)], workdays=[date(2027, 1, 1)]))


def test_is_workday_accepts_aware_datetime_by_local_date(cal: WorkCalendar) -> None:
    # 2026-10-09 20:00 UTC is Saturday 10-10 04:00 in Shanghai: a make-up working day
    assert cal.is_workday(datetime(2026, 10, 9, 20, 0, tzinfo=UTC))
    # 2026-10-10 20:00 UTC is Sunday 10-11 in Shanghai
    assert not cal.is_workday(datetime(2026, 10, 10, 20, 0, tzinfo=UTC))


# -- the end of the package's range ------------------------------------------------------------


def test_2027_without_config_uses_the_statutory_holidays_and_warns_once(
    cal: WorkCalendar, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="handlers.domain.worktime")
    assert not cal.is_workday(date(2027, 1, 1))  # a Friday, New Year's Day: statutory
    assert not cal.is_workday(date(2027, 1, 2))
    assert cal.is_workday(date(2027, 1, 4))
    assert not cal.is_workday(date(2027, 10, 1))  # National Day
    # a 2-work-hour deadline on the last afternoon the package knows runs over New Year's Day
    assert cal.add_work_hours(at(2026, 12, 31, 16, 30), 2) == at(2027, 1, 4, 9, 30)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "2027" in warnings[0].getMessage()
    assert "statutory holidays" in warnings[0].getMessage()
    assert not cal.is_workday(date(2028, 1, 1))  # a Saturday in another unknown year
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2


# Spring Festival 2027 (lunar): eve Fri Feb 5, four statutory days; the weekend two made good Feb 9-10.
SPRING_FESTIVAL_2027 = [date(2027, 2, d) for d in range(5, 11)]


def test_spring_festival_2027_is_not_a_working_day(cal: WorkCalendar) -> None:
    assert [cal.is_workday(d) for d in SPRING_FESTIVAL_2027] == [False] * 6
    assert cal.is_workday(date(2027, 2, 4))
    assert cal.is_workday(date(2027, 2, 11))
    # a 1-working-day deadline set on the Thursday before runs over the whole holiday
    assert cal.add_work_days(at(2027, 2, 4, 10, 0), 1) == at(2027, 2, 11, 10, 0)
    assert cal.is_off_duty(at(2027, 2, 8, 10, 0))  # the duty roster holds the fort on a holiday morning


def test_a_workdays_entry_makes_a_sunday_a_working_day() -> None:
    sunday = date(2027, 2, 21)
    assert sunday.weekday() == 6
    assert not WorkCalendar(SH).is_workday(sunday)
    assert WorkCalendar(SH, Schedule(workdays=[sunday])).is_workday(sunday)
    # and a config holiday wins over the statutory table the other way round
    assert not WorkCalendar(SH, Schedule(holidays=[date(2027, 2, 11)])).is_workday(date(2027, 2, 11))


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_statutory_days_agree_with_the_official_schedule_on_weekdays(year: int) -> None:
    """`holidays` lists days off and no make-up working days: compare the days off on weekdays."""
    days = [date.fromordinal(date(year, 1, 1).toordinal() + n) for n in range(365)]
    off = statutory_days_off(year)
    assert [d for d in days if d.weekday() < 5 and (d in off) != (not chinese_calendar.is_workday(d))] == []


def test_2027_with_config(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="handlers.domain.worktime")
    cal = WorkCalendar(SH, CONFIG_2027)
    assert not cal.is_workday(date(2027, 1, 1))
    assert not cal.is_workday(date(2027, 1, 3))
    assert cal.is_workday(date(2027, 1, 4))
    assert cal.is_workday(date(2027, 2, 20))  # the configured make-up Saturday
    assert not cal.is_workday(date(2027, 2, 21))  # an unlisted Sunday
    assert cal.is_workday(date(2027, 3, 1))  # an unlisted Monday
    assert not cal.is_workday(date(2027, 2, 8))  # unlisted, but a statutory Spring Festival day
    assert cal.add_work_hours(at(2026, 12, 31, 16, 30), 2) == at(2027, 1, 4, 9, 30)
    assert cal.add_work_days(at(2026, 12, 31, 10, 0), 1) == at(2027, 1, 4, 10, 0)
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]


def test_known_until_and_schedule_warning() -> None:
    bare = WorkCalendar(SH)
    assert bare.known_until() == date(2026, 12, 31)
    assert not bare.needs_schedule_warning(date(2026, 11, 30))  # 31 days left
    assert bare.needs_schedule_warning(date(2026, 12, 1))  # 30 days left
    assert bare.needs_schedule_warning(date(2027, 3, 1))  # already past
    configured = WorkCalendar(SH, CONFIG_2027)
    assert configured.known_until() == date(2027, 12, 31)
    assert not configured.needs_schedule_warning(date(2026, 12, 1))
    assert configured.needs_schedule_warning(date(2027, 12, 1))


# -- deadlines ---------------------------------------------------------------------------------


def test_calendar_hours_run_through_the_night_and_holidays(cal: WorkCalendar) -> None:
    assert cal.add_hours(at(2026, 3, 3, 21, 0), 12) == at(2026, 3, 4, 9, 0)
    assert cal.add_hours(at(2026, 10, 1, 20, 0), 12) == at(2026, 10, 2, 8, 0)
    assert cal.deadline(at(2026, 3, 3, 21, 0), 12, "hours") == at(2026, 3, 4, 9, 0)


WORK_HOURS = [
    # start, hours, expected
    (at(2026, 3, 3, 16, 30), 2, at(2026, 3, 4, 9, 30)),  # across a night
    (at(2026, 3, 3, 7, 0), 1, at(2026, 3, 3, 9, 30)),  # before the office opens
    (at(2026, 3, 3, 20, 0), 1, at(2026, 3, 4, 9, 30)),  # after it closes
    (at(2026, 3, 3, 8, 30), 9, at(2026, 3, 3, 17, 30)),  # a whole day ends at 17:30, not next morning
    (at(2026, 3, 3, 8, 30), 9.5, at(2026, 3, 4, 9, 0)),
    (at(2026, 3, 6, 16, 30), 3, at(2026, 3, 9, 10, 30)),  # across a weekend
    (at(2026, 3, 7, 10, 0), 1, at(2026, 3, 9, 9, 30)),  # reported on Saturday
    (at(2026, 3, 6, 17, 30), 0.5, at(2026, 3, 9, 9, 0)),  # exactly at closing time on Friday
    (at(2026, 3, 4, 12, 0), 24, at(2026, 3, 9, 9, 0)),  # 24 work hours: Wed 5.5, Thu 9, Fri 9, Mon 0.5
    (at(2026, 9, 30, 16, 0), 2, at(2026, 10, 8, 9, 0)),  # over National Day: 1.5 h + 0.5 h
    (at(2026, 10, 9, 17, 0), 1, at(2026, 10, 10, 9, 0)),  # into the make-up Saturday
    (at(2026, 9, 18, 17, 0), 1, at(2026, 9, 20, 9, 0)),  # into the make-up Sunday
    (at(2026, 2, 13, 15, 0), 4, at(2026, 2, 14, 10, 0)),  # Spring Festival eve-of-eve, make-up Sat
    (at(2026, 2, 14, 16, 0), 2, at(2026, 2, 24, 9, 0)),  # over the Spring Festival week
    (at(2026, 3, 3, 10, 0), 0, at(2026, 3, 3, 10, 0)),
]


@pytest.mark.parametrize(("start", "hours", "expected"), WORK_HOURS)
def test_work_hours(cal: WorkCalendar, start: datetime, hours: float, expected: datetime) -> None:
    got = cal.add_work_hours(start, hours)
    assert got == expected
    assert got.tzinfo == SH
    assert cal.deadline(start, hours, "work_hours") == expected


WORK_DAYS = [
    (at(2026, 3, 6, 16, 0), 2, at(2026, 3, 10, 16, 0)),  # Fri + 2 -> Tue, same time of day
    (at(2026, 3, 6, 23, 0), 1, at(2026, 3, 9, 23, 0)),  # late Friday: all of Monday
    (at(2026, 3, 3, 3, 0), 1, at(2026, 3, 4, 3, 0)),
    (at(2026, 3, 7, 10, 0), 1, at(2026, 3, 10, 8, 30)),  # Saturday: counts from Monday 08:30
    (at(2026, 3, 7, 10, 0), 2, at(2026, 3, 11, 8, 30)),
    (at(2026, 9, 30, 10, 0), 2, at(2026, 10, 9, 10, 0)),  # over National Day
    (at(2026, 9, 30, 10, 0), 3, at(2026, 10, 10, 10, 0)),  # lands on the make-up Saturday
    (at(2026, 10, 3, 10, 0), 1, at(2026, 10, 9, 8, 30)),  # reported during the holiday
    (at(2026, 9, 19, 10, 0), 1, at(2026, 9, 21, 8, 30)),  # Saturday before the make-up Sunday
    (at(2026, 2, 13, 10, 0), 2, at(2026, 2, 24, 10, 0)),  # Spring Festival
    (at(2026, 3, 3, 10, 0), 0.5, at(2026, 3, 3, 14, 30)),  # half a day = 4.5 work hours
    (at(2026, 3, 6, 16, 0), 1.5, at(2026, 3, 10, 11, 30)),  # Mon 16:00 + 4.5 h: 1.5 Mon, 3 Tue
    (at(2026, 3, 3, 10, 0), 0, at(2026, 3, 3, 10, 0)),
]


@pytest.mark.parametrize(("start", "days", "expected"), WORK_DAYS)
def test_work_days(cal: WorkCalendar, start: datetime, days: float, expected: datetime) -> None:
    assert cal.add_work_days(start, days) == expected
    assert cal.deadline(start, days, "work_days") == expected


def test_bad_amounts_and_units(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="negative"):
        cal.add_work_hours(at(2026, 3, 3, 10), -1)
    with pytest.raises(ValueError, match="negative"):
        cal.add_work_days(at(2026, 3, 3, 10), -1)
    with pytest.raises(ValueError, match="unit"):
        cal.deadline(at(2026, 3, 3, 10), 1, "weeks")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="work_end"):
        WorkCalendar(SH, work_start=time(18, 0), work_end=time(9, 0))


def test_naive_datetimes_are_refused(cal: WorkCalendar) -> None:
    naive = datetime(2026, 3, 3, 10, 0)
    for call in (
        lambda: cal.add_hours(naive, 1),
        lambda: cal.add_work_hours(naive, 1),
        lambda: cal.add_work_days(naive, 1),
        lambda: cal.in_quiet_hours(naive),
        lambda: cal.quiet_end(naive),
        lambda: cal.quiet_start_before(naive),
        lambda: cal.is_off_duty(naive),
        lambda: cal.is_workday(naive),
    ):
        with pytest.raises(ValueError, match="timezone-aware"):
            call()


# -- quiet hours and duty ----------------------------------------------------------------------

QUIET = [
    (at(2026, 3, 3, 21, 59), False),
    (at(2026, 3, 3, 22, 0), True),
    (at(2026, 3, 3, 23, 59), True),
    (at(2026, 3, 4, 0, 0), True),
    (at(2026, 3, 4, 3, 0), True),
    (at(2026, 3, 4, 7, 29), True),
    (at(2026, 3, 4, 7, 30), False),
    (at(2026, 3, 4, 12, 0), False),
]


@pytest.mark.parametrize(("when", "quiet"), QUIET)
def test_quiet_hours_edges(cal: WorkCalendar, when: datetime, quiet: bool) -> None:
    assert cal.in_quiet_hours(when) is quiet


def test_quiet_end(cal: WorkCalendar) -> None:
    assert cal.quiet_end(at(2026, 3, 3, 21, 59)) == at(2026, 3, 3, 21, 59)  # not quiet: now
    assert cal.quiet_end(at(2026, 3, 3, 22, 0)) == at(2026, 3, 4, 7, 30)  # evening: next morning
    assert cal.quiet_end(at(2026, 3, 4, 3, 0)) == at(2026, 3, 4, 7, 30)  # after midnight: same morning
    assert cal.quiet_end(at(2026, 3, 4, 7, 29)) == at(2026, 3, 4, 7, 30)
    assert cal.quiet_end(at(2026, 12, 31, 23, 0)) == at(2027, 1, 1, 7, 30)  # across a year end


def test_quiet_start_before(cal: WorkCalendar) -> None:
    assert cal.quiet_start_before(at(2026, 3, 4, 3, 0)) == at(2026, 3, 3, 22, 0)
    assert cal.quiet_start_before(at(2026, 3, 3, 23, 0)) == at(2026, 3, 3, 22, 0)
    assert cal.quiet_start_before(at(2026, 3, 3, 22, 0)) == at(2026, 3, 3, 22, 0)
    assert cal.quiet_start_before(at(2027, 1, 1, 3, 0)) == at(2026, 12, 31, 22, 0)
    assert cal.quiet_start_before(at(2026, 3, 4, 7, 30)) == at(2026, 3, 4, 7, 30)  # not quiet


def test_same_day_and_empty_quiet_spells() -> None:
    noon = WorkCalendar(SH, quiet=Quiet(time(12, 0), time(14, 0)))
    assert not noon.in_quiet_hours(at(2026, 3, 3, 11, 59))
    assert noon.in_quiet_hours(at(2026, 3, 3, 12, 0))
    assert not noon.in_quiet_hours(at(2026, 3, 3, 14, 0))
    assert not noon.in_quiet_hours(at(2026, 3, 3, 23, 0))
    assert noon.quiet_end(at(2026, 3, 3, 13, 0)) == at(2026, 3, 3, 14, 0)
    assert noon.quiet_start_before(at(2026, 3, 3, 13, 0)) == at(2026, 3, 3, 12, 0)
    never = WorkCalendar(SH, quiet=Quiet(time(0, 0), time(0, 0)))
    assert not never.in_quiet_hours(at(2026, 3, 3, 0, 0))
    assert not never.in_quiet_hours(at(2026, 3, 3, 23, 0))


OFF_DUTY = [
    (at(2026, 3, 3, 8, 29), True),
    (at(2026, 3, 3, 8, 30), False),
    (at(2026, 3, 3, 17, 29), False),
    (at(2026, 3, 3, 17, 30), True),
    (at(2026, 3, 3, 23, 0), True),
    (at(2026, 3, 7, 10, 0), True),  # Saturday
    (at(2026, 10, 1, 10, 0), True),  # National Day
    (at(2026, 10, 10, 10, 0), False),  # make-up Saturday
    (at(2026, 2, 14, 10, 0), False),  # make-up Saturday before Spring Festival
    (at(2026, 2, 18, 10, 0), True),  # Spring Festival
]


@pytest.mark.parametrize(("when", "off"), OFF_DUTY)
def test_off_duty(cal: WorkCalendar, when: datetime, off: bool) -> None:
    assert cal.is_off_duty(when) is off


# -- other zones -------------------------------------------------------------------------------


def test_input_in_another_zone_is_read_in_the_calendar_zone(cal: WorkCalendar) -> None:
    start = datetime(2026, 3, 3, 8, 30, tzinfo=UTC)  # 16:30 in Shanghai
    got = cal.add_work_hours(start, 2)
    assert got == at(2026, 3, 4, 9, 30)
    assert got.tzinfo == SH
    assert cal.in_quiet_hours(datetime(2026, 3, 3, 14, 0, tzinfo=UTC))  # 22:00 in Shanghai
    assert not cal.is_off_duty(datetime(2026, 3, 3, 0, 30, tzinfo=UTC))  # 08:30 in Shanghai


def test_urumqi_calendar() -> None:
    urumqi = ZoneInfo("Asia/Urumqi")  # UTC+6, no DST; same official holidays
    cal = WorkCalendar(urumqi)
    start = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # 16:00 in Urumqi, 18:00 in Shanghai
    assert not cal.is_off_duty(start)
    assert cal.add_work_hours(start, 2) == at(2026, 3, 4, 9, 0, tz=urumqi)  # 1.5 h today, 0.5 h tomorrow
    assert cal.quiet_end(at(2026, 3, 3, 23, 0, tz=urumqi)) == at(2026, 3, 4, 7, 30, tz=urumqi)
    assert cal.add_work_days(at(2026, 9, 30, 10, 0, tz=urumqi), 3) == at(2026, 10, 10, 10, 0, tz=urumqi)


def test_utc_calendar() -> None:
    cal = WorkCalendar(ZoneInfo("UTC"))
    assert cal.add_work_hours(at(2026, 3, 6, 16, 30, tz=ZoneInfo("UTC")), 3) == datetime(2026, 3, 9, 10, 30, tzinfo=UTC)


def test_dst_zone_counts_real_hours() -> None:
    berlin = ZoneInfo("Europe/Berlin")  # clocks go forward at 02:00 on 2026-03-29
    cal = WorkCalendar(berlin)
    assert cal.add_hours(at(2026, 3, 28, 12, 0, tz=berlin), 24) == at(2026, 3, 29, 13, 0, tz=berlin)
    assert cal.quiet_end(at(2026, 3, 28, 23, 0, tz=berlin)) == at(2026, 3, 29, 7, 30, tz=berlin)
    assert cal.add_work_days(at(2026, 3, 27, 10, 0, tz=berlin), 1) == at(2026, 3, 30, 10, 0, tz=berlin)


def test_from_settings() -> None:
    from bot.core.settings import load_settings

    settings = load_settings(
        overrides={
            "quiet_hours": {"start": "21:00", "end": "08:00"},
            "holidays": {"holidays": ["2027-01-01"], "workdays": ["2027-02-20"]},
        }
    )
    cal = WorkCalendar.from_settings(settings)
    assert cal.tz == ZoneInfo("Asia/Shanghai")
    assert cal.in_quiet_hours(at(2026, 3, 3, 21, 0))
    assert cal.in_quiet_hours(at(2026, 3, 4, 7, 59))
    assert not cal.is_workday(date(2027, 1, 1))
    assert cal.is_workday(date(2027, 2, 20))
    assert cal.known_until() == date(2027, 12, 31)
