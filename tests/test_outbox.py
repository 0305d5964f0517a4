"""The outbox: failed sends are retried, a send cut off by a crash is reported, never resent blindly."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from bot.core.heartbeat import check
from bot.core.messages import OutgoingMessage
from bot.runtime import dispatcher as dispatcher_module
from storage.repos.outbox import Outbox
from tests import fixed_time
from tests.chat import Chat

DOG = "楼下有人养狗,到晚上老叫唤,我年纪大了,根本没法休息好。"


async def test_failed_send_is_retried_and_not_lost(chat: Chat) -> None:
    chat.adapter.fail_next = 1
    assert await chat.say("周阿姨", DOG) == []
    with chat.app.services.store.begin() as uow:
        (item,) = uow.outbox.items()
        assert (item.state, item.attempts) == ("pending", 1)
    later = await chat.wait(timedelta(seconds=10), step=timedelta(seconds=5))
    assert [s.text for s in later] == ["已登记 #1【噪音扰民】，由张燕跟进，12小时内给您回复。"]
    with chat.app.services.store.begin() as uow:
        assert [i.state for i in uow.outbox.items()] == ["sent"]


async def test_send_interrupted_by_a_crash_is_reported_not_resent(chat: Chat) -> None:
    now = chat.clock.now()
    with chat.app.services.store.begin() as uow:
        uow.outbox.enqueue(OutgoingMessage(chat_id="room_tiancheng_3", text="#7 已办结：路灯已修好"), at=now)
        claimed = uow.outbox.claim(now, limit=10)  # marked `sending`; then the process "dies"
    assert [c.state for c in claimed] == ["sending"]
    await chat.app.start()  # the next process starts
    sent = chat.new()
    assert [s.chat_id for s in sent] == ["room_staff"]
    assert "不确定是否已发出" in sent[0].text
    assert "路灯已修好" in sent[0].text
    with chat.app.services.store.begin() as uow:
        assert [i.state for i in uow.outbox.items()] == ["unknown", "sent"]
    await chat.app.start()  # a second restart does not report it again
    assert chat.new() == []


async def test_a_send_whose_answer_was_lost_is_reported_not_resent(chat: Chat) -> None:
    chat.adapter.lose_next = 1  # the ack goes out, then the connection drops before its answer
    sent = await chat.say("周阿姨", DOG)
    ack = "已登记 #1【噪音扰民】，由张燕跟进，12小时内给您回复。"
    assert (sent[0].chat_id, sent[0].text) == ("room_tiancheng_3", ack)
    notices = chat.to(sent, "room_staff")
    assert [n.text for n in notices] == [
        f"网格助手发送消息时中断（重启或连接断开），不确定是否已发出，请到「美景天城3栋」核对：{ack}"
    ]
    with chat.app.services.store.begin() as uow:
        items = {i.chat_id: i for i in uow.outbox.items()}
    assert (items["room_tiancheng_3"].state, items["room_tiancheng_3"].attempts) == ("unknown", 1)
    assert "answer lost" in items["room_tiancheng_3"].last_error
    assert items["room_staff"].state == "sent"
    later = await chat.wait(timedelta(hours=1), step=timedelta(minutes=5))
    assert [s for s in later if s.text == ack] == []  # never resent
    assert chat.to(later, "room_staff") == []  # and reported once
    await chat.app.start()  # nor reported again by the next start
    assert chat.to(chat.new(), "room_staff") == []


async def test_a_certain_failure_is_retried_and_sent_once_beside_an_uncertain_one(chat: Chat) -> None:
    chat.adapter.fail_next = 1  # refused: certainly not sent
    assert await chat.say("周阿姨", DOG) == []
    chat.adapter.lose_next = 1  # the retry goes out but its answer is lost: not sent a third time
    later = await chat.wait(timedelta(minutes=30), step=timedelta(seconds=5))
    acks = [s for s in later if s.chat_id == "room_tiancheng_3"]
    assert [s.text for s in acks] == ["已登记 #1【噪音扰民】，由张燕跟进，12小时内给您回复。"]
    assert len(chat.to(later, "room_staff")) == 1
    with chat.app.services.store.begin() as uow:
        (item,) = [i for i in uow.outbox.items() if i.chat_id == "room_tiancheng_3"]
    assert (item.state, item.attempts) == ("unknown", 2)


async def test_a_reply_queued_while_logged_out_waits_without_spending_attempts_and_goes_out_at_the_login(
    chat: Chat,
) -> None:
    chat.adapter.live = False  # WeChat logged out, or the gateway gone: a send could only fail
    chat.adapter.fail_next = 100  # (were anything tried, it would fail)
    assert await chat.say("周阿姨", DOG) == []
    # half an hour down: longer than the back-offs of all max_attempts tries together (about 11 minutes), and
    # the reply is not given up
    assert await chat.wait(timedelta(minutes=30), step=timedelta(minutes=1)) == []
    with chat.app.services.store.begin() as uow:
        (item,) = uow.outbox.items()
    assert (item.state, item.attempts, item.last_error) == ("pending", 0, "")
    chat.adapter.live, chat.adapter.fail_next = True, 0  # logged in again: the login's roster pokes the drain
    await chat.app.dispatcher.drain()
    assert [s.text for s in chat.new()] == ["已登记 #1【噪音扰民】，由张燕跟进，12小时内给您回复。"]
    with chat.app.services.store.begin() as uow:
        assert [(i.state, i.attempts) for i in uow.outbox.items()] == [("sent", 1)]


async def test_gives_up_after_max_attempts(chat: Chat) -> None:
    chat.adapter.fail_next = 100
    await chat.say("周阿姨", DOG)
    await chat.wait(timedelta(hours=2), step=timedelta(minutes=1))
    with chat.app.services.store.begin() as uow:
        ack = uow.outbox.items()[0]
    assert (ack.state, ack.attempts) == ("failed", chat.settings.outbox.max_attempts)


async def test_health_file_and_staff_notice_when_sends_keep_failing(chat: Chat, tmp_path: Path) -> None:
    chat.app.services = chat.app.services.__class__(
        **{**chat.app.services.__dict__, "settings": chat.settings.model_copy(update={"data_dir": tmp_path})}
    )
    chat.app.live = True
    chat.app.report_health()
    ok, line = check(tmp_path, chat.clock.now() + timedelta(seconds=1), timedelta(minutes=3))
    assert ok, line
    chat.app.dispatcher.consecutive_failures = 6
    chat.app.report_health()
    ok, line = check(tmp_path, chat.clock.now(), timedelta(minutes=3))
    assert not ok
    assert "6 sends failed in a row" in line
    with chat.app.services.store.begin() as uow:
        notices = [i for i in uow.outbox.items() if i.chat_id == "room_staff"]
    assert len(notices) == 1
    assert "运行异常" in notices[0].text


def test_health_check_without_a_running_bot(tmp_path: Path) -> None:
    ok, line = check(tmp_path, fixed_time.START, timedelta(minutes=3))
    assert not ok
    assert "no health file" in line


async def test_a_claim_marks_the_earliest_due_rows_and_returns_them_as_they_now_read(chat: Chat) -> None:
    """One UPDATE … RETURNING: the rows due first (by time, then by order of queueing), `sending`, with the
    attempt counted and the claiming account set; a row not due yet, or claimed already, is not claimed again."""
    now = chat.clock.now()
    with chat.app.services.store.begin() as uow:
        for text, due in [("三", 1), ("一", -2), ("二", -2), ("四", -1), ("以后", 60)]:
            uow.outbox.enqueue(OutgoingMessage(chat_id="room_tiancheng_3", text=text), at=now + timedelta(minutes=due))
    with chat.app.services.store.begin() as uow:
        first = uow.outbox.claim(now, limit=2, owner="p1", account="acct")
        second = uow.outbox.claim(now, limit=5, owner="p2", account="other")
    assert [(i.text, i.state, i.attempts) for i in first] == [("一", "sending", 1), ("二", "sending", 1)]
    assert [i.text for i in second] == ["四"]  # "三" and "以后" are not due at `now`
    with chat.app.services.store.begin() as uow:
        rows = {i.text: i for i in uow.outbox.items()}
    assert {t: (rows[t].state, rows[t].account, rows[t].attempts) for t in ("一", "二", "四")} == {
        "一": ("sending", "acct", 1),
        "二": ("sending", "acct", 1),
        "四": ("sending", "other", 1),
    }
    assert (rows["三"].state, rows["以后"].state, rows["三"].attempts) == ("pending", "pending", 0)


async def _live_rounds(
    chat: Chat, monkeypatch: pytest.MonkeyPatch, rounds: int, between: Callable[[], object] = lambda: None
) -> list[float]:
    """The live outbox loop for `rounds` rounds: every sleep's length is recorded; each but the last ends at
    once (after `between`), and the loop is stopped in the last. The sleeps' lengths, in seconds."""
    waits: list[float] = []
    last = asyncio.Event()

    @contextlib.asynccontextmanager
    async def timeout(delay: float) -> AsyncIterator[None]:
        waits.append(delay)
        if len(waits) < rounds:
            between()
            raise TimeoutError  # slept its time: the next round
        last.set()
        await asyncio.Event().wait()  # sleeps for good: the loop is stopped here
        yield

    monkeypatch.setattr(dispatcher_module.asyncio, "timeout", timeout)
    chat.app.dispatcher.speaking = True
    loop = asyncio.create_task(chat.app.dispatcher.run_forever(idle_seconds=60))
    await asyncio.wait_for(last.wait(), timeout=10)
    loop.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await loop
    return waits


