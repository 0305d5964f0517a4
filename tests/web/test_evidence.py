"""The evidence route serves only pictures the bot stored for that ticket: never the database, never a path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from handlers.domain import tickets
from storage.media import MediaStore
from storage.writes import EventData
from tests.web.conftest import login
from tests.web.seed import Seeded
from tests.web.test_exports import open_in_g10

Client = TestClient  # type: ignore[type-arg]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 40
SECRET = b"SQLite format 3\x00 every community's tickets and password hashes"


def _data_dir(seeded: Seeded) -> Path:
    data = seeded.services.settings.data_dir
    (data / "media").mkdir(parents=True, exist_ok=True)
    (data / "gridbot.db").write_bytes(SECRET)
    return data


def _evidence(seeded: Seeded, letter: str, note: str, **data: str) -> int:
    """An evidence event on the ticket, as the bot writes it; returns its id."""
    extra: EventData = {"kind": data.get("kind", "image")}
    if "file" in data:
        extra["file"] = data["file"]
    with seeded.services.turn() as deps:
        t = deps.uow.tickets.get(seeded.ids[letter])
        assert t is not None
        tickets.event(deps, t, "evidence", f"wxid_res_{letter}", actor_name="王大爷", note=note, **extra)
    with seeded.services.store.begin() as uow:
        return uow.tickets.events(seeded.ids[letter])[-1].id


def _attacks(data: Path) -> list[tuple[str, dict[str, str]]]:
    db = data / "gridbot.db"
    (data / "media" / "link.png").symlink_to(db)
    (data / "media" / "passwd.jpg").symlink_to("/etc/passwd")
    (data / "up").symlink_to(data)
    (data / "media" / ("a" * 32 + ".png")).symlink_to(db)
    (data / "notapicture.jpg").write_bytes(b"<html><script>alert(1)</script>")
    return [
        ("gridbot.db", {"kind": "location"}),
        ("gridbot.db", {}),
        (str(db), {}),
        (str(db) + ".jpg", {}),
        ("../data/gridbot.db", {}),
        ("media/../gridbot.db", {}),
        ("media/../../data/media/link.png", {}),
        ("media/link.png", {}),
        ("media/passwd.jpg", {}),
        ("up/media/legacy.png", {}),
        ("%2e%2e/data/gridbot.db", {}),
        ("media%2F..%2Fgridbot.db", {}),
        ("media/legacy.png%00.jpg", {}),
        ("file:///etc/passwd.jpg", {}),
        ("notapicture.jpg", {}),
        ("", {"file": "../gridbot.db"}),
        ("", {"file": "gridbot.db"}),
        ("", {"file": str(db)}),
        ("", {"file": "a" * 32 + ".png"}),  # a name of the right shape that is a symlink
        ("", {"file": "%2e%2e%2fgridbot.db"}),
    ]


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every path the web process opens through os.open while the test runs."""
    seen: list[str] = []
    real = os.open

    def recording(path: str | os.PathLike[str], flags: int, *args: int, **kwargs: int) -> int:
        seen.append(os.fspath(path))
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", recording)
    return seen


async def test_no_message_or_recorded_name_reaches_the_database(
    client: Client, seeded: Seeded, opened: list[str]
) -> None:
    data = _data_dir(seeded)
    events = [(ref, extra, _evidence(seeded, "C", ref, **extra)) for ref, extra in _attacks(data)]
    assert await login(client, "wxid_wanghuan") == 302
    ticket = seeded.ids["C"]
    page = await (await client.get(f"/tickets/{ticket}")).text()
    for ref, extra, event in events:
        assert f"/evidence/{event}" not in page, (ref, extra)
        resp = await client.get(f"/tickets/{ticket}/evidence/{event}")
        assert resp.status == 404, (ref, extra)
        assert b"SQLite" not in await resp.read()
    for path in (
        "%2e%2e%2fgridbot.db",
        "..%2F..%2Fgridbot.db",
        "..%252Fgridbot.db",
        "%2Fetc%2Fpasswd",
        "gridbot.db",
    ):
        resp = await client.get(f"/tickets/{ticket}/evidence/{path}")
        assert resp.status == 404, path
        assert b"SQLite" not in await resp.read()
    # nothing on the way to the database was even opened (closing it would drop SQLite's locks)
    planted = ("gridbot.db", "link.png", "passwd.jpg", "a" * 32 + ".png")
    assert [p for p in opened if os.path.basename(p) in planted] == []


async def test_a_stored_picture_and_an_older_rows_picture_are_served(client: Client, seeded: Seeded) -> None:
    data = _data_dir(seeded)
    name = MediaStore(data).put(PNG)
    assert name is not None
    stored = _evidence(seeded, "C", f"media:{name}", file=name)
    (data / "media" / "legacy.png").write_bytes(PNG)
    legacy = _evidence(seeded, "C", "media/legacy.png")
    assert await login(client, "wxid_wanghuan") == 302
    ticket = seeded.ids["C"]
    for event in (stored, legacy):
        resp = await client.get(f"/tickets/{ticket}/evidence/{event}")
        assert resp.status == 200
        assert resp.content_type == "image/png"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert await resp.read() == PNG
    # the picture belongs to ticket C: through another ticket, even one in reach, it is not found
    assert (await client.get(f"/tickets/{seeded.ids['D']}/evidence/{stored}")).status == 404


async def test_a_location_text_is_masked_for_staff_who_do_not_hold_the_ticket(client: Client, seeded: Seeded) -> None:
    _evidence(seeded, "C", "3栋楼下，联系电话 138 1234 5678", kind="location")
    ticket = seeded.ids["C"]
    assert await login(client, "wxid_wanghuan") == 302  # the secretary: in reach, not the holder
    page = await (await client.get(f"/tickets/{ticket}")).text()
    assert "138 1234 5678" not in page
    assert "位置：3栋楼下，联系电话 138 **** 5678" in page
    assert await login(client, "wxid_yanghx") == 302  # the holder sees it as written
    assert "位置：3栋楼下，联系电话 138 1234 5678" in await (await client.get(f"/tickets/{ticket}")).text()


async def test_a_name_with_a_phone_number_in_it_is_masked_on_the_ticket_page(client: Client, seeded: Seeded) -> None:
    """WeChat names often carry a phone number; the page shows them masked to all but the holder."""
    with seeded.services.turn() as deps:
        t = open_in_g10(deps, "楼道垃圾没人清理", reporter_name="张阿姨13812345678")
        tickets.event(deps, t, "evidence", "wxid_res_x", actor_name="张阿姨13812345678", note="3栋", kind="location")
        holder = t.holder_id
    assert await login(client, "wxid_wanghuan") == 302
    page = await (await client.get(f"/tickets/{t.id}")).text()
    assert "13812345678" not in page
    assert "张阿姨138****5678" in page
    assert await login(client, holder) == 302
    assert "张阿姨13812345678" in await (await client.get(f"/tickets/{t.id}")).text()
