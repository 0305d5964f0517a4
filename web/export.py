"""Tickets as table rows: for the list page, the CSV (UTF-8 with BOM, so Excel reads the Chinese) and XLSX.

A resident's words must never become a formula in the spreadsheet a supervisor opens
(`=HYPERLINK("http://…")` sends the sheet's neighbours away in a click): in the CSV a cell that starts
with = + - @ or a tab or carriage return gets a leading `'`, and in the XLSX every cell is a string.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime

from bot.core.settings import Settings
from handlers.domain.people import name_of
from handlers.domain.privacy import mask
from handlers.domain.tickets import state_name
from handlers.resident.rating import RATING_NAMES
from storage.records import Ticket

COLUMNS = (
    "工单号",
    "状态",
    "类别",
    "网格",
    "群",
    "处理人",
    "层级",
    "登记时间",
    "期限",
    "办结时间",
    "是否超期",
    "评价",
    "内容",
    "办理结果",
    "类别代码",  # last: the columns before it keep their places in sheets made from older exports
)


def _at(value: datetime | None, settings: Settings) -> str:
    return value.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M") if value else ""


def is_overdue(ticket: Ticket, now: datetime) -> bool:
    if not ticket.is_active:
        return False
    if ticket.deadline_at is not None:
        return ticket.deadline_at < now and ticket.paused_at is None  # a pause moves the deadline
    return ticket.overdue_at is not None


def row(settings: Settings, ticket: Ticket, now: datetime) -> dict[str, str]:
    """One ticket in the words of the page. Phone and ID numbers are masked: a list leaves the system."""
    grid = settings.grids_by_id.get(ticket.grid_id)
    level = next((lv for lv in settings.ladder if lv.level == ticket.level), None)
    return {
        "工单号": str(ticket.id),
        "状态": state_name(ticket),  # 已挂起 while paused, as in /我的 and /查询
        "类别": settings.category_name(ticket.category),
        "类别代码": category.code if (category := settings.categories.get(ticket.category)) else "",
        "网格": grid.name if grid else ticket.grid_id,
        "群": ticket.chat_topic or "私聊",
        "处理人": name_of(settings, ticket.holder_id),
        "层级": f"L{ticket.level} {level.name}" if level else f"L{ticket.level}",
        "登记时间": _at(ticket.created_at, settings),
        "期限": _at(ticket.deadline_at or ticket.overdue_at, settings) if ticket.is_active else "",
        "办结时间": _at(ticket.resolved_at, settings),
        "是否超期": "是" if is_overdue(ticket, now) else "",
        "评价": RATING_NAMES.get(ticket.rating, ticket.rating),
        "内容": mask(ticket.text),
        "办理结果": mask(ticket.result),
    }


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def table_csv(rows: Sequence[Sequence[str]]) -> bytes:
    """Rows (the first the header) as CSV: UTF-8 with a BOM, no cell a formula."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([[csv_cell(cell) for cell in r] for r in rows])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def table_xlsx(rows: Sequence[Sequence[str]], sheet_name: str) -> bytes:
    """Rows (the first the header) as an XLSX sheet in which every cell is a string."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name)
    for values in rows:
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # openpyxl reads "=…" as a formula; a string it stays
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _table(settings: Settings, tickets: Sequence[Ticket], now: datetime) -> list[list[str]]:
    rows = [list(COLUMNS)]
    for ticket in tickets:
        values = row(settings, ticket, now)
        rows.append([values[c] for c in COLUMNS])
    return rows


def to_csv(settings: Settings, tickets: Sequence[Ticket], now: datetime) -> bytes:
    return table_csv(_table(settings, tickets, now))


def to_xlsx(settings: Settings, tickets: Sequence[Ticket], now: datetime) -> bytes:
    return table_xlsx(_table(settings, tickets, now), "工单")
