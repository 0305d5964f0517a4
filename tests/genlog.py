"""Generated districts and chat logs, for the multi-process and fault tests and the bench/ scripts.

`district(communities, grids, groups_per_grid)` is a config dict (a street of communities, a
worker per grid, an area cadre per five grids); `chat_log(...)` is a JSONL chat log in time order
where about one message in five is a resident's complaint, the rest small talk and questions, and
some are grid workers' commands (`/上报`, `/我的`, `/接单 N`). Deterministic for a seed.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 23, 8, 0, tzinfo=TZ)  # a Monday outside any holiday

COMPLAINTS = (
    "{b}栋楼下有人养狗，晚上一直叫，吵得睡不着",
    "{b}单元楼道灯坏了好几天了，晚上看不见路",
    "{b}号楼门口垃圾堆了三天没人清理，臭得很",
    "楼上{b}0{u}天天半夜装修，电钻声太吵了",
    "{b}号门口电动车乱停，消防通道都堵了",
    "{b}栋有人在楼道里飞线充电，太危险了",
    "{b}号楼电梯又坏了，老人上不去楼",
    "{b}栋下水道堵了，污水漫到路上了",
    "{b}栋楼下广场舞音响太大声了，每天晚上到十点",
    "{b}号楼顶漏水，家里墙都泡了",
)
CHATTER = (
    "早上好",
    "谢谢大家",
    "收到",
    "好的好的",
    "有人捡到钥匙吗，{b}栋门口丢的",
    "明天下雨记得收衣服",
    "哈哈哈",
    "今天菜市场的菜真新鲜",
    "{b}栋的王姐在吗",
    "晚安",
    "[表情]",
    "周末一起去公园吗",
)


@dataclass(frozen=True)
class District:
    config: dict[str, Any]
    groups: list[str]  # chat ids, grid by grid
    grid_of_group: dict[str, str]
    worker_of_grid: dict[str, str]

    def write(self, path: Path) -> Path:
        path.write_text(yaml.safe_dump(self.config, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path


def district(communities: int = 1, grids: int = 6, groups_per_grid: int = 2, *, staff_chat: bool = True) -> District:
    comms: list[dict[str, Any]] = []
    groups: list[str] = []
    grid_of_group: dict[str, str] = {}
    worker_of_grid: dict[str, str] = {}
    names: dict[str, str] = {}
    for c in range(communities):
        people: list[dict[str, str]] = [
            {"id": f"wxid_sec_{c}", "name": f"书记{c}", "role": "secretary"},
            {"id": "wxid_center", "name": "街道网格中心", "role": "street_center"},
        ]
        grid_rows = []
        for g in range(grids):
            gid = f"c{c}g{g}"
            worker = f"wxid_w_{gid}"
            cadre = f"wxid_cadre_{c}_{g // 5}"
            if g % 5 == 0:
                people.append({"id": cadre, "name": f"片长{c}-{g // 5}", "role": "area_cadre"})
            people.append({"id": worker, "name": f"网格员{gid}", "role": "grid_worker"})
            chats = [f"room_{gid}_{k}" for k in range(groups_per_grid)]
            for chat in chats:
                grid_of_group[chat] = gid
                names[chat] = f"社区{c}网格{g}第{chat.rsplit('_', 1)[1]}群"
            groups += chats
            worker_of_grid[gid] = worker
            grid_rows.append({"id": gid, "name": f"第{g}网格", "worker": worker, "area_cadre": cadre, "groups": chats})
        comm: dict[str, Any] = {
            "id": f"c{c}",
            "name": f"第{c}社区",
            "secretary": f"wxid_sec_{c}",
            "street_center": "wxid_center",
            "people": people,
            "grids": grid_rows,
        }
        if staff_chat:
            comm["staff_chat"] = f"room_staff_{c}"
            names[f"room_staff_{c}"] = f"第{c}社区工作群"
        comms.append(comm)
    config: dict[str, Any] = {"adapter": "memory", "communities": comms, "group_names": names}
    return District(config, groups, grid_of_group, worker_of_grid)


def _line(i: int, ts: datetime, chat: str, sender: str, name: str, text: str, topic: str) -> dict[str, Any]:
    return {
        "id": f"m{i}",
        "chat_id": chat,
        "chat_topic": topic,
        "sender_id": sender,
        "sender_name": name,
        "text": text,
        "ts": ts.isoformat(),
    }


def chat_log(
    d: District,
    messages: int,
    *,
    seed: int = 7,
    complaint_share: float = 0.2,
    command_share: float = 0.03,
    numbered_commands: bool = True,
    start: datetime = START,
    span: timedelta = timedelta(hours=36),
) -> Iterator[dict[str, Any]]:
    """`messages` lines in time order over `span`. `numbered_commands=False` leaves out `/接单 N`
    (ticket numbers depend on the order two processes happen to run in)."""
    rng = random.Random(seed)
    step = span / max(1, messages)
    topics = d.config["group_names"]
    complaints = 0
    for i in range(messages):
        ts = start + step * i
        chat = rng.choice(d.groups)
        grid = d.grid_of_group[chat]
        roll = rng.random()
        b, u = rng.randint(1, 30), rng.randint(1, 9)
        if roll < command_share:
            worker = d.worker_of_grid[grid]
            kind = rng.random()
            if kind < 0.4 and numbered_commands and complaints:
                text = f"/接单 {rng.randint(max(1, complaints - 50), complaints)}"
            elif kind < 0.7:
                text = f"/上报 {b}栋楼道堆放杂物，巡查发现"
            else:
                text = "/我的"
            yield _line(i, ts, worker, worker, f"网格员{grid}", text, "")
        elif roll < command_share + complaint_share:
            complaints += 1
            sender = f"wxid_res_{chat}_{rng.randint(1, 40)}"
            text = rng.choice(COMPLAINTS).format(b=b, u=u)
            yield _line(i, ts, chat, sender, f"居民{sender[-4:]}", text, topics.get(chat, ""))
        else:
            sender = f"wxid_res_{chat}_{rng.randint(1, 40)}"
            text = rng.choice(CHATTER).format(b=b)
            yield _line(i, ts, chat, sender, f"居民{sender[-4:]}", text, topics.get(chat, ""))


def split_by_account(d: District, lines: list[dict[str, Any]], accounts: int) -> list[list[dict[str, Any]]]:
    """The log as `accounts` WeChat accounts see it: account k is in the groups (and the workers' private
    chats) of every `accounts`-th grid, k first; a line of no grid goes to the first account."""
    grids = sorted(set(d.grid_of_group.values()))
    workers = {w: g for g, w in d.worker_of_grid.items()}
    parts: list[list[dict[str, Any]]] = [[] for _ in range(accounts)]
    for line in lines:
        grid = d.grid_of_group.get(line["chat_id"]) or workers.get(line["chat_id"])
        parts[grids.index(grid) % accounts if grid is not None else 0].append(line)
    return parts


def write_log(lines: Iterator[dict[str, Any]] | list[dict[str, Any]], path: Path) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for obj in lines:
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
    return path
