"""The garbage collector is paused while `gridbot` starts and resumed by every command (bot/runtime/collector.py).

A command that forgot to resume it would run with no cyclic collection at all: each path is tried here in
process, the way the entry point leaves it (paused), and must find the collector on when it works.
"""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.adapters.memory import MemoryAdapter
from bot.cli.main import main
from bot.core.clock import FakeClock
from bot.core.settings import Settings
from bot.runtime import collector
from bot.runtime.app import build_app
from tests.conftest import DATA, START

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def paused() -> Iterator[None]:
    """As the entry point leaves the process; afterwards the test process is as before, whatever happened."""
    assert gc.isenabled()
    collector.pause()
    assert not gc.isenabled()
    try:
        yield
    finally:
        collector.resume()
        gc.unfreeze()
        gc.enable()


def test_resume_freezes_what_start_up_built_and_collects_again(paused: None) -> None:
    assert gc.get_freeze_count() == 0
    collector.resume()
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0
    gc.unfreeze()
    collector.resume()  # a second resume does nothing
    assert gc.get_freeze_count() == 0


def test_a_process_that_did_not_pause_is_left_alone() -> None:
    collector.resume()
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_plain_command_resumes_before_it_works(paused: None, tmp_path: Path) -> None:
    assert main(["db", "upgrade", "--db", f"sqlite:///{tmp_path / 'g.db'}"]) == 0
    assert gc.isenabled()


def test_replay_resumes_once_its_app_is_built(
    paused: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    real = collector.resume
    monkeypatch.setattr(collector, "resume", lambda: (real(), seen.append(gc.isenabled())))
    log = tmp_path / "log.jsonl"
    msg = {"id": "m1", "chat_id": "room", "sender_id": "r", "text": "楼道灯坏了", "ts": "2026-11-23T09:00:00+08:00"}
    log.write_text(json.dumps(msg, ensure_ascii=False) + "\n", encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'g.db'}"
    assert main(["replay", str(log), "--config", str(DATA / "config.yaml"), "--db", db]) == 0
    assert json.loads(capsys.readouterr().out)["messages"] == 1
    assert seen == [True]  # by the replay, not before it by main()


async def test_the_live_app_resumes_before_its_first_sweep(paused: None, settings: Settings, tmp_path: Path) -> None:
    settings = settings.model_copy(update={"data_dir": tmp_path})
    clock = FakeClock(START, settings.tz)
    adapter = MemoryAdapter(clock.now)
    app = build_app(settings, adapter, db_url=f"sqlite:///{tmp_path / 'gridbot.db'}", clock=clock)
    assert not gc.isenabled()  # building the app does not resume: its run does
    real_tick = app.tick
    at_tick: list[bool] = []

    async def tick() -> None:
        at_tick.append(gc.isenabled())
        await real_tick()

    app.tick = tick  # type: ignore[method-assign]
    run = asyncio.create_task(app.run())
    for _ in range(600):
        if at_tick:
            break
        await asyncio.sleep(0.05)
    await adapter.stop()
    await asyncio.wait_for(run, timeout=30)
    assert at_tick[:1] == [True]


def test_the_gridbot_command_pauses_then_resumes() -> None:
    # the entry point itself, in a process of its own: paused while bot.cli.main is imported, on when it works
    probe = (
        "import gc, sys\n"
        "import bot.cli.entry as entry\n"
        "heavy = [m for m in ('bot.cli.main', 'sqlalchemy', 'pydantic') if m in sys.modules]\n"
        "sys.argv = ['gridbot', 'web-password']\n"
        "code = entry.main()\n"
        "print(heavy, code, gc.isenabled(), gc.get_freeze_count() > 0, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        input="s3cret-pass\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    # nothing heavy imported before the pause; frozen, so paused and resumed; on again; the hash printed
    assert done.stderr.strip().splitlines()[-1] == "[] 0 True True", done.stderr
    assert done.stdout.startswith("pbkdf2"), done.stdout
