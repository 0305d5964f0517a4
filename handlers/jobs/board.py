"""The sweep's part for notices, sign-ups and polls (#20): each stored timer that came due is acted on and
cleared (or moved) in the same turn, like a ticket's."""

from __future__ import annotations

from handlers.deps import Deps
from handlers.domain import board, polls, signups
from storage.states import ItemKind, ItemState


def run(deps: Deps) -> None:
    for item in deps.uow.board.due_reports(deps.now):
        board.report_due(deps, item)
    for item in deps.uow.board.due_lists(deps.now):
        if item.state == ItemState.OPEN:
            signups.post_list(deps, item)
        else:
            deps.uow.board.update(item.id, list_at=None)
    for item in deps.uow.board.due_deadlines(deps.now):
        if item.kind == ItemKind.SIGNUP and item.state == ItemState.OPEN:
            signups.close(deps, item, deps.texts.signup_why_deadline)
        elif item.kind == ItemKind.POLL and item.state == ItemState.OPEN:
            polls.close(deps, item)
        else:
            deps.uow.board.update(item.id, deadline_at=None)
