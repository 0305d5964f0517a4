"""Reading numbers, dates and forms from requests without trusting them.

`str.isdigit()` is true for "²" and "٣", which `int()` then refuses (or reads as another number), and a
well-formed date like 9999-12-31 overflows as soon as a day is added or a zone applied. So: numbers are
ASCII decimal with a length limit, dates are YYYY-MM-DD in ASCII and clamped to the years the bot can
have data for, and a body that cannot be read as a form is a short 400, never a 500.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from multidict import MultiDictProxy

ID_DIGITS = 12  # ticket numbers: a bigint and then some; longer is not a number we have
FIRST_DAY = date(2000, 1, 1)  # nothing of ours is older; a `from` before it means "from the beginning"
LAST_DAY = date(2999, 12, 31)  # nor newer; far enough from date.max that adding a day or a zone is safe
EARLIEST = datetime(FIRST_DAY.year, 1, 1, tzinfo=UTC)
LATEST = datetime(LAST_DAY.year, 12, 31, tzinfo=UTC)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_JSON_PREFIXES = ("/api/", "/open311/")
SHORT_PAGE = '<!doctype html><meta charset=utf-8><title>请求有误</title><p>{}</p><p><a href="/">返回</a></p>'
BAD_FORM = "表单内容无法读取，请刷新页面后重试。"


def ascii_int(text: str, digits: int = ID_DIGITS) -> int | None:
    """The number written in ASCII decimal digits (at most `digits` of them), else None."""
    if not text or len(text) > digits or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def day(text: str) -> date | None:
    """A YYYY-MM-DD date in ASCII, clamped to FIRST_DAY..LAST_DAY; None when it is not one."""
    if not _DAY.fullmatch(text):
        return None
    try:
        found = date.fromisoformat(text)
    except ValueError:
        return None
    return min(max(found, FIRST_DAY), LAST_DAY)


def clamp(moment: datetime) -> datetime:
    """An aware datetime moved into EARLIEST..LATEST, so the database and arithmetic never overflow."""
    return min(max(moment, EARLIEST), LATEST)


def short_page(request: web.Request, text: str, status: int = 400) -> web.Response:
    """The short answer to bad input: JSON for the API, a few lines of HTML for people."""
    if request.path.startswith(_JSON_PREFIXES) or request.path.endswith(".json"):
        return web.json_response({"error": text}, status=status)
    return web.Response(
        text=SHORT_PAGE.format(html.escape(text)),
        content_type="text/html",
        status=status,
    )


def bad_request(request: web.Request, text: str) -> web.HTTPBadRequest:
    page = short_page(request, text)
    return web.HTTPBadRequest(text=page.text, content_type=page.content_type)


async def read_form(request: web.Request) -> MultiDictProxy[Any]:
    """The posted form; a body that is not one (bytes that are not UTF-8, an unknown charset, a cut-off
    multipart body) is a short 400. aiohttp caches the result, so views calling request.post() again get it."""
    try:
        return await request.post()
    except web.HTTPException:
        raise  # 413: too large, answered by aiohttp itself
    except (ValueError, LookupError, AssertionError, RuntimeError, HttpProcessingError) as exc:
        # UnicodeDecodeError is a ValueError; a part's header that is not a header is an HttpProcessingError
        raise bad_request(request, BAD_FORM) from exc
