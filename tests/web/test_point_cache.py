"""The overview's remembered 积分 of past days (storage/point_cache.py) always equals counting afresh:
after new events today, after an event written late into a past day, and after a ticket moves community."""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers import tickets
from storage import stats
from storage.point_cache import PastPoints
from tests.web.seed import NOW, TZ, Seeded

START = datetime(2026, 11, 1, tzinfo=TZ)
DAY = datetime(2026, 11, 25, tzinfo=TZ)
END = NOW + timedelta(seconds=1)


def _both(seeded: Seeded, past: PastPoints, communities: list[str]) -> tuple[object, object]:
    with seeded.services.store.begin() as repo:
        return past.counts(repo, communities, START, DAY, END), stats.point_counts(repo, communities, START, END)


def test_remembered_points_equal_a_fresh_count(seeded: Seeded) -> None:
    past = PastPoints()
    remembered, fresh = _both(seeded, past, ["meijing"])
    assert (
        remembered
        == fresh
        == {"wxid_zhangyan": {"resolved_on_time": 1, "satisfied": 1}, "wxid_yanghx": {"resolved_late": 1}}
    )
    assert len(past._past) == 1

    # today: 李网格 resolves E, counted at once (today is never remembered)
    with seeded.services.turn() as deps:
        ticket = deps.repo.ticket(seeded.ids["E"])
        assert ticket is not None
        tickets.resolve(deps, ticket, "wxid_li", "路灯已修好")
    remembered, fresh = _both(seeded, past, ["meijing"])
    assert remembered == fresh
    assert remembered["wxid_li"] == {"resolved_late": 1}

    # an event written late into a past day (a replayed log): the remembered days are counted again
    with seeded.services.store.begin() as repo:
        repo.add_event(seeded.ids["B"], "resolved", datetime(2026, 11, 21, 9, 0, tzinfo=TZ), actor_id="wxid_li",
                       data={"on_time": False})  # fmt: skip
    remembered, fresh = _both(seeded, past, ["meijing"])
    assert remembered == fresh
    assert remembered["wxid_li"] == {"resolved_late": 2}

    # a ticket moves to 龙城社区: its past points go with it
    with seeded.services.turn() as deps:
        ticket = deps.repo.ticket(seeded.ids["A"])
        assert ticket is not None
        tickets.update(deps, ticket, community_id="longcheng", grid_id="g20")
        tickets.event(deps, ticket, "moved", "wxid_center", note="第二十网格")
    remembered, fresh = _both(seeded, past, ["meijing"])
    assert remembered == fresh
    assert "wxid_zhangyan" not in remembered
    assert _both(seeded, past, ["longcheng"])[0] == {"wxid_zhangyan": {"resolved_on_time": 1, "satisfied": 1}}
