"""Security headers on every response (pages, JSON, exports, errors, redirects, static files), and
templates the Content-Security-Policy can hold to: no inline script, handler or style."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from tests.web.conftest import login
from tests.web.seed import Seeded

Client = TestClient  # type: ignore[type-arg]
TEMPLATES = Path(__file__).parents[2] / "web" / "templates"


def _assert_headers(headers: object, path: str) -> None:
    get = headers.get  # type: ignore[attr-defined]
    csp = get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp, path
    assert "script-src 'self'" in csp, path
    assert "unsafe-inline" not in csp, path
    assert get("X-Content-Type-Options") == "nosniff", path
    assert get("Referrer-Policy") == "same-origin", path


@pytest.mark.parametrize(
    ("path", "status", "personal"),
    [
        ("/login", 200, True),
        ("/", 302, True),
        ("/tickets", 302, True),
        ("/api/overview.json", 401, True),
        ("/open311/v2/requests.json", 401, True),
        ("/static/style.css", 200, False),
        ("/static/nothing.css", 404, False),
        ("/no-such-page", 302, True),
    ],
)
async def test_headers_before_login(client: Client, path: str, status: int, personal: bool) -> None:
    resp = await client.get(path, allow_redirects=False)
    assert resp.status == status
    _assert_headers(resp.headers, path)
    assert (resp.headers.get("Cache-Control") == "no-store") == personal


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/tickets", 200),
        ("/tickets?page=²", 400),
        ("/tickets/{A}", 200),
        ("/tickets/99999", 404),
        ("/tickets/²", 400),
        ("/tickets.csv", 200),
        ("/tickets.xlsx", 200),
        ("/api/overview.json", 200),
        ("/open311/v2/requests.json", 200),
        ("/open311/v2/requests/{A}.json", 200),
        ("/admin", 200),
    ],
)
async def test_headers_on_pages_with_personal_data(client: Client, seeded: Seeded, path: str, status: int) -> None:
    assert await login(client, "wxid_wanghuan") == 302
    path = path.format(A=seeded.ids["A"])
    resp = await client.get(path, allow_redirects=False)
    assert resp.status == status
    _assert_headers(resp.headers, path)
    assert resp.headers["Cache-Control"] == "no-store"


async def test_headers_on_a_refused_post(client: Client) -> None:
    resp = await client.post("/login", data={"login": "x"}, allow_redirects=False)
    assert resp.status == 403
    _assert_headers(resp.headers, "/login")


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_templates_have_no_inline_script_or_style(template: str) -> None:
    text = (TEMPLATES / template).read_text(encoding="utf-8")
    for script in re.findall(r"<script\b[^>]*>", text, flags=re.I):
        assert re.search(r"\bsrc=", script), (template, script)
    assert not re.search(r"<script\b[^>]*>\s*[^<\s]", text, flags=re.I), template  # a body: inline code
    assert not re.search(r"\son[a-z]+\s*=", text, flags=re.I), template  # onclick=… and the like
    assert not re.search(r"\sstyle\s*=", text, flags=re.I), template
    assert "<style" not in text.lower(), template
    assert "javascript:" not in text.lower(), template
