"""The unit of work: one transaction, one repository per aggregate on its connection.

`Store.begin()` makes one per turn; what the turn writes through any of its repositories commits
together or not at all, so a ticket, its event and its outgoing messages are stored as one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, func, select

from storage._sql import MESSAGES, OUTBOX, TICKETS, Sql, set_lock_timeout
from storage.repos.board import Board
from storage.repos.chats import Chats
from storage.repos.directory import Directory
from storage.repos.followups import Followups
from storage.repos.identities import Identities
from storage.repos.likely import LikelyItems
from storage.repos.messages import Messages
from storage.repos.outbox import Outbox
from storage.repos.speaker import Speaker
from storage.repos.state import State
from storage.repos.tickets import Tickets
from storage.states import OutboxState

log = logging.getLogger(__name__)

COUNTS = select(
    select(func.count()).select_from(MESSAGES).scalar_subquery(),
    select(func.count()).select_from(TICKETS).scalar_subquery(),
    select(func.count()).select_from(OUTBOX).where(OUTBOX.c.state == OutboxState.SENT).scalar_subquery(),
)


class UnitOfWork:
    """What a turn sees of the database: `messages`, `tickets` (with reporters and events), `outbox`,
    `followups`, `chats`, `state` (meta values, notices), `directory` (the page's changes, stand-ins) and
    `likely` (messages held for the grid worker's decision), `board` (notices, sign-ups, polls: #20) and
    `speaker` (which bot account speaks: #18), `identities` (where re-mapped groups and people are now).

    `sql` is the turn's connection for storage's own query modules (stats, web_queries); code outside
    storage/ goes through the repositories."""

    def __init__(self, conn: Connection, postgres: bool) -> None:
        self.sql = Sql(conn, postgres)
        self.messages = Messages(self.sql)
        self.tickets = Tickets(self.sql)
        self.outbox = Outbox(self.sql)
        self.followups = Followups(self.sql)
        self.chats = Chats(self.sql)
        self.state = State(self.sql)
        self.directory = Directory(self.sql, self.state)
        self.likely = LikelyItems(self.sql)
        self.board = Board(self.sql)
        self.speaker = Speaker(self.sql)  # which bot account speaks (#18)
        self.identities = Identities(self.sql, self.state)
        # what this transaction did outside the database (a picture written to the media folder), undone
        # when its writes are: a rolled-back store must leave no file that no row names, and that no
        # retention purge would ever find (a resident's photo kept for good)
        self._on_rollback: list[Callable[[], object]] = []

    @property
    def postgres(self) -> bool:
        """Several processes may share the database (row locks decide who handles what)."""
        return self.sql.postgres

    def on_rollback(self, undo: Callable[[], object]) -> None:
        """Run `undo` if what was written so far is rolled back (the whole transaction, or the savepoint
        under way)."""
        self._on_rollback.append(undo)

    def rolled_back(self, mark: int = 0) -> None:
        """The writes since `mark` (a count of undo steps) were rolled back: undo what they did outside."""
        for undo in reversed(self._on_rollback[mark:]):
            try:
                undo()
            except OSError as exc:  # a file already gone, a folder gone read-only: the rest still undone
                log.warning("undoing a rolled-back write failed: %s", exc)
        del self._on_rollback[mark:]

    def lock_timeout(self, timeout: str) -> None:
        """PostgreSQL: from here to the transaction's end, a lock not had within `timeout` (a constant of the
        code: "100ms") fails its statement (SQLSTATE 55P03) instead of waiting. A no-op on SQLite."""
        if self.sql.postgres:
            self.sql.run(set_lock_timeout(timeout))

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested transaction: an exception inside undoes only what was written inside."""
        mark = len(self._on_rollback)
        try:
            with self.sql.savepoint():
                yield
        except BaseException:
            self.rolled_back(mark)
            raise

    def counts(self) -> dict[str, int]:
        """How many messages and tickets are stored, and how many posts were sent."""
        one = self.sql.run(COUNTS).one()
        return {"messages": int(one[0]), "tickets": int(one[1]), "sent": int(one[2])}
