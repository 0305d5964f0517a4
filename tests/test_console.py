"""The console adapter (`make demo`): each line typed is a message of its own, whichever run it came in.

A run restarted within the same second counted its message ids from 1 again, so its first message had
the id of the last run's first one, was taken for a second delivery of it and dropped without a word
(bench/startup.py hung waiting for the answer)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import yaml

from bot.adapters.console import ConsoleAdapter
from bot.core.clock import FakeClock
from bot.core.messages import IncomingMessage
from bot.core.settings import Settings
from tests import fixed_time
from tests.conftest import DATA, START

ROOT = Path(__file__).resolve().parents[1]
LINE = "[美景天城3栋] 居民{n}: 楼道灯坏了好几天了，晚上看不见路\n"


def test_two_runs_at_the_same_moment_give_their_lines_different_ids(settings: Settings) -> None:
    clock = FakeClock(START)  # the same second for both
    ids = []
    for _ in range(2):
        adapter = ConsoleAdapter(settings, clock.now, stdin=io.StringIO(""), stdout=io.StringIO())
        msg = adapter.parse(LINE.format(n=1))
        assert isinstance(msg, IncomingMessage)
        ids.append(msg.message_id)
    assert ids[0] != ids[1]


def test_each_run_of_the_demo_answers_its_resident(tmp_path: Path) -> None:
    config = yaml.safe_load((DATA / "config.yaml").read_text(encoding="utf-8"))
    config.update(adapter="console", data_dir=str(tmp_path / "data"))
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'gridbot.db'}"
    env = fixed_time.env(PYTHONPATH=str(ROOT), GRIDBOT_CACHE_DIR=str(tmp_path / "cache"))
    env["GRIDBOT_NOW"] = fixed_time.START.isoformat()  # every run at one moment: the ids may not lean on the time
    for n in range(3):
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "run", "--config", str(path), "--db", db],
            input=LINE.format(n=n),
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert f"@居民{n}" in done.stdout, (n, done.stdout, done.stderr[-1500:])
        assert "登记" in done.stdout, (n, done.stdout)
