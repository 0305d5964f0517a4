"""Issue 18: one WeChat account may send so many messages a day and sit in so many groups. Near a limit
(`warn_at`) and at it the staff chat is told once a day; at the messages limit the residents' group posts
that are not urgent wait for the next day (nothing is dropped), urgent ones and staff notices still go;
`gridbot health` says today's count and the groups."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.cli.main import main
from bot.core.heartbeat import limits_line
from bot.core.messages import ChatEvent, OutgoingMessage
from bot.core.settings import ConfigError, load_settings
from storage.states import OutboxState
from tests.chat import Chat
from tests.conftest import DATA, START, TZ, _chat
from tests.test_urgent_reports import GAS

DOG = "楼下有人养狗,到晚上老叫唤,我年纪大了,根本没法休息好。"
GROUP = "room_tiancheng_3"
PER_DAY = 10  # the test's daily limit: warns at 8 (warn_at 0.8)
# the test config's groups the account is in: three residents' groups and the staff chat
CONFIG_GROUPS = 4


@pytest.fixture
async def limited(request: pytest.FixtureRequest, tmp_path: Path, db_url: str) -> AsyncIterator[Chat]:
    """The test config with a daily limit of 10 messages, on SQLite and on PostgreSQL."""
    limits: dict[str, Any] = {"messages_per_day": PER_DAY, "groups": 300, "warn_at": 0.8}
    limits |= getattr(request, "param", {})
    overrides = {"account_limits": limits, "data_dir": str(tmp_path)}
    settings = load_settings(DATA / "config.yaml", env={}, overrides=overrides)
    async for c in _chat(settings, db_url):
        yield c


async def post(chat: Chat, count: int, chat_id: str = GROUP) -> list[str]:
    """`count` bot posts queued in `chat_id` and drained; the texts that went out."""
    now = chat.clock.now()
    with chat.app.services.store.begin() as uow:
        for i in range(count):
            uow.outbox.enqueue(OutgoingMessage(chat_id=chat_id, text=f"通知{now:%H%M%S}-{i}"), at=now)
    await chat.app.dispatcher.drain()
    return [s.text for s in chat.new()]


def staff(sent: list[Any], chat: Chat) -> list[str]:
    return [s.text for s in chat.to(sent, "room_staff")]


async def test_warned_once_at_warn_at_of_the_daily_messages(limited: Chat) -> None:
    texts = limited.settings.texts
    assert len(await post(limited, 7)) == 7
    assert staff(await limited.wait(timedelta(minutes=1)), limited) == []  # 7 of 10: below 80 %
    assert len(await post(limited, 1)) == 1
    near = texts.limit_messages_near.format(count=8, limit=PER_DAY)
    assert staff(await limited.wait(timedelta(minutes=1)), limited) == [near]
    assert staff(await limited.wait(timedelta(minutes=5)), limited) == []  # once a day, not at every tick


async def test_at_the_limit_a_group_post_waits_for_the_next_day(limited: Chat) -> None:
    texts = limited.settings.texts
    assert len(await post(limited, 8)) == 8
    later = await limited.wait(timedelta(minutes=1))  # the 80 % notice: the 9th message today
    assert len(staff(later, limited)) == 1
    assert len(await post(limited, 1)) == 1  # the 10th
    assert await post(limited, 1) == []  # the 11th is held, not dropped
    with limited.app.services.store.begin() as uow:
        held = uow.outbox.items()[-1]
    next_morning = datetime.combine(START.date() + timedelta(days=1), time(7, 30), tzinfo=TZ)  # quiet hours end
    assert (held.state, held.attempts, held.not_before) == ("pending", 0, next_morning)
    # the staff notice at the limit still goes out
    reached = texts.limit_messages_reached.format(count=PER_DAY, limit=PER_DAY)
    assert staff(await limited.wait(timedelta(minutes=1)), limited) == [reached]
    day_end = datetime.combine(START.date() + timedelta(days=1), time(0), tzinfo=TZ)
    assert [s for s in await limited.at(day_end - timedelta(minutes=1)) if s.chat_id == GROUP] == []
    morning = await limited.wait(next_morning - limited.clock.now() + timedelta(minutes=1), step=timedelta(hours=1))
    assert [s.text for s in limited.to(morning, GROUP)] == [held.text]
    with limited.app.services.store.begin() as uow:
        (after,) = [i for i in uow.outbox.items() if i.id == held.id]
    assert (after.state, after.attempts) == ("sent", 1)


async def test_sends_of_another_process_of_the_account_count_within_a_minute(limited: Chat) -> None:
    # the day's count is kept in memory between drains (bot/runtime/dispatcher.py RECOUNT): another process
    # speaking for the same account is seen at the next count, not never
    assert len(await post(limited, 2)) == 2
    now = limited.clock.now()
    account = limited.settings.account.id
    with limited.app.services.store.begin() as uow:  # eight posts another process sent meanwhile
        for i in range(PER_DAY - 2):
            uow.outbox.enqueue(OutgoingMessage(chat_id=GROUP, text=f"别处{i}"), at=now)
        for item in uow.outbox.claim(now, limit=PER_DAY, owner="another-process", account=account):
            uow.outbox.finish(item.id, state=OutboxState.SENT, at=now)
    assert len(await post(limited, 1)) == 1  # counted a moment ago: 3 of 10 as far as this process knows
    await limited.wait(timedelta(minutes=1))
    assert await post(limited, 1) == []  # counted again: 11 sent today, the post waits for tomorrow


async def test_urgent_reports_and_private_answers_still_go_at_the_limit(limited: Chat) -> None:
    assert len(await post(limited, PER_DAY)) == PER_DAY
    urgent = await limited.say("周阿姨", GAS)
    assert limited.to(urgent, GROUP), "the answer to an emergency in the group goes out"
    assert limited.to(urgent, "room_staff"), "and so does the staff chat's alarm"
    ordinary = await limited.say("王大爷", DOG)
    assert limited.to(ordinary, GROUP) == []  # an ordinary report's answer waits for tomorrow
    with limited.app.services.store.begin() as uow:
        waiting = [i for i in uow.outbox.items([OutboxState.PENDING]) if i.chat_id == GROUP]
    assert len(waiting) == 1
    assert waiting[0].ticket_id is not None


@pytest.mark.parametrize("limited", [{"groups": 5}], indirect=True)
async def test_groups_warned_near_and_at_the_limit(limited: Chat) -> None:
    texts = limited.settings.texts
    # 4 of 5 groups (config's three residents' groups and the staff chat): the 80 % notice, once
    assert staff(await limited.wait(timedelta(minutes=1)), limited) == [
        texts.limit_groups_near.format(count=CONFIG_GROUPS, limit=5)
    ]
    assert staff(await limited.wait(timedelta(minutes=1)), limited) == []
    await limited.app.chat_event(ChatEvent("joined", "room_new", "新小区1栋", limited.clock.now()))
    limited.new()  # the unknown group's own notice
    assert staff(await limited.wait(timedelta(minutes=1)), limited) == [
        texts.limit_groups_reached.format(count=CONFIG_GROUPS + 1, limit=5)
    ]
    await limited.app.chat_event(ChatEvent("left", "room_new", "新小区1栋", limited.clock.now()))
    with limited.app.services.turn() as deps:
        assert (await limited.app.check_limits()).groups == CONFIG_GROUPS
        assert deps.settings.account_limits.groups == 5


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ({"messages_per_day": 0}, "account_limits.messages_per_day"),
        ({"groups": -1}, "account_limits.groups"),
        ({"warn_at": 1.5}, "account_limits.warn_at"),
        ({"warn_at": 0}, "account_limits.warn_at"),
        ({"per_day": 100}, "account_limits.per_day: unknown key"),
    ],
)
def test_bad_limits_are_refused_naming_the_key(value: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(DATA / "config.yaml", env={}, overrides={"account_limits": value})
    assert key in str(err.value)
    assert "\n" not in str(err.value)


def test_defaults() -> None:
    limits = load_settings(DATA / "config.yaml", env={}).account_limits
    assert (limits.messages_per_day, limits.groups, limits.warn_at) == (2000, 300, 0.8)
    assert (limits.warn_level(2000), limits.warn_level(300)) == (1600, 240)  # 300 × 0.8 is not 241


async def test_health_says_todays_count_and_the_groups(
    limited: Chat, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert limits_line(tmp_path) is None  # no heartbeat yet
    assert len(await post(limited, 3)) == 3
    limited.app.report_health()
    said = f"account limits: 3/{PER_DAY} messages sent today, {CONFIG_GROUPS}/300 groups"
    assert limits_line(tmp_path) == said
    config = tmp_path / "config.yaml"
    config.write_text((DATA / "config.yaml").read_text(encoding="utf-8") + f"data_dir: {tmp_path}\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GRIDBOT_NOW", limited.clock.now().isoformat())
        main(["health", "--config", str(config)])
    assert said in capsys.readouterr().out.splitlines()


async def test_an_urgent_notice_goes_at_the_limit_an_ordinary_one_waits(limited: Chat) -> None:
    boss, jingyuan = limited.id_of("王欢"), "room_jingyuan_2"
    assert len(await post(limited, PER_DAY)) == PER_DAY
    sent = await limited.say("王欢", "/通知 紧急 美景景园2栋 今晚23:30起紧急停水抢修。", chat="private")
    assert [s.chat_id for s in sent] == [jingyuan, boss]  # the urgent post, and the sender's private answer
    sent = await limited.say("王欢", "/通知 美景景园2栋 明天9点起打扫楼道。", chat="private")
    assert [s.chat_id for s in sent] == [boss]  # the ordinary post waits; the sender is still answered
    morning = datetime.combine(START.date() + timedelta(days=1), time(7, 30), tzinfo=TZ)
    later = await limited.wait(morning - limited.clock.now() + timedelta(minutes=1), step=timedelta(hours=1))
    assert [s.text.splitlines()[0] for s in limited.to(later, jingyuan)] == ["【通知2】明天9点起打扫楼道。"]