async def test_the_live_outbox_sleeps_until_the_next_row_is_due_reading_it_once_a_round(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The drain's last claim, finding nothing, reads when the next row comes due in its own commit; the
    loop sleeps until then on that (it read it again, in a transaction of its own, after every drain)."""
    now = chat.clock.now()
    with chat.app.services.store.begin() as uow:
        uow.outbox.enqueue(OutgoingMessage(chat_id="room_tiancheng_3", text="稍后"), at=now + timedelta(seconds=30))
    reads: list[object] = []
    next_time = Outbox.next_time

    def counted(self: Outbox) -> object:
        reads.append(self)
        return next_time(self)

    monkeypatch.setattr(Outbox, "next_time", counted)
    assert await _live_rounds(chat, monkeypatch, 1) == [30.0]
    assert len(reads) == 1


async def test_a_claim_of_one_row_claims_one_whatever_plan_the_statistics_give(chat: Chat) -> None:
    """Statistics taken when the outbox held one row make PostgreSQL plan `id IN (… LIMIT 1 SKIP LOCKED)` as a
    nested loop that runs the subquery once per row: every due row was marked `sending` by a claim of one."""
    now = chat.clock.now()
    with chat.app.services.store.begin() as uow:
        uow.outbox.enqueue(OutgoingMessage(chat_id="room_tiancheng_3", text="早"), at=now - timedelta(hours=1))
        uow.outbox.claim(now, limit=1)
    with chat.app.services.store.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE outbox")
        conn.commit()
    with chat.app.services.store.begin() as uow:
        for i in range(10):
            uow.outbox.enqueue(OutgoingMessage(chat_id="room_tiancheng_3", text=f"第{i}条"), at=now)
    with chat.app.services.store.begin() as uow:
        claimed = uow.outbox.claim(now, limit=1)
    assert [c.text for c in claimed] == ["第0条"]
    with chat.app.services.store.begin() as uow:
        assert [i.state for i in uow.outbox.items()].count("sending") == 2  # "早" and "第0条"


async def test_the_live_outbox_goes_on_after_a_round_in_which_the_database_was_away(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The drain failed and so did the read of the next due time: the loop sleeps its idle time and tries
    again (that read, outside the drain's error handling, ended the outbox task for good)."""
    away = [True]
    drain = dispatcher_module.Dispatcher.drain
    next_time = Outbox.next_time

    async def failing_drain(self: dispatcher_module.Dispatcher, *args: object, **kwargs: object) -> int:
        if away[0]:
            raise OperationalError("SELECT", {}, ConnectionRefusedError("the server is away"))
        return await drain(self, *args, **kwargs)  # type: ignore[arg-type]

    def failing_next_time(self: Outbox) -> object:
        if away[0]:
            raise OperationalError("SELECT", {}, ConnectionRefusedError("the server is away"))
        return next_time(self)

    monkeypatch.setattr(dispatcher_module.Dispatcher, "drain", failing_drain)
    monkeypatch.setattr(Outbox, "next_time", failing_next_time)
    now = chat.clock.now()
    with chat.app.services.store.begin() as uow:
        uow.outbox.enqueue(OutgoingMessage(chat_id="room_tiancheng_3", text="恢复后发出"), at=now)
    waits = await _live_rounds(chat, monkeypatch, 2, between=lambda: away.__setitem__(0, False))  # back meanwhile
    assert waits[0] == 60.0  # no due time known: the idle time
    assert [s.text for s in chat.adapter.sent] == ["恢复后发出"]


async def test_a_failed_send_is_put_back_even_when_the_database_blinks_as_it_is_recorded(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The send certainly did not go out; the write that puts the row back for a retry met a dropped
    connection once. It is written again, so the row is not left `sending` (which reads, at the next
    start, as a send that may have gone out and is never tried again)."""
    finish = Outbox.finish
    blinks = [1]

    def blinking(self: Outbox, *args: Any, **kwargs: Any) -> None:
        if blinks[0]:
            blinks[0] -= 1
            raise OperationalError("UPDATE", {}, ConnectionResetError("connection reset"))
        finish(self, *args, **kwargs)

    monkeypatch.setattr(Outbox, "finish", blinking)
    chat.adapter.fail_next = 1
    assert await chat.say("周阿姨", DOG) == []
    with chat.app.services.store.begin() as uow:
        (item,) = uow.outbox.items()
    assert (item.state, item.attempts, blinks) == ("pending", 1, [0])
