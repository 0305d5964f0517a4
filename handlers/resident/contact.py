"""A resident asks who their grid worker is: the grid's name and its workers, reached through the bot.

Which grid: the group's, or in a private chat the grid of the group the resident wrote in last (as a private
complaint is placed, handlers/resident/intake.py). A phone number is given only when config marks it
`phone_public` (a work line); a worker's own number never leaves the config.
"""

from __future__ import annotations

from handlers.deps import Deps
from handlers.domain.outbound import reply
from handlers.domain.people import name_of
from handlers.resident.intake import grid_of_chat, grid_of_person
from storage.records import StoredMessage


def answer(msg: StoredMessage, deps: Deps) -> None:
    settings, texts = deps.settings, deps.texts
    grid = grid_of_chat(deps, msg.chat_id)
    if grid is None and msg.is_private:
        grid = grid_of_person(deps, msg.sender_id)
    if grid is None or not grid.workers:
        reply(deps, msg.chat_id, texts.worker_unknown, [msg.sender_id])
        return
    names = "、".join(name_of(settings, w) for w in grid.workers)
    lines = [texts.worker_contact.format(grid=grid.name, workers=names)]
    for worker in grid.workers:
        person = settings.people_by_id.get(worker)
        if person is not None and person.phone_public and person.phone:
            lines.append(texts.worker_contact_phone.format(name=person.name, phone=person.phone))
    reply(deps, msg.chat_id, "".join(lines), [msg.sender_id], unmasked=True)
