"""Staff correct the classifier: /改类 and /补单, stored for `gridbot nlp train`."""

from tests.chat import Chat

DOG = "楼下有人养狗,到晚上老叫唤,我年纪大了,根本没法休息好。"


async def test_recategorize_is_recorded_as_a_correction(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    sent = await chat.say("张燕", "/改类 1 宠物", chat="private")
    assert [s.text for s in sent] == ["#1 类别已改为【宠物管理】，谢谢指正。"]
    with chat.app.services.store.begin() as uow:
        assert uow.tickets.get(1).category == "pets"  # type: ignore[union-attr]
        assert uow.tickets.corrections() == [(DOG, "pets")]


async def test_recategorize_unknown_category_changes_nothing(chat: Chat) -> None:
    await chat.say("周阿姨", DOG)
    sent = await chat.say("张燕", "/改类 1 天气", chat="private")
    assert sent[0].text.startswith("没有“天气”这个类别。可选：噪音扰民")
    with chat.app.services.store.begin() as uow:
        assert uow.tickets.get(1).category == "noise"  # type: ignore[union-attr]
        assert uow.tickets.corrections() == []


async def test_missed_message_becomes_a_ticket_when_quoted(chat: Chat) -> None:
    assert await chat.say("吴奶奶", "早上好", message_id="wx-missed") == []
    sent = await chat.say("张燕", "/补单 其他", quoted_id="wx-missed")
    assert "已登记 #1【其他诉求】" in sent[0].text
    assert sent[0].mention_ids[0] == chat.id_of("吴奶奶")
    with chat.app.services.store.begin() as uow:
        assert uow.tickets.corrections() == [("早上好", "other")]
    again = await chat.say("张燕", "/补单", quoted_id="wx-missed")
    assert [s.text for s in again] == ["这条消息已经登记为 #1。"]


async def test_missed_without_a_quote_says_how(chat: Chat) -> None:
    sent = await chat.say("张燕", "/补单 停车", chat="private")
    assert [s.text for s in sent] == ["请引用那条居民消息再发送 /补单（可加类别，例如 /补单 停车）。"]
