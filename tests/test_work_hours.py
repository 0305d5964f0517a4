"""Working hours with a lunch break (`work_hours:`, issue 21): deadlines skip the break, duty does not.

Fixed dates only. 2026-03-02 is a Monday of an ordinary week; Labour Day 2026 is May 1-5 off with
Saturday May 9 a make-up working day (chinesecalendar 1.11.0, as tests/test_worktime.py pins).
"""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core.settings import ConfigError, Settings, load_settings
from bot.core.settings_work import WorkSpan
from handlers.domain.worktime import WorkCalendar
from tests.test_ladder import DOG, make_chat, ticket
from tests.test_settings_refused import BASE, write

SH = ZoneInfo("Asia/Shanghai")
SPLIT = (WorkSpan(start=time(8, 30), end=time(12, 0)), WorkSpan(start=time(14, 0), end=time(17, 30)))


def at(mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(2026, mo, d, h, mi, tzinfo=SH)


@pytest.fixture
def split() -> WorkCalendar:
    return WorkCalendar(SH, work_hours=SPLIT)


WORK_HOURS = [
    # (start, hours, deadline with 08:30-12:00 + 14:00-17:30, deadline with the default 08:30-17:30)
    (at(3, 3, 10), 1, at(3, 3, 11), at(3, 3, 11)),  # inside the morning: no difference
    (at(3, 3, 11), 1, at(3, 3, 12), at(3, 3, 12)),  # uses up the morning: 12:00, not 14:00
    (at(3, 3, 11), 2, at(3, 3, 15), at(3, 3, 13)),  # across the break: it is skipped
    (at(3, 3, 12, 30), 1, at(3, 3, 15), at(3, 3, 13, 30)),  # reported at lunch: counts from 14:00
    (at(3, 3, 12, 30), 0, at(3, 3, 12, 30), at(3, 3, 12, 30)),  # zero hours: the start itself
    (at(3, 3, 7), 4, at(3, 3, 14, 30), at(3, 3, 12, 30)),  # before work: from 08:30, then the break
    (at(3, 3, 16, 30), 2, at(3, 4, 9, 30), at(3, 4, 9, 30)),  # across the end of the day
    (at(3, 3, 16, 30), 5, at(3, 4, 14, 30), at(3, 4, 12, 30)),  # end of day, then next day's break
    (at(3, 3, 17, 30), 3.5, at(3, 4, 12), at(3, 4, 12)),  # after work: a whole morning next day
    (at(3, 6, 16), 3, at(3, 9, 10), at(3, 9, 10)),  # Friday afternoon across the weekend
    (at(3, 6, 11, 30), 7, at(3, 9, 11, 30), at(3, 9, 9, 30)),  # a full split day from Friday
    (at(3, 7, 10), 4, at(3, 9, 14, 30), at(3, 9, 12, 30)),  # reported on Saturday: Monday 08:30 on
    (at(4, 30, 16), 3, at(5, 6, 10), at(5, 6, 10)),  # across Labour Day (May 1-5 off)
    (at(4, 30, 11), 5, at(5, 6, 9), at(4, 30, 16)),  # into the holiday from before the break
    (at(5, 8, 17), 1, at(5, 9, 9), at(5, 9, 9)),  # Saturday May 9 is a make-up working day
]


@pytest.mark.parametrize(("start", "hours", "with_break", "unbroken"), WORK_HOURS)
def test_work_hour_deadlines_skip_the_lunch_break(
    split: WorkCalendar, start: datetime, hours: float, with_break: datetime, unbroken: datetime
) -> None:
    assert split.deadline(start, hours, "work_hours") == with_break
    assert WorkCalendar(SH).deadline(start, hours, "work_hours") == unbroken


WORK_DAYS = [
    # a fraction of a day is that share of 7 working hours, not 9
    (at(3, 3, 8, 30), 0.5, at(3, 3, 12)),
    (at(3, 3, 10), 0.5, at(3, 3, 15, 30)),
    # whole days keep the time of day, even one inside the break
    (at(3, 3, 12, 30), 1, at(3, 4, 12, 30)),
    (at(3, 6, 16), 2, at(3, 10, 16)),
    # a Saturday report first moves to Monday's first span
    (at(3, 7, 10), 1.5, at(3, 10, 12)),
]


@pytest.mark.parametrize(("start", "days", "deadline"), WORK_DAYS)
def test_work_day_deadlines_with_a_break(split: WorkCalendar, start: datetime, days: float, deadline: datetime) -> None:
    assert split.deadline(start, days, "work_days") == deadline


@pytest.mark.parametrize(
    ("when", "off"),
    [
        (at(3, 3, 8), True),
        (at(3, 3, 8, 30), False),
        (at(3, 3, 12), False),  # the lunch break is on duty: the worker is reachable
        (at(3, 3, 13, 59), False),
        (at(3, 3, 17, 29), False),
        (at(3, 3, 17, 30), True),
        (at(3, 7, 12, 30), True),  # a Saturday lunchtime is the duty roster's
        (at(5, 4, 12, 30), True),  # and so is a holiday's
    ],
)
def test_lunch_break_is_on_duty(split: WorkCalendar, when: datetime, off: bool) -> None:
    assert split.is_off_duty(when) is off


@pytest.mark.parametrize(
    "value",
    [
        "08:30-12:00, 14:00-17:30",
        ["14:00-17:30", "08:30-12:00"],
        "08:30–12:00，14：00～17:30",
        "8:30-12:00;14:00-17:30",
        [{"start": "08:30", "end": "12:00"}, {"start": "14:00", "end": "17:30"}],
    ],
)
def test_config_spellings_give_the_same_calendar(value: object) -> None:
    settings = load_settings(overrides={"work_hours": value}, env={})
    assert settings.work_hours == SPLIT
    cal = WorkCalendar.from_settings(settings)
    assert cal.deadline(at(3, 3, 11), 2, "work_hours") == at(3, 3, 15)


def test_split_hours_survive_the_administration_page_merge() -> None:
    # the page's changes are merged by dumping Settings and validating it again (directory.py)
    settings = load_settings(overrides={"work_hours": "08:30-12:00, 14:00-17:30"}, env={})
    assert Settings.model_validate(settings.model_dump()).work_hours == SPLIT


def test_default_is_unbroken() -> None:
    settings = load_settings(env={})
    assert settings.work_hours == (WorkSpan(start=time(8, 30), end=time(17, 30)),)
    assert WorkCalendar.from_settings(settings).deadline(at(3, 3, 11), 2, "work_hours") == at(3, 3, 13)


REFUSED = [
    ('work_hours: "08:30-12:30, 12:00-17:30"\n', "work_hours: 08:30-12:30 and 12:00-17:30 overlap"),
    ("work_hours: [14:00-17:30, 08:30-15:00]\n", "work_hours: 08:30-15:00 and 14:00-17:30 overlap"),
    ('work_hours: "12:00-08:30"\n', "work_hours: '12:00-08:30' must end after it starts"),
    ('work_hours: "12:00-12:00"\n', "work_hours: '12:00-12:00' must end after it starts"),
    ('work_hours: ""\n', "work_hours: no working hours given"),
    ("work_hours: []\n", "work_hours: no working hours given"),
    ('work_hours: " , "\n', "work_hours: no working hours given"),
    ('work_hours: "morning"\n', "work_hours: 'morning' is not a span like \"08:30-12:00\""),
    ('work_hours: "08:30 to 17:30"\n', "work_hours: '08:30 to 17:30' is not a span"),
    ('work_hours: "08:30-25:00"\n', "work_hours: '08:30-25:00': 25:00 is not a time of day"),
    ("work_hours: 8:30\n", "work_hours: 510 is not a span"),  # YAML's base-60 number, not a time
    ("work_hours: [8:30-12:00, {start: 14:00}]\n", "work_hours: {'start': 840} is not a span"),
    ("work_hours: [{start: 14:00, end: 17:30}]\n", "work_hours: {'start': 840, 'end': 1050} is not a span"),
]


@pytest.mark.parametrize(("text", "message"), REFUSED)
def test_bad_work_hours_are_refused_with_one_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, BASE + text), env={})
    line = str(caught.value)
    assert message in line
    assert "\n" not in line


