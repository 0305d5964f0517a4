"""The typed dependencies every handler receives."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal, Protocol

from bot.core.clock import Clock
from bot.core.identity import IdentityMap
from bot.core.settings import Settings
from bot.core.texts import Texts
from storage.store import Store
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from nlp.classifier import Classification


log = logging.getLogger("handlers.router")


def log_handler_error(pk: int, exc: Exception) -> None:
    """The default `Services.on_handler_error`: one ERROR record with the traceback."""
    log.error("message %s could not be handled; marked processed without a reply", pk, exc_info=exc)


class Classifies(Protocol):
    def classify(self, text: str) -> Classification: ...


class Calendar(Protocol):
    def deadline(
        self, start: datetime, amount: float, unit: Literal["hours", "work_hours", "work_days"]
    ) -> datetime: ...
    def in_quiet_hours(self, when: datetime) -> bool: ...
    def quiet_end(self, when: datetime) -> datetime: ...
    def quiet_start_before(self, when: datetime) -> datetime: ...
    def is_off_duty(self, when: datetime) -> bool: ...
    def needs_schedule_warning(self, today: date) -> bool: ...
    def known_until(self) -> date: ...


@dataclass
class Services:
    """Long-lived parts, built once in bot/runtime/app.py.

    `settings` (and `calendar`) are replaced whole when the administration page changed the directory
    or config is reloaded (handlers/domain/directory.py); a turn keeps the ones it started with."""

    settings: Settings
    store: Store
    classifier: Classifies
    clock: Clock
    calendar: Calendar
    file_settings: Settings | None = None  # config.yaml alone, before the page's changes
    directory_version: str = ""  # storage/repos/directory.py's version the settings were built at
    # stable keys ↔ this login's platform ids (handlers/domain/identity.py), reloaded with the directory
    identity: IdentityMap = field(default_factory=IdentityMap)
    # A handler raised on a stored message (handlers/router.py): production logs it and the message is
    # marked processed without a reply, so one bad message never blocks the queue; tests fail on it.
    on_handler_error: Callable[[int, Exception], None] = field(default=lambda pk, exc: log_handler_error(pk, exc))

    @contextmanager
    def turn(self) -> Iterator[Deps]:
        """One unit of work: everything a handler changes commits together or not at all."""
        with self.store.begin() as uow:
            yield Deps(self.settings, uow, self.classifier, self.clock, self.calendar, self.clock.now())


@dataclass(frozen=True)
class Deps:
    settings: Settings
    uow: UnitOfWork
    classifier: Classifies
    clock: Clock
    calendar: Calendar
    now: datetime  # one instant per turn, so every row of the turn agrees

    @property
    def texts(self) -> Texts:
        return self.settings.texts
