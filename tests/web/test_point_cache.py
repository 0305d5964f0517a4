"""The overview's remembered 积分 of past days (storage/point_cache.py) always equals counting afresh:
after new events today, after an event written late into a past day, and after a ticket moves community.
And the directory's storage (storage/repos/directory.py) on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from handlers.domain import directory, results, tickets
from storage import stats
from storage.point_cache import PastPoints
from storage.writes import NewEvent
from tests.web.seed import NOW, TZ, Seeded, seed, web_settings

START = datetime(2026, 11, 1, tzinfo=TZ)
DAY = datetime(2026, 11, 25, tzinfo=TZ)
END = NOW + timedelta(seconds=1)


def _both(seeded: Seeded, past: PastPoints, communities: list[str]) -> tuple[object, object]:
    with seeded.services.store.begin() as uow:
        return past.counts(uow, communities, START, DAY, END), stats.point_counts(uow, communities, START, END)


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
        ticket = deps.uow.tickets.get(seeded.ids["E"])
        assert ticket is not None
        results.resolve(deps, ticket, "wxid_li", "路灯已修好")
    remembered, fresh = _both(seeded, past, ["meijing"])
    assert remembered == fresh
    assert remembered["wxid_li"] == {"resolved_late": 1}

    # an event written late into a past day (a replayed log): the remembered days are counted again
    with seeded.services.store.begin() as uow:
        uow.tickets.add_event(NewEvent(seeded.ids["B"], "resolved", datetime(2026, 11, 21, 9, 0, tzinfo=TZ),
                                       actor_id="wxid_li", data={"on_time": False}))  # fmt: skip
    remembered, fresh = _both(seeded, past, ["meijing"])
    assert remembered == fresh
    assert remembered["wxid_li"] == {"resolved_late": 2}

    # a ticket moves to 龙城社区: its past points go with it
    with seeded.services.turn() as deps:
        ticket = deps.uow.tickets.get(seeded.ids["A"])
        assert ticket is not None
        tickets.update(deps, ticket, community_id="longcheng", grid_id="g20")
        tickets.event(deps, ticket, "moved", "wxid_center", note="第二十网格")
    remembered, fresh = _both(seeded, past, ["meijing"])
    assert remembered == fresh
    assert "wxid_zhangyan" not in remembered
    assert _both(seeded, past, ["longcheng"])[0] == {"wxid_zhangyan": {"resolved_on_time": 1, "satisfied": 1}}


def test_directory_changes_and_remembered_points_on_both_databases(db_url: str, tmp_path: Path) -> None:
    """The storage behind the 管理 page and the remembered 积分, on SQLite and on PostgreSQL."""
    seeded = seed(web_settings(tmp_path), db_url)
    services = seeded.services
    with services.store.begin() as uow:
        assert uow.tickets.count_held_by("wxid_li") == 3  # B, E and G
        uow.directory.save("grid", "g10", {"name": "第十网格", "worker": ["wxid_li"], "community": "meijing"},
            before={"worker": ["wxid_zhangyan"]}, at=NOW, actor_id="wxid_wanghuan", actor_name="王欢",
            community_id="meijing",
        )  # fmt: skip
    assert directory.refresh(services)
    assert services.settings.grids_by_id["g10"].workers == ["wxid_li"]
    assert not directory.refresh(services)  # nothing new: one version read, nothing rebuilt
    with services.store.begin() as uow:
        [event] = uow.directory.events(("meijing",))
        assert uow.directory.events(("longcheng",)) == []
    assert (event.actor_name, event.before, event.after["worker"]) == (
        "王欢",
        {"worker": ["wxid_zhangyan"]},
        ["wxid_li"],
    )
    past = PastPoints()
    for _ in range(2):  # counted, then remembered
        remembered, fresh = _both(seeded, past, ["meijing", "longcheng"])
        assert remembered == fresh
        assert fresh["wxid_zhangyan"] == {"resolved_on_time": 1, "satisfied": 1}
