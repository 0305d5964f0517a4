"""The ticket list's filters, read from the query string. Bad values are named and ignored, never guessed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from bot.core.settings import Settings
from storage.states import ACTIVE_STATES, TicketState
from storage.web_queries import TicketFilter

# the state filter's choices: "active" is what the ladder still runs on
STATE_CHOICES: dict[str, tuple[str, tuple[TicketState, ...]]] = {
    "active": ("未办结", ACTIVE_STATES),
    TicketState.OPEN: ("待接单", (TicketState.OPEN,)),
    TicketState.ACCEPTED: ("办理中", (TicketState.ACCEPTED,)),
    TicketState.VERIFYING: ("待核查", (TicketState.VERIFYING,)),
    TicketState.RESOLVED: ("已办结待评价", (TicketState.RESOLVED,)),
    TicketState.CLOSED: ("已关闭", (TicketState.CLOSED,)),
    TicketState.REJECTED: ("已退回", (TicketState.REJECTED,)),
    "other": ("已取消/已合并", (TicketState.CANCELLED, TicketState.MERGED)),
}
KEYS = ("state", "category", "grid", "holder", "level", "overdue", "from", "to", "q")
PER_PAGE = 50


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


def _day(text: str, tz: ZoneInfo) -> datetime:
    return datetime.combine(date.fromisoformat(text), time(0), tzinfo=tz)


def parse(query: Mapping[str, str], settings: Settings) -> ListQuery:
    values = {k: query.get(k, "").strip()[:100] for k in KEYS}
    errors: list[str] = []
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
        if values["level"].isdigit() and any(lv.level == int(values["level"]) for lv in settings.ladder):
            level = int(values["level"])
        else:
            errors.append(f"层级应为 1 到 {settings.top_level} 之间的数字。")
            values["level"] = ""
    created_from = created_to = None
    for key in ("from", "to"):
        if values[key]:
            try:
                day = _day(values[key], settings.tz)
            except ValueError:
                errors.append(f"日期“{values[key]}”的格式应为 2026-11-23。")
                values[key] = ""
                continue
            if key == "from":
                created_from = day
            else:
                created_to = day + timedelta(days=1)
    page_text = query.get("page", "1")
    page = int(page_text) if page_text.isdigit() and 0 < int(page_text) < 100_000 else 1
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
