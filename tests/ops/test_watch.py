"""`gridbot health --alert`: the health timer tells the alert channels the bot is gone, once, and when it is back."""

from __future__ import annotations

import asyncio
import re
import sys
from datetime import timedelta
from pathlib import Path

import yaml

from bot.core.heartbeat import Health, write_health
from tests import fixed_time
from tests.ops.conftest import ROOT, Hooks


async def health_check(config: Path, *extra: str) -> tuple[int, str]:
    """A real `gridbot health --alert` process; awaited, so the test's webhook server keeps answering."""
    env = fixed_time.env(PYTHONPATH=str(ROOT))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "health", "--alert", "--config", str(config), *extra,
        env=env, cwd=config.parent, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert b"Traceback" not in err, err.decode()
    return int(proc.returncode or 0), out.decode() + err.decode()


async def test_a_dead_bot_is_alerted_once_and_its_return_once(hooks: Hooks, tmp_path: Path) -> None:
    data = tmp_path / "data"
    config = tmp_path / "config.yaml"
    alerts = {"page_url": "https://grid.example.org/", "channels": [{"type": "webhook", "url": hooks.url + "hook"}]}
    config.write_text(yaml.safe_dump({"adapter": "console", "data_dir": str(data), "alerts": alerts}))
    code, said = await health_check(config)  # no bot has ever run here
    assert code == 1
    assert "unhealthy: no health file" in said
    (post,) = hooks.posts
    assert (post.body["condition"], post.body["state"]) == ("bot", "raised")
    assert "网格助手没有在运行或已卡住" in post.body["text"]
    assert "https://grid.example.org/" in post.body["text"]
    assert (await health_check(config))[0] == 1  # the next timer run: still down, nothing more sent
    assert len(hooks.posts) == 1
    beat = Health(fixed_time.now().isoformat(), 4242, "console", True, "", 0, 0, 0)
    write_health(data, beat)
    assert (await health_check(config))[0] == 0
    assert [p.body["state"] for p in hooks.posts] == ["raised", "recovered"]
    assert (await health_check(config))[0] == 0
    assert len(hooks.posts) == 2
    stale = Health((fixed_time.now() - timedelta(hours=1)).isoformat(), 4242, "console", True, "", 0, 0, 0)
    write_health(data, stale)  # a new episode: the bot is stuck
    assert (await health_check(config))[0] == 1
    assert [p.body["state"] for p in hooks.posts] == ["raised", "recovered", "raised"]
    assert re.search(
        r"last heartbeat 36\d\d s ago", hooks.posts[-1].body["text"]
    )  # the process takes a second to start


async def test_an_alert_no_channel_took_is_tried_again_at_the_next_check(hooks: Hooks, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    channels = [{"type": "webhook", "url": hooks.url + "hook"}]
    alerts = {"channels": channels, "retry_attempts": 1}
    config.write_text(yaml.safe_dump({"adapter": "console", "data_dir": str(tmp_path / "data"), "alerts": alerts}))
    hooks.script["/hook"] = [(503, {})]
    code, said = await health_check(config)
    assert code == 1
    assert "health alert not delivered" in said
    assert (await health_check(config))[0] == 1
    assert [p.at for p in hooks.posts] == [0.0, 0.0]  # asked twice: the second run tried again
    assert hooks.script["/hook"] == []
