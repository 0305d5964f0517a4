"""Issue 18 §4: two bot accounts in the same groups. Each receives every group message under its own id: a
message both see is one message and opens one ticket; two residents writing the same words, or one resident
writing them twice or in two groups, stay apart. One account speaks (a lease in the database); when it is not
live for `account.takeover_seconds`, the standby takes over, sends what the outbox holds and tells the staff
chat; an account switched back repeats nothing. Each account's day is counted against its own limit."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.core.heartbeat import speaking_line
from bot.core.messages import IncomingMessage
from bot.core.settings import ConfigError, load_settings
from bot.runtime.speaking import Speaking
from handlers.domain import account_limits
from storage.states import OutboxState
from tests.chat import Chat
from tests.conftest import DATA, _chat

DOG = "楼下有人养狗,到晚上老叫唤,我年纪大了,根本没法休息好。"
TIANCHENG, LONGCHENG, STAFF = "room_tiancheng_3", "room_longcheng_1", "room_staff"
TAKEOVER = 30.0
_ids = itertools.count(1)


@dataclass
class Pair:
    a: Chat  # the speaking account
    b: Chat  # the standby, on the same database

    def both(self, who: str, text: str, chat: str = TIANCHENG, *, late: float = 2.0) -> tuple[IncomingMessage, ...]:
        """What account a and account b receive when `who` writes `text` once: one message, two ids."""
        pid, name = self.a.person(who)
        n = next(_ids)
        seen_by_a = IncomingMessage(
            message_id=f"a-{n}",
            chat_id=chat,
            chat_topic=self.a.topic(chat),
            sender_id=pid,
            sender_name=name,
            text=text,
            timestamp=self.a.clock.now(),
        )
        # the other account's copy: its own message id, the platform's time of the message a little apart
        seen_by_b = replace(seen_by_a, message_id=f"b-{n}", timestamp=seen_by_a.timestamp + timedelta(seconds=late))
        return seen_by_a, seen_by_b

    def advance(self, delta: timedelta) -> None:
        self.a.clock.advance(delta)
        self.b.clock.advance(delta)

    def twins(self) -> dict[str, str]:
        """Each copy's platform id → the platform id of the message it is a copy of."""
        copies = "SELECT c.platform_id, o.platform_id FROM messages c JOIN messages o ON o.id = c.twin_of"
        with self.a.app.services.store.begin() as uow:
            return {str(c): str(o) for c, o in uow.sql.run(text(copies))}

    def counts(self) -> dict[str, int]:
        with self.a.app.services.store.begin() as uow:
            return uow.counts()


def _settings(tmp_path: Path, name: str, account: dict[str, Any]) -> Any:
    overrides = {"account": {"takeover_seconds": TAKEOVER, **account}, "data_dir": str(tmp_path / name)}
    return load_settings(DATA / "config.yaml", env={}, overrides=overrides)


@pytest.fixture
async def pair(tmp_path: Path, db_url: str) -> AsyncIterator[Pair]:
    """Account a speaks; account b stands by; one database (SQLite and PostgreSQL)."""
    a_settings = _settings(tmp_path, "a", {"id": "a", "peer_names": ["网格助手B"]})
    b_settings = _settings(tmp_path, "b", {"id": "b", "standby": True, "peer_names": ["网格助手"]})
    async for a in _chat(a_settings, db_url):
        async for b in _chat(b_settings, db_url):
            for side in (a, b):
                app = side.app
                app.speaking = Speaking(app.services, app.adapter, app.dispatcher, app.services.clock)
            yield Pair(a, b)


async def test_a_message_both_accounts_receive_opens_one_ticket(pair: Pair) -> None:
    seen_by_a, seen_by_b = pair.both("周阿姨", DOG)
    sent = await pair.a.deliver(seen_by_a)
    assert [s.text for s in sent] == ["已登记 #1【噪音扰民】，由张燕跟进，12小时内给您回复。"]
    assert await pair.b.deliver(seen_by_b) == []  # the standby's copy: known, nothing done
    assert pair.twins() == {seen_by_b.message_id: seen_by_a.message_id}
    assert pair.counts() == {"messages": 2, "tickets": 1, "sent": 1}
    assert await pair.b.deliver(seen_by_b) == []  # a second delivery to b is still the same message


async def test_the_standby_may_store_it_first(pair: Pair) -> None:
    """b's gateway was quicker: b handles the message; a's copy is the twin, and a sends b's reply once."""
    seen_by_a, seen_by_b = pair.both("周阿姨", DOG, late=-1.5)
    assert await pair.b.deliver(seen_by_b) == []  # handled by b; b stands by, so nothing goes out from b
    assert await pair.a.deliver(seen_by_a) == []  # a's copy is b's message: nothing to handle
    await pair.a.app.dispatcher.drain()  # what b queued goes out from a (live, at its next look: seconds)
    assert [s.text for s in pair.a.new()] == ["已登记 #1【噪音扰民】，由张燕跟进，12小时内给您回复。"]
    assert pair.twins() == {seen_by_a.message_id: seen_by_b.message_id}
    assert pair.b.new() == []


