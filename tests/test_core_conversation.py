"""Issue 2, as conversations: resident says X → bot sent Y to chat C mentioning Z."""

from datetime import timedelta

import pytest

from bot.core.messages import MessageKind
from tests.chat import Chat

GROUP = "room_tiancheng_3"
DOG = "楼下有人养狗,到晚上老叫唤,我年纪大了,根本没法休息好。"


async def test_complaint_opens_ticket_and_mentions_reporter_and_worker(chat: Chat) -> None:
    sent = await chat.say("周阿姨", DOG)
    assert len(sent) == 1
    reply = sent[0]
    assert reply.chat_id == GROUP
    assert reply.mention_ids == (chat.id_of("周阿姨"), "wxid_zhangyan")
    assert reply.text == "已登记 #1【噪音扰民】，由张燕跟进，12小时内给您回复。"
    assert chat.render(reply).startswith("@周阿姨 @张燕 已登记 #1")
    assert "@" not in reply.text  # adapters render mentions; texts never carry them


async def test_greetings_thanks_and_stickers_get_no_reply(chat: Chat) -> None:
    assert await chat.say("周阿姨", "谢谢") == []
    assert await chat.say("周阿姨", "早上好") == []
    assert await chat.say("周阿姨", "", kind=MessageKind.EMOTICON) == []
    with chat.app.services.store.begin() as uow:
        assert uow.counts()["tickets"] == 0


