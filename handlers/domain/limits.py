"""The time to a result per kind of request: `ladder_preset: beijing_12345` (#21).

Beijing's 接诉即办 practice gives a request a time limit by its kind (as reported in issue #21: emergencies
and risks to life or property 2 hours, water / power / gas / heating 24 hours, general requests 7 days,
complex ones 15 days). Under the preset a ticket gets that limit (`result_due_at`) when it is reported; the
ladder's level deadlines still escalate inside it (a level's deadline never lies past it), and at the top
of the ladder the limit itself is the deadline. The default preset sets no limit: the ladder alone decides.
A category's `deadline_hours` still wins over the kind's limit.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.settings import Settings
from handlers.deps import Deps
from handlers.domain.ladder import URGENT_DEADLINE_HOURS

# kind → hours to a result (calendar hours: the reported limits count natural days)
PRESETS: dict[str, dict[str, float]] = {
    "beijing_12345": {"emergency": 2.0, "utilities": 24.0, "general": 7 * 24.0, "complex": 15 * 24.0},
}


def kind_of(settings: Settings, category: str, urgency: str, text: str) -> str:
    """emergency (urgent), the category's `kind:`, utilities when the words name water, power, gas or
    heating (`utilities_keywords`), else general."""
    if urgency == "urgent":
        return "emergency"
    cat = settings.categories.get(category)
    if cat is not None and cat.kind:
        return cat.kind
    if any(word in text for word in settings.utilities_keywords):
        return "utilities"
    return "general"


def result_due(deps: Deps, category: str, urgency: str, text: str, start: datetime) -> tuple[datetime | None, str]:
    """(when the result is due, the kind) under the configured preset; (None, "") under the default."""
    limits = PRESETS.get(deps.settings.ladder_preset)
    if limits is None:
        return None, ""
    kind = kind_of(deps.settings, category, urgency, text)
    cat = deps.settings.categories.get(category)
    hours = cat.deadline_hours if cat is not None and cat.deadline_hours is not None else limits[kind]
    if kind == "emergency":
        hours = min(hours, URGENT_DEADLINE_HOURS)
    return deps.calendar.deadline(start, hours, "hours"), kind
