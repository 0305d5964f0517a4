"""The read-only Open311 GeoReport v2 API: services, requests with their filters, one request, no personal data."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer

from bot.core.settings import load_settings
from tests.web.conftest import SECRET_ENV, Sleeps, from_address, login
from tests.web.seed import Seeded, config, seed
from web.app import make_app

Client = TestClient  # type: ignore[type-arg]
KEY = "api_key=machine-key-1"


async def _get(client: Client, path: str) -> tuple[int, object]:
    resp = await client.get(path)
    return resp.status, await resp.json()


async def test_services_are_the_categories(client: Client, seeded: Seeded) -> None:
    status, body = await _get(client, f"/open311/v2/services.json?{KEY}")
    assert status == 200
    assert isinstance(body, list)
    settings = seeded.services.settings
    assert [(s["service_code"], s["service_name"]) for s in body] == [
        (k, c.name) for k, c in settings.categories.items()
    ]
    assert all(s["type"] == "realtime" and s["metadata"] is False for s in body)


@pytest.mark.parametrize(
    ("query", "letters"),
    [
        ("", "ABCDEFGH"),
        ("status=open", "BDEFGH"),
        ("status=closed", "AC"),
        ("status=open,closed", "ABCDEFGH"),
        ("service_code=noise", "ADGH"),
        ("service_code=noise,parking", "ABDFGH"),
        ("start_date=2026-11-23T00:00:00%2B08:00", "CDEFGH"),
        ("start_date=2026-11-23T00:00:00%2B08:00&end_date=2026-11-23T23:59:59%2B08:00", "CDE"),
        ("end_date=2026-11-21T00:00:00Z", "AB"),
        ("status=open&service_code=noise&start_date=2026-11-24T00:00:00%2B08:00", "GH"),
    ],
)
async def test_requests_filters(client: Client, seeded: Seeded, query: str, letters: str) -> None:
    status, body = await _get(client, f"/open311/v2/requests.json?{KEY}&{query}")
    assert status == 200
    assert isinstance(body, list)
    assert sorted(int(item["service_request_id"]) for item in body) == sorted(seeded.ids[x] for x in letters)


async def test_one_request_maps_the_ladder(client: Client, seeded: Seeded) -> None:
    status, body = await _get(client, f"/open311/v2/requests/{seeded.ids['D']}.json?{KEY}")
    assert status == 200
    assert isinstance(body, list)
    assert len(body) == 1
    item = body[0]
    assert item["status"] == "open"
    assert item["service_code"] == "noise"
    assert item["service_name"] == "噪音扰民"
    assert item["agency_responsible"] == "美景社区 片区负责人"  # escalated to L2: the level, not the person
    assert item["requested_datetime"] == "2026-11-23T09:00:00+08:00"
    assert item["expected_datetime"] == "2026-11-24T09:00:00+08:00"  # L2's 12 hours from Monday 21:00
    assert item["address"] == "美景天城3栋"
    closed = (await _get(client, f"/open311/v2/requests/{seeded.ids['C']}.json?{KEY}"))[1]
    assert isinstance(closed, list)
    assert closed[0]["status"] == "closed"
    assert closed[0]["expected_datetime"] is None
    assert closed[0]["status_notes"] == "已联系保洁清运"


async def test_no_names_phones_or_chat_ids(client: Client, seeded: Seeded) -> None:
    resp = await client.get(f"/open311/v2/requests.json?{KEY}")
    text = await resp.text()
    people = [p.name for p in seeded.services.settings.people_by_id.values()]
    residents = ["周阿姨", "刘先生", "王大爷", "陈女士", "赵先生", "孙阿姨", "钱先生", "吴女士"]
    for secret in [*people, *residents, "13812345678", "wxid_", "room_"]:
        assert secret not in text, secret
    assert "138****5678" in json.loads(text).__repr__()


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/open311/v2/requests.json?status=pending", 400),
        ("/open311/v2/requests.json?service_code=unknown", 400),
        ("/open311/v2/requests.json?start_date=yesterday", 400),
        ("/open311/v2/requests.json?start_date=2026-11-23T00:00:00", 400),  # no zone
        ("/open311/v2/requests.json?start_date=2026-11-25T00:00:00Z&end_date=2026-11-20T00:00:00Z", 400),
        ("/open311/v2/requests/99999.json", 404),
        ("/open311/v2/requests/abc.json", 400),  # not a number: bad input (tests/web/test_bad_input.py)
    ],
)
async def test_bad_parameters_get_an_open311_error(client: Client, path: str, status: int) -> None:
    sep = "&" if "?" in path else "?"
    resp = await client.get(f"{path}{sep}{KEY}")
    assert resp.status == status
    body = await resp.json()
    assert body[0]["code"] == status
    assert body[0]["description"]


async def test_a_wrong_key_is_refused_and_a_session_gives_its_reach(client: Client, seeded: Seeded) -> None:
    resp = await client.get("/open311/v2/requests.json?api_key=guess")
    assert resp.status == 401
    assert await login(client, "wxid_wu") == 302
    status, body = await _get(client, "/open311/v2/requests.json")
    assert status == 200
    assert isinstance(body, list)
    assert [int(item["service_request_id"]) for item in body] == [seeded.ids["H"]]
    assert (await client.get(f"/open311/v2/requests/{seeded.ids['A']}.json")).status == 404


async def test_the_key_may_come_in_a_header(client: Client, seeded: Seeded) -> None:
    resp = await client.get("/open311/v2/requests.json", headers={"X-Api-Key": "machine-key-1"})
    assert resp.status == 200
    assert {int(item["service_request_id"]) for item in await resp.json()} == set(seeded.ids.values())
    assert (await client.get("/open311/v2/services.json", headers={"X-Api-Key": "guess"})).status == 401


async def _status_from(client: Client, local: str, key: str) -> int:
    async with from_address(client, local) as session:
        return (await session.get("/open311/v2/services.json", headers={"X-Api-Key": key})).status


async def test_wrong_keys_are_throttled_per_address(client: Client) -> None:
    for i in range(10):
        resp = await client.get(f"/open311/v2/services.json?api_key=guess-{i}")
        assert resp.status == 401
    # that address is refused now, even with the right key, in the header or the query
    for path, headers in [
        ("/open311/v2/services.json", {"X-Api-Key": "machine-key-1"}),
        (f"/open311/v2/requests.json?{KEY}", {}),
    ]:
        resp = await client.get(path, headers=headers)
        assert resp.status == 429
        assert (await resp.json())[0]["code"] == 429
    assert await _status_from(client, "127.0.0.9", "machine-key-1") == 200  # other addresses are not
    # right keys never count against an address
    for _ in range(12):
        assert await _status_from(client, "127.0.0.10", "machine-key-1") == 200


@pytest.fixture
async def noise_is_sensitive(tmp_path: Path, sleeps: Sleeps) -> AsyncIterator[tuple[Client, Seeded]]:
    """The seeded street with 噪音扰民 marked sensitive: tickets A, D, G and H."""
    cfg = config(tmp_path)
    cfg["categories"] = {"noise": {"sensitive": True}}
    path = tmp_path / "sensitive.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    data = seed(load_settings(path, env={}), f"sqlite:///{tmp_path / 'sensitive.db'}")
    async with TestClient(TestServer(make_app(data.services, SECRET_ENV, sleep=sleeps))) as c:
        yield c, data
    data.services.store.dispose()


async def test_a_sensitive_category_is_left_out_entirely(noise_is_sensitive: tuple[Client, Seeded]) -> None:
    client, seeded = noise_is_sensitive
    for query in ("", "service_code=noise", "service_code=noise,parking", "status=open"):
        status, body = await _get(client, f"/open311/v2/requests.json?{KEY}&{query}")
        assert status == 200
        assert isinstance(body, list)
        assert {item["service_code"] for item in body} <= {"parking", "sanitation", "repairs"}, query
    ids = ",".join(str(seeded.ids[x]) for x in "ABD")
    listed = (await _get(client, f"/open311/v2/requests.json?{KEY}&service_request_id={ids}"))[1]
    assert [int(item["service_request_id"]) for item in listed] == [seeded.ids["B"]]  # type: ignore[union-attr]
    for letter in "ADGH":
        assert (await client.get(f"/open311/v2/requests/{seeded.ids[letter]}.json?{KEY}")).status == 404
    assert (await client.get(f"/open311/v2/requests/{seeded.ids['B']}.json?{KEY}")).status == 200
