"""The sweep's part for notices, sign-ups and polls (#20): each stored timer that came due is acted on and
cleared (or moved) in the same turn, like a ticket's."""

from __future__ import annotations

from handlers.deps import Deps
from handlers.domain import board, covenants, polls, signups
from storage.states import ItemKind, ItemState


def run(deps: Deps) -> None:
    now = deps.now
    for item in deps.uow.board.due(now):
        if item.report_at is not None and item.report_at <= now:
            board.report_due(deps, item)
        if item.list_at is not None and item.list_at <= now:
            if item.state == ItemState.OPEN:
                signups.post_list(deps, item)
            else:
                deps.uow.board.update(item.id, list_at=None)
        if item.deadline_at is not None and item.deadline_at <= now:
            current = deps.uow.board.by_id(item.id)  # a list post just now leaves it as it was
            if current is None:
                continue
            if current.kind == ItemKind.SIGNUP and current.state == ItemState.OPEN:
                signups.close(deps, current, deps.texts.signup_why_deadline)
            elif current.kind == ItemKind.POLL and current.state == ItemState.OPEN:
                polls.close(deps, current)
            elif current.kind == ItemKind.COVENANT and current.state == ItemState.OPEN:
                covenants.close(deps, current)
            else:
                deps.uow.board.update(item.id, deadline_at=None)
