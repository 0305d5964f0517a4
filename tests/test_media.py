"""Voice, photos, locations and recalls from residents."""

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.messages import IncomingMessage, MessageKind
from bot.core.settings import load_settings
from handlers.deps import Deps
from handlers.group_commit import Batch, handle_batch
from handlers.router import store_in
from storage.media import NAME
from storage.records import StoredMessage
from tests.chat import Chat
from tests.conftest import DATA, _chat

DOG = "楼下有人养狗,到晚上老叫唤,我年纪大了,根本没法休息好。"
GROUP = "room_tiancheng_3"


async def test_voice_gets_a_request_for_words_and_the_worker_is_told(chat: Chat) -> None:
    sent = await chat.say("吴奶奶", "", kind=MessageKind.VOICE, ref="media/voice-1.silk")
    assert [(s.chat_id, s.mention_ids) for s in sent] == [(GROUP, (chat.id_of("吴奶奶"),)), ("wxid_zhangyan", ())]
    assert "几个字" in sent[0].text
    assert "media/voice-1.silk" in sent[1].text


async def test_photo_after_a_complaint_is_evidence_on_its_ticket(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    assert await chat.say("周阿姨", "", kind=MessageKind.IMAGE, ref="media/dog.jpg") == []
    shown = await chat.say("张燕", "/查询 1", chat="private")
    assert "补充图片/位置：media/dog.jpg" in shown[0].text


async def test_photo_quoting_a_complaint_from_another_person(chat: Chat) -> None:
    await chat.say("周阿姨", DOG, message_id="wx-dog")
    await chat.say("刘大爷", "", kind=MessageKind.IMAGE, ref="media/dog2.jpg", quoted_id="wx-dog")
    with chat.app.services.store.begin() as uow:
        assert [e.note for e in uow.tickets.events(1) if e.action == "evidence"] == ["media/dog2.jpg"]


async def test_photo_with_no_complaint_is_ignored(chat: Chat) -> None:
    assert await chat.say("周阿姨", "", kind=MessageKind.IMAGE, ref="media/cat.jpg") == []


async def test_recall_of_an_untouched_report_cancels_it(chat: Chat) -> None:
    await chat.say("周阿姨", DOG, message_id="wx-dog")
    sent = await chat.say("周阿姨", "", kind=MessageKind.RECALLED, ref="wx-dog")
    assert [s.chat_id for s in sent] == [GROUP, "wxid_zhangyan"]
    assert "已随您撤回的消息取消" in sent[0].text
    with chat.app.services.store.begin() as uow:
        assert uow.tickets.get(1).state == "cancelled"  # type: ignore[union-attr]


async def test_recall_after_the_worker_acted_only_marks_it(chat: Chat) -> None:
    await chat.say("周阿姨", DOG, message_id="wx-dog")
    await chat.say("张燕", "/接单 1", chat="private")
    sent = await chat.say("周阿姨", "", kind=MessageKind.RECALLED, ref="wx-dog")
    assert [s.chat_id for s in sent] == ["wxid_zhangyan"]
    with chat.app.services.store.begin() as uow:
        assert uow.tickets.get(1).state == "accepted"  # type: ignore[union-attr]
        assert "recalled" in [e.action for e in uow.tickets.events(1)]


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
async def media_chat(tmp_path: Path) -> AsyncIterator[Chat]:
    """The conversation harness with data_dir in a temporary folder: the bot writes pictures there."""
    settings = load_settings(DATA / "config.yaml", env={}, overrides={"data_dir": str(tmp_path)})
    async for chat in _chat(settings, f"sqlite:///{tmp_path}/media.db"):
        yield chat


def evidence_rows(chat: Chat) -> list[tuple[str, dict[str, str]]]:
    with chat.app.services.store.begin() as uow:
        return [(e.note, json.loads(e.data or "{}")) for e in uow.tickets.events(1) if e.action == "evidence"]


async def test_a_photo_is_stored_under_a_name_the_bot_made(media_chat: Chat, tmp_path: Path) -> None:
    await media_chat.say("周阿姨", DOG)
    await media_chat.say("周阿姨", "", kind=MessageKind.IMAGE, ref="../gridbot.db", media=PNG, message_id="wx-pic")
    await media_chat.say("周阿姨", "", kind=MessageKind.IMAGE, ref="../gridbot.db", media=PNG, message_id="wx-pic")
    [(note, data)] = evidence_rows(media_chat)  # the platform delivered it twice: one row, one file
    name = data["file"]
    assert NAME.fullmatch(name), name
    assert note == f"media:{name}"  # the adapter's ref is not kept: no name from outside names a file
    assert [p.name for p in (tmp_path / "media").iterdir()] == [name]
    assert (tmp_path / "media" / name).read_bytes() == PNG


async def test_content_that_is_no_picture_is_not_stored(media_chat: Chat, tmp_path: Path) -> None:
    await media_chat.say("周阿姨", DOG)
    await media_chat.say("周阿姨", "", kind=MessageKind.IMAGE, ref="wechaty:1", media=b"<html><script>x</script>")
    assert evidence_rows(media_chat) == [("wechaty:1", {"kind": "image"})]
    assert not (tmp_path / "media").exists()


async def test_a_location_is_text_and_names_no_file(media_chat: Chat) -> None:
    await media_chat.say("周阿姨", DOG)
    await media_chat.say("周阿姨", "gridbot.db", kind=MessageKind.LOCATION, ref="gridbot.db")
    assert evidence_rows(media_chat) == [("gridbot.db", {"kind": "location"})]


async def test_a_photo_that_attached_to_nothing_goes_with_its_message(media_chat: Chat, tmp_path: Path) -> None:
    await media_chat.say("周阿姨", DOG)
    await media_chat.say("周阿姨", "", kind=MessageKind.IMAGE, media=PNG)  # evidence: kept with the ticket
    await media_chat.wait(timedelta(hours=1), step=timedelta(hours=1))
    await media_chat.say("周阿姨", "", kind=MessageKind.IMAGE, media=PNG + b"cat")  # nothing to attach to
    assert len(list((tmp_path / "media").iterdir())) == 2
    await media_chat.wait(timedelta(days=7, hours=2), step=timedelta(hours=1))
    [(_, data)] = evidence_rows(media_chat)
    assert [p.name for p in (tmp_path / "media").iterdir()] == [data["file"]]


def picture(chat: Chat, message_id: str) -> IncomingMessage:
    pid, name = chat.person("周阿姨")
    return IncomingMessage(
        message_id=message_id,
        chat_id=GROUP,
        chat_topic=chat.topic(GROUP),
        sender_id=pid,
        sender_name=name,
        text="",
        timestamp=chat.clock.now(),
        kind=MessageKind.IMAGE,
        media=PNG,
    )


async def test_a_store_rolled_back_leaves_no_picture_behind(media_chat: Chat, tmp_path: Path) -> None:
    services = media_chat.app.services
    seen: list[str] = []

    def store_then_fail() -> None:
        with services.store.begin() as uow:  # the database blinked after the store
            stored, _ = store_in(uow, picture(media_chat, "wx-pic"), services)
            seen.extend([stored.ref, *(p.name for p in (tmp_path / "media").iterdir())])
            raise RuntimeError("the commit did not happen")

    with pytest.raises(RuntimeError):
        store_then_fail()
    assert seen[0] == f"media:{seen[1]}"  # the file was written before the row that names it
    assert list((tmp_path / "media").iterdir()) == []  # no file that no row names, for no purge to find
    await media_chat.app.receive(picture(media_chat, "wx-pic"))  # delivered again: stored this time
    with services.store.begin() as uow:
        again = uow.messages.by_platform_id("wx-pic")
    assert again is not None
    assert [p.name for p in (tmp_path / "media").iterdir()] == [again.ref.removeprefix("media:")]


async def test_a_batched_picture_whose_turn_fails_is_kept_once(
    media_chat: Chat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def route(msg: StoredMessage, deps: Deps) -> int | None:
        raise RuntimeError("a handler's bug")

    monkeypatch.setattr("handlers.group_commit.route", route)
    monkeypatch.setattr("handlers.deps.log_handler_error", lambda pk, exc: None)
    services = media_chat.app.services
    assert await handle_batch([picture(media_chat, "wx-a"), picture(media_chat, "wx-b")], services) == Batch(2)
    with services.store.begin() as uow:
        refs = {m: uow.messages.by_platform_id(m) for m in ("wx-a", "wx-b")}
    names = sorted(stored.ref.removeprefix("media:") for stored in refs.values() if stored is not None)
    assert len(names) == 2
    # each turn undone alone and its message stored again (processed, no reply): one file each, the one named
    assert sorted(p.name for p in (tmp_path / "media").iterdir()) == names
