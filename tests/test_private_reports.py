"""A resident who writes to the bot privately: the complaint goes to the worker of their building's grid.

Where they live is taken from the group they last wrote in. In a street deployment a stranger the bot has
never seen in any group is answered, and every community's staff see the message: nothing is lost.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from bot.core.settings import load_settings
from tests.chat import Chat
from tests.conftest import _chat
from tests.test_digest import STREET

LAMP = "我家楼下的路灯坏了一个星期了，晚上看不见路，麻烦处理一下"


async def street(tmp_path: Path) -> AsyncIterator[Chat]:
    """tests/test_digest.py's two communities, 美景 (a staff chat) and 和平 (none)."""
    cfg = tmp_path / "street.yaml"
    cfg.write_text(STREET, encoding="utf-8")
    settings = load_settings(cfg, env={}, overrides={"data_dir": str(tmp_path)})
    async for chat in _chat(settings, f"sqlite:///{tmp_path}/street.db"):
        yield chat


def holder_and_grid(chat: Chat) -> list[tuple[str, str, str]]:
    with chat.app.services.store.begin() as uow:
        return [(t.holder_id, t.grid_id, t.community_id) for t in uow.tickets.find()]


async def test_a_private_complaint_goes_to_the_grid_of_the_residents_group(chat: Chat) -> None:
    await chat.say("小红", "早上好", chat="room_jingyuan_2")  # 景园2栋: 第十一网格, 李网格
    sent = await chat.say("小红", LAMP, chat="private")
    resident = chat.id_of("小红")
    assert [s.text for s in chat.to(sent, resident)] == ["已登记 #1【设施报修】，由李网格跟进，12小时内给您回复。"]
    assert holder_and_grid(chat) == [("wxid_li", "g11", "default")]


async def test_someone_never_seen_in_a_group_goes_to_the_secretary_of_the_only_community(chat: Chat) -> None:
    sent = await chat.say("路人", LAMP, chat="private")
    assert [s.text for s in chat.to(sent, chat.id_of("路人"))] == [
        "已登记 #1【设施报修】，由王欢跟进，12小时内给您回复。"
    ]
    assert holder_and_grid(chat) == [("wxid_wanghuan", "", "default")]


async def test_in_a_street_a_stranger_is_answered_and_every_staff_sees_it(tmp_path: Path) -> None:
    async for chat in street(tmp_path):
        sent = await chat.say("孙大爷", "我电话13912345678，" + LAMP, chat="private")
        stranger = chat.id_of("孙大爷")
        assert [s.text for s in chat.to(sent, stranger)] == [
            "您好，已收到，会转给社区工作人员与您联系。以后也可以在您小区的居民群里直接反映。"
        ]
        # 美景 has a staff chat; 和平 has neither a staff chat nor a secretary nor a street center: nobody there
        assert [(s.chat_id, s.text) for s in sent if s.chat_id != stranger] == [
            (
                "room_staff_mj",
                "孙大爷（私聊网格助手，尚不知道住哪个小区）反映：我电话139****5678，" + LAMP + "\n请认领并与其联系。",
            )
        ]
        assert holder_and_grid(chat) == []
        # once he has written in 和平1栋, his private complaint is 和平's, for its worker
        await chat.say("孙大爷", "大家好", chat="room_heping_1")
        sent = await chat.say("孙大爷", LAMP, chat="private")
        assert [s.text for s in chat.to(sent, stranger)] == ["已登记 #1【设施报修】，由李网格跟进，12小时内给您回复。"]
        assert holder_and_grid(chat) == [("wxid_li", "h1", "heping")]


async def test_in_a_street_a_stranger_reporting_gas_is_told_to_call_for_help(tmp_path: Path) -> None:
    async for chat in street(tmp_path):
        sent = await chat.say("孙大爷", "楼道里好大的煤气味，谁家漏气了", chat="private")
        assert [s.text for s in chat.to(sent, chat.id_of("孙大爷"))] == [
            "您好，已收到，会转给社区工作人员与您联系。以后也可以在您小区的居民群里直接反映。"
            " 如有人员受伤或危险，请立即拨打119/120/110。"
        ]
        assert [s.chat_id for s in sent if s.chat_id != chat.id_of("孙大爷")] == ["room_staff_mj"]
