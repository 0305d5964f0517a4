"""The ticket list's filters, read from the query string. Bad values are named and ignored, never guessed;
a list asked for with a bad value answers 400 (web/views/tickets.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from bot.core.settings import Settings
from storage.states import ACTIVE_STATES, TicketState
from storage.web_queries import TicketFilter
from web import params

# the state filter's choices: "active" is what the ladder still runs on
STATE_CHOICES: dict[str, tuple[str, tuple[TicketState, ...]]] = {
    "active": ("未办结", ACTIVE_STATES),
    TicketState.OPEN: ("待接单", (TicketState.OPEN,)),
    TicketState.ACCEPTED: ("办理中", (TicketState.ACCEPTED,)),
    TicketState.VERIFYING: ("待核查", (TicketState.VERIFYING,)),
    TicketState.RESOLVED: ("已办结待评价", (TicketState.RESOLVED,)),
    TicketState.CLOSED: ("已关闭", (TicketState.CLOSED,)),
    TicketState.REJECTED: ("已退回", (TicketState.REJECTED,)),
    TicketState.REFERRED: ("已转12345", (TicketState.REFERRED,)),
    "other": ("已取消/已合并", (TicketState.CANCELLED, TicketState.MERGED)),
}
KEYS = ("state", "category", "grid", "holder", "level", "overdue", "from", "to", "q")
PER_PAGE = 50
MAX_PAGE = 99_999
MAX_LENGTH = 100  # of any one filter value; longer is refused, not cut


@dataclass(frozen=True)
class ListQuery:
    filter: TicketFilter
    values: dict[str, str]  # what the form shows again
    page: int
    errors: tuple[str, ...]

    def query_string(self, **override: str | int) -> str:
        values = {k: v for k, v in self.values.items() if v}
        values.update({k: str(v) for k, v in override.items()})
        return urlencode({k: v for k, v in values.items() if v and not (k == "page" and v == "1")})


def _day(found: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(found, time(0), tzinfo=tz)


def _search_error(text: str) -> str | None:
    """A search that looks like a ticket number must be one: "²", "１０２４" or 20 digits are not."""
    number = text[1:] if text.startswith(("#", "＃")) else text
    if number.isdigit() and params.ascii_int(number) is None:
        return f"工单号应为不超过 {params.ID_DIGITS} 位的数字（0-9），“{text[:20]}”不是。"
    return None


def parse(query: Mapping[str, str], settings: Settings) -> ListQuery:
    errors: list[str] = []
    values: dict[str, str] = {}
    for key in KEYS:
        values[key] = query.get(key, "").strip()
        if len(values[key]) > MAX_LENGTH:
            errors.append(f"筛选条件太长（最多 {MAX_LENGTH} 个字）。")
            values[key] = ""
    states: tuple[TicketState, ...] = ()
    if values["state"]:
        if values["state"] in STATE_CHOICES:
            states = STATE_CHOICES[values["state"]][1]
        else:
            errors.append(f"没有“{values['state']}”这个状态。")
            values["state"] = ""
    if values["category"] and values["category"] not in settings.categories:
        errors.append(f"没有“{values['category']}”这个类别。")
        values["category"] = ""
    level: int | None = None
    if values["level"]:
        wanted = params.ascii_int(values["level"], 3)
        if wanted is not None and any(lv.level == wanted for lv in settings.ladder):
            level = wanted
        else:
            errors.append(f"层级应为 1 到 {settings.top_level} 之间的数字。")
            values["level"] = ""
    created_from = created_to = None
    for key in ("from", "to"):
        if values[key]:
            found = params.day(values[key])
            if found is None:
                errors.append(f"日期“{values[key]}”的格式应为 2026-11-23。")
                values[key] = ""
                continue
            day = _day(found, settings.tz)
            if key == "from":
                created_from = day
            else:
                created_to = day + timedelta(days=1)
    if values["q"] and (problem := _search_error(values["q"])):
        errors.append(problem)
        values["q"] = ""
    page = params.ascii_int(query.get("page", "1").strip() or "1", 5)
    if page is None or not 0 < page <= MAX_PAGE:
        errors.append(f"页码应为 1 到 {MAX_PAGE} 之间的数字。")
        page = 1
    flt = TicketFilter(
        states=states,
        category=values["category"],
        grid_id=values["grid"],
        holder_id=values["holder"],
        level=level,
        overdue=values["overdue"] in ("1", "on", "true"),
        created_from=created_from,
        created_to=created_to,
        text=values["q"],
    )
    return ListQuery(filter=flt, values=values, page=page, errors=tuple(errors))
