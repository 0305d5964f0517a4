"""What the scheduler's jobs and a reload need of the running bot (bot/runtime/app.py's App).

A protocol, so that app.py can build the scheduler and start reloads while scheduler.py and
reload.py never import app.py: the imports run one way inside bot/runtime/ too.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Protocol

from bot.core.settings import Settings
from bot.runtime.dispatcher import Dispatcher
from handlers.deps import Services


class RunningBot(Protocol):
    services: Services
    dispatcher: Dispatcher
    live: bool
    config_path: Path | None
    scheduler: Any
    running_jobs: set[asyncio.Task[Any]]

    @property
    def settings(self) -> Settings: ...

    async def tick(self) -> None: ...

    def settings_changed(self) -> None: ...

    def reschedule(self) -> None: ...

    async def reassign_workers(self) -> int: ...
