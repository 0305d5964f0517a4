"""The administration forms: who may change what, and the changes a valid form makes.

Each `*_changes` function reads one submitted form and returns the directory changes it asks for,
or raises FormError with a Chinese sentence; nothing is stored until every check passed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.core.settings import Community, Grid, Person, Settings
from web import params
from web.auth import hash_password
from web.reach import ROLE_NAMES, Viewer

ADMIN_ROLES = frozenset({"secretary", "street_center", "supervisor"})
# a secretary manages the community's staff; only the street level names street-level people
RANK = {"secretary": 2, "street_center": 3, "supervisor": 3}
GRID_ROLES = {"grid_worker": "网格员", "area_cadre": "片区负责人", "property": "物业"}
PERSON_ID = re.compile(r"^[A-Za-z0-9_\-.@]{2,64}$")
GRID_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
MAX_DUTY_ROWS = 100
WEEKDAYS = {1: "一", 2: "二", 3: "三", 4: "四", 5: "五", 6: "六", 7: "日"}


class FormError(ValueError):
    """Bad input: the sentence is shown on the page and nothing changes."""


@dataclass(frozen=True)
class Change:
    kind: str
    key: str
    value: Any
    before: Any
    community_id: str = ""


PASSWORD_LENGTH = (10, 128)


def rank(role: str) -> int:
    return RANK.get(role, 1)


def can_administer(who: Viewer) -> bool:
    return who.person.role in ADMIN_ROLES


def covers_everything(settings: Settings, who: Viewer) -> bool:
    """The duty roster and holidays are the whole deployment's: only someone reaching every community."""
    mine = {c.id for c in who.communities}
    return all(c.id in mine for c in settings.all_communities)


def communities_of(settings: Settings, person_id: str) -> list[str]:
    return [c.id for c in settings.all_communities if any(p.id == person_id for p in c.people)]


def may_edit_person(settings: Settings, who: Viewer, person: Person) -> bool:
    mine = {c.id for c in who.communities}
    return rank(person.role) <= rank(who.person.role) and set(communities_of(settings, person.id)) <= mine


def _field(form: Mapping[str, Any], name: str, limit: int = 64) -> str:
    return str(form.get(name, "")).strip()[:limit]


def _many(form: Any, name: str) -> list[str]:
    return [str(v).strip() for v in form.getall(name, []) if str(v).strip()]


def _community(settings: Settings, who: Viewer, cid: str) -> Community:
    for comm in who.communities:
        if comm.id == cid:
            return comm
    raise FormError("请选择您负责的社区。")


def person_record(settings: Settings, person_id: str) -> dict[str, Any] | None:
    person = settings.people_by_id.get(person_id)
    if person is None:
        return None
    record: dict[str, Any] = {
        "name": person.name,
        "role": person.role,
        "communities": communities_of(settings, person_id),
    }
    if person.password_hash:
        record["password_hash"] = person.password_hash
    return record


def grid_record(settings: Settings, grid: Grid | None) -> dict[str, Any] | None:
    if grid is None:
        return None
    return {
        "name": grid.name,
        "worker": grid.workers,
        "area_cadre": grid.area_cadre,
        "property_company": grid.property_company,
        "community": settings.community_of_grid[grid.id].id,
    }