async def test_ids_that_differ_between_accounts_do_not_keep_the_copies_apart(pair: Pair) -> None:
    """Some puppets give rooms and contacts other ids on each account: the match uses what both see alike."""
    seen_by_a, seen_by_b = pair.both("周阿姨", DOG)
    seen_by_b = replace(seen_by_b, chat_id="b@@5f2e", sender_id="b@8c1d")
    await pair.a.deliver(seen_by_a)
    await pair.b.deliver(seen_by_b)
    assert pair.twins() == {seen_by_b.message_id: seen_by_a.message_id}


async def test_two_residents_writing_the_same_words_are_two_messages(pair: Pair) -> None:
    zhou = pair.both("周阿姨", "收到")
    sun = pair.both("孙大爷", "收到")
    for seen_by_a, seen_by_b in (zhou, sun):
        await pair.a.deliver(seen_by_a)
        await pair.b.deliver(seen_by_b)
    assert pair.twins() == {zhou[1].message_id: zhou[0].message_id, sun[1].message_id: sun[0].message_id}


async def test_one_resident_twice_or_in_two_groups_is_two_messages(pair: Pair) -> None:
    first = pair.both("周阿姨", "收到")
    other_group = pair.both("周阿姨", "收到", LONGCHENG)
    pair.advance(timedelta(seconds=50))
    again = pair.both("周阿姨", "收到")  # within the minute: still a message of its own
    for seen_by_a, _ in (first, other_group, again):
        await pair.a.deliver(seen_by_a)
    for _, seen_by_b in (first, other_group, again):  # b's copies arrive later, in order
        await pair.b.deliver(seen_by_b)
    copies = {b.message_id: a.message_id for a, b in (first, other_group, again)}
    assert pair.twins() == copies
    assert pair.counts()["messages"] == 6
    # and a message only b received, beyond the minute, is a message: handled by b
    pair.advance(timedelta(minutes=2))
    _, late = pair.both("周阿姨", "收到")
    await pair.b.deliver(late)
    assert late.message_id not in pair.twins()


async def test_the_other_account_posting_in_the_group_is_not_a_resident(pair: Pair) -> None:
    seen_by_a, seen_by_b = pair.both("周阿姨", DOG)
    (reply,) = await pair.a.deliver(seen_by_a)
    await pair.b.deliver(seen_by_b)
    # b sees a's reply in the group as a message from account a's WeChat name
    echo = replace(seen_by_b, message_id="b-echo", sender_id="wxid_bot_a", sender_name="网格助手", text=reply.text)
    assert await pair.b.deliver(echo) == []
    assert await pair.a.deliver(replace(echo, message_id="a-echo-peer", sender_name="网格助手B")) == []
    assert pair.counts() == {"messages": 4, "tickets": 1, "sent": 1}
    with pair.a.app.services.store.begin() as uow:
        assert uow.likely.waiting_in("default") == 0
        assert len(uow.outbox.items()) == 1


async def tick_both(pair: Pair, seconds: float, step: float = TAKEOVER / 3) -> list[bool]:
    """Let `seconds` pass, both processes looking at the lease every `step`; b's last answer per look."""
    said = []
    for _ in range(round(seconds / step)):
        pair.advance(timedelta(seconds=step))
        assert pair.a.app.speaking is not None
        assert pair.b.app.speaking is not None
        await pair.a.app.speaking.tick()
        said.append(await pair.b.app.speaking.tick())
    return said


