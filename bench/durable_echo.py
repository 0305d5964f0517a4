"""The yardstick of issue #19: the simplest bot that keeps gridbot's promise, and nothing more.

For each line of a `gridbot replay` JSONL log: insert the message and commit (store before act);
segment it with jieba and look for a complaint keyword; in one commit mark it handled and, for a
complaint, insert a ticket and an outbox row (an atomic turn); then mark the row `sending` and commit,
"send" it, mark it `sent` and commit. Raw sqlite3, WAL, synchronous=NORMAL. No routing, no dedupe, no
ladder, no classifier beyond a keyword set. Timed as a whole process, start-up included, by
bench/pipeline_replay.py --echo (or by hand):

    python bench/durable_echo.py LOG.jsonl DB.sqlite

The last stdout line is a JSON summary (messages, tickets, sent, seconds).
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from pathlib import Path

import jieba

# what a bot with no classifier would look for: the objects and verbs of the commonest complaints
KEYWORDS = frozenset(
    "坏 坏了 漏水 堵 堵了 吵 噪音 装修 垃圾 臭 电梯 路灯 楼道灯 停车 乱停 消防 飞线 充电 狗 叫 下水道 污水 "
    "广场舞 音响 漏 危险 投诉 反映 维修 报修 没人管 处理".split()
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY, platform_id TEXT UNIQUE NOT NULL, chat_id TEXT NOT NULL, sender_id TEXT NOT NULL,
    text TEXT NOT NULL, received_at TEXT NOT NULL, processed_at TEXT, ticket_id INTEGER);
CREATE TABLE IF NOT EXISTS tickets (
    id INTEGER PRIMARY KEY, chat_id TEXT NOT NULL, reporter_id TEXT NOT NULL, text TEXT NOT NULL,
    created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY, chat_id TEXT NOT NULL, text TEXT NOT NULL, state TEXT NOT NULL, sent_at TEXT);
"""


def run(log: Path, db: Path) -> dict[str, float]:
    conn = sqlite3.connect(db, isolation_level=None)  # explicit BEGIN / COMMIT below
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(SCHEMA)
    jieba.initialize()
    messages = tickets = sent = 0
    started = time.perf_counter()
    with log.open(encoding="utf-8") as fh:
        for raw in fh:
            line = json.loads(raw)
            text, chat = str(line["text"]), str(line["chat_id"])
            # 1. store before act
            conn.execute("BEGIN")
            cur = conn.execute(
                "INSERT OR IGNORE INTO messages (platform_id, chat_id, sender_id, text, received_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (str(line["id"]), chat, str(line["sender_id"]), text, str(line["ts"])),
            )
            conn.execute("COMMIT")
            messages += 1
            if cur.rowcount != 1:
                continue  # a duplicate delivery
            pk = cur.lastrowid
            # 2. decide
            complaint = not text.startswith("/") and any(w in KEYWORDS for w in jieba.lcut(text))
            # 3. the atomic turn: handled, and for a complaint its ticket and its reply
            conn.execute("BEGIN")
            ticket_id = outbox_id = None
            if complaint:
                ticket_id = conn.execute(
                    "INSERT INTO tickets (chat_id, reporter_id, text, created_at) VALUES (?, ?, ?, ?)",
                    (chat, str(line["sender_id"]), text, str(line["ts"])),
                ).lastrowid
                outbox_id = conn.execute(
                    "INSERT INTO outbox (chat_id, text, state) VALUES (?, ?, 'pending')",
                    (chat, f"已登记 #{ticket_id}"),
                ).lastrowid
                tickets += 1
            conn.execute(
                "UPDATE messages SET processed_at = ?, ticket_id = ? WHERE id = ?", (str(line["ts"]), ticket_id, pk)
            )
            conn.execute("COMMIT")
            if outbox_id is None:
                continue
            # 4. send: marked before the call, marked after it
            conn.execute("BEGIN")
            conn.execute("UPDATE outbox SET state = 'sending' WHERE id = ?", (outbox_id,))
            conn.execute("COMMIT")
            conn.execute("BEGIN")
            conn.execute("UPDATE outbox SET state = 'sent', sent_at = ? WHERE id = ?", (str(line["ts"]), outbox_id))
            conn.execute("COMMIT")
            sent += 1
    conn.close()
    return {"messages": messages, "tickets": tickets, "sent": sent, "seconds": time.perf_counter() - started}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: python bench/durable_echo.py LOG.jsonl DB.sqlite\n")
        return 2
    summary = run(Path(argv[0]), Path(argv[1]))
    sys.stdout.write(json.dumps(summary) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
