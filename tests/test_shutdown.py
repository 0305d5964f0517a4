"""Stopping the live bot while the scheduler's sweep is under way: the sweep finishes its turn first, then the
bot stops (SIGTERM under systemd ends the same way)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot.adapters.memory import MemoryAdapter
from bot.core.clock import FakeClock
from bot.core.heartbeat import check, max_age
from bot.core.settings import Settings
from bot.runtime.app import build_app
from tests.conftest import START


async def test_stop_waits_for_a_running_sweep_and_logs_no_error(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings.model_copy(update={"sweep_interval_seconds": 1, "data_dir": tmp_path})
    clock = FakeClock(START, settings.tz)
    adapter = MemoryAdapter(clock.now)
    app = build_app(settings, adapter, db_url=f"sqlite:///{tmp_path / 'gridbot.db'}", clock=clock)
    real_tick = app.tick
    ticks: list[str] = []
    in_sweep, release = asyncio.Event(), asyncio.Event()

    async def slow_tick() -> None:
        if ticks:  # the catch-up sweep at start runs at once; the scheduler's first one waits
            in_sweep.set()
            await release.wait()
        await real_tick()
        ticks.append("done")

    app.tick = slow_tick  # type: ignore[method-assign]
    caplog.set_level(logging.INFO)
    run = asyncio.create_task(app.run())
    await asyncio.wait_for(in_sweep.wait(), timeout=30)  # the scheduler's sweep is under way
    await adapter.stop()
    await asyncio.sleep(0.5)
    assert not run.done()  # still letting the sweep finish
    release.set()
    stopped, _ = await asyncio.wait({run}, timeout=30)  # (wait_for would cancel run and hide a hang)
    if not stopped:
        run.cancel()
    assert stopped == {run}  # the bot stops: the outbox loop ends even when the sweep's poke meets the cancel
    assert ticks == ["done", "done"]
    assert not app.running_jobs
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or "Error running job" in r.getMessage()]
    assert errors == []
    # a clean stop is said at once: `gridbot health` does not wait for the heartbeat to go stale
    healthy, line = check(tmp_path, clock.now(), max_age(settings.sweep_interval_seconds))
    assert not healthy
    assert "stopped" in line
