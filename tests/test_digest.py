"""Supervisors' digests over a scripted week at fixed fake-clock times, with exact expected numbers.

The week (test config: 第十网格 = 张燕, groups 天城3栋 and 龙城1栋; 第十一网格 = 李网格, 景园2栋):
  #1 Mon 09:00 noise, 天城3栋      接单 09:30, 办结 Mon 18:00, 不满意 18:30 (reopened), 办结 Tue 06:00, never rated
  #2 Mon 10:00 parking, 景园2栋    李网格 办结 11:00, 满意 11:10
  #3 Mon 14:00 sanitation, 龙城1栋 (a phone number in it) untouched: escalated Tue 02:00, Tue 14:00, Wed 14:00;
                                   overdue at the top (街道网格中心) Fri 14:00
  #4 Wed 10:00 noise, 景园2栋      接单 10:20, 办结 15:00, rated 5
  #5 Thu 09:00 parking, 天城3栋    escalated to 杨海霞 Thu 21:00, she resolves Fri 08:00, rated 基本满意
"""

from __future__ import annotations

import argparse
import struct
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.cli.digest import cmd_digest
from bot.core.settings import Settings, load_settings
from bot.runtime.scheduler import digest_jobs
from handlers.jobs import digest
from storage import stats
from tests.chat import Chat
from tests.conftest import DATA, TZ

TIANCHENG, LONGCHENG, JINGYUAN, STAFF = "room_tiancheng_3", "room_longcheng_1", "room_jingyuan_2", "room_staff"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The test config, with charts drawn under the test's own folder."""
    return load_settings(DATA / "config.yaml", env={}, overrides={"data_dir": str(tmp_path)})


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


async def go(chat: Chat, when: datetime) -> None:
    """Let simulated time pass to `when`, the sweep running every 30 minutes (deadlines fall on :00 / :30)."""
    await chat.wait(when - chat.clock.now(), step=timedelta(minutes=30))


# (when, who, what, where): the week as a timetable
WEEK: list[tuple[datetime, str, str, str]] = [
    (at(23, 9), "周阿姨", "楼下有人养狗,到晚上老叫唤,我年纪大了,根本没法休息好。", TIANCHENG),
    (at(23, 9, 30), "张燕", "/接单 1", TIANCHENG),
    (at(23, 10), "刘大爷", "楼下停车位总被外面的车占了，我们自己的车没地方停", JINGYUAN),
    (at(23, 11), "李网格", "/办结 2 已联系车主挪车", "private"),
    (at(23, 11, 10), "刘大爷", "满意", JINGYUAN),
    (at(23, 14), "王奶奶", "我电话13812345678，楼下垃圾桶满了没人清，臭得很", LONGCHENG),
    (at(23, 18), "张燕", "/办结 1 已与养狗住户沟通", "private"),
    (at(23, 18, 30), "周阿姨", "不满意，还是叫", TIANCHENG),
    (at(24, 6), "张燕", "/办结 1 已再次上门，狗已送走", "private"),
    (at(25, 10), "赵阿姨", "楼上装修电钻声太吵了，中午都不让人休息", JINGYUAN),
    (at(25, 10, 20), "李网格", "/接单 4", "private"),
    (at(25, 15), "李网格", "/办结 4 已让装修队午休时段停工", "private"),
    (at(25, 15), "赵阿姨", "5", JINGYUAN),
    (at(26, 9), "钱先生", "小区门口总有人乱停车，堵着出不去", TIANCHENG),
    (at(27, 8), "杨海霞", "/办结 5 已联系物业设置隔离桩", "private"),
    (at(27, 8), "钱先生", "基本满意", TIANCHENG),
]


async def scripted_week(chat: Chat, until: datetime) -> None:
    for when, who, text, where in WEEK:
        if when > until:
            break
        await go(chat, when)
        await chat.say(who, text, where)
    await go(chat, until)


DAILY = """【美景社区日报】11-23 09:00 至 11-24 09:00
新增 3 · 办结 2 · 在办 1 · 超期 1
按时办结 100%（2/2） · 满意 50%（1/2）
首次响应中位 45分钟 · 办结用时中位 11.0小时
分类：噪音扰民 1、停车问题 1、环境卫生 1
各网格：
第十网格·张燕：在办1 超期1 按时1/1 满意0/1 响应30分钟 办结21.0小时 积分7
第十一网格·李网格：在办0 超期0 按时1/1 满意1/1 响应1.0小时 办结1.0小时 积分7
超期工单：
#3【环境卫生】杨海霞（片区负责人）超期7.0小时 美景龙城1栋：我电话138****5678，楼下垃圾桶
超期分布：片区负责人 1
积分：张燕 7、李网格 7"""

