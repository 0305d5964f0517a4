"""A gateway that freezes without an error (#18 §4): the real gateway with the mock puppet is stopped with
SIGSTOP, so its connection stays open and nothing answers. The bot's dings go unanswered, `gridbot health` says
so, and once the gateway thaws the bot connects afresh and answers residents again."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable

import pytest

from tests.e2e.conftest import World
from tests.e2e.peers import gridbot_health

log = logging.getLogger(__name__)
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

GROUP, ZHOU = "tiancheng3@chatroom", "wxid_zhou"
LIGHT = "楼道灯坏了好几天了，晚上上下楼很黑，老人容易摔跤"
# a ding a second, answered within 0.8 s (the mock answers at once), two misses: found within about 3 s
PROBE = {"ding_seconds": 1, "ding_timeout_seconds": 0.8, "ding_misses": 2}
QUIET = "gateway not answering ding"


def until(done: Callable[[], bool], timeout: float, what: str, world: World) -> float:
    """Poll `done` until it holds; the seconds it took."""
    started = time.monotonic()
    while not done():
        assert time.monotonic() - started < timeout, f"{what} not within {timeout} s\n{world.bot.tail()}"
        time.sleep(0.05)
    return time.monotonic() - started


def health_says(world: World, line: str, timeout: float = 20.0) -> subprocess.CompletedProcess[str]:
    deadline = time.monotonic() + timeout
    while line not in (said := gridbot_health(world.workdir)).stdout:
        assert time.monotonic() < deadline, said.stdout
        time.sleep(0.2)
    return said


@pytest.mark.parametrize(
    "world",
    [{"wechaty": {"health_grace_seconds": 1, "reconnect_min_seconds": 0.5, "reconnect_max_seconds": 1, **PROBE}}],
    indirect=True,
)
def test_a_frozen_gateway_is_found_by_its_unanswered_dings_and_the_thaw_brings_the_bot_back(world: World) -> None:
    assert world.server.proc is not None
    pid = world.server.proc.pid
    health_says(world, "healthy: adapter wechaty connected")
    dropped = lambda: QUIET in world.bot.log_text()  # noqa: E731
    assert not dropped()  # dings are answered while the gateway runs (several have gone by)
    os.kill(pid, signal.SIGSTOP)  # the connection stays open; nothing answers
    frozen = time.monotonic()
    try:
        found = until(dropped, 30, "the unanswered dings noticed", world)
        said = health_says(world, QUIET)
        assert said.returncode == 1
        assert "unhealthy: adapter wechaty not connected: gateway not answering ding for" in said.stdout
        # for the record (pytest --log-cli-level=INFO): from the freeze to the bot's log line, to `gridbot health`
        log.info("freeze found in %.2f s, said by gridbot health after %.2f s", found, time.monotonic() - frozen)
    finally:
        os.kill(pid, signal.SIGCONT)
    back = until(lambda: "answers again" in world.bot.log_text(), 30, "the thawed gateway answer again", world)
    log.info("thawed: logged in again after %.2f s", back)
    health_says(world, "healthy: adapter wechaty connected")
    world.server.say(ZHOU, LIGHT, room=GROUP)
    reply = world.server.wait_sent(lambda s: s.conversation_id == GROUP and "已登记 #1" in s.text, timeout=15)
    assert reply, f"no reply after the thaw\n{world.bot.tail()}"
    assert "Traceback" not in world.bot.log_text()
