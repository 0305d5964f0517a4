"""The outbox: failed sends are retried, a send cut off by a crash is reported, never resent blindly."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.health import check
from bot.messages import OutgoingMessage
from tests.chat import Chat

DOG = "楼下有人养狗,到晚上老叫唤,我年纪大了,根本没法休息好。"


async def test_failed_send_is_retried_and_not_lost(chat: Chat) -> None:
    chat.adapter.fail_next = 1
    assert await chat.say("周阿姨", DOG) == []
    with chat.app.services.store.begin() as repo:
        (item,) = repo.outbox_items()
        assert (item.state, item.attempts) == ("pending", 1)
    later = await chat.wait(timedelta(seconds=10), step=timedelta(seconds=5))
    assert [s.text for s in later] == ["已登记 #1【噪音扰民】，由张燕跟进，12小时内给您回复。"]
    with chat.app.services.store.begin() as repo:
        assert [i.state for i in repo.outbox_items()] == ["sent"]


async def test_send_interrupted_by_a_crash_is_reported_not_resent(chat: Chat) -> None:
    now = chat.clock.now()
    with chat.app.services.store.begin() as repo:
        repo.enqueue(OutgoingMessage(chat_id="room_tiancheng_3", text="#7 已办结：路灯已修好"), at=now)
        claimed = repo.claim_outbox(now, limit=10)  # marked `sending`; then the process "dies"
    assert [c.state for c in claimed] == ["sending"]
    await chat.app.start()  # the next process starts
    sent = chat.new()
    assert [s.chat_id for s in sent] == ["room_staff"]
    assert "不确定是否已发出" in sent[0].text
    assert "路灯已修好" in sent[0].text
    with chat.app.services.store.begin() as repo:
        assert [i.state for i in repo.outbox_items()] == ["unknown", "sent"]
    await chat.app.start()  # a second restart does not report it again
    assert chat.new() == []


async def test_gives_up_after_max_attempts(chat: Chat) -> None:
    chat.adapter.fail_next = 100
    await chat.say("周阿姨", DOG)
    await chat.wait(timedelta(hours=2), step=timedelta(minutes=1))
    with chat.app.services.store.begin() as repo:
        ack = repo.outbox_items()[0]
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
    with chat.app.services.store.begin() as repo:
        notices = [i for i in repo.outbox_items() if i.chat_id == "room_staff"]
    assert len(notices) == 1
    assert "运行异常" in notices[0].text


def test_health_check_without_a_running_bot(tmp_path: Path) -> None:
    ok, line = check(tmp_path, datetime.now(UTC), timedelta(minutes=3))
    assert not ok
    assert "no health file" in line
