"""Issue 20: the 接龙 page lists the sign-ups a person may manage and exports each as CSV or XLSX: phones as
written for the organiser, masked for anyone else with reach; nothing for those without it."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from aiohttp.test_utils import TestClient
from openpyxl import load_workbook

from handlers.domain.signups import entry_value
from storage.states import ItemKind, ItemState
from tests.web.conftest import login
from tests.web.seed import NOW, Seeded

Client = TestClient  # type: ignore[type-arg]
HEADER = ["序号", "群", "姓名", "楼栋", "电话", "报名时间"]


def signup(seeded: Seeded) -> None:
    with seeded.services.store.begin() as uow:
        values = {"community_id": "meijing", "author_id": "wxid_zhangyan", "title": "义诊报名", "body": "义诊报名"}
        item = uow.board.add(
            ItemKind.SIGNUP,
            {**values, "created_at": NOW, "fields": "姓名,楼栋,电话", "capacity": 30, "state": ItemState.OPEN},
        )
        uow.board.update(item.id, deadline_at=NOW + timedelta(days=2))
        uow.board.add_groups(item.id, [("room_tiancheng_3", "美景天城3栋", f"board:{item.id}:room_tiancheng_3")])
        keep = NOW + timedelta(days=30)
        for who, line in (("wxid_res_1", "张三 5栋 13812345678"), ("wxid_res_2", '=HYPERLINK("http://x") 3栋')):
            uow.board.answer(item.id, "room_tiancheng_3", who, who, entry_value(line), NOW, keep)


async def rows_of(client: Client, number: int) -> tuple[list[list[str]], list[list[str]]]:
    resp = await client.get(f"/signups/{number}.csv")
    assert resp.status == 200
    raw = await resp.read()
    assert raw.startswith("\ufeff".encode())
    from_csv = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    resp = await client.get(f"/signups/{number}.xlsx")
    assert resp.status == 200
    sheet = load_workbook(io.BytesIO(await resp.read())).active
    assert sheet is not None
    from_xlsx = [[c.value or "" for c in row] for row in sheet.iter_rows()]
    assert all(c.data_type == "s" for row in sheet.iter_rows() for c in row if c.value is not None)
    return from_csv, from_xlsx  # type: ignore[return-value]


async def test_the_organiser_exports_the_list_with_phones_others_with_reach_masked(
    client: Client, seeded: Seeded
) -> None:
    signup(seeded)
    assert await login(client, "wxid_zhangyan") == 302
    page = await (await client.get("/signups")).text()
    assert 'data-number="1"' in page
    assert 'href="/signups/1.xlsx"' in page
    from_csv, from_xlsx = await rows_of(client, 1)
    assert from_csv == [
        HEADER,
        ["1", "美景天城3栋", "张三", "5栋", "13812345678", "2026-11-25 15:00"],
        ["2", "美景天城3栋", '\'=HYPERLINK("http://x")', "3栋", "", "2026-11-25 15:00"],  # never a formula
    ]
    assert from_xlsx == [
        HEADER,
        ["1", "美景天城3栋", "张三", "5栋", "13812345678", "2026-11-25 15:00"],
        ["2", "美景天城3栋", '=HYPERLINK("http://x")', "3栋", "", "2026-11-25 15:00"],  # a string cell
    ]
    assert await login(client, "wxid_wanghuan") == 302  # the community's secretary: in reach, not the organiser
    from_csv, from_xlsx = await rows_of(client, 1)
    assert from_csv[1][4] == from_xlsx[1][4] == "138****5678"


async def test_no_export_without_reach(client: Client, seeded: Seeded) -> None:
    signup(seeded)
    resp = await client.get("/signups/1.csv", allow_redirects=False)
    assert resp.status == 401
    for person in ("wxid_li", "wxid_zhao", "wxid_wu"):  # another grid's worker, another community
        assert await login(client, person) == 302
        assert 'data-number="1"' not in await (await client.get("/signups")).text()
        for suffix in ("csv", "xlsx"):
            assert (await client.get(f"/signups/1.{suffix}")).status == 404
    assert await login(client, "wxid_yanghx") == 302  # an area cadre does not run sign-ups
    assert (await client.get("/signups")).status == 403
    assert (await client.get("/signups/1.csv")).status == 403
    assert await login(client, "wxid_zhangyan") == 302
    assert (await client.get("/signups/7.csv")).status == 404
    assert (await client.get("/signups/x.csv")).status == 400
