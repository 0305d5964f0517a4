"""What residents are told when they ask the bot itself: /帮助 (what they can do), who their grid worker is,
and how a private answer reads (no @name in a private chat)."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.core.settings import load_settings
from tests.chat import Chat
from tests.conftest import DATA, _chat

GROUP = "room_tiancheng_3"  # 第十网格, 张燕
DOG = "楼下有人养狗，到晚上老叫唤，我年纪大了，根本没法休息好。"


async def test_a_resident_asking_for_help_is_told_what_residents_can_do(chat: Chat) -> None:
    sent = await chat.say("周阿姨", "/帮助")
    assert len(sent) == 1
    text = sent[0].text
    assert sent[0].mention_ids == (chat.id_of("周阿姨"),)
    assert "仅限网格工作人员" not in text
    for what in ("直接说明", "怎么样了", "满意", "不满意", "不是同一件事", "网格员"):
        assert what in text, what
    assert "/接单" not in text  # staff commands are not theirs
    # asked again (another day's question, the same day): answered again, it is not a refusal
    again = await chat.say("周阿姨", "/帮助", chat="private")
    assert [(s.chat_id, s.mention_ids, s.text) for s in again] == [(chat.id_of("周阿姨"), (), text)]


async def test_a_resident_typing_a_staff_command_is_still_refused_once(chat: Chat) -> None:
    sent = await chat.say("周阿姨", "/接单 1")
    assert [s.text for s in sent] == ["此命令仅限网格工作人员使用。"]
    assert await chat.say("周阿姨", "/接单 1") == []


async def test_staff_help_is_unchanged(chat: Chat) -> None:
    sent = await chat.say("张燕", "/帮助", chat="private")
    assert sent[0].text.startswith("您可以使用的命令：")
    assert "/接单 1024" in sent[0].text


async def test_privately_asking_for_the_grid_worker_names_them(chat: Chat) -> None:
    await chat.say("周阿姨", "大家早上好", chat=GROUP)  # she lives in 天城3栋
    sent = await chat.say("周阿姨", "你好，我想找一下网格员", chat="private")
    assert [(s.chat_id, s.mention_ids) for s in sent] == [(chat.id_of("周阿姨"), ())]
    text = sent[0].text
    assert "第十网格" in text
    assert "张燕" in text
    assert "直接" in text  # how to reach her: through the bot, here or in the group
    with chat.app.services.store.begin() as uow:
        assert uow.counts()["tickets"] == 0  # a question, not a report


async def test_in_the_group_too(chat: Chat) -> None:
    sent = await chat.say("老王", "请问我们这里的网格员是谁？", chat="room_jingyuan_2")
    assert [(s.mention_ids, "李网格" in s.text, "第十一网格" in s.text) for s in sent] == [
        ((chat.id_of("老王"),), True, True)
    ]


async def test_someone_the_bot_cannot_place_is_asked_where_they_live(chat: Chat) -> None:
    sent = await chat.say("路人", "网格员怎么联系", chat="private")
    assert len(sent) == 1
    assert "张燕" not in sent[0].text
    assert "哪个小区" in sent[0].text


async def test_a_phone_number_only_when_the_config_marks_it_public(tmp_path: Path) -> None:
    raw = yaml.safe_load((DATA / "config.yaml").read_text(encoding="utf-8"))
    for person in raw["people"]:
        if person["id"] == "wxid_zhangyan":
            person["phone"] = "13700001111"
        if person["id"] == "wxid_li":
            person.update(phone="010-66667777", phone_public=True)
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    settings = load_settings(cfg, env={}, overrides={"data_dir": str(tmp_path)})
    async for chat in _chat(settings, f"sqlite:///{tmp_path}/t.db"):
        private_phone = await chat.say("周阿姨", "我们的网格员是谁", chat=GROUP)
        assert "张燕" in private_phone[0].text
        assert "1370000" not in private_phone[0].text
        assert "****" not in private_phone[0].text  # not even masked: a private number is not mentioned at all
        public = await chat.say("老王", "我们的网格员是谁", chat="room_jingyuan_2")
        assert "010-66667777" in public[0].text  # the office line the config publishes, in full


async def test_private_answers_carry_no_mention(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    resident = chat.id_of("周阿姨")
    for text in ("我反映的事怎么样了", "/接单 1"):
        sent = await chat.say("周阿姨", text, chat="private")
        assert sent, text
        assert all(s.mention_ids == () for s in chat.to(sent, resident)), text
        assert not chat.render(sent[0]).startswith("@"), text