WEEKLY = """【美景社区周报】11-23 09:00 至 11-30 09:00
新增 5 · 办结 4 · 在办 1 · 超期 1
按时办结 75%（3/4） · 满意 75%（3/4）
首次响应中位 45分钟 · 办结用时中位 13.0小时
部分解决 0 · 无法解决 0 · 挂起 0 · 转12345 0
分类：噪音扰民 2、停车问题 2、环境卫生 1
各网格：
第十网格·张燕：在办1 超期1 按时1/2 满意1/2 响应11.8小时 办结22.0小时 积分7
第十一网格·李网格：在办0 超期0 按时2/2 满意2/2 响应40分钟 办结3.0小时 积分14
三率（响应率 / 解决率 / 满意率 · 综合）：
美景社区：60% / 100% / 75% · 79
第十网格：33% / 100% / 50% · 62
第十一网格：100% / 100% / 100% · 100
张燕：100% / 100% / 0% · 65
李网格：100% / 100% / 100% · 100
超期工单：
#3【环境卫生】街道网格中心超期6.3天 美景龙城1栋：我电话138****5678，楼下垃圾桶
超期分布：街道网格中心 1
积分：李网格 14、张燕 7、杨海霞 6"""


async def test_daily_digest_of_the_first_day(any_chat: Chat) -> None:
    chat = any_chat  # on SQLite and on PostgreSQL
    await scripted_week(chat, at(24, 9))
    with chat.app.services.store.begin() as uow:
        made = digest.build(uow, chat.settings, chat.settings.all_communities[0], "day", at(24, 9))
    assert made.text == DAILY
    assert made.chart is None  # the daily digest is text only
    assert "13812345678" not in made.text


async def test_weekly_digest_with_chart(any_chat: Chat) -> None:
    chat = any_chat
    await scripted_week(chat, at(30, 9))
    with chat.app.services.store.begin() as uow:
        made = digest.build(uow, chat.settings, chat.settings.all_communities[0], "week", at(30, 9))
        points = digest.points.totals(uow, chat.settings, "default", None, at(30, 9))
    assert made.text == WEEKLY
    assert points == {"wxid_zhangyan": 7, "wxid_li": 14, "wxid_yanghx": 6}
    assert made.chart is not None
    png = made.chart.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (700, 600)
    assert 10_000 < len(png) < 500_000


async def test_the_scheduled_weekly_digest_goes_to_the_staff_chat_with_its_chart(chat: Chat) -> None:
    await scripted_week(chat, at(30, 8, 59))
    chat.new()
    jobs = {job_id: (trigger, job) for job_id, trigger, job in digest_jobs(chat.settings)}
    assert set(jobs) == {"digest-day", "digest-week", "digest-month"}
    trigger, job = jobs["digest-week"]
    assert trigger.get_next_fire_time(None, at(30, 7)) == at(30, 8)  # type: ignore[attr-defined]
    assert jobs["digest-day"][0].get_next_fire_time(None, at(30, 7)) == at(30, 7, 30)  # type: ignore[attr-defined]
    chat.clock.set(at(30, 9))
    await job(chat.app)
    await job(chat.app)  # a second run at the same moment sends nothing twice
    sent = chat.new()
    assert [s.chat_id for s in sent] == [STAFF, STAFF]
    assert sent[0].text == WEEKLY
    assert sent[1].text == "美景社区周报图表"
    assert sent[1].image_path.endswith(".png")


async def test_supervisors_ask_for_digests_and_others_may_not(chat: Chat) -> None:
    await scripted_week(chat, at(24, 9))
    sent = await chat.say("严主任", "/日报", "private")
    assert [s.text for s in sent] == [DAILY]
    # asked in a residents' group, the answer goes privately
    sent = await chat.say("严主任", "/周报", TIANCHENG)
    assert [s.chat_id for s in sent] == ["wxid_super", "wxid_super"]
    assert sent[1].image_path
    refused = await chat.say("张燕", "/月报", "private")
    assert [s.text for s in refused] == ["日报、周报、月报仅限社区书记和督办人员查看。"]


