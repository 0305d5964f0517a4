"""Issue 20: the 通知 page composes a notice, lets staff choose its groups on a list, previews it, sends it
through the same domain code as /通知 (scope rules, quiet hours, the outbox, the >10-groups confirm step,
the same numbered notice) and shows its delivery report; and refuses what it must, changing nothing."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from storage.records import OutboxItem
from storage.states import ItemKind, ItemState, OutboxState
from tests.web.conftest import SECRET_ENV, Sleeps, csrf_of, login
from tests.web.seed import NOW, TZ, Seeded, seed, web_settings
from web.app import make_app

Client = TestClient  # type: ignore[type-arg]
WATER = "明天9点至12点停水，请提前储水。"
POST = f"【通知1】{WATER}\n（已阅请回复“收到”）"


def board_posts(seeded: Seeded) -> list[OutboxItem]:
    with seeded.services.store.begin() as uow:
        return [o for o in uow.outbox.items() if (o.dedupe_key or "").startswith("board:")]


def notices(seeded: Seeded) -> list[tuple[int, ItemState, str]]:
    with seeded.services.store.begin() as uow:
        found = [uow.board.get(ItemKind.NOTICE, n) for n in range(1, 10)]
    return [(i.number, i.state, i.scope) for i in found if i is not None]


async def form_post(client: Client, path: str, fields: list[tuple[str, str]]) -> tuple[int, str, str]:
    csrf = csrf_of(await (await client.get("/notices")).text())
    resp = await client.post(path, data=[*fields, ("csrf", csrf)], allow_redirects=False)
    return resp.status, await resp.text(), resp.headers.get("Location", "")


def text_of(page: str, element_id: str) -> str:
    found = re.search(rf'<(\w+)[^>]*id="{element_id}"[^>]*>(.*?)</\1>', page, re.S)
    assert found, element_id
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found.group(2))).strip()


def deliveries(page: str) -> list[tuple[str, str, str]]:
    rows = re.findall(r'<tr data-chat="[^"]+" data-state="[^"]+">(.*?)</tr>', page, re.S)
    return [tuple(re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)) for r in rows]  # type: ignore[misc]


async def test_compose_preview_send_and_read_the_delivery_report(client: Client, seeded: Seeded) -> None:
    assert await login(client, "wxid_wanghuan") == 302
    page = await (await client.get("/notices")).text()
    # the list of groups to choose from: every grid of the secretary's community, with its groups
    assert re.findall(r'name="group" value="([^"]+)"', page) == ["room_tiancheng_3", "room_jingyuan_2"]
    assert re.findall(r'name="grid" value="([^"]+)"', page) == ["g10", "g11"]
    form = [("body", WATER), ("grid", "g10"), ("group", "room_jingyuan_2")]
    status, page, _ = await form_post(client, "/notices/preview", form)
    assert status == 200
    assert text_of(page, "preview-text") == POST.replace("\n", " ")
    assert text_of(page, "preview-groups") == "美景天城3栋、美景景园2栋"
    assert "preview-held" not in page
    assert "preview-confirm" not in page
    assert notices(seeded) == []
    assert board_posts(seeded) == []

    status, _, location = await form_post(client, "/notices", form)
    assert (status, location) == (303, "/notices/1")
    assert notices(seeded) == [(1, ItemState.OPEN, "第十网格、美景景园2栋")]
    posts = board_posts(seeded)
    assert [(o.chat_id, o.text, o.state) for o in posts] == [
        ("room_tiancheng_3", POST, OutboxState.PENDING),
        ("room_jingyuan_2", POST, OutboxState.PENDING),
    ]
    page = await (await client.get("/notices/1")).text()
    assert text_of(page, "flash") == "通知1 已排队发往 2 个群，发完后告诉您送达情况。"
    assert deliveries(page) == [("美景天城3栋", "待发送", "0"), ("美景景园2栋", "待发送", "0")]

    # the dispatcher sends one and fails the other; two residents answer 收到 in the first group
    with seeded.services.store.begin() as uow:
        uow.outbox.finish(posts[0].id, state=OutboxState.SENT, at=NOW)
        uow.outbox.finish(posts[1].id, state=OutboxState.FAILED, at=NOW, error="room not found")
        notice = uow.board.get(ItemKind.NOTICE, 1)
        assert notice is not None
        for who in ("wxid_res_1", "wxid_res_2"):
            uow.board.answer(notice.id, "room_tiancheng_3", who, who, "收到", NOW, NOW + timedelta(days=30))
    page = await (await client.get("/notices/1")).text()
    assert deliveries(page) == [("美景天城3栋", "已发送", "2"), ("美景景园2栋", "发送失败（room not found）", "0")]
    assert text_of(page, "totals") == "已发送 1/2 个群，1 个群发送失败，收到 2 人"
    listed = await (await client.get("/notices")).text()
    assert re.search(r'<tr data-number="1">.*?1/2.*?<td>2</td>', listed, re.S)
    # the chat's /通知 continues the same series
    with seeded.services.store.begin() as uow:
        assert uow.board.next_number(ItemKind.NOTICE) == 2


async def test_quiet_hours_hold_the_posts_unless_urgent(client: Client, seeded: Seeded) -> None:
    seeded.clock.set(datetime(2026, 11, 25, 23, 0, tzinfo=TZ))
    assert await login(client, "wxid_zhangyan") == 302
    form = [("body", WATER), ("group", "room_tiancheng_3")]
    _, page, _ = await form_post(client, "/notices/preview", form)
    assert text_of(page, "preview-held") == "现在是免打扰时段，07:30 起发送；紧急通知请勾选“紧急”。"
    await form_post(client, "/notices", form)
    await form_post(client, "/notices", [*form, ("urgent", "1")])
    posts = board_posts(seeded)
    assert [(o.text[:6], o.not_before.astimezone(TZ)) for o in posts] == [
        ("【通知1】明", datetime(2026, 11, 26, 7, 30, tzinfo=TZ)),
        ("【紧急通知2", datetime(2026, 11, 25, 23, 0, tzinfo=TZ)),
    ]


@pytest.fixture
async def strict(tmp_path: Path) -> AsyncIterator[tuple[Client, Seeded]]:
    """The seeded street with `notices.confirm_over_groups: 1`: two groups already need the confirm step."""
    seeded = seed(web_settings(tmp_path, notices={"confirm_over_groups": 1}), f"sqlite:///{tmp_path / 'web.db'}")
    async with TestClient(TestServer(make_app(seeded.services, SECRET_ENV, sleep=Sleeps()))) as c:
        yield c, seeded
    seeded.services.store.dispose()


async def test_more_groups_than_the_threshold_wait_for_the_confirm_step(strict: tuple[Client, Seeded]) -> None:
    client, seeded = strict
    assert await login(client, "wxid_wanghuan") == 302
    form = [("body", WATER), ("grid", "g10"), ("grid", "g11")]
    _, page, _ = await form_post(client, "/notices/preview", form)
    assert text_of(page, "preview-confirm") == "超过 1 个群：发送前还需要再确认一次。"
    status, _, location = await form_post(client, "/notices", form)
    assert (status, location) == (303, "/notices/1")
    assert notices(seeded) == [(1, ItemState.CONFIRMING, "第十网格、第十一网格")]
    assert board_posts(seeded) == []  # nothing goes before the confirm
    page = await (await client.get("/notices/1")).text()
    assert text_of(page, "question") == (
        "通知1 将发到 2 个群：美景天城3栋、美景景园2栋。回复“确认”发送，回复“取消”作废（30分钟内有效）。"
    )
    # another secretary-level person of the community sees it but may not confirm for its author
    assert await login(client, "wxid_super") == 302
    page = await (await client.get("/notices/1")).text()
    assert 'id="do-confirm"' not in page
    status, _, _ = await form_post(client, "/notices/1/confirm", [("action", "send")])
    assert status == 303
    assert board_posts(seeded) == []
    # the author confirms: posted, like 确认 in chat
    assert await login(client, "wxid_wanghuan") == 302
    status, _, location = await form_post(client, "/notices/1/confirm", [("action", "send")])
    assert (status, location) == (303, "/notices/1")
    assert notices(seeded) == [(1, ItemState.OPEN, "第十网格、第十一网格")]
    assert [o.chat_id for o in board_posts(seeded)] == ["room_tiancheng_3", "room_jingyuan_2"]
    # a second one is dropped; a third waits past confirm_minutes and can no longer be sent
    await form_post(client, "/notices", form)
    status, _, location = await form_post(client, "/notices/2/confirm", [("action", "drop")])
    assert (status, location) == (303, "/notices")
    await form_post(client, "/notices", form)
    seeded.clock.set(NOW + timedelta(minutes=31))
    page = await (await client.get("/notices/3")).text()
    assert 'id="expired"' in page
    assert 'id="do-confirm"' not in page
    await form_post(client, "/notices/3/confirm", [("action", "send")])
    listed = await (await client.get("/notices")).text()
    assert re.search(r'<tr data-number="3">.*?未确认，未发送', listed, re.S)
    assert re.search(r'<tr data-number="1">.*?0/2', listed, re.S)
    assert notices(seeded) == [
        (1, ItemState.OPEN, "第十网格、第十一网格"),
        (2, ItemState.DROPPED, "第十网格、第十一网格"),
        (3, ItemState.CONFIRMING, "第十网格、第十一网格"),
    ]
    assert len(board_posts(seeded)) == 2
    assert (await client.get("/notices/2")).status == 404  # a dropped notice is not there


async def test_refusals_change_nothing(client: Client, seeded: Seeded) -> None:
    # no session: pages go to the login, a form posted with a valid CSRF token changes nothing
    resp = await client.get("/notices", allow_redirects=False)
    assert resp.status == 302
    assert resp.headers["Location"].startswith("/login")
    csrf = csrf_of(await (await client.get("/login")).text())
    resp = await client.post("/notices", data={"body": WATER, "grid": "g10", "csrf": csrf}, allow_redirects=False)
    assert resp.status == 302
    assert resp.headers["Location"].startswith("/login")
    # wrong role: an area cadre may not post notices (as in chat)
    assert await login(client, "wxid_yanghx") == 302
    assert "/notices" not in await (await client.get("/")).text()
    assert (await client.get("/notices")).status == 403
    csrf = csrf_of(await (await client.get("/tickets")).text())
    resp = await client.post("/notices", data={"body": WATER, "grid": "g10", "csrf": csrf})
    assert resp.status == 403
    assert "只有社区书记和网格员可以发通知" in await resp.text()
    # other communities' groups, another grid's groups for a grid worker, an unknown id, no group, empty text
    cases = [
        ("wxid_wanghuan", [("body", WATER), ("group", "room_longcheng_9")], "“龙城9栋”不在您负责的范围内"),
        ("wxid_wanghuan", [("body", WATER), ("grid", "g20")], "“第二十网格”不在您负责的范围内"),
        ("wxid_zhangyan", [("body", WATER), ("group", "room_jingyuan_2")], "“美景景园2栋”不在您负责的范围内"),
        ("wxid_zhangyan", [("body", WATER), ("grid", "g11")], "“第十一网格”不在您负责的范围内"),
        ("wxid_zhangyan", [("body", WATER), ("group", "room_nowhere")], "没有找到范围“room_nowhere”"),
        ("wxid_zhangyan", [("body", WATER)], "请至少选择一个网格或群。"),
        ("wxid_zhangyan", [("body", "  \n "), ("grid", "g10")], "通知正文不能为空。"),
        ("wxid_zhangyan", [("body", "停" * 2001), ("grid", "g10")], "通知正文太长了：请控制在 2000 字以内。"),
    ]
    for who, form, said in cases:
        assert await login(client, who) == 302
        for path in ("/notices/preview", "/notices"):
            status, page, _ = await form_post(client, path, form)
            assert status == 400, (who, form)
            assert said in text_of(page, "flash"), (who, form)
    # CSRF: a form without the token, or with one of another session, is refused
    assert await login(client, "wxid_wanghuan") == 302
    resp = await client.post("/notices", data={"body": WATER, "grid": "g10"})
    assert resp.status == 403
    resp = await client.post("/notices", data={"body": WATER, "grid": "g10", "csrf": csrf})
    assert resp.status == 403
    assert notices(seeded) == []
    assert board_posts(seeded) == []


async def test_a_notice_is_shown_only_to_who_may_manage_it(client: Client, seeded: Seeded) -> None:
    assert await login(client, "wxid_wanghuan") == 302
    await form_post(client, "/notices", [("body", WATER), ("grid", "g10")])
    assert (await client.get("/notices/1")).status == 200
    for person in ("wxid_zhao", "wxid_zhangyan", "wxid_li"):  # another community; grid workers not its author
        assert await login(client, person) == 302
        assert (await client.get("/notices/1")).status == 404
        assert 'data-number="1"' not in await (await client.get("/notices")).text()
    assert (await client.get("/notices/abc")).status == 400
    assert await login(client, "wxid_center") == 302  # the street center reaches 美景社区
    assert (await client.get("/notices/1")).status == 200


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


async def upload_post(client: Client, path: str, fields: list[tuple[str, str]], picture: bytes) -> tuple[int, str]:
    form = aiohttp.FormData()
    for name, value in [*fields, ("csrf", csrf_of(await (await client.get("/notices")).text()))]:
        form.add_field(name, value)
    form.add_field("upload", picture, filename="notice.png", content_type="image/png")
    resp = await client.post(path, data=form, allow_redirects=False)
    return resp.status, await resp.text()


async def test_a_picture_uploaded_at_the_preview_goes_after_the_text_in_each_group(
    client: Client, seeded: Seeded
) -> None:
    assert await login(client, "wxid_zhangyan") == 302
    status, page = await upload_post(client, "/notices/preview", [("body", WATER), ("grid", "g10")], PNG)
    assert status == 200
    src = re.search(r'id="preview-picture" alt="通知附图" src="([^"]+)"', page)
    assert src is not None
    shown = await client.get(src.group(1).replace("&amp;", "&"))
    assert (shown.status, shown.content_type, await shown.read()) == (200, "image/png", PNG)
    assert (await client.get(src.group(1).split("?")[0] + "?sig=forged")).status == 404
    send = re.search(r'id="send-form">(.*?)</form>', page, re.S)
    assert send is not None
    fields = [
        (n, v.replace("&amp;", "&"))
        for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', send.group(1))
        if n != "csrf"
    ]
    assert [n for n, _ in fields] == ["body", "grid", "picture", "picture_sig"]
    # another viewer cannot use (or see) this upload by its name
    assert await login(client, "wxid_li") == 302
    assert (await client.get(src.group(1).replace("&amp;", "&"))).status == 404
    assert await login(client, "wxid_zhangyan") == 302
    status, _, location = await form_post(client, "/notices", fields)
    assert (status, location) == (303, "/notices/1")
    posts = board_posts(seeded)
    assert [(o.chat_id, o.text, bool(o.image_path), o.dedupe_key) for o in posts] == [
        ("room_tiancheng_3", POST, False, "board:1:room_tiancheng_3"),
        ("room_tiancheng_3", "", True, "board:1:room_tiancheng_3:picture"),
    ]
    assert await asyncio.to_thread(Path(posts[1].image_path).read_bytes) == PNG
    page = await (await client.get("/notices/1")).text()
    assert deliveries(page) == [("美景天城3栋", "待发送", "待发送", "0")]
    shown = await client.get("/notices/1/picture")
    assert (shown.status, await shown.read()) == (200, PNG)


async def test_a_picture_is_refused_by_its_content_and_size_and_a_forged_name_is_refused(tmp_path: Path) -> None:
    seeded = seed(web_settings(tmp_path, notices={"picture_max_kb": 16}), f"sqlite:///{tmp_path / 'web.db'}")
    async with TestClient(TestServer(make_app(seeded.services, SECRET_ENV, sleep=Sleeps()))) as client:
        assert await login(client, "wxid_wanghuan") == 302
        form = [("body", WATER), ("grid", "g10")]
        for picture, said in (
            (b"<html><script>alert(1)</script></html>", "只能附 JPG、PNG 或 GIF 图片。"),
            (PNG + b"\x00" * 16 * 1024, "图片太大了：请不超过 16 KB。"),
        ):
            for path in ("/notices/preview", "/notices"):
                status, page = await upload_post(client, path, form, picture)
                assert status == 400
                assert text_of(page, "flash") == said
        forged = [*form, ("picture", "0" * 32 + ".png"), ("picture_sig", "x")]
        status, page, _ = await form_post(client, "/notices", forged)
        assert status == 400
        assert text_of(page, "flash") == "预览时上传的图片已失效，请重新选择图片。"
        assert notices(seeded) == []
        assert board_posts(seeded) == []
        assert not (tmp_path / "data" / "media").exists() or list((tmp_path / "data" / "media").iterdir()) == []
    seeded.services.store.dispose()
