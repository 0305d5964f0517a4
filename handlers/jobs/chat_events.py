"""Groups the bot is added to, renamed in, or removed from."""

from __future__ import annotations

from bot.core.messages import ChatEvent
from handlers.deps import Deps, Services
from handlers.domain.outbound import to_staff


async def on_chat_event(event: ChatEvent, services: Services) -> None:
    with services.turn() as deps:
        if event.kind == "left":
            deps.uow.chats.upsert(event.chat_id, deps.now, topic=event.topic or None, active=False)
            return
        group = deps.uow.chats.upsert(event.chat_id, deps.now, topic=event.topic or None, active=True)
        if event.chat_id in deps.settings.grid_of_group or group.grid_id:
            return
        note_unknown_group(deps, event.chat_id, event.topic)


def note_unknown_group(deps: Deps, chat_id: str, topic: str) -> None:
    """An unknown group: tell the staff once, and ask a secretary to bind it (/绑定 网格)."""
    if not deps.uow.state.claim_notice(f"unknown-group:{chat_id}", deps.now):
        return
    for community in deps.settings.all_communities:
        if community.staff_chat:
            to_staff(
                deps,
                community.staff_chat,
                deps.texts.unknown_group_staff.format(chat=topic or chat_id),
                [community.secretary] if community.secretary else [],
            )
