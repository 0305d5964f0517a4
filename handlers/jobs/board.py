"""The sweep's part for notices, sign-ups and polls (#20): each stored timer that came due is acted on and
cleared (or moved) in the same turn, like a ticket's."""

from __future__ import annotations

from handlers.deps import Deps
from handlers.domain import board


def run(deps: Deps) -> None:
    for item in deps.uow.board.due_reports(deps.now):
        board.report_due(deps, item)