def test_periods() -> None:
    end = at(30, 9)
    assert digest.period_start("day", end) == at(29, 9)
    assert digest.period_start("week", end) == at(23, 9)
    assert digest.period_start("month", datetime(2026, 3, 31, 8, tzinfo=TZ)) == datetime(2026, 2, 28, 8, tzinfo=TZ)
    assert digest.period_start("month", datetime(2026, 1, 1, 8, tzinfo=TZ)) == datetime(2025, 12, 1, 8, tzinfo=TZ)


async def test_another_communitys_tickets_never_show(chat: Chat) -> None:
    await scripted_week(chat, at(24, 9))
    with chat.app.services.store.begin() as uow:
        figures = stats.digest_figures(uow, "elsewhere", at(23, 9), at(24, 9))
    assert (figures.new, figures.total.open, figures.total.closed, figures.overdue_list) == (0, 0, 0, [])


@pytest.mark.parametrize("period", ["day", "week"])
def test_gridbot_digest_prints_text_and_chart_path(
    period: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # data_dir ./data: the chart lands under the test's folder
    args = argparse.Namespace(
        config=str(DATA / "config.yaml"), db="", period=period, at="2026-11-30T09:00", community=None
    )
    assert cmd_digest(args) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"【美景社区{'日报' if period == 'day' else '周报'}】")
    assert "新增 0 · 办结 0 · 在办 0 · 超期 0" in out
    charts = [line.removeprefix("chart: ") for line in out.splitlines() if line.startswith("chart: ")]
    assert len(charts) == (period == "week")
    for chart in charts:
        assert (tmp_path / chart).read_bytes()[:4] == b"\x89PNG"


def test_gridbot_digest_refuses_a_bad_moment(capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(config=str(DATA / "config.yaml"), db="", period="day", at="yesterday", community=None)
    assert cmd_digest(args) == 2
    assert capsys.readouterr().err == "gridbot: --at: not an ISO 8601 date-time: 'yesterday' (e.g. 2026-11-24T08:00)\n"


STREET = """
communities:
  - id: meijing
    name: 美景社区
    staff_chat: room_staff_mj
    people:
      - {id: wxid_zhangyan, name: 张燕, role: grid_worker}
      - {id: wxid_super, name: 严主任, role: supervisor}
    grids:
      - {id: g10, name: 第十网格, worker: wxid_zhangyan, groups: [room_tiancheng_3]}
  - id: heping
    name: 和平社区
    people:
      - {id: wxid_li, name: 李网格, role: grid_worker}
      - {id: wxid_hp_super, name: 何主任, role: supervisor}
    grids:
      - {id: h1, name: 和平一网格, worker: wxid_li, groups: [room_heping_1]}
group_names: {room_tiancheng_3: 美景天城3栋, room_heping_1: 和平1栋}
digests: {to_supervisors: true}
"""


async def test_a_street_each_community_gets_its_own_digest(tmp_path: Path) -> None:
    """Two communities on one database: each digest counts its own tickets and goes to its own people."""
    from tests.conftest import _chat

    cfg = tmp_path / "street.yaml"
    cfg.write_text(STREET, encoding="utf-8")
    settings = load_settings(cfg, env={}, overrides={"data_dir": str(tmp_path)})
    async for chat in _chat(settings, f"sqlite:///{tmp_path}/street.db"):
        await chat.say("周阿姨", "楼下有人养狗,到晚上老叫唤,我年纪大了,根本没法休息好。", TIANCHENG)
        await chat.say("孙大爷", "我电话13912345678，楼道里堆满了杂物，过不去人", "room_heping_1")
        await chat.say("孙大爷", "小区门口总有人乱停车，堵着出不去", "room_heping_1")
        chat.new()
        _, _, job = next(j for j in digest_jobs(settings) if j[0] == "digest-day")
        chat.clock.advance(timedelta(hours=1))
        await job(chat.app)
        sent = chat.new()
        by_chat = {s.chat_id: s.text for s in sent}
        # 美景: its staff chat and its supervisor; 和平 has no staff chat: its supervisor privately
        assert sorted(by_chat) == ["room_staff_mj", "wxid_hp_super", "wxid_super"]
        assert by_chat["room_staff_mj"] == by_chat["wxid_super"]
        assert by_chat["room_staff_mj"].startswith("【美景社区日报】")
        assert "新增 1 · 办结 0 · 在办 1 · 超期 0" in by_chat["room_staff_mj"]
        assert "和平" not in by_chat["room_staff_mj"]
        heping = by_chat["wxid_hp_super"]
        assert heping.startswith("【和平社区日报】")
        assert "新增 2 · 办结 0 · 在办 2 · 超期 0" in heping
        assert "美景" not in heping
        assert "13912345678" not in heping
