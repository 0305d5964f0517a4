"""The three rates street offices are assessed on (#21): 响应率, 解决率, 满意率, and their combined score.

- 响应率: of the tickets reported in the period whose first answer was due by its end, the share answered
  (接单, 进展, 挂起, 转12345 or 办结) within `promise_hours` — the time the group was promised a reply in.
- 解决率: of the tickets 办结 in the period, the share 已解决 (部分解决 and 无法解决 are not solved).
- 满意率: of the ratings given in the period, the share 满意 or 基本满意; no rating is no rating: it is in
  neither part of the fraction.
- 综合: the rates weighted by `digests.score_weights` (default 30 / 35 / 35), over the rates that have
  anything to count (a grid with no ratings yet is scored on the other two), ×100.
The counts come from storage/stats.py (`rates_per`); this module only turns them into figures.
"""

from __future__ import annotations

from bot.core.settings import Settings
from storage.stats import Rates


def fraction(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def three(r: Rates) -> tuple[float | None, float | None, float | None]:
    """(响应率, 解决率, 满意率) as fractions; None where there is nothing to count."""
    return fraction(r.responded, r.due), fraction(r.solved, r.closed), fraction(r.satisfied, r.rated)


def score(settings: Settings, r: Rates) -> float | None:
    w = settings.digests.score_weights
    weighted = zip((w.response, w.solved, w.satisfied), three(r), strict=True)
    counted = [(weight, value) for weight, value in weighted if value is not None and weight > 0]
    total = sum(weight for weight, _ in counted)
    return 100 * sum(weight * value for weight, value in counted) / total if total else None
