"""A read-only Open311 GeoReport v2 API (JSON): categories are services, tickets are service requests.

Ladder states map to `open` (open, accepted) and `closed` (everything else). Nothing identifies a
person: no names (reporters' and staff's names are blanked out of the texts too), no phone or ID
numbers, no chat ids. Readers are logged-in people (their reach) or machines with a key from
GRIDBOT_OPEN311_KEYS (an `X-Api-Key` header or the spec's `?api_key=…`, every community). Tickets of a
`sensitive: true` category are left out entirely: a neighbour dispute or a family matter is nobody's open data,
not even with its words masked.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from bot.core.settings import Settings
from handlers.domain.privacy import mask
from storage import web_queries as q
from storage.records import Ticket
from storage.states import TicketState
from web import params
from web.context import VIEWER, client_address, ctx
from web.guard import Refusal

DEFAULT_DAYS = 90
MAX_RESULTS = 1000


def _error(status: int, description: str) -> web.Response:
    return web.json_response([{"code": status, "description": description}], status=status)


def _scope(request: web.Request) -> q.Scope | web.Response:
    """Who is reading: a machine with a key (X-Api-Key, or the spec's ?api_key=) sees every community, a
    logged-in person their reach. Wrong keys count per address like wrong passwords: ten in a quarter of an
    hour and that address is refused for a while, right key or not."""
    c = ctx(request)
    key = request.headers.get("X-Api-Key", "") or request.query.get("api_key", "")
    if key:
        attempt = c.throttle.admit(f"key:{client_address(request)}")
        if isinstance(attempt, Refusal):
            return _error(429, "too many wrong api keys from this address; try again later")
        c.throttle.release(attempt)
        if any(secrets.compare_digest(key.encode(), known.encode()) for known in c.open311_keys):
            c.throttle.succeeded(attempt, clear=[])
            return q.Scope(community_ids=tuple(comm.id for comm in c.settings.all_communities))
    who = request.get(VIEWER)
    return who.scope if who is not None else _error(401, "log in or pass a valid api_key (X-Api-Key header)")


def _sensitive(settings: Settings) -> tuple[str, ...]:
    return tuple(key for key, cat in settings.categories.items() if cat.sensitive)


def _json(value: Any, status: int = 200) -> web.Response:
    return web.json_response(value, status=status, dumps=lambda v: json.dumps(v, ensure_ascii=False))


def _iso(value: datetime | None, settings: Settings) -> str | None:
    return value.astimezone(settings.tz).isoformat(timespec="seconds") if value else None


# control characters other than tab and line breaks, which JSON writes as \u00XX: the escape's digits
# would join a number written after one ("\x19" before "2 3 0 0 0 0 0 0 000" read as a 15-digit ID)
_ESCAPED_AS_DIGITS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _anonymous(text: str, names: list[str]) -> str:
    for name in sorted({n for n in names if len(n) >= 2}, key=len, reverse=True):
        text = text.replace(name, "某某")
    text = _ESCAPED_AS_DIGITS.sub("\ufffd", text)
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
    scope = _scope(request)
    if isinstance(scope, web.Response):
        return scope
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
    """A W3C date-time with a zone, in ASCII; moved into the years we can hold (params.clamp)."""
    if not text.isascii() or len(text) > 40:
        raise ValueError("not a date-time")
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("no time zone")
    return params.clamp(value).astimezone(UTC)


@dataclass(frozen=True)
class RequestsQuery:
    """What `requests.json` was asked for: one filter per service code ("" for all)."""

    filters: tuple[q.TicketFilter, ...]


def parse_requests(query: Mapping[str, str], settings: Settings, now: datetime) -> RequestsQuery | str:
    """The GeoReport v2 parameters of requests.json, or the sentence saying what is wrong with them."""
    states: tuple[TicketState, ...] = ()
    if query.get("status"):
        wanted = {s.strip() for s in query["status"].split(",")}
        if not wanted <= {"open", "closed"}:
            return "status must be open, closed or both"
        if wanted == {"open"}:
            states = q.ACTIVE_TUPLE
        elif wanted == {"closed"}:
            states = q.FINISHED_TUPLE
    codes = [s.strip() for s in query.get("service_code", "").split(",") if s.strip()]
    unknown = [code for code in codes if code not in settings.categories]
    if unknown:
        return f"unknown service_code: {', '.join(c[:40] for c in unknown[:5])}"
    try:
        start = _parse_time(query["start_date"]) if query.get("start_date") else None
        end = _parse_time(query["end_date"]) if query.get("end_date") else None
    except ValueError:
        return "start_date and end_date must be W3C date-times with a zone, e.g. 2026-11-23T00:00:00+08:00"
    if start is None and end is None:
        start = now - timedelta(days=DEFAULT_DAYS)
    if start is not None and end is not None and end < start:
        return "end_date is before start_date"
    ids: tuple[int, ...] = ()
    if query.get("service_request_id"):
        numbers = [params.ascii_int(p.strip()) for p in query["service_request_id"].split(",")[:MAX_RESULTS]]
        if any(n is None for n in numbers):
            return "service_request_id must be ticket numbers separated by commas"
        ids = tuple(n for n in numbers if n is not None)
        start = end = None  # the spec: other parameters are ignored with ids
        states, codes = (), []
    return RequestsQuery(
        tuple(
            q.TicketFilter(
                states=states,
                category=code,
                created_from=start,
                created_to=end + timedelta(microseconds=1) if end else None,
                ids=ids,
                not_categories=_sensitive(settings),
            )
            for code in codes or [""]
        )
    )


async def requests(request: web.Request) -> web.Response:
    scope = _scope(request)
    if isinstance(scope, web.Response):
        return scope
    c = ctx(request)
    settings, now = c.settings, c.services.clock.now()
    parsed = parse_requests(request.query, settings, now)
    if isinstance(parsed, str):
        return _error(400, parsed)
    found: list[Ticket] = []
    with c.services.store.begin() as uow:
        for flt in parsed.filters:
            page, _ = q.list_tickets(uow, scope, flt, now, limit=MAX_RESULTS)
            found.extend(page)
        found = sorted(found, key=lambda t: t.id, reverse=True)[:MAX_RESULTS]
        names = q.reporter_names(uow, [t.id for t in found])
    return _json([request_json(settings, t, names[t.id]) for t in found])


async def one_request(request: web.Request) -> web.Response:
    scope = _scope(request)
    if isinstance(scope, web.Response):
        return scope
    number = params.ascii_int(request.match_info["id"])
    if number is None:
        return _error(400, f"a service_request_id is a number of at most {params.ID_DIGITS} digits 0-9")
    c = ctx(request)
    with c.services.store.begin() as uow:
        ticket = q.ticket_in_scope(uow, scope, number)
        names = [rep.reporter_name for rep in uow.tickets.reporters(number)] if ticket else []
    if ticket is None or ticket.category in _sensitive(c.settings):
        return _error(404, "no such service request")
    return _json([request_json(c.settings, ticket, names)])


def add_routes(app: web.Application) -> None:
    app.router.add_get("/open311/v2/services.json", services)
    app.router.add_get("/open311/v2/requests.json", requests)
    app.router.add_get("/open311/v2/requests/{id}.json", one_request)
