"""Issue 20: /接龙 — residents join by +1, 报名 or a copied list with their own line; one entry each; the list is
posted at most every few minutes; closed at the deadline or the limit; the full list (phones) only privately."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli.main import main
from handlers.domain.signups import read_reply
from storage.states import ItemKind
from tests.chat import Chat
from tests.conftest import DATA, START
from tests.test_replay import line as replay_line
from tests.test_replay import run as replay_run

TIANCHENG, LONGCHENG, JINGYUAN = "room_tiancheng_3", "room_longcheng_1", "room_jingyuan_2"
ZHANG, BOSS = "wxid_zhangyan", "wxid_wanghuan"
POST = (
    "【接龙1】周六义诊报名\n截止：11-28 18:00｜限 3 人\n回复“+1”或“报名”参加，并写上姓名、楼栋、电话，回复“取消”退出。"
)


def count(chat: Chat, kind: ItemKind, number: int) -> int:
    with chat.app.services.store.begin() as uow:
        item = uow.board.get(kind, number)
        assert item is not None
        return uow.board.count(item.id)


def tickets(chat: Chat) -> int:
    with chat.app.services.store.begin() as uow:
        return uow.counts()["tickets"]


@pytest.mark.parametrize(
    ("text", "leave", "line", "number"),
    [
        ("+1", False, "", None),
        ("＋1 张三 5栋", False, "张三 5栋", None),
        ("报名", False, "", None),
        ("我报名：李四 2栋", False, "李四 2栋", None),
        ("取消", True, "", None),
        ("取消报名。", True, "", None),
        ("#接龙2 周六义诊\n1. 周阿姨 3栋\n2. 刘先生 3栋\n3. 张三 5栋", False, "张三 5栋", 2),
        ("1. 周阿姨 3栋\n2、张三 5栋", False, "张三 5栋", None),
    ],
)
def test_the_ways_residents_join_or_leave(text: str, leave: bool, line: str, number: int | None) -> None:
    said = read_reply(text)
    assert said is not None
    assert (said.leave, said.text, said.number) == (leave, line, number)


@pytest.mark.parametrize("text", ["楼道灯坏了", "1. 楼道灯坏了", "收到", "取消了吗？明天还停水吗"])
def test_what_is_not_an_answer_to_a_sign_up(text: str) -> None:
    assert read_reply(text) is None


async def test_a_sign_up_in_a_group_fills_up_and_the_organiser_gets_the_phones_privately(chat: Chat) -> None:
    sent = await chat.say("张燕", "/接龙 周六义诊报名 截止 11-28 18:00 上限 3 字段: 姓名,楼栋,电话")
    assert [(s.chat_id, s.text) for s in sent] == [(TIANCHENG, POST)]  # typed in the group: the post answers it
    assert await chat.say("周阿姨", "+1 周阿姨 3栋 13812345678") == []
    assert await chat.say("刘先生", "报名") == []
    assert await chat.say("刘先生", "报名 刘先生 3栋2单元") == []  # a second reply updates the first
    assert count(chat, ItemKind.SIGNUP, 1) == 2
    assert await chat.wait(timedelta(minutes=4)) == []  # not after every reply
    sent = await chat.wait(timedelta(minutes=1))
    assert [(s.chat_id, s.text) for s in sent] == [
        (TIANCHENG, "【接龙1】周六义诊报名（已报 2/3 人）\n1. 周阿姨 3栋\n2. 刘先生 3栋2单元")
    ]
    assert await chat.wait(timedelta(minutes=10)) == []  # once per change, not on every tick
    # the WeChat way: the list copied, a line added
    sent = await chat.say("王奶奶", "【接龙1】周六义诊报名\n1. 周阿姨 3栋\n2. 刘先生 3栋2单元\n3. 王奶奶 5栋")
    assert [(s.chat_id, s.text) for s in sent] == [
        (TIANCHENG, "【接龙1】周六义诊报名 已截止，共 3 人报名。谢谢大家！"),
        (
            ZHANG,
            "接龙1「周六义诊报名」已截止（已报满），共 3 人：\n"
            "1. 周阿姨 3栋 13812345678\n2. 刘先生 3栋2单元\n3. 王奶奶 5栋",
        ),
    ]
    assert "138" not in "".join(s.text for s in chat.adapter.sent if s.chat_id == TIANCHENG)
    assert await chat.say("赵阿姨", "+1") == []  # closed: nothing more is taken
    assert count(chat, ItemKind.SIGNUP, 1) == 3
    assert tickets(chat) == 0
    assert chat.app.services.store.next_due_time() is None  # no timer left behind


async def test_a_private_sign_up_goes_to_the_senders_reach_and_closes_at_its_deadline(chat: Chat) -> None:
    sent = await chat.say("王欢", "/接龙 志愿者招募 截止 明天18点", chat="private")
    assert [s.chat_id for s in sent] == [TIANCHENG, LONGCHENG, JINGYUAN, BOSS]
    assert sent[-1].text == "接龙1 已发往 3 个群，截止 11-24 18:00。截止后把完整名单私聊发给您。"
    await chat.say("周阿姨", "+1")
    await chat.say("王奶奶", "+1 王奶奶", chat=LONGCHENG)
    await chat.say("周阿姨", "取消")  # removes her entry
    with chat.app.services.store.begin() as uow:
        item = uow.board.get(ItemKind.SIGNUP, 1)
    assert item is not None
    assert chat.app.services.store.next_due_time() == item.list_at == START + timedelta(minutes=5)
    sent = await chat.wait(timedelta(minutes=5))
    assert {s.chat_id for s in sent} == {TIANCHENG, LONGCHENG, JINGYUAN}
    assert {s.text for s in sent} == {"【接龙1】志愿者招募（已报 1 人）\n1. 王奶奶"}
    assert chat.app.services.store.next_due_time() == item.deadline_at
    sent = await chat.wait(item.deadline_at - chat.clock.now(), step=timedelta(hours=1))  # type: ignore[operator]
    assert [s.chat_id for s in sent] == [TIANCHENG, LONGCHENG, JINGYUAN, BOSS]
    assert sent[-1].text == "接龙1「志愿者招募」已截止（到截止时间），共 1 人：\n1. 王奶奶"
    sent = await chat.say("王欢", "/接龙 查看 1", chat="private")
    assert [s.text for s in sent] == ["【接龙1】志愿者招募（已报 1 人）\n1. 王奶奶"]


async def test_two_open_items_in_one_group_and_a_real_complaint_among_them(chat: Chat) -> None:
    await chat.say("王欢", "/通知 美景天城3栋 本周六上午小区消杀，请关好门窗。", chat="private")
    await chat.say("张燕", "/接龙 消杀当天需要上门的住户 截止 11-27 18:00")
    assert await chat.say("周阿姨", "收到") == []
    assert await chat.say("刘先生", "+1 刘先生 3栋1201") == []
    sent = await chat.say("王奶奶", "楼下有人养狗,到晚上老叫唤,我年纪大了,根本没法休息好。")
    assert any("#1" in s.text for s in sent)  # a complaint is still a ticket
    assert tickets(chat) == 1
    assert count(chat, ItemKind.NOTICE, 1) == 1
    assert count(chat, ItemKind.SIGNUP, 1) == 1
    sent = await chat.wait(timedelta(minutes=5))
    assert [(s.chat_id, s.text) for s in sent if s.chat_id == TIANCHENG] == [
        (TIANCHENG, "【接龙1】消杀当天需要上门的住户（已报 1 人）\n1. 刘先生 3栋1201")
    ]


async def test_bad_sign_ups_get_a_clear_answer_and_change_nothing(chat: Chat) -> None:
    for who, text, where, answer in (
        ("张燕", "/接龙 报名 截止 昨天", "private", "截止时间“昨天”看不懂或已经过去"),
        ("张燕", "/接龙 义诊 截止 11-20 18:00", "private", "截止时间“11-20 18:00”看不懂或已经过去"),
        ("张燕", "/接龙", "private", "格式：/接龙 [范围] 标题"),
        ("李网格", "/接龙 义诊报名", TIANCHENG, "“美景天城3栋”不在您负责的范围内"),
        ("杨海霞", "/接龙 义诊报名", "private", "只有社区书记和网格员可以发起接龙"),
    ):
        sent = await chat.say(who, text, chat=where)
        assert len(sent) == 1
        assert sent[0].text.startswith(answer)
    with chat.app.services.store.begin() as uow:
        assert uow.board.get(ItemKind.SIGNUP, 1) is None


async def test_the_organiser_exports_the_sign_up_as_csv(
    chat: Chat, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await chat.say("张燕", "/接龙 义诊报名 截止 11-28 18:00 字段: 姓名,楼栋,电话")
    await chat.say("周阿姨", "+1 周阿姨 3栋 13812345678")
    await chat.say("刘先生", "报名 =HYPERLINK(x) 3栋")
    out = tmp_path / "signup.csv"
    assert (
        main(["signup", "export", "1", "--config", str(DATA / "config.yaml"), "--db", db_url, "--out", str(out)]) == 0
    )
    assert "2 entries of 接龙1 written to" in capsys.readouterr().out
    assert out.read_text(encoding="utf-8").splitlines() == [
        "\ufeff序号,群,姓名,楼栋,电话,报名时间",
        "1,美景天城3栋,周阿姨,3栋,13812345678,2026-11-23 09:00",
        "2,美景天城3栋,'=HYPERLINK(x),3栋,,2026-11-23 09:00",  # never a formula in the organiser's sheet
    ]
    assert main(["signup", "export", "9", "--config", str(DATA / "config.yaml"), "--db", db_url]) == 1
    assert "there is no sign-up 9" in capsys.readouterr().err


def test_a_replay_with_notices_and_sign_ups_counts_no_ticket(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        replay_line(
            1, "2026-11-23T09:00:00+08:00", "/通知 第十网格 明天停水", "wxid_wanghuan", "王欢", "wxid_wanghuan"
        ),
        replay_line(2, "2026-11-23T09:01:00+08:00", "/接龙 义诊报名 截止 11-24 18:00", "wxid_zhangyan", "张燕"),
        replay_line(3, "2026-11-23T09:02:00+08:00", "收到"),
        replay_line(4, "2026-11-23T09:03:00+08:00", "+1 周阿姨 3栋"),
        replay_line(5, "2026-11-25T09:00:00+08:00", "谢谢"),
    ]
    summary, sent = replay_run(tmp_path, lines, capsys, f"sqlite:///{tmp_path / 'replay.db'}")
    assert summary["tickets"] == 0
    texts = [r["text"] for r in sent]
    # the timed steps happened at their simulated minutes: the report, the list post, the close
    assert "通知1 已发送 2/2 个群。" in texts
    assert "【接龙1】义诊报名（已报 1 人）\n1. 周阿姨 3栋" in texts
    assert "接龙1「义诊报名」已截止（到截止时间），共 1 人：\n1. 周阿姨 3栋" in texts


async def test_what_residents_wrote_into_a_sign_up_is_emptied_after_its_retention(chat: Chat) -> None:
    await chat.say("张燕", "/接龙 义诊报名 截止 11-24 18:00")
    await chat.say("周阿姨", "+1 周阿姨 3栋 13812345678")
    keep = chat.settings.notices.entry_retention_days
    await chat.wait(timedelta(days=keep, hours=6), step=timedelta(days=1))  # to the day before it is due
    with chat.app.services.store.begin() as uow:
        [entry] = uow.board.entries(1)
    assert "13812345678" in entry.value
    await chat.wait(timedelta(days=2), step=timedelta(days=1))
    with chat.app.services.store.begin() as uow:
        [entry] = uow.board.entries(1)
    assert (entry.value, entry.person_name) == ("", "")  # the count stays, the words and the phone go
