"""The overview's figures, the ticket list's filters and paging, exports, and actions from the page."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from openpyxl import load_workbook

from tests.web.conftest import csrf_of, login
from tests.web.seed import NOW, SECRETARY_LEVELS, SECRETARY_NUMBERS, Seeded, seed, web_settings
from web import overview
from web.reach import viewer_for

Client = TestClient  # type: ignore[type-arg]


async def test_overview_numbers_for_the_secretary(client: Client) -> None:
    assert await login(client, "wxid_wanghuan") == 302
    data = await (await client.get("/api/overview.json")).json()
    assert data["numbers"] == SECRETARY_NUMBERS
    assert {lv["name"]: lv["count"] for lv in data["levels"]} == SECRETARY_LEVELS
    assert [(t["category"], t["holder"], t["late"]) for t in data["overdue"]] == [
        ("停车问题", "李网格", "4天17小时"),  # B: due Fri 22:00
        ("设施报修", "李网格", "1天18小时"),  # E: due Mon 21:00
        ("噪音扰民", "杨海霞", "1天6小时"),  # D: escalated Mon 21:00, L2 due Tue 09:00
    ]
    assert {(c["name"], c["count"], c["open"]) for c in data["categories"]} == {
        ("噪音扰民", 3, 2),
        ("停车问题", 2, 2),
        ("环境卫生", 1, 0),
        ("设施报修", 1, 1),
    }
    assert data["grids"] == [
        {
            "grid": "第十网格",
            "open": 2,
            "overdue": 1,
            "resolved": 2,
            "on_time_rate": "50%",
            "rated": 1,
            "satisfaction": "100%",
        },
        {
            "grid": "第十一网格",
            "open": 3,
            "overdue": 2,
            "resolved": 0,
            "on_time_rate": "—",
            "rated": 0,
            "satisfaction": "—",
        },
    ]
    # 积分 this month, from the events: 张燕 resolved A on time (5) and A was rated 满意 (2); 杨海霞 resolved C late (2)
    assert [(p["rank"], p["name"], p["points"]) for p in data["ranking"]] == [(1, "张燕", 7), (2, "杨海霞", 2)]
    daily = dict(
        zip(data["daily"]["days"], zip(data["daily"]["new"], data["daily"]["closed"], strict=True), strict=True)
    )
    assert len(daily) == 30
    assert data["daily"]["days"][-1] == "2026-11-25"
    assert {d: v for d, v in daily.items() if v != (0, 0)} == {
        "2026-11-20": (2, 1),
        "2026-11-23": (3, 0),
        "2026-11-25": (2, 1),
    }
    # the phone number in C's text never reaches the big screen
    page = await (await client.get("/")).text()
    assert "13812345678" not in page
    for chart in ("chart-levels", "chart-daily", "chart-categories", "chart-ontime", "chart-ranking"):
        assert f'id="{chart}"' in page
    assert page.count('class="bar"') >= 4 + 4 + 1  # level bars, category bars, one grid


async def test_overview_follows_reach(client: Client) -> None:
    assert await login(client, "wxid_center") == 302
    center = (await (await client.get("/api/overview.json")).json())["numbers"]
    assert center["new_today"] == 3
    assert center["open"] == 6
    assert await login(client, "wxid_zhao") == 302
    zhao = (await (await client.get("/api/overview.json")).json())["numbers"]
    assert zhao == {"new_today": 1, "new_week": 1, "closed_today": 0, "closed_week": 0, "open": 1, "overdue": 0}


@pytest.mark.postgres
def test_overview_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    """The same figures from PostgreSQL (its own day arithmetic)."""
    settings = web_settings(tmp_path)
    data = seed(settings, pg_url)
    who = viewer_for(settings, "wxid_wanghuan")
    assert who is not None
    with data.services.store.begin() as uow:
        built = overview.build(uow, settings, who, NOW)
    data.services.store.dispose()
    assert built["numbers"] == SECRETARY_NUMBERS
    assert {lv["name"]: lv["count"] for lv in built["levels"]} == SECRETARY_LEVELS
    assert sum(built["daily"]["new"]) == 7
    assert built["daily"]["new"][-1] == 2
    assert built["daily"]["closed"][-1] == 1


async def _ids(client: Client, query: str) -> list[int]:
    resp = await client.get("/tickets.csv?" + query)
    assert resp.status == 200
    body = await resp.read()
    assert body.startswith("\ufeff".encode())  # Excel reads the Chinese as UTF-8 only with the BOM
    return [int(row["工单号"]) for row in csv.DictReader(io.StringIO(body.decode("utf-8-sig")))]


@pytest.mark.parametrize(
    ("query", "letters"),
    [
        ("", "ABCDEFG"),
        ("state=active", "BDEFG"),
        ("state=closed", "A"),
        ("state=resolved", "C"),
        ("category=noise", "ADG"),
        ("grid=g11", "BEG"),
        ("holder=wxid_yanghx", "CD"),
        ("level=2", "CD"),
        ("overdue=1", "BDE"),
        ("from=2026-11-23&to=2026-11-23", "CDE"),
        ("from=2026-11-24", "FG"),
        ("q=装修", "D"),
        ("q=美景景园", "BEG"),
        ("state=active&grid=g10&overdue=1", "D"),
    ],
)
async def test_list_filters(client: Client, seeded: Seeded, query: str, letters: str) -> None:
    assert await login(client, "wxid_wanghuan") == 302
    assert sorted(await _ids(client, query)) == sorted(seeded.ids[x] for x in letters)


async def test_search_by_number(client: Client, seeded: Seeded) -> None:
    assert await login(client, "wxid_wanghuan") == 302
    assert await _ids(client, f"q=%23{seeded.ids['E']}") == [seeded.ids["E"]]


async def test_bad_filters_are_named_and_change_nothing(client: Client) -> None:
    assert await login(client, "wxid_wanghuan") == 302
    page = await (await client.get("/tickets?from=2026-13-01&level=9&state=lost")).text()
    assert "日期“2026-13-01”的格式应为 2026-11-23。" in page
    assert "层级应为 1 到 4 之间的数字。" in page
    assert "没有“lost”这个状态。" in page
    assert '共 <strong id="total">7</strong> 件' in page  # the bad filters were not applied
    assert (await client.get("/tickets.csv?from=junk")).status == 400


async def test_paging(client: Client, seeded: Seeded) -> None:
    from web import filters

    assert await login(client, "wxid_wanghuan") == 302
    old = filters.PER_PAGE
    filters.PER_PAGE = 3
    try:
        pages = [await (await client.get(f"/tickets?page={n}")).text() for n in (1, 2, 3)]
    finally:
        filters.PER_PAGE = old
    shown = [[n for letter, n in seeded.ids.items() if f'data-id="{n}"' in page] for page in pages]
    assert [len(s) for s in shown] == [3, 3, 1]
    assert sorted(n for s in shown for n in s) == sorted(seeded.ids[x] for x in "ABCDEFG")
    assert shown[0][0] > shown[2][0]  # newest first
    assert "第 2 / 3 页" in pages[1]
    assert 'rel="next"' in pages[1]
    assert 'rel="prev"' in pages[1]


async def test_exports_read_back(client: Client, seeded: Seeded) -> None:
    assert await login(client, "wxid_wanghuan") == 302
    resp = await client.get("/tickets.csv?category=sanitation")
    assert resp.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in resp.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO((await resp.read()).decode("utf-8-sig"))))
    assert len(rows) == 1
    row = rows[0]
    assert row["类别"] == "环境卫生"
    assert row["网格"] == "第十网格"
    assert row["处理人"] == "杨海霞"
    assert row["内容"] == "3栋楼道垃圾没人清理，电话138****5678"
    assert row["办理结果"] == "已联系保洁清运"
    xlsx = await client.get("/tickets.xlsx?state=active")
    book = load_workbook(io.BytesIO(await xlsx.read()))
    sheet = book["工单"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("工单号", "状态", "类别")
    # every cell is a string (tests/web/test_exports.py): the ticket number too
    assert sorted(int(str(v[0])) for v in values[1:]) == sorted(seeded.ids[x] for x in "BDEFG")
    overdue = {int(str(v[0])): v[10] for v in values[1:]}
    assert overdue[seeded.ids["B"]] == "是"
    assert overdue[seeded.ids["F"]] is None


async def test_ticket_page_shows_the_timeline_and_reporters(client: Client, seeded: Seeded) -> None:
    assert await login(client, "wxid_wanghuan") == 302
    page = await (await client.get(f"/tickets/{seeded.ids['C']}")).text()
    for words in (
        "登记",
        "张燕</strong> 接单",
        "超时升级",
        "杨海霞</strong> 办结：已联系保洁清运",
        "美景天城3栋 · 王大爷",
    ):
        assert words in page, words
    assert "13812345678" not in page
    assert "138****5678" in page
    assert 'id="actions"' not in page  # resolved: nothing left to do from the page


async def test_holder_sees_numbers_unmasked(client: Client, seeded: Seeded) -> None:
    assert await login(client, "wxid_yanghx") == 302
    page = await (await client.get(f"/tickets/{seeded.ids['C']}")).text()
    assert "13812345678" in page


async def test_accept_progress_resolve_from_the_page(client: Client, seeded: Seeded) -> None:
    ticket = seeded.ids["G"]
    assert await login(client, "wxid_li") == 302
    url = f"/tickets/{ticket}"

    async def act(action: str, **extra: str) -> str:
        page = await (await client.get(url)).text()
        resp = await client.post(url + "/action", data={"action": action, "csrf": csrf_of(page), **extra})
        assert resp.status == 200
        return await resp.text()

    assert f"#{ticket} 已由李网格接单。" in await act("accept")
    assert "您已接单" in await act("accept")  # the handler's own answer, nothing changed
    assert "请写明进展。" in await act("progress", text="")
    assert f"#{ticket} 进展已记录。" in await act("progress", text="已联系广场舞队调小音量", public="1")
    page = await act("resolve", text="已与广场舞队约定晚上八点半前结束")
    assert f"#{ticket} 已办结，结果已发到原群。" in page
    with seeded.services.store.begin() as uow:
        events = uow.tickets.events(ticket)
        outbox = [o for o in uow.outbox.items() if o.ticket_id == ticket]
        final = uow.tickets.get(ticket)
    assert [(e.action, e.actor_id) for e in events] == [
        ("created", ""),
        ("accepted", "wxid_li"),
        ("progress", "wxid_li"),
        ("resolved", "wxid_li"),
    ]
    assert final is not None
    assert final.state == "resolved"
    # the group heard the public progress and the result, @-mentioning the reporter, as after chat commands
    assert [(o.chat_id, o.text, o.mention_ids) for o in outbox[-2:]] == [
        ("room_jingyuan_2", f"#{ticket} 最新进展：已联系广场舞队调小音量", ("wxid_res_G",)),
        (
            "room_jingyuan_2",
            f"#{ticket} 已办结：已与广场舞队约定晚上八点半前结束\n满意请回复“满意”，仍有问题请回复“不满意”。",
            ("wxid_res_G",),
        ),
    ]
    assert "已办结" in await act("accept") or "不能再接单" in await act("accept")


async def test_transfer_and_reject_from_the_page(client: Client, seeded: Seeded) -> None:
    assert await login(client, "wxid_wanghuan") == 302
    for letter, action, text, state in (
        ("B", "transfer", "需要物业配合", "open"),
        ("E", "reject", "重复反映", "rejected"),
    ):
        url = f"/tickets/{seeded.ids[letter]}"
        page = await (await client.get(url)).text()
        resp = await client.post(url + "/action", data={"action": action, "csrf": csrf_of(page), "text": text})
        assert resp.status == 200
        with seeded.services.store.begin() as uow:
            t = uow.tickets.get(seeded.ids[letter])
            assert t is not None
            assert t.state == state
            assert uow.tickets.events(t.id)[-1].note == text
    with seeded.services.store.begin() as uow:
        b = uow.tickets.get(seeded.ids["B"])
    assert b is not None
    assert b.level == 2
    assert b.holder_id == "wxid_yanghx"
