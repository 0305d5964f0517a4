"""`/healthz` (no login, no personal data, 503 with the reason) and `/metrics` (Prometheus text, token or admin)
through the real web app."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.core.heartbeat import Health, write_health
from bot.core.messages import OutgoingMessage
from bot.runtime.app import build_services
from storage.states import OutboxState
from tests.web.conftest import SECRET_ENV, login
from tests.web.seed import NOW, Seeded, web_settings
from web.app import make_app

TOKEN = "metrics-token-for-tests"


def beat(seeded: Seeded, *, age: timedelta = timedelta(0), connected: bool = True, failures: int = 0) -> None:
    write_health(
        seeded.services.settings.data_dir,
        Health(
            at=(NOW - age).isoformat(),
            pid=4242,
            adapter="wechaty",
            connected=connected,
            detail="logged in as 张燕" if connected else "logged out (张燕), for 300 s",
            outbox_pending=0,
            outbox_failed=0,
            consecutive_send_failures=failures,
        ),
    )


def personal_data(seeded: Seeded) -> list[str]:
    settings = seeded.services.settings
    return [p.name for p in settings.people_by_id.values()] + list(settings.people_by_id)


@pytest.fixture
async def ops_client(seeded: Seeded) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    seeded.clock.set(NOW)
    app = make_app(seeded.services, {**SECRET_ENV, "GRIDBOT_METRICS_TOKEN": TOKEN})
    async with TestClient(TestServer(app)) as c:
        yield c
    seeded.services.store.dispose()


async def test_healthz_without_a_bot_process_is_503_and_says_so(ops_client: TestClient, seeded: Seeded) -> None:  # type: ignore[type-arg]
    resp = await ops_client.get("/healthz", allow_redirects=False)
    assert resp.status == 503
    body = await resp.json()
    assert body["status"] == "degraded"
    assert any("no bot process" in r for r in body["reasons"])


async def test_healthz_is_200_with_a_fresh_heartbeat(ops_client: TestClient, seeded: Seeded) -> None:  # type: ignore[type-arg]
    beat(seeded, age=timedelta(seconds=30))
    resp = await ops_client.get("/healthz", allow_redirects=False)
    assert resp.status == 200
    assert await resp.json() == {"status": "ok", "reasons": []}
    text = await resp.text()
    assert not [p for p in personal_data(seeded) if p in text]


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"age": timedelta(minutes=10)}, "not heartbeating"),
        ({"connected": False}, "adapter wechaty not connected"),
        ({"failures": 5}, "5 sends failed in a row"),
    ],
)
async def test_healthz_degraded_names_the_reason_without_personal_data(
    ops_client: TestClient,  # type: ignore[type-arg]
    seeded: Seeded,
    kwargs: dict[str, object],
    reason: str,
) -> None:
    beat(seeded, **kwargs)  # type: ignore[arg-type]
    resp = await ops_client.get("/healthz", allow_redirects=False)
    assert resp.status == 503
    body = await resp.json()
    assert any(reason in r for r in body["reasons"]), body
    text = await resp.text()
    assert not [p for p in personal_data(seeded) if p in text], text


async def test_healthz_says_when_the_database_is_unreachable(tmp_path: Path) -> None:
    settings = web_settings(tmp_path)
    db_dir = tmp_path / "db"
    db_dir.mkdir()
    services = build_services(settings, db_url=f"sqlite:///{db_dir / 'web.db'}")
    app = make_app(services, SECRET_ENV)
    async with TestClient(TestServer(app)) as c:
        services.store.engine.dispose()  # no pooled connection survives: the next one opens the file again
        shutil.rmtree(db_dir)
        resp = await c.get("/healthz", allow_redirects=False)
        body = await resp.json()
    services.store.dispose()
    assert resp.status == 503
    assert "database unreachable" in body["reasons"]


def samples(text: str) -> dict[str, float]:
    """The exposition format's sample lines, checked to have HELP and TYPE before them."""
    out: dict[str, float] = {}
    typed: set[str] = set()
    helped: set[str] = set()
    for line in text.splitlines():
        if line.startswith("# HELP "):
            helped.add(line.split()[2])
        elif line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            assert kind in {"counter", "gauge"}
            typed.add(name)
        else:
            name, value = line.split(" ")
            assert name in typed, name
            assert name in helped, name
            out[name] = float(value)
    return out


async def test_metrics_need_a_token_or_an_admin_session(ops_client: TestClient, seeded: Seeded) -> None:  # type: ignore[type-arg]
    assert (await ops_client.get("/metrics", allow_redirects=False)).status == 401
    wrong = await ops_client.get("/metrics", headers={"Authorization": "Bearer nope"}, allow_redirects=False)
    assert wrong.status == 401
    assert await login(ops_client, "wxid_zhangyan") == 302  # a grid worker: not an admin
    assert (await ops_client.get("/metrics", allow_redirects=False)).status == 401
    assert await login(ops_client, "wxid_wanghuan") == 302  # the secretary administers
    resp = await ops_client.get("/metrics", allow_redirects=False)
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")


async def test_metrics_figures_match_the_database(ops_client: TestClient, seeded: Seeded) -> None:  # type: ignore[type-arg]
    services = seeded.services
    with services.store.begin() as uow:
        uow.outbox.enqueue(OutgoingMessage(chat_id="room_x", text="late"), at=NOW - timedelta(hours=2))
        uow.outbox.enqueue(OutgoingMessage(chat_id="room_x", text="later"), at=NOW, not_before=NOW + timedelta(hours=1))
        uow.outbox.enqueue(OutgoingMessage(chat_id="room_x", text="failed"), at=NOW - timedelta(minutes=5))
    with services.store.begin() as uow:
        failed = next(i for i in uow.outbox.items() if i.text == "failed")
        uow.outbox.finish(failed.id, state=OutboxState.FAILED, at=NOW, error="refused")
        counts = uow.counts()
        outbox = uow.outbox.items()
        tickets = uow.tickets.find()
    beat(seeded, age=timedelta(seconds=20))
    resp = await ops_client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status == 200
    got = samples(await resp.text())
    overdue = [
        t
        for t in tickets
        if t.is_active and ((t.deadline_at and t.deadline_at < NOW) or (not t.deadline_at and t.overdue_at))
    ]
    assert got["gridbot_messages_received_total"] == counts["messages"]
    assert got["gridbot_tickets_opened_total"] == counts["tickets"] == len(tickets)
    assert got["gridbot_outbox_depth"] == len([i for i in outbox if i.state == OutboxState.PENDING])
    late = [i for i in outbox if i.state == OutboxState.PENDING and i.not_before < NOW - timedelta(minutes=10)]
    assert got["gridbot_outbox_late"] == len(late)
    assert "late" in [i.text for i in late]
    assert "later" not in [i.text for i in late]
    assert got["gridbot_outbox_failed"] == len([i for i in outbox if i.state == OutboxState.FAILED]) >= 1
    assert got["gridbot_tickets_overdue"] == len(overdue)
    assert got["gridbot_adapter_connected"] == 1
    assert got["gridbot_heartbeat_age_seconds"] == 20
    beat(seeded, age=timedelta(minutes=10))  # a stale heartbeat: nobody vouches for the connection
    stale = samples(await (await ops_client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})).text())
    assert stale["gridbot_adapter_connected"] == 0