async def test_the_standby_takes_over_sends_what_is_left_and_says_so(pair: Pair) -> None:
    a, b = pair.a, pair.b
    assert a.app.speaking is not None
    assert b.app.speaking is not None
    assert await a.app.speaking.tick() is True
    assert await b.app.speaking.tick() is False
    # a's WeChat is logged out (or its gateway died): a resident's report reaches only b, which handles it
    a.adapter.live = False
    _, seen_by_b = pair.both("周阿姨", DOG)
    assert await b.deliver(seen_by_b) == []  # the reply waits in the outbox: b stands by, a cannot send
    a.adapter.fail_next = 3  # were a to try while logged out, nothing would go out
    assert await a.wait(timedelta(seconds=5), step=timedelta(seconds=5)) == []
    with a.app.services.store.begin() as uow:
        (waiting,) = uow.outbox.items([OutboxState.PENDING])
    # logged out, a claims nothing: no attempt spent, no back-off for b to wait out, and no half-sent row
    assert (waiting.attempts, waiting.account) == (0, "")
    assert a.adapter.fail_next == 3
    # within a minute b has seen the lease stand still for takeover_seconds and takes it
    said = await tick_both(pair, 40)
    assert said == [False, False, True, True]  # seen at 10 s, still at 20 s and 30 s: taken at 40 s
    assert a.app.dispatcher.speaking is False  # a saw the lease is b's
    await b.app.dispatcher.drain()  # (live, the poke at the takeover does this)
    sent = b.new()
    assert sorted(s.chat_id for s in sent) == [STAFF, TIANCHENG]
    (notice,) = b.to(sent, STAFF)
    assert notice.text == b.settings.texts.speaker_took_over.format(
        account="b", previous="a", why=b.settings.texts.speaker_gone.format(seconds=30), pending=1
    )
    (answer,) = b.to(sent, TIANCHENG)
    assert answer.text == "已登记 #1【噪音扰民】，由张燕跟进，12小时内给您回复。"
    with a.app.services.store.begin() as uow:
        assert [i.state for i in uow.outbox.items()] == ["sent", "sent"]
        assert {i.id: i.account for i in uow.outbox.items()} == {waiting.id: "b", waiting.id + 1: "b"}
    for side, said in ((a, "stands by (another account speaks)"), (b, "speaks (sends what the outbox holds)")):
        side.app.report_health()  # what `gridbot health` says of each
        assert speaking_line(side.settings.data_dir) == f"account {side.settings.account.id}: {said}"
    # a comes back: b speaks on (no flapping), a sends nothing
    a.adapter.live, a.adapter.fail_next = True, 0
    await tick_both(pair, 30)
    assert a.app.dispatcher.speaking is False
    assert b.app.dispatcher.speaking is True
    assert a.new() == []
    # switched back (b stops cleanly): a takes over at its next look and repeats nothing that was sent
    b.app.speaking.release()
    assert await a.app.speaking.tick() is True
    await a.app.dispatcher.drain()
    sent = a.new()
    assert [s.chat_id for s in sent] == [STAFF]
    assert sent[0].text == a.settings.texts.speaker_took_over.format(
        account="a", previous="b", why=a.settings.texts.speaker_stopped, pending=0
    )
    assert await b.app.speaking.tick() is False


async def test_each_account_counts_its_own_day(pair: Pair) -> None:
    a, b = pair.a, pair.b
    assert a.app.speaking is not None
    assert b.app.speaking is not None
    await a.app.speaking.tick()
    await b.app.speaking.tick()
    for who, words in (("周阿姨", DOG), ("孙大爷", "楼道灯坏了好几天了，晚上黑漆漆的")):
        seen_by_a, _ = pair.both(who, words)
        await a.deliver(seen_by_a)
    a.adapter.live = False
    await tick_both(pair, 40)
    await b.app.dispatcher.drain()  # the takeover's notice
    _, seen_by_b = pair.both("吴女士", "电梯又坏了，困了一会儿才出来")
    assert b.to(await b.deliver(seen_by_b), TIANCHENG)
    now = a.clock.now()
    with a.app.services.store.begin() as uow:
        used_a = account_limits.sent_today(uow, now, a.settings)
        used_b = account_limits.sent_today(uow, now, b.settings)
    assert (used_a, used_b) == (2, 3)  # b: the staff notice of its takeover and its own reply


async def test_a_single_account_restarting_takes_its_own_lease_without_a_word(tmp_path: Path, db_url: str) -> None:
    settings = load_settings(DATA / "config.yaml", env={}, overrides={"data_dir": str(tmp_path)})
    for _ in range(2):  # a start, a clean stop, and the next start
        async for chat in _chat(settings, db_url):
            app = chat.app
            app.speaking = Speaking(app.services, app.adapter, app.dispatcher, app.services.clock)
            assert await app.speaking.tick() is True
            await app.dispatcher.drain()
            assert chat.new() == []
            app.speaking.release()


def test_a_single_account_office_configures_nothing() -> None:
    settings = load_settings(DATA / "config.yaml", env={})
    assert (settings.account.id, settings.account.standby, settings.account.peer_names) == ("main", False, [])
    shared = load_settings(DATA / "config.yaml", env={"GRIDBOT_ACCOUNT": "b", "GRIDBOT_STANDBY": "true"})
    assert (shared.account.id, shared.account.standby) == ("b", True)
    assert shared.data_dir == settings.data_dir
    # the standby's service (deploy/systemd/gridbot-standby.service) keeps its own data_dir beside a shared config
    apart = load_settings(DATA / "config.yaml", env={"GRIDBOT_DATA_DIR": "/var/lib/gridbot-standby"})
    assert apart.data_dir == Path("/var/lib/gridbot-standby")


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ({"id": ""}, "account.id"),
        ({"id": "b c"}, "account.id"),
        ({"takeover_seconds": 1}, "account.takeover_seconds"),
        ({"speaks": True}, "account.speaks: unknown key"),
    ],
)
def test_bad_account_settings_are_refused_naming_the_key(value: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(DATA / "config.yaml", env={}, overrides={"account": value})
    assert key in str(err.value)
