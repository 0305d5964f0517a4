"""Issue 20: the covenants page lists, per group in the viewer's communities, the 楼门公约 in force and the
versions it replaced (newest first), each with when it was adopted and its tally; rejected ones are not there."""

from __future__ import annotations

import json
import re
from datetime import datetime

from aiohttp.test_utils import TestClient

from storage.states import ItemKind, ItemState
from tests.web.conftest import login
from tests.web.seed import TZ, Seeded

Client = TestClient  # type: ignore[type-arg]


def covenant(
    seeded: Seeded, community: str, chat: str, body: str, day: int, state: ItemState, yes: int, no: int
) -> None:
    closed = datetime(2026, 11, day, 18, 0, tzinfo=TZ)
    with seeded.services.store.begin() as uow:
        values = {"community_id": community, "author_id": "wxid_zhangyan", "title": body[:60], "body": body}
        item = uow.board.add(ItemKind.COVENANT, {**values, "created_at": closed, "fields": "同意/不同意"})
        uow.board.add_groups(item.id, [(chat, seeded.services.settings.group_names[chat], f"board:{item.id}:{chat}")])
        outcome = json.dumps({"yes": yes, "no": no})
        uow.board.update(item.id, state=state, closed_at=closed, outcome=outcome)


def listed(page: str) -> list[tuple[str, list[str]]]:
    """(group, [each version's line]) in the page's order."""
    sections = re.findall(r'<section class="panel covenant" data-group="([^"]+)">(.*?)</section>', page, re.S)
    return [
        (
            g,
            [
                re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", li)).strip()
                for li in re.findall(r"<li[^>]*>(.*?)</li>", body, re.S)
            ],
        )
        for g, body in sections
    ]


async def test_the_page_lists_each_groups_covenant_with_its_history_within_the_viewers_communities(
    client: Client, seeded: Seeded
) -> None:
    covenant(seeded, "meijing", "room_tiancheng_3", "楼道不堆放杂物。", 10, ItemState.ADOPTED, 5, 1)
    covenant(seeded, "meijing", "room_tiancheng_3", "电动车不进楼道。", 15, ItemState.REJECTED, 1, 4)
    covenant(seeded, "meijing", "room_tiancheng_3", "楼道不堆放杂物，电动车到车棚充电。", 20, ItemState.ADOPTED, 6, 0)
    covenant(seeded, "longcheng", "room_longcheng_9", "晚十点后不喧哗。", 12, ItemState.ADOPTED, 3, 1)
    assert await login(client, "wxid_wanghuan") == 302
    page = await (await client.get("/covenants")).text()
    assert listed(page) == [
        (
            "美景天城3栋",
            [
                "现行 · 公约议题3 · 2026-11-20 18:00 通过 · 同意 6 票、不同意 0 票，共 6 人投票 "
                "楼道不堆放杂物，电动车到车棚充电。",
                "历史版本 · 公约议题1 · 2026-11-10 18:00 通过 · 同意 5 票、不同意 1 票，共 6 人投票 楼道不堆放杂物。",
            ],
        )
    ]
    assert await login(client, "wxid_wu") == 302
    page = await (await client.get("/covenants")).text()
    assert [g for g, _ in listed(page)] == ["龙城9栋"]


async def test_the_page_says_when_there_is_no_covenant_and_asks_for_a_login(client: Client) -> None:
    resp = await client.get("/covenants", allow_redirects=False)
    assert resp.status == 302
    assert resp.headers["Location"].startswith("/login")
    assert await login(client, "wxid_wanghuan") == 302
    page = await (await client.get("/covenants")).text()
    assert listed(page) == []
    assert "还没有通过的楼门公约。" in page
