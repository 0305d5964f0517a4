"""A read-only Open311 GeoReport v2 API (JSON): categories are services, tickets are service requests.

Ladder states map to `open` (open, accepted) and `closed` (everything else). Nothing identifies a
person: no names (reporters' and staff's names are blanked out of the texts too), no phone or ID
numbers, no chat ids. Readers are logged-in people (their reach) or machines with a key from
GRIDBOT_OPEN311_KEYS (`?api_key=…`, every community). Tickets of a `sensitive: true` category are left out
entirely: a neighbour dispute or a family matter is nobody's open data, not even with its words masked.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from bot.core.settings import Settings
from handlers.domain.privacy import mask
from storage import web_queries as q
from storage.records import Ticket
from storage.states import TicketState
from web.context import VIEWER, ctx

DEFAULT_DAYS = 90
MAX_RESULTS = 1000


def _error(status: int, description: str) -> web.Response:
    return web.json_response([{"code": status, "description": description}], status=status)


def _scope(request: web.Request) -> q.Scope | None:
    c = ctx(request)
    key = request.query.get("api_key", "")
    if key and any(secrets.compare_digest(key, known) for known in c.open311_keys):
        return q.Scope(community_ids=tuple(comm.id for comm in c.settings.all_communities))
    who = request.get(VIEWER)
    return who.scope if who is not None else None


def _sensitive(settings: Settings) -> tuple[str, ...]:
    return tuple(key for key, cat in settings.categories.items() if cat.sensitive)


def _json(value: Any, status: int = 200) -> web.Response:
    return web.json_response(value, status=status, dumps=lambda v: json.dumps(v, ensure_ascii=False))


def _iso(value: datetime | None, settings: Settings) -> str | None:
    return value.astimezone(settings.tz).isoformat(timespec="seconds") if value else None


def _anonymous(text: str, names: list[str]) -> str:
    for name in sorted({n for n in names if len(n) >= 2}, key=len, reverse=True):
        text = text.replace(name, "某某")
    return mask(text)  # last: nothing after it can change what the numbers look like


def request_json(settings: Settings, ticket: Ticket, reporter_names: list[str]) -> dict[str, Any]:
    community = next((c for c in settings.all_communities if c.id == ticket.community_id), None)
    level = next((lv for lv in settings.ladder if lv.level == ticket.level), None)
    agency = " ".join(part for part in (community.name if community else "", level.name if level else "") if part)
    names = [*reporter_names, ticket.reporter_name, *(p.name for p in settings.people_by_id.values())]
    grid = settings.grids_by_id.get(ticket.grid_id)
    return {
        "service_request_id": str(ticket.id),
        "status": "open" if ticket.state in q.ACTIVE_TUPLE else "closed",
        "status_notes": _anonymous(ticket.result, names) if ticket.result else None,
        "service_name": settings.category_name(ticket.category),
        "service_code": ticket.category,
        "description": _anonymous(ticket.text, names),
        "agency_responsible": agency,
        "service_notice": None,
        "requested_datetime": _iso(ticket.created_at, settings),
        "updated_datetime": _iso(ticket.updated_at, settings),
        "expected_datetime": _iso(ticket.deadline_at, settings) if ticket.is_active else None,
        "address": ticket.chat_topic or (grid.name if grid else ""),
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


async def services(request: web.Request) -> web.Response:
    if _scope(request) is None:
        return _error(401, "log in or pass a valid api_key")
    settings = ctx(request).settings
    return _json(
        [
            {
                "service_code": key,
                "service_name": cat.name,
                "description": cat.name,
                "metadata": False,
                "type": "realtime",
                "keywords": "",
                "group": "",
            }
            for key, cat in settings.categories.items()
        ]
    )


def _parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("no time zone")
    return value


async def requests(request: web.Request) -> web.Response:
    scope = _scope(request)
    if scope is None:
        return _error(401, "log in or pass a valid api_key")
    c = ctx(request)
    settings, now = c.settings, c.services.clock.now()
    query = request.query
    states: tuple[TicketState, ...] = ()
    if query.get("status"):
        wanted = {s.strip() for s in query["status"].split(",")}
        if not wanted <= {"open", "closed"}:
            return _error(400, "status must be open, closed or both")
        if wanted == {"open"}:
            states = q.ACTIVE_TUPLE
        elif wanted == {"closed"}:
            states = q.FINISHED_TUPLE
    codes = [s.strip() for s in query.get("service_code", "").split(",") if s.strip()]
    unknown = [code for code in codes if code not in settings.categories]
    if unknown:
        return _error(400, f"unknown service_code: {', '.join(unknown)}")
    try:
        start = _parse_time(query["start_date"]) if query.get("start_date") else None
        end = _parse_time(query["end_date"]) if query.get("end_date") else None
    except ValueError:
        return _error(400, "start_date and end_date must be W3C date-times with a zone, e.g. 2026-11-23T00:00:00+08:00")
    if start is None and end is None:
        start = now - timedelta(days=DEFAULT_DAYS)
    if start is not None and end is not None and end < start:
        return _error(400, "end_date is before start_date")
    ids: tuple[int, ...] = ()
    if query.get("service_request_id"):
        parts = [p.strip() for p in query["service_request_id"].split(",")]
        if not all(p.isdigit() and len(p) < 12 for p in parts):
            return _error(400, "service_request_id must be ticket numbers separated by commas")
        ids = tuple(int(p) for p in parts)
        start = end = None  # the spec: other parameters are ignored with ids
        states, codes = (), []
    found: list[Ticket] = []
    with c.services.store.begin() as uow:
        for code in codes or [""]:
            flt = q.TicketFilter(
                states=states,
                category=code,
                created_from=start,
                created_to=end + timedelta(microseconds=1) if end else None,
                ids=ids,
                not_categories=_sensitive(settings),
            )
            page, _ = q.list_tickets(uow, scope, flt, now, limit=MAX_RESULTS)
            found.extend(page)
        found = sorted(found, key=lambda t: t.id, reverse=True)[:MAX_RESULTS]
        names = q.reporter_names(uow, [t.id for t in found])
    return _json([request_json(settings, t, names[t.id]) for t in found])


async def one_request(request: web.Request) -> web.Response:
    scope = _scope(request)
    if scope is None:
        return _error(401, "log in or pass a valid api_key")
    raw = request.match_info["id"]
    if not raw.isdigit() or len(raw) > 12:
        return _error(404, "no such service request")
    c = ctx(request)
    with c.services.store.begin() as uow:
        ticket = q.ticket_in_scope(uow, scope, int(raw))
        names = [rep.reporter_name for rep in uow.tickets.reporters(int(raw))] if ticket else []
    if ticket is None or ticket.category in _sensitive(c.settings):
        return _error(404, "no such service request")
    return _json([request_json(c.settings, ticket, names)])


def add_routes(app: web.Application) -> None:
    app.router.add_get("/open311/v2/services.json", services)
    app.router.add_get("/open311/v2/requests.json", requests)
    app.router.add_get("/open311/v2/requests/{id}.json", one_request)
