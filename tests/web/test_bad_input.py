"""Bad input on the page and the API: a short 400 page (or JSON error) naming what is wrong, never a 500,
and nothing changes. Extreme but well-formed dates are clamped, so they answer like "from the beginning"."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web.conftest import SECRET_ENV, Sleeps, csrf_of, login
from tests.web.seed import Seeded
from web.app import make_app
from web.auth import SESSION_COOKIE

Client = TestClient  # type: ignore[type-arg]
KEY = "api_key=machine-key-1"


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/tickets?page=²", 400, "页码"),
        ("/tickets?page=٣", 400, "页码"),
        ("/tickets?page=99999999999999999999", 400, "页码"),
        ("/tickets?q=²", 400, "工单号"),
        ("/tickets?q=%23²", 400, "工单号"),
        ("/tickets?q=１０２４", 400, "工单号"),
        ("/tickets?q=99999999999999999999", 400, "工单号"),
        ("/tickets?q=" + "x" * 101, 400, "太长"),
        ("/tickets?from=２０２６-11-01", 400, "格式应为"),
        ("/tickets?from=20261101", 400, "格式应为"),
        ("/tickets?level=²", 400, "层级"),
        ("/tickets.csv?q=²", 400, "工单号"),
        ("/tickets/²", 400, "工单号"),
        ("/tickets/٣", 400, "工单号"),
        ("/tickets/abc", 400, "工单号"),
        ("/tickets/99999999999999999999", 400, "工单号"),
        ("/tickets/²/evidence/1", 400, "工单号"),
    ],
)
async def test_bad_page_input_gets_a_short_400(client: Client, path: str, status: int, says: str) -> None:
    assert await login(client, "wxid_wanghuan") == 302
    resp = await client.get(path)
    assert resp.status == status, await resp.text()
    assert says in await resp.text()


@pytest.mark.parametrize("query", ["to=9999-12-31", "from=0001-01-01", "from=0001-01-01&to=9999-12-31"])
async def test_extreme_dates_are_clamped(client: Client, query: str) -> None:
    assert await login(client, "wxid_wanghuan") == 302
    resp = await client.get(f"/tickets?{query}")
    assert resp.status == 200
    assert '共 <strong id="total">7</strong> 件' in await resp.text()  # every ticket of 王欢's reach
    assert (await client.get(f"/tickets.csv?{query}")).status == 200


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/open311/v2/requests/².json", 400),
        ("/open311/v2/requests/abc.json", 400),
        ("/open311/v2/requests/99999999999999999999.json", 400),
        ("/open311/v2/requests.json?service_request_id=²", 400),
        ("/open311/v2/requests.json?start_date=２０２６-11-23T00:00:00Z", 400),
        ("/open311/v2/requests.json?start_date=" + "2" * 200, 400),
        ("/open311/v2/requests.json?start_date=0001-01-01T00:00:00%2B08:00", 200),
        ("/open311/v2/requests.json?end_date=9999-12-31T23:59:59.999999%2B00:00", 200),
        ("/open311/v2/requests.json?start_date=0001-01-01T00:00:00Z&end_date=9999-12-31T23:59:59Z", 200),
        ("/open311/v2/requests.json?start_date=9999-12-31T23:59:59-14:00", 200),
    ],
)
async def test_bad_open311_input_is_a_json_error(client: Client, path: str, status: int) -> None:
    resp = await client.get(f"{path}{'&' if '?' in path else '?'}{KEY}")
    assert resp.status == status, await resp.text()
    body = await resp.json()
    if status == 400:
        assert body[0]["code"] == 400
        assert body[0]["description"]
    else:
        assert isinstance(body, list)


async def test_every_ticket_is_found_with_the_widest_open311_dates(client: Client, seeded: Seeded) -> None:
    path = "/open311/v2/requests.json?start_date=0001-01-01T00:00:00Z&end_date=9999-12-31T23:59:59Z&" + KEY
    body = await (await client.get(path)).json()
    assert {int(item["service_request_id"]) for item in body} == set(seeded.ids.values())


@pytest.mark.parametrize("rows", ["²", "٣", "99999999999999999999", "-1"])
async def test_a_bad_duty_row_count_is_named(client: Client, rows: str) -> None:
    assert await login(client, "wxid_center") == 302
    page = await (await client.get("/admin")).text()
    resp = await client.post("/admin/duty", data={"rows": rows, "csrf": csrf_of(page)}, allow_redirects=False)
    assert resp.status == 400
    assert "行数" in await resp.text()


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", b"login=\xff&password=\xfe"),
        ("application/x-www-form-urlencoded; charset=no-such-charset", b"login=a&password=b"),
        ("application/x-www-form-urlencoded; charset=utf-16", b"\xff"),
        ("multipart/form-data; boundary=XyZ", b'--XyZ\r\nContent-Disposition: form-data; name="login"\r\n\r\nab'),
        ("multipart/form-data; boundary=XyZ", b"--XyZ\r\nContent-Disposition: form-data\r\n"),
        ("multipart/form-data", b"--\r\n"),
        ("multipart/form-data; boundary=XyZ", b"--XyZ\n\x00"),  # found by the property test below
        ("multipart/form-data; boundary=XyZ", b"--XyZ\r\n\xcfG\r\n\r\nab\r\n--XyZ--\r\n"),
        (
            "multipart/form-data; boundary=XyZ",
            b"--XyZ\r\nContent-Type: text/plain; charset=nope\r\n"
            b'Content-Disposition: form-data; name="login"\r\n\r\nab\r\n--XyZ--\r\n',
        ),
    ],
)
async def test_a_broken_login_body_is_a_short_400(client: Client, content_type: str, body: bytes) -> None:
    await client.get("/login")
    resp = await client.post("/login", data=body, headers={"Content-Type": content_type}, allow_redirects=False)
    assert resp.status == 400, await resp.text()
    text = await resp.text()
    assert "表单" in text
    assert len(text) < 600
    assert (await client.get("/api/overview.json")).status == 401


CONTENT_TYPES = st.one_of(
    st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=latin-1",
            "multipart/form-data; boundary=XyZ",
            "multipart/form-data",
            "text/plain",
        ]
    ),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60),
)
BODIES = st.one_of(
    st.binary(max_size=300),
    st.builds(
        lambda head, tail: b"--XyZ\r\n" + head + b"\r\n\r\n" + tail, st.binary(max_size=80), st.binary(max_size=80)
    ),
    st.text(max_size=100).map(lambda t: ("login=" + t + "&password=x&csrf=y").encode("utf-8", "surrogatepass")),
)


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content_type=CONTENT_TYPES, body=BODIES)
def test_no_login_body_gets_a_500_or_a_session(seeded: Seeded, content_type: str, body: bytes) -> None:
    async def post() -> tuple[int, str]:
        async with TestClient(TestServer(make_app(seeded.services, SECRET_ENV, sleep=Sleeps()))) as c:
            await c.get("/login")
            resp = await c.post("/login", data=body, headers={"Content-Type": content_type}, allow_redirects=False)
            return resp.status, resp.headers.getone("Set-Cookie", "")

    status, cookie = asyncio.run(post())
    assert status in (400, 403), (status, content_type, body)  # unreadable, or readable without a CSRF token
    assert SESSION_COOKIE not in cookie


@pytest.mark.parametrize(
    ("holidays", "says"),
    [("9999-12-31", "年之间"), ("0001-01-01", "年之间"), ("２０２７-01-01", "不是日期"), ("20270101", "不是日期")],
)
async def test_a_holiday_outside_the_years_we_keep_is_named(
    client: Client, seeded: Seeded, holidays: str, says: str
) -> None:
    assert await login(client, "wxid_center") == 302
    before = seeded.services.settings.holidays
    page = await (await client.get("/admin")).text()
    form = {"holidays": holidays, "workdays": "", "csrf": csrf_of(page)}
    resp = await client.post("/admin/holidays", data=form, allow_redirects=False)
    assert resp.status == 400
    assert says in await resp.text()
    assert seeded.services.settings.holidays == before