def person_changes(settings: Settings, who: Viewer, form: Any) -> list[Change]:
    """Add or edit a person: 微信号, name, role, communities, and optionally the grid they serve."""
    pid = _field(form, "id")
    is_new = form.get("mode") == "new"
    if not PERSON_ID.match(pid):
        raise FormError("微信号只能由字母、数字和 _ - . @ 组成，2到64个字符。")
    existing = settings.people_by_id.get(pid)
    if is_new and existing is not None:
        raise FormError(f"微信号 {pid} 已经登记为 {existing.name}，请直接修改。")
    if not is_new and existing is None:
        raise FormError(f"没有微信号为 {pid} 的人员。")
    if existing is not None and not may_edit_person(settings, who, existing):
        raise FormError(f"{existing.name} 不在您的管理范围内。")
    name = _field(form, "name", 33)
    if not name or len(name) > 32:
        raise FormError("请填写姓名（最多32个字）。")
    role = _field(form, "role")
    if role not in ROLE_NAMES:
        raise FormError("请选择角色。")
    if rank(role) > rank(who.person.role):
        raise FormError(f"您不能设置“{ROLE_NAMES[role]}”角色。")
    if existing is not None and pid == who.id and role != existing.role:
        raise FormError("不能修改自己的角色。")
    cids = _many(form, "community")
    if not cids:
        raise FormError("请至少选择一个社区。")
    for cid in cids:
        _community(settings, who, cid)
    value: dict[str, Any] = {"name": name, "role": role, "communities": cids}
    password = str(form.get("password", ""))
    if not password and existing is not None and existing.password_hash:
        value["password_hash"] = existing.password_hash  # left empty: the password they have stays
    elif password:
        if not PASSWORD_LENGTH[0] <= len(password) <= PASSWORD_LENGTH[1]:
            raise FormError(f"网页密码需为{PASSWORD_LENGTH[0]}到{PASSWORD_LENGTH[1]}个字符。")
        value["password_hash"] = hash_password(password)
    changes = [Change("person", pid, value, person_record(settings, pid), cids[0])]
    grid_id = _field(form, "grid")
    if grid_id:
        grid = settings.grids_by_id.get(grid_id)
        if grid is None or settings.community_of_grid[grid_id].id not in cids:
            raise FormError("所选网格不在此人所属的社区。")
        if role not in GRID_ROLES:
            raise FormError("只有网格员、片区负责人和物业可以指定网格。")
        record = grid_record(settings, grid)
        assert record is not None
        updated = dict(record)
        if role == "grid_worker":
            updated["worker"] = [*grid.workers, pid] if pid not in grid.workers else grid.workers
        elif role == "area_cadre":
            updated["area_cadre"] = pid
        else:
            updated["property_company"] = pid
        if updated != record:
            changes.append(Change("grid", grid.id, updated, record, record["community"]))
    return changes


def remove_person_changes(settings: Settings, who: Viewer, form: Any, open_held: int) -> list[Change]:
    pid = _field(form, "id")
    person = settings.people_by_id.get(pid)
    if person is None:
        raise FormError(f"没有微信号为 {pid} 的人员。")
    if not may_edit_person(settings, who, person) or pid == who.id:
        raise FormError(f"您不能删除{person.name}。")
    uses = [g.name for g in settings.grids_by_id.values() if pid in (*g.workers, g.area_cadre, g.property_company)]
    uses += [c.name for c in settings.all_communities if pid in (c.secretary, c.street_center)]
    if any(e.person == pid for e in settings.duty_roster):
        uses.append("值班表")
    if uses:
        raise FormError(f"{person.name} 还在{'、'.join(uses)}中任职，请先在那里换人。")
    if open_held:
        raise FormError(f"{person.name} 手上还有 {open_held} 件未办结的工单，请先转办。")
    record = person_record(settings, pid)
    return [Change("person", pid, {"removed": True}, record, (record or {}).get("communities", [""])[0])]


def _staff(settings: Settings, community: Community, pid: str, what: str) -> str:
    if pid and not any(p.id == pid for p in community.people):
        raise FormError(f"{what}必须是{community.name}登记的人员。")
    return pid


def grid_changes(settings: Settings, who: Viewer, form: Any) -> list[Change]:
    """Add a grid or change its name, worker(s) and area cadre."""
    gid = _field(form, "id")
    is_new = form.get("mode") == "new"
    grid = settings.grids_by_id.get(gid)
    if is_new:
        if not GRID_ID.match(gid):
            raise FormError("网格编号只能由字母、数字、_ 和 - 组成。")
        if grid is not None:
            raise FormError(f"网格编号 {gid} 已经存在。")
        community = _community(settings, who, _field(form, "community"))
    else:
        if grid is None:
            raise FormError(f"没有编号为 {gid} 的网格。")
        community = _community(settings, who, settings.community_of_grid[gid].id)
    name = _field(form, "name", 33)
    if not name or len(name) > 32:
        raise FormError("请填写网格名称（最多32个字）。")
    if any(g.name == name and g.id != gid for g in settings.grids_by_id.values()):
        raise FormError(f"已经有叫“{name}”的网格了。")
    first = _staff(settings, community, _field(form, "worker"), "网格员")
    if not first:
        raise FormError("请选择网格员。")
    workers = [first] + [w for w in _many(form, "workers") if w != first]
    for w in workers:
        _staff(settings, community, w, "网格员")
    value = {
        "name": name,
        "worker": workers,
        "area_cadre": _staff(settings, community, _field(form, "area_cadre"), "片区负责人"),
        "property_company": grid.property_company if grid else "",
        "community": community.id,
    }
    before = grid_record(settings, grid)
    return [] if value == before else [Change("grid", gid, value, before, community.id)]