async def test_worker_accepts_and_resolves_result_goes_to_original_group(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    accepted = await chat.say("张燕", "/接单 1")
    assert [(s.chat_id, s.text) for s in accepted] == [(GROUP, "#1 已由张燕接单。")]
    sent = await chat.say("张燕", "/办结 1 已与养狗住户沟通，晚上狗关在屋里", chat="private")
    in_group = chat.to(sent, GROUP)
    assert len(in_group) == 1
    assert in_group[0].mention_ids == (chat.id_of("周阿姨"),)
    assert in_group[0].text.startswith("#1 已办结：已与养狗住户沟通，晚上狗关在屋里")
    assert "满意" in in_group[0].text
    assert [s.text for s in chat.to(sent, "wxid_zhangyan")] == ["#1 已办结，结果已发到原群。"]


async def test_resolve_from_holder_implies_accept_and_full_width_forms(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    sent = await chat.say("张燕", "@网格助手 ／办结 #1 已沟通")
    assert any(s.text.startswith("#1 已办结：已沟通") for s in sent)
    shown = await chat.say("张燕", "/查询 1", chat="private")
    timeline = shown[0].text
    assert "接单" in timeline
    assert "办结：已沟通" in timeline
    assert "登记" in timeline


async def test_every_command_is_answered_in_its_chat(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    for text, expected in [
        ("/进展 1 已联系养狗住户", "#1 进展已记录。"),
        ("/我的", "您有 1 件未办结工单："),
        ("/帮助", "您可以使用的命令："),
    ]:
        sent = await chat.say("张燕", text, chat="private")
        assert [s.chat_id for s in sent] == ["wxid_zhangyan"]
        assert sent[0].text.startswith(expected)


async def test_public_progress_goes_to_the_group(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    sent = await chat.say("张燕", "/进展 1 公开 已约好明晚上门沟通", chat="private")
    assert [s.text for s in chat.to(sent, GROUP)] == ["#1 最新进展：已约好明晚上门沟通"]


async def test_bad_commands_get_one_line_and_change_nothing(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    cases = {
        "/办结 99999 好了": "没有找到工单 #99999。发送 /我的 查看您的工单。",
        "/办结": "请带上工单号，例如：/办结 1024",
        "/办结 1": "请写明办理结果，例如：/办结 1 已与住户沟通，问题已解决",
        "/飞 1": "没有“飞”这个命令。发送 /帮助 查看可用命令。",
        "/转办 1 第九十九网格": "没有找到网格“第九十九网格”。",
    }
    for text, answer in cases.items():
        sent = await chat.say("张燕", text, chat="private")
        assert [s.text for s in sent] == [answer], text
    with chat.app.services.store.begin() as uow:
        ticket = uow.tickets.get(1)
        assert ticket is not None
        assert ticket.state == "open"
        assert [e.action for e in uow.tickets.events(1)] == ["created"]


async def test_wrong_state_and_out_of_reach(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    await chat.say("张燕", "/退回 1 属于住户私事", chat="private")
    sent = await chat.say("张燕", "/接单 1", chat="private")
    assert [s.text for s in sent] == ["#1 已退回，不能再接单。"]
    # 李网格 works grid 11; the ticket belongs to grid 10
    await chat.say("刘大爷", "3栋电梯坏了，困了好几天没人修")
    sent = await chat.say("李网格", "/接单 2", chat="private")
    assert [s.text for s in sent] == ["#2 不在您负责的范围内。"]


async def test_reject_tells_reporter_politely(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    sent = await chat.say("张燕", "/退回 1 经了解是装修公司正常施工", chat="private")
    group = chat.to(sent, GROUP)
    assert group[0].mention_ids == (chat.id_of("周阿姨"),)
    assert "经了解是装修公司正常施工" in group[0].text


async def test_resident_command_answered_once_a_day(chat: Chat) -> None:
    first = await chat.say("周阿姨", "/接单 1")
    assert [s.text for s in first] == ["此命令仅限网格工作人员使用。"]
    assert await chat.say("周阿姨", "/我的") == []
    await chat.wait(timedelta(days=1), step=timedelta(hours=1))
    again = await chat.say("周阿姨", "/我的")
    assert [s.text for s in again] == ["此命令仅限网格工作人员使用。"]


async def test_same_message_id_twice_opens_one_ticket(chat: Chat) -> None:
    first = await chat.say("周阿姨", DOG, message_id="wx-123")
    second = await chat.say("周阿姨", DOG, message_id="wx-123")
    assert len(first) == 1
    assert second == []
    with chat.app.services.store.begin() as uow:
        assert uow.counts()["tickets"] == 1


async def test_duplicate_report_joins_and_can_be_split(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    joined = await chat.say("刘大爷", "楼下的狗一到晚上就叫唤,吵得我也没法休息")
    assert [s.text for s in joined] == [
        "这件事已在 #1【噪音扰民】登记，由张燕跟进，办理结果会一并告诉您。如不是同一件事，请回复“不是同一件事”。"
    ]
    split = await chat.say("刘大爷", "不是同一件事")
    assert split[0].text.startswith("好的，已单独登记 #2【噪音扰民】")
    with chat.app.services.store.begin() as uow:
        assert {r.reporter_name for r in uow.tickets.reporters(1)} == {"周阿姨"}
        assert {r.reporter_name for r in uow.tickets.reporters(2)} == {"刘大爷"}


async def test_same_category_but_different_matter_is_a_new_ticket(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    sent = await chat.say("刘大爷", "对面楼装修电钻从早上七点开始响,周末也不停")
    assert "已登记 #2" in sent[0].text


async def test_joined_reporters_hear_the_result(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    await chat.say("刘大爷", "楼下的狗一到晚上就叫唤,吵得我也没法休息")
    sent = await chat.say("张燕", "/办结 1 已沟通", chat="private")
    group = chat.to(sent, GROUP)
    assert len(group) == 1
    assert set(group[0].mention_ids) == {chat.id_of("周阿姨"), chat.id_of("刘大爷")}


async def test_merge_posts_result_to_every_group(chat: Chat) -> None:
    await chat.say("周阿姨", "小区东门的路灯坏了好几天了,晚上黑漆漆的", chat="room_tiancheng_3")
    await chat.say("老陈", "东门路灯不亮,晚上走路很危险", chat="room_longcheng_1")
    merged = await chat.say("王欢", "/合并 1 2", chat="private")
    assert merged[0].text == "已将 #2 合并到 #1，办结结果会发到所有相关群。"
    sent = await chat.say("张燕", "/办结 1 路灯已更换", chat="private")
    results = {s.chat_id for s in sent if s.text.startswith("#1 已办结：")}
    assert results == {"room_tiancheng_3", "room_longcheng_1"}
    with chat.app.services.store.begin() as uow:
        assert uow.tickets.get(2).state == "merged"  # type: ignore[union-attr]


async def test_patrol_report_opens_a_ticket_held_by_the_worker(chat: Chat) -> None:
    sent = await chat.say("张燕", "/上报 3栋楼道堆放大量纸箱杂物", chat="private")
    assert sent[0].text.startswith("已登记 #1【")
    with chat.app.services.store.begin() as uow:
        ticket = uow.tickets.get(1)
        assert ticket is not None
        assert ticket.text == "3栋楼道堆放大量纸箱杂物"
        assert ticket.state == "accepted"


async def test_transfer_up_and_sideways(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    up = await chat.say("张燕", "/转办 1 需要片区协调", chat="private")
    staff = chat.to(up, "room_staff")
    assert staff[0].mention_ids == ("wxid_yanghx",)
    assert [s.text for s in chat.to(up, "wxid_zhangyan")] == ["#1 已转交杨海霞（片区负责人）。"]
    side = await chat.say("王欢", "/转办 1 第十一网格", chat="private")
    assert [s.text for s in chat.to(side, "wxid_wanghuan")] == ["#1 已转交李网格（网格员）。"]
    # the form /帮助 shows, a reason after a full-width colon and no space
    await chat.say("周阿姨", "3栋楼道里堆满了杂物，过不去人")
    back = await chat.say("张燕", "/转办 2 第十一网格：楼栋划错了", chat="private")
    assert [s.text for s in chat.to(back, "wxid_zhangyan")] == ["#2 已转交李网格（网格员）。"]
    with chat.app.services.store.begin() as uow:
        actions = [e.action for e in uow.tickets.events(1)]
        moved = uow.tickets.events(2)[-1]
    assert actions == ["created", "transferred", "moved"]
    assert (moved.action, moved.note) == ("moved", "楼栋划错了")


async def test_timeline_records_actor_action_and_note(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    await chat.say("张燕", "/接单 1", chat="private")
    await chat.say("张燕", "/进展 1 已联系", chat="private")
    with chat.app.services.store.begin() as uow:
        events = uow.tickets.events(1)
    assert [(e.action, e.actor_name, e.note) for e in events[1:]] == [
        ("accepted", "张燕", ""),
        ("progress", "张燕", "已联系"),
    ]
    assert all(e.at.tzinfo is not None for e in events)


async def test_phone_numbers_never_echoed_in_group(chat: Chat) -> None:
    sent = await chat.say("周阿姨", "楼道灯坏了好几天了,有事打我电话13812345678")
    await chat.say("张燕", "/办结 1 已修好，有问题联系13812345678")
    for s in chat.adapter.sent:
        assert "13812345678" not in s.text
    assert sent


async def test_permit_question_gets_faq_answer_at_once(chat: Chat) -> None:
    sent = await chat.say("小王", "居住证明需要什么手续?", chat="room_longcheng_1")
    assert len(sent) == 1
    assert "【证明办理】" in sent[0].text
    assert "身份证" in sent[0].text


async def test_staff_chatter_opens_nothing(chat: Chat) -> None:
    assert await chat.say("张燕", "楼下的狗我去看过了,晚上还在叫") == []
    with chat.app.services.store.begin() as uow:
        assert uow.counts()["tickets"] == 0


async def test_oversized_message_gets_a_clear_answer(chat: Chat) -> None:
    sent = await chat.say("周阿姨", "吵" * 5000)
    assert [s.text for s in sent] == ["消息太长了，请精简到2000字以内再发。"]
    with chat.app.services.store.begin() as uow:
        assert uow.counts()["tickets"] == 0


async def test_unknown_group_is_reported_to_staff_once_and_can_be_bound(chat: Chat) -> None:
    sent = await chat.say("某居民", "小区门口的垃圾好几天没人清运,臭气熏天", chat="room_new")
    staff = chat.to(sent, "room_staff")
    assert len(staff) == 1
    assert "未绑定" in staff[0].text
    again = await chat.say("某居民", "垃圾桶满了也没人管", chat="room_new")
    assert chat.to(again, "room_staff") == []
    bound = await chat.say("王欢", "/绑定 第十网格", chat="room_new")
    assert [s.text for s in bound] == ["本群已绑定到第十网格。"]
    later = await chat.say("某居民", "3号楼电梯坏了,老人下不了楼", chat="room_new")
    assert "由张燕跟进" in later[0].text


@pytest.mark.handler_errors
async def test_a_handler_that_raises_is_reported_and_its_message_marked_processed(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Production logs and moves on (the message is not handled again and again); the hook sees it."""
    seen: list[tuple[int, str]] = []
    services = chat.app.services
    default = services.on_handler_error

    def hook(pk: int, exc: Exception) -> None:
        seen.append((pk, str(exc)))
        default(pk, exc)

    def broken(text: str) -> None:
        raise RuntimeError("classifier fell over")

    monkeypatch.setattr(services, "on_handler_error", hook)
    monkeypatch.setattr(services.classifier, "classify", broken)
    assert await chat.say("周阿姨", "楼道灯坏了好几天了") == []
    assert [why for _, why in seen] == ["classifier fell over"]
    with services.store.begin() as repo:
        assert repo.counts()["tickets"] == 0
    monkeypatch.undo()
    sent = await chat.say("周阿姨", "楼道灯坏了好几天了，晚上黑漆漆的")  # the next message is handled as usual
    assert any("已登记 #1" in s.text for s in sent)


async def test_progress_by_the_holder_moves_the_ticket_to_in_progress(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    await chat.say("杨海霞", "/进展 1 已提醒网格员", chat="private")  # not the holder: still waiting for 接单
    with chat.app.services.store.begin() as uow:
        ticket = uow.tickets.get(1)
        assert ticket is not None
        assert ticket.state == "open"
    await chat.say("张燕", "/进展 1 已联系养狗住户", chat="private")
    with chat.app.services.store.begin() as uow:
        ticket = uow.tickets.get(1)
        assert ticket is not None
        assert (ticket.state, ticket.holder_id, ticket.ack_due_at) == ("accepted", "wxid_zhangyan", None)
        actions = [e.action for e in uow.tickets.events(1)]
    assert actions == ["created", "progress", "accepted", "progress"]
    shown = await chat.say("张燕", "/查询 1", chat="private")
    assert "办理中" in shown[0].text


async def test_a_nul_byte_in_a_short_message_is_named_not_called_too_long(chat: Chat) -> None:
    sent = await chat.say("周阿姨", "楼道灯\x00坏了")
    assert [s.text for s in sent] == ["消息里有无法显示的字符（如空字符），可能是复制时带进来的，请删掉后重新发送。"]
    with chat.app.services.store.begin() as uow:
        assert uow.counts()["tickets"] == 0
    # a platform's own replacement character (a garbled emoji) is still a report
    await chat.say("刘大爷", "3栋电梯坏了\ufffd，困了好几天没人修")
    with chat.app.services.store.begin() as uow:
        assert uow.counts()["tickets"] == 1