def test_calendar_refuses_overlapping_spans() -> None:
    overlapping = (WorkSpan(start=time(8, 30), end=time(13, 0)), WorkSpan(start=time(12, 0), end=time(17, 30)))
    with pytest.raises(ValueError, match="overlap"):
        WorkCalendar(SH, work_hours=overlapping)


async def test_ladder_deadlines_skip_the_break(tmp_path: Path, db_url: str) -> None:
    from tests.conftest import DATA

    text = (DATA / "config.yaml").read_text(encoding="utf-8") + (
        'work_hours: "08:30-12:00, 14:00-17:30"\n'
        "ladder:\n"
        "  - {level: 1, role: grid_worker, name: 网格员, deadline: 8, unit: work_hours, ack_within: 2}\n"
        "  - {level: 2, role: area_cadre, name: 片区负责人, deadline: 12, unit: hours}\n"
    )
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text, encoding="utf-8")
    chat = await make_chat(load_settings(cfg, env={}), db_url, datetime(2026, 11, 27, 11, 0, tzinfo=SH))  # Friday
    await chat.say("周阿姨", DOG)
    t = ticket(chat, 1)
    # accept within 2: 11:00-12:00, then 14:00-15:00; deadline 8: 4.5 h on Friday, 3.5 h on Monday morning
    assert t.ack_due_at == datetime(2026, 11, 27, 15, 0, tzinfo=SH)
    assert t.deadline_at == datetime(2026, 11, 30, 12, 0, tzinfo=SH)