def group_changes(settings: Settings, who: Viewer, form: Any, known_groups: set[str]) -> list[Change]:
    """Bind a group chat to a grid (or unbind it)."""
    chat_id = _field(form, "chat_id", 128)
    if chat_id not in known_groups:
        raise FormError("没有这个群。")
    mine = {g.id for c in who.communities for g in c.grids}
    current = settings.grid_of_group.get(chat_id)
    if current is not None and current.id not in mine:
        raise FormError("这个群属于其他社区的网格。")
    target = _field(form, "grid")
    if target and target not in mine:
        raise FormError("请选择您负责的网格。")
    if target == (current.id if current else ""):
        return []
    cid = settings.community_of_grid[target].id if target else (who.communities[0].id if who.communities else "")
    return [Change("group", chat_id, {"grid": target}, {"grid": current.id if current else ""}, cid)]


def parse_dates(text: str, what: str) -> list[date]:
    out: list[date] = []
    for part in re.split(r"[\s,，、;；]+", text.strip()):
        if not part:
            continue
        found = params.day(part)
        if found is None:
            raise FormError(f"{what}里的“{part[:20]}”不是日期，请写成 2027-01-01 这样。")
        if found.isoformat() != part:  # clamped: a holiday in year 1 or 9999 is a typing error, not a day off
            raise FormError(f"{what}里的“{part[:20]}”不在 {params.FIRST_DAY.year}—{params.LAST_DAY.year} 年之间。")
        out.append(found)
    return sorted(set(out))


def duty_changes(settings: Settings, who: Viewer, form: Any) -> list[Change]:
    """The whole duty roster, row by row; a row without a person is dropped."""
    if not covers_everything(settings, who):
        raise FormError("值班表是全街道共用的，只有管理所有社区的人可以修改。")
    entries: list[dict[str, Any]] = []
    rows = params.ascii_int(_field(form, "rows") or "0", 3)
    if rows is None or rows > MAX_DUTY_ROWS:
        raise FormError(f"值班表的行数应为 0 到 {MAX_DUTY_ROWS} 之间的数字，请刷新页面后重试。")
    for i in range(rows):
        pid = _field(form, f"person-{i}")
        if not pid:
            continue
        if pid not in settings.people_by_id:
            raise FormError(f"第{i + 1}行：请选择登记过的人员。")
        days = _many(form, f"weekdays-{i}")
        if any(d not in {str(k) for k in WEEKDAYS} for d in days):
            raise FormError(f"第{i + 1}行：星期只能是一到日。")
        dates = parse_dates(_field(form, f"dates-{i}", 2000), f"第{i + 1}行的日期")
        default = form.get(f"default-{i}") in ("1", "on")
        if not days and not dates and not default:
            raise FormError(f"第{i + 1}行：请选择星期、填写日期，或设为平时夜间值班。")
        entries.append(
            {
                "person": pid,
                "weekdays": sorted(int(d) for d in days),
                "dates": [x.isoformat() for x in dates],
                "default": default,
            }
        )
    before = [e.model_dump(mode="json") for e in settings.duty_roster]
    return [] if entries == before else [Change("duty", "roster", entries, before)]


def holiday_changes(settings: Settings, who: Viewer, form: Any) -> list[Change]:
    if not covers_everything(settings, who):
        raise FormError("节假日安排是全街道共用的，只有管理所有社区的人可以修改。")
    off = parse_dates(_field(form, "holidays", 20000), "放假日期")
    on = parse_dates(_field(form, "workdays", 20000), "调休上班日期")
    both = sorted(set(off) & set(on))
    if both:
        raise FormError(f"{both[0].isoformat()} 不能既放假又上班。")
    value = {"holidays": [x.isoformat() for x in off], "workdays": [x.isoformat() for x in on]}
    before = settings.holidays.model_dump(mode="json")
    return [] if value == before else [Change("holidays", "calendar", value, before)]
