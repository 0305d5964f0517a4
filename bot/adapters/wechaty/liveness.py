"""The Wechaty adapter's liveness probe: a gateway that freezes, or an event stream that goes quiet, raises no error.

The Python client can stop receiving events without any error (python-wechaty#280), and a frozen gateway
leaves the connection open with nobody answering. Neither ends the session, so neither was ever seen.
While logged in, every `wechaty.ding_seconds` the puppet is sent a ding with a fresh token; the puppet
answers with a dong event carrying it, through the same event stream the messages come by. A dong that
is not back within `ding_timeout_seconds` is a miss; `ding_misses` in a row and the adapter calls the
gateway gone quiet: its health is not live (the speaking lease is no longer renewed, alerts follow
the disconnect's path) and it connects afresh. The next login makes it live again.

Only the dong of the ding awaited counts: a late dong of an older ding (queued in a frozen gateway and
delivered at the thaw) shows the stream moved once, not that it keeps up.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from bot.core.settings_platform import WechatySettings

log = logging.getLogger(__name__)
IDLE_SECONDS = 60.0  # the probe off (ding_seconds 0): how often it looks whether a reload turned it on


class Liveness:
    """What the dings have shown, across the adapter's connections (tokens never repeat, so a dong of an
    earlier connection never answers a later one's ding)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.sent = 0
        self.misses = 0
        self.awaited = ""  # the token of the ding whose dong is awaited; "" when none is
        self.heard_at = clock()  # the last sign of life: a login or the dong of an awaited ding
        self._heard = asyncio.Event()

    def begin(self) -> None:
        """A login: the gateway has just spoken; the count of misses starts again."""
        self.misses = 0
        self.awaited = ""
        self.heard_at = self.clock()

    def ding(self) -> str:
        """The token for the next ding; its dong is awaited from now."""
        self.sent += 1
        self.awaited = f"gridbot-{self.sent}"
        self._heard.clear()
        return self.awaited

    def dong(self, data: str | None) -> bool:
        """A dong arrived; True when it answers the ding awaited."""
        if not self.awaited or data != self.awaited:
            return False
        self.awaited = ""
        self.misses = 0
        self.heard_at = self.clock()
        self._heard.set()
        return True

    def missed(self, allowed: int) -> bool:
        """The awaited ding was not answered in time; True when that makes `allowed` misses in a row."""
        self.awaited = ""
        self.misses += 1
        return self.misses >= allowed

    def silent_for(self) -> float:
        """Seconds since the gateway last showed it was there."""
        return self.clock() - self.heard_at

    async def keep_dinging(
        self,
        puppet: Any,
        settings: Callable[[], WechatySettings],
        logged_in: Callable[[], bool],
        gone_quiet: Callable[[float], None],
    ) -> None:
        """One connection's probe, until `gone_quiet(seconds silent)` is called or the task is cancelled.

        `settings` is read at every ding, so a reload changes the interval, the time-out and the misses."""
        while True:
            cfg = settings()
            await asyncio.sleep(cfg.ding_seconds or IDLE_SECONDS)
            cfg = settings()
            if not cfg.ding_seconds or not logged_in():
                continue  # before a login the health is not live anyway; the login itself is a sign of life
            token = self.ding()
            try:
                # not asyncio.wait_for: on Python 3.11 it can swallow a cancel that comes as the dong does
                async with asyncio.timeout(cfg.ding_timeout_seconds):
                    await self._answered(puppet, token)
                continue
            except TimeoutError:
                why = f"no dong within {cfg.ding_timeout_seconds:g} s"
            except Exception as exc:  # the ding call refused or cut off: the gateway did not answer either
                why = f"the ding call failed: {type(exc).__name__}"
            if self.missed(cfg.ding_misses):
                gone_quiet(self.silent_for())
                return
            log.info("wechaty: ding %s not answered (%s), %d of %d misses", token, why, self.misses, cfg.ding_misses)

    async def _answered(self, puppet: Any, token: str) -> None:
        await puppet.ding(token)
        await self._heard.wait()
