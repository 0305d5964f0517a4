"""A staff command in, its answer out: parse with the registry's verbs, check the role, run the handler
inside a savepoint. Every command is answered in the chat it came from."""

from __future__ import annotations

from handlers.commands.registry import BY_ACTION, allowed, parse_command
from handlers.deps import Deps
from handlers.domain.outbound import reply
from handlers.domain.people import is_staff
from handlers.domain.tickets import TicketError
from storage.records import StoredMessage


async def on_command(msg: StoredMessage, deps: Deps) -> int | None:
    cmd = parse_command(msg.text)
    if cmd is None:
        return None
    spec = BY_ACTION.get(cmd.action)
    staff = is_staff(deps.settings, msg.sender_id)
    if not staff and not (spec is not None and spec.residents):
        if cmd.action == "help":  # /帮助 from a resident: what residents can do, every time they ask
            reply(deps, msg.chat_id, deps.texts.help_resident, [msg.sender_id])
            return None
        # a resident typing a staff command: answered once a day, then ignored
        day = deps.now.astimezone(deps.settings.tz).date().isoformat()
        if deps.uow.state.claim_notice(f"norole:{msg.sender_id}:{day}", deps.now):
            reply(deps, msg.chat_id, deps.texts.err_no_role, [] if msg.is_private else [msg.sender_id])
        return None
    if spec is None:
        reply(deps, msg.chat_id, deps.texts.err_unknown_command.format(verb=cmd.verb))
        return None
    mention = [] if msg.is_private else [msg.sender_id]
    if staff and not allowed(spec, deps.settings.people_by_id[msg.sender_id].role):
        reply(deps, msg.chat_id, str(getattr(deps.texts, spec.refusal)), mention)
        return None
    try:
        # a refused command changes nothing: whatever it wrote before refusing is rolled back
        with deps.uow.savepoint():
            answer = await spec.handler(msg, cmd, deps)
    except TicketError as exc:
        answer = str(exc)
    else:
        mention = []
    if answer:
        reply(deps, msg.chat_id, answer, mention)
    return None
