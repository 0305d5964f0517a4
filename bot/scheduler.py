"""The live bot's timetable (apscheduler): the deadline sweep every interval, plus any cron jobs.

Jobs are plain async functions of the App; tests and replay call them directly
with a fake clock instead of waiting for the scheduler.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)
Job = Callable[["App"], Awaitable[None]]


async def sweep_job(app: App) -> None:
    try:
        await app.tick()
    except Exception:
        log.exception("deadline sweep failed; will try again at the next interval")


def build_scheduler(app: App, extra: list[tuple[str, object, Job]] | None = None) -> AsyncIOScheduler:
    """`extra`: (job id, apscheduler trigger, job) for cron jobs such as digests."""
    scheduler = AsyncIOScheduler(timezone=app.settings.tz)
    scheduler.add_job(
        sweep_job,
        IntervalTrigger(seconds=app.settings.sweep_interval_seconds, timezone=app.settings.tz),
        args=[app],
        id="sweep",
        # one sweep at a time; a late tick is simply run once (the sweep catches up from the rows)
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    for job_id, trigger, job in extra or []:
        scheduler.add_job(job, trigger, args=[app], id=job_id, max_instances=1, coalesce=True)
    return scheduler
