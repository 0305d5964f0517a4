"""The grid workers' batches of likely requests, and the lapse of items nobody decided on (#16).

Run by every sweep tick. A worker gets one private message per batch with every item that is due
for them; the items are marked `notified` in the same turn, so a second tick sends nothing again.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from handlers.deps import Deps
from handlers.domain.outbound import private
from storage.records import Likely

log = logging.getLogger(__name__)
EXCERPT = 120  # characters of the resident's words per line; the rest with /登记 and /查询


def _line(deps: Deps, item: Likely) -> str:
    grid = deps.settings.grids_by_id.get(item.grid_id)
    text = item.text if len(item.text) <= EXCERPT else item.text[:EXCERPT] + "……"
    return deps.texts.likely_line.format(
        item=item.id,
        grid=grid.name if grid else "未分网格",
        chat=item.chat_topic or ("私聊" if item.chat_id == item.reporter_id else item.chat_id),
        reporter=item.reporter_name or item.reporter_id,
        text=text,
        urgent=deps.texts.likely_urgent_mark if item.urgency == "urgent" else "",
    )


def send_batches(deps: Deps) -> int:
    """Send every due batch; how many items went out."""
    due = deps.uow.likely.to_notify(deps.now)
    by_worker: dict[str, list[Likely]] = defaultdict(list)
    for item in due:
        by_worker[item.worker_id].append(item)
    hours = f"{deps.settings.likely.lapse_hours:g}"
    for worker, items in by_worker.items():
        lines = [deps.texts.likely_header.format(count=len(items), hours=hours), *(_line(deps, i) for i in items)]
        private(deps, worker, "\n".join(lines))
    deps.uow.likely.mark_notified([i.id for i in due])
    return len(due)


def lapse(deps: Deps) -> int:
    lapsed = deps.uow.likely.lapse(deps.now)
    if lapsed:
        log.info("likely requests: %d lapsed undecided", len(lapsed))
    return len(lapsed)


def run(deps: Deps) -> None:
    send_batches(deps)
    lapse(deps)
