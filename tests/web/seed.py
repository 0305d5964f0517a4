"""A small street for the web tests: two communities, three grids, eight tickets with known histories.

Tickets are opened, accepted, escalated and resolved through handlers/domain/tickets.py on a fake clock, so
their rows and events are the ones the bot itself writes. NOW is Wednesday 2026-11-25 15:00 (+08:00).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from bot.core.clock import FakeClock
from bot.core.settings import Settings, load_settings
from bot.runtime.app import build_services
from handlers.deps import Services
from handlers.domain import results, tickets, transfers
from storage.states import TicketState
from web.auth import hash_password

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=TZ)


def password(person_id: str) -> str:
    return f"pw-{person_id}-ok"


def _person(pid: str, name: str, role: str) -> dict[str, str]:
    # few iterations: the tests check many logins; real hashes use 600,000
    return {"id": pid, "name": name, "role": role, "password_hash": hash_password(password(pid), iterations=1000)}


def config(tmp: Path) -> dict[str, object]:
    center = _person("wxid_center", "街道网格中心", "street_center")
    return {
        "adapter": "memory",
        "data_dir": str(tmp / "data"),
        "communities": [
            {
                "id": "meijing",
                "name": "美景社区",
                "secretary": "wxid_wanghuan",
                "street_center": "wxid_center",
                "staff_chat": "room_staff",
                "people": [
                    _person("wxid_zhangyan", "张燕", "grid_worker"),
                    _person("wxid_li", "李网格", "grid_worker"),
                    _person("wxid_yanghx", "杨海霞", "area_cadre"),
                    _person("wxid_wanghuan", "王欢", "secretary"),
                    center,
                    _person("wxid_super", "严主任", "supervisor"),
                    {"id": "wxid_nopass", "name": "无密码", "role": "grid_worker"},
                ],
                "grids": [
                    {
                        "id": "g10",
                        "name": "第十网格",
                        "worker": "wxid_zhangyan",
                        "area_cadre": "wxid_yanghx",
                        "groups": ["room_tiancheng_3"],
                    },
                    {
                        "id": "g11",
                        "name": "第十一网格",
                        "worker": "wxid_li",
                        "area_cadre": "wxid_yanghx",
                        "groups": ["room_jingyuan_2"],
                    },
                ],
            },
            {
                "id": "longcheng",
                "name": "龙城社区",
                "secretary": "wxid_zhao",
                "street_center": "wxid_center",
                "people": [
                    _person("wxid_zhao", "赵书记", "secretary"),
                    _person("wxid_wu", "吴网格", "grid_worker"),
                    center,
                ],
                "grids": [{"id": "g20", "name": "第二十网格", "worker": "wxid_wu", "groups": ["room_longcheng_9"]}],
            },
        ],
        "group_names": {
            "room_tiancheng_3": "美景天城3栋",
            "room_jingyuan_2": "美景景园2栋",
            "room_longcheng_9": "龙城9栋",
        },
    }


def web_settings(tmp: Path, **extra: object) -> Settings:
    """The street's settings; `extra` adds top-level config keys (`notices={...}`)."""
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump({**config(tmp), **extra}, allow_unicode=True), encoding="utf-8")
    return load_settings(path, env={})


@dataclass
class Seeded:
    services: Services
    clock: FakeClock
    ids: dict[str, int]  # letter → ticket number


GRID_CHAT = {
    "g10": ("room_tiancheng_3", "美景天城3栋"),
    "g11": ("room_jingyuan_2", "美景景园2栋"),
    "g20": ("room_longcheng_9", "龙城9栋"),
}


def seed(settings: Settings, db_url: str) -> Seeded:
    clock = FakeClock(datetime(2026, 11, 20, 10, 0, tzinfo=TZ), TZ)
    services = build_services(settings, db_url=db_url, clock=clock)
    ids: dict[str, int] = {}

    def at(day: int, hour: int) -> None:
        clock.set(datetime(2026, 11, day, hour, 0, tzinfo=TZ))

    def open_(letter: str, grid_id: str, category: str, text: str, reporter: str) -> None:
        chat_id, topic = GRID_CHAT[grid_id]
        with services.turn() as deps:
            grid = settings.grids_by_id[grid_id]
            t = tickets.open_ticket(
                deps,
                msg=None,
                chat_id=chat_id,
                chat_topic=topic,
                reporter_id=f"wxid_res_{letter}",
                reporter_name=reporter,
                text=text,
                category=category,
                urgency="normal",
                grid=grid,
                community=settings.community_of_grid[grid_id],
            )
            ids[letter] = t.id

    def act(letter: str, op: str, actor: str, note: str = "") -> None:
        with services.turn() as deps:
            t = deps.uow.tickets.get(ids[letter])
            assert t is not None
            if op == "accept":
                tickets.accept(deps, t, actor)
            elif op == "resolve":
                results.resolve(deps, t, actor, note)
            elif op == "escalate":  # what the sweep does when the deadline passes
                transfers.escalate(deps, t, "", "超过12小时未办结", automatic=True)
            elif op == "rate":
                tickets.update(deps, t, rating="satisfied", state=TicketState.CLOSED, closed_at=deps.now)
                tickets.event(deps, t, "rated", t.reporter_id, note="满意", rating="satisfied")

    at(20, 10)  # last Friday
    open_("A", "g10", "noise", "楼下有人养狗，晚上一直叫", "周阿姨")
    open_("B", "g11", "parking", "小区门口有车乱停，堵住了消防通道", "刘先生")
    at(20, 11)
    act("A", "resolve", "wxid_zhangyan", "已与养狗住户沟通")
    at(20, 12)
    act("A", "rate", "")
    at(23, 9)  # Monday
    open_("C", "g10", "sanitation", "3栋楼道垃圾没人清理，电话13812345678", "王大爷")
    open_("D", "g10", "noise", "楼上装修太吵", "陈女士")
    open_("E", "g11", "repairs", "路灯坏了好几天", "赵先生")
    act("C", "accept", "wxid_zhangyan")
    at(23, 21)
    act("C", "escalate", "")
    act("D", "escalate", "")
    at(25, 9)  # Wednesday
    open_("F", "g10", "parking", "电动车停在楼道里充电", "孙阿姨")
    open_("G", "g11", "noise", "广场舞音响太大声", "钱先生")
    open_("H", "g20", "noise", "夜里有人在楼下喝酒吵闹", "吴女士")
    at(25, 10)
    act("C", "resolve", "wxid_yanghx", "已联系保洁清运")
    clock.set(NOW)
    return Seeded(services=services, clock=clock, ids=ids)


# What the overview must show to 美景社区's secretary at NOW (worked out by hand from the story above).
SECRETARY_NUMBERS = {"new_today": 2, "new_week": 5, "closed_today": 1, "closed_week": 1, "open": 5, "overdue": 3}
SECRETARY_LEVELS = {"L1 网格员": 4, "L2 片区负责人": 1, "L3 社区书记": 0, "L4 街道网格中心": 0}
# who sees which tickets
REACH = {
    "wxid_zhangyan": "ACDF",
    "wxid_li": "BEG",
    "wxid_yanghx": "ABCDEFG",
    "wxid_wanghuan": "ABCDEFG",
    "wxid_super": "ABCDEFG",
    "wxid_center": "ABCDEFGH",
    "wxid_zhao": "H",
    "wxid_wu": "H",
}
