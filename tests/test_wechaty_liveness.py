"""The Wechaty adapter's ding probe (#18 §4): a gateway that freezes without an error. A fake clock for every
duration; the gateway frozen for real is tests/e2e/test_liveness_e2e.py."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

import pytest

from bot.adapters.wechaty.adapter import WechatyAdapter
from bot.adapters.wechaty.liveness import Liveness
from bot.core.heartbeat import Health
from bot.core.settings import ConfigError, Settings, load_settings
from bot.core.settings_platform import WechatySettings
from bot.runtime.alerts import AlertMonitor
from storage.ops_queries import OutboxFigures
from tests.conftest import DATA, START

ENV = {"WECHATY_PUPPET_SERVICE_ENDPOINT": "127.0.0.1:1", "WECHATY_PUPPET_SERVICE_TOKEN": "t"}


class Ticks:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_only_the_dong_of_the_ding_awaited_answers_it() -> None:
    clock = Ticks()
    probe = Liveness(clock)
    clock.now += 5
    assert probe.silent_for() == 5
    assert not probe.dong("gridbot-1")  # nothing awaited yet
    first = probe.ding()
    clock.now += 1
    assert not probe.dong("someone-else")
    assert not probe.dong(None)
    assert probe.dong(first)
    assert probe.silent_for() == 0
    assert not probe.dong(first)  # answered already
    late = probe.ding()
    assert not probe.missed(allowed=2)
    second = probe.ding()
    assert second != late
    clock.now += 30
    assert not probe.dong(late)  # an older ding's dong, delivered at a thaw, does not answer this one
    assert probe.silent_for() == 30


def test_misses_count_in_a_row_and_an_answer_or_a_login_starts_the_count_again() -> None:
    clock = Ticks()
    probe = Liveness(clock)
    probe.ding()
    assert not probe.missed(allowed=2)
    probe.dong(probe.ding())  # answered: the count starts again
    probe.ding()
    assert not probe.missed(allowed=2)
    probe.ding()
    assert probe.missed(allowed=2)
    clock.now += 60
    probe.begin()  # a login
    assert probe.misses == 0
    assert probe.silent_for() == 0
    probe.ding()
    assert not probe.missed(allowed=2)


class FakePuppet:
    """Answers each ding with its dong (through the probe, as the event stream does), or not; each ding
    moves the clock by an interval, so the silence it reports is the fake clock's."""

    def __init__(self, probe: Liveness, clock: Ticks, answers: list[bool], fail: BaseException | None = None) -> None:
        self.probe, self.clock, self.answers, self.fail = probe, clock, answers, fail
        self.dings: list[str] = []

    async def ding(self, data: str) -> None:
        self.dings.append(data)
        self.clock.now += 30
        if self.fail is not None:
            raise self.fail
        if self.answers.pop(0):
            self.probe.dong(data)


def probe_settings(**knobs: Any) -> WechatySettings:
    # tiny real intervals so that the loop runs at once; every duration it reports comes from the fake clock
    return WechatySettings(**{"ding_seconds": 0.001, "ding_timeout_seconds": 0.001, "ding_misses": 2, **knobs})


async def run_probe(probe: Liveness, puppet: FakePuppet, cfg: WechatySettings) -> list[float]:
    quiet: list[float] = []
    # returns once it has called the gateway quiet (the deadline only keeps a broken probe from hanging the run)
    await asyncio.wait_for(probe.keep_dinging(puppet, lambda: cfg, lambda: True, quiet.append), timeout=5)
    return quiet


async def test_two_unanswered_dings_in_a_row_call_the_gateway_quiet_with_the_silence() -> None:
    clock = Ticks()
    probe = Liveness(clock)
    # answered, missed, answered (the miss forgiven), missed, missed: quiet at the fifth ding
    puppet = FakePuppet(probe, clock, [True, False, True, False, False])
    quiet = await run_probe(probe, puppet, probe_settings())
    assert puppet.dings == [f"gridbot-{n}" for n in range(1, 6)]
    assert quiet == [60.0]  # heard last at the third ding; two dings of 30 s each since


async def test_a_ding_call_that_fails_is_a_miss_too() -> None:
    clock = Ticks()
    probe = Liveness(clock)
    puppet = FakePuppet(probe, clock, [], fail=ConnectionResetError())
    quiet = await run_probe(probe, puppet, probe_settings(ding_misses=3))
    assert len(puppet.dings) == 3
    assert quiet == [90.0]


async def test_no_ding_before_a_login() -> None:
    clock = Ticks()
    probe = Liveness(clock)
    puppet = FakePuppet(probe, clock, [])
    task = asyncio.create_task(probe.keep_dinging(puppet, probe_settings, lambda: False, lambda _s: None))
    for _ in range(20):
        await asyncio.sleep(0.001)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert puppet.dings == []


def test_the_probe_knobs_are_validated() -> None:
    settings = load_settings(DATA / "config.yaml", env={})
    assert (settings.wechaty.ding_seconds, settings.wechaty.ding_timeout_seconds) == (30, 10)
    assert settings.wechaty.ding_misses == 2
    off = load_settings(DATA / "config.yaml", env={}, overrides={"wechaty": {"ding_seconds": 0}})
    assert off.wechaty.ding_seconds == 0  # the probe off, for a puppet that never answers ding
    with pytest.raises(ConfigError, match=r"wechaty: ding_timeout_seconds \(40\) must not be longer than"):
        load_settings(DATA / "config.yaml", env={}, overrides={"wechaty": {"ding_timeout_seconds": 40}})
    for bad in ({"ding_misses": 0}, {"ding_seconds": -1}, {"ding_timeout_seconds": 0}):
        with pytest.raises(ConfigError, match=f"wechaty.{next(iter(bad))}"):
            load_settings(DATA / "config.yaml", env={}, overrides={"wechaty": bad})


async def test_a_quiet_gateway_makes_health_not_live_drops_the_connection_and_raises_the_alert(
    settings: Settings,
) -> None:
    clock = Ticks()
    adapter = WechatyAdapter(settings, ENV, monotonic=clock)
    session = asyncio.create_task(asyncio.Event().wait())  # stands for the connection's session
    adapter._session_task = session
    adapter._connected = True
    adapter._liveness.begin()
    assert adapter.health().live
    clock.now += 50
    adapter._gone_quiet(adapter._liveness.silent_for())
    await asyncio.sleep(0)
    assert session.cancelled()  # connecting afresh
    state = adapter.health()
    assert not state.live  # the speaking lease is not renewed (bot/runtime/speaking.py)
    assert state.connected  # inside health_grace_seconds, as after any drop
    clock.now += settings.wechaty.health_grace_seconds
    state = adapter.health()
    assert (state.connected, state.live) == (False, False)
    silent = 50 + settings.wechaty.health_grace_seconds
    assert state.detail == f"gateway not answering ding for {silent:.0f} s; connecting afresh"
    # the alert goes as for a disconnect: after alerts.grace_seconds, with the detail
    monitor = AlertMonitor(settings.alerts, settings.texts, "网格助手")
    health = Health(START.isoformat(), 1, "wechaty", state.connected, state.detail, 0, 0, 0)
    figures = OutboxFigures(pending=0, late=0, failed=0, unknown=0)
    assert monitor.observe(START, health, figures) == []
    later = START + timedelta(seconds=settings.alerts.grace_seconds)
    (alert,) = monitor.observe(later, health, figures)
    assert alert.raised
    assert "gateway not answering ding" in alert.text
    assert "Traceback" not in alert.text
