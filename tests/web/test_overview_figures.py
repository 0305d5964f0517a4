"""The overview's per-grid figures: every grid in reach is listed (also one with nothing closed yet), and its
satisfaction is the digest's own figure for the same period (one definition: every rating given counts)."""

from __future__ import annotations

import re
from datetime import timedelta

from aiohttp.test_utils import TestClient

from handlers.domain import results, tickets
from handlers.jobs import digest
from storage.states import TicketState
from tests.web.conftest import login
from tests.web.seed import NOW, Seeded

Client = TestClient  # type: ignore[type-arg]


async def test_every_grid_in_reach_is_listed_with_its_open_work(client: Client) -> None:
    # 第十一网格 has three open tickets (B, E, G) and nothing closed in the last 30 days
    assert await login(client, "wxid_wanghuan") == 302
    data = await (await client.get("/api/overview.json")).json()
    rows = {g["grid"]: g for g in data["grids"]}
    assert list(rows) == ["第十网格", "第十一网格"]  # the community's order, as in the digest
    assert (rows["第十一网格"]["open"], rows["第十一网格"]["resolved"]) == (3, 0)
    assert rows["第十一网格"]["on_time_rate"] == "—"  # nothing closed: no rate, not 0%
    assert (rows["第十网格"]["open"], rows["第十网格"]["resolved"]) == (2, 2)
    page = await (await client.get("/")).text()
    grid_table = page[page.index('id="grids"') :]
    assert "第十一网格" in grid_table[: grid_table.index("</table>")]
    # the on-time chart has a row for it too, drawn without a bar and marked as having no figure
    chart = page[page.index('id="chart-ontime"') :]
    chart = chart[: chart.index("</svg>")]
    assert "第十一网格" in chart
    assert chart.count('class="bar"') == 1


def _rate(seeded: Seeded, letter: str, rating: str) -> None:
    """What handlers/resident/rating.py writes: 不满意 reopens the ticket, 满意 closes it."""
    with seeded.services.turn() as deps:
        t = deps.uow.tickets.get(seeded.ids[letter])
        assert t is not None
        tickets.event(deps, t, "rated", t.reporter_id, note=rating, rating=rating)
        if rating == "unsatisfied":
            t = tickets.update(deps, t, state=TicketState.ACCEPTED, rating=rating, resolved_at=None)
            tickets.event(deps, t, "reopened", t.reporter_id, note="还是吵")
        else:
            tickets.update(deps, t, rating=rating, state=TicketState.CLOSED, closed_at=deps.now)


def _resolve(seeded: Seeded, letter: str, note: str) -> None:
    with seeded.services.turn() as deps:
        t = deps.uow.tickets.get(seeded.ids[letter])
        assert t is not None
        results.resolve(deps, t, "wxid_zhangyan", note)


async def test_page_and_digest_give_the_same_satisfaction(client: Client, seeded: Seeded) -> None:
    # D (第十网格): resolved, 不满意 (reopened), resolved again, 满意; A was rated 满意 in the seed
    clock = seeded.clock
    for minutes, step in ((0, "resolve"), (10, "unsatisfied"), (60, "resolve"), (70, "satisfied")):
        clock.set(NOW.replace(hour=11, minute=0) + timedelta(minutes=minutes))
        if step == "resolve":
            _resolve(seeded, "D", "已提醒装修队")
        else:
            _rate(seeded, "D", step)
    clock.set(NOW)
    with seeded.services.store.begin() as uow:
        settings = seeded.services.settings
        made = digest.compose(uow, settings, settings.all_communities[0], "month", NOW)
    line = next(x for x in made.text.splitlines() if x.startswith("第十网格"))
    assert "满意2/3" in line  # A 满意, D 不满意 then 满意: three ratings given, two of them good
    assert "满意 67%（2/3）" in made.text
    assert await login(client, "wxid_wanghuan") == 302
    data = await (await client.get("/api/overview.json")).json()
    g10 = next(g for g in data["grids"] if g["grid"] == "第十网格")
    assert (g10["rated"], g10["satisfaction"]) == (3, "67%")
    page = await (await client.get("/")).text()
    assert re.search(r'>第十网格</td>.*?>3</td><td data-label="满意率">67%</td>', page, re.S)


async def test_accept_is_offered_only_for_a_ticket_nobody_has_accepted(client: Client, seeded: Seeded) -> None:
    assert await login(client, "wxid_wanghuan") == 302
    waiting = await (await client.get(f"/tickets/{seeded.ids['F']}")).text()
    assert 'id="do-accept"' in waiting  # 待接单
    with seeded.services.turn() as deps:
        t = deps.uow.tickets.get(seeded.ids["F"])
        assert t is not None
        tickets.accept(deps, t, "wxid_zhangyan")
    for who in ("wxid_wanghuan", "wxid_zhangyan", "wxid_yanghx"):
        assert await login(client, who) == 302
        page = await (await client.get(f"/tickets/{seeded.ids['F']}")).text()
        assert "办理中" in page
        assert 'id="actions"' in page  # progress, resolve, transfer are still there
        assert 'id="do-accept"' not in page, who


async def test_the_points_note_says_how_points_are_earned(client: Client) -> None:
    assert await login(client, "wxid_wanghuan") == 302
    page = await (await client.get("/")).text()
    assert "config.yaml" not in page
    assert "points:" not in page
    assert "按时办结 +5、超时办结 +2、居民满意 +2、基本满意 +1、被重新打开 -3、返工 -2" in page


# 美景社区 over the last 30 days at NOW (seed.py; promise_hours 12): A answered in 1 hour, C at once; B, D, E
# never answered and due; F, G not due yet. A and C 办结 (已解决), A rated 满意. 张燕 holds A (and F); 杨海霞
# holds C and D now; 李网格 B, E and G.
RATES = [
    ["社区", "美景社区", "40%", "100%", "100%", "82"],  # 30×0.4 + 35×1 + 35×1
    ["网格", "第十网格", "67%", "100%", "100%", "90"],
    ["网格", "第十一网格", "0%", "—", "—", "0"],  # nothing closed or rated: scored on 响应率 alone
    ["网格员", "张燕", "100%", "100%", "100%", "100"],
    ["网格员", "李网格", "0%", "—", "—", "0"],
]


async def test_the_three_rates_per_community_grid_and_worker(client: Client) -> None:
    assert await login(client, "wxid_wanghuan") == 302
    data = await (await client.get("/api/overview.json")).json()
    got = [[r["kind"], r["name"], r["response"], r["solved"], r["satisfied"], r["score"]] for r in data["rates"]]
    assert got == RATES
    page = await (await client.get("/")).text()
    assert "响应率：近30天登记、应已答复的工单中，在承诺时间（12小时）内" in page
    assert "三率按 30/35/35 加权" in page
