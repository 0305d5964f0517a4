"""Voice, photos, locations and recalls from residents."""

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.messages import MessageKind
from bot.core.settings import load_settings
from storage.media import NAME
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
