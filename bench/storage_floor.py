"""The floor under pipeline ÷ bound: what the storage contract alone costs per message, with no bot logic.

bench/pipeline_replay.py measures the whole pipeline against the classifier alone. This script asks what
the best possible ratio is if routing, handlers and SQLAlchemy cost nothing: it runs only the statements
and commits the durability contract needs (README "Faults"), with the raw sqlite3 driver, on gridbot's real
SQLite schema (WAL, synchronous=NORMAL, as storage/db.py opens it), and classifies the same texts.

Per message, the contract is:
- the message stored and committed before anything is decided (a crash must not lose it);
- the turn: the message marked handled and its reply queued, in one commit (exactly once);
- for the 63% of messages whose turn queues a post (the 100,000-message replay's figure), the post
  marked `sending` and committed before the platform is called, then marked `sent`.

The ceiling of pipeline ÷ bound is t_classify / (t_classify + t_storage). Variants show what weaker contracts would buy:
grouping 100 messages per commit (store and turn), with one commit per send (the next claim and the previous
send's finish together), and a single commit per message with no `sending` mark at all.

    python bench/storage_floor.py [--messages 20000]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import load, machine, say
from tests.genlog import CHATTER, COMPLAINTS

REPLY_SHARE = 63  # in 100: outbox rows per message in bench/pipeline_replay.py's 100,000-message replay
GROUP = 100


def texts(n: int, seed: int = 5) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        pool = COMPLAINTS if rng.random() < 0.2 else CHATTER
        out.append(rng.choice(pool).format(b=rng.randint(1, 30), u=rng.randint(1, 9)))
    return out


def classify_seconds(said: list[str]) -> float:
    """Seconds per message through normalise + segment + classify (the better of two passes)."""
    from nlp.classifier import default_classifier

    classifier = default_classifier()
    classifier.classify(said[0])
    best = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        for t in said:
            classifier.classify(t)
        best = min(best, (time.perf_counter() - started) / len(said))
    return best


def fresh_db(folder: Path, name: str) -> sqlite3.Connection:
    """gridbot's schema, created the way the bot creates it, then opened with the raw driver."""
    from sqlmodel import SQLModel

    import storage.tables  # noqa: F401  (registers the tables)
    from storage.db import make_engine

    path = folder / f"{name}.db"
    engine = make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    conn = sqlite3.connect(path, isolation_level=None)  # explicit BEGIN / COMMIT
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


STORE = (
    "INSERT INTO messages (platform_id, chat_id, chat_topic, sender_id, sender_name, text, kind, ref, quoted_id, "
    "mentions, mentions_bot, received_at) VALUES (?, ?, '', ?, '', ?, 'text', '', '', '', 0, ?) "
    "ON CONFLICT DO NOTHING RETURNING id"
)
HANDLED = "UPDATE messages SET processed_at = ? WHERE id = ?"
QUEUE = (
    "INSERT INTO outbox (chat_id, text, mention_ids, image_path, created_at, not_before, state, attempts, "
    "last_error, owner) VALUES (?, ?, '', '', ?, ?, 'pending', 0, '', '') RETURNING id"
)
CLAIM = "UPDATE outbox SET state = 'sending', attempts = attempts + 1, owner = 'p1' WHERE id = ? AND state = 'pending'"
FINISH = "UPDATE outbox SET state = 'sent', sent_at = ? WHERE id = ?"


class Run:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.commits = 0
        self.now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC).isoformat()

    def commit(self) -> None:
        self.conn.execute("COMMIT")
        self.commits += 1

    def store(self, i: int, said: str) -> int:
        row = self.conn.execute(STORE, (f"m{i}", f"room{i % 500}", f"res{i % 20000}", said, self.now)).fetchone()
        return int(row[0])

    def turn(self, i: int, mid: int) -> int | None:
        self.conn.execute(HANDLED, (self.now, mid))
        if i * REPLY_SHARE % 100 < REPLY_SHARE:  # 63 messages in 100 queue a post
            return int(self.conn.execute(QUEUE, (f"room{i % 500}", "收到，已登记", self.now, self.now)).fetchone()[0])
        return None


def contract(run: Run, said: list[str]) -> None:
    """One message at a time: stored; turn; each post claimed, sent, finished — each step its own commit."""
    for i, t in enumerate(said):
        run.conn.execute("BEGIN")
        mid = run.store(i, t)
        run.commit()
        run.conn.execute("BEGIN")
        post = run.turn(i, mid)
        run.commit()
        if post is not None:
            run.conn.execute("BEGIN")
            run.conn.execute(CLAIM, (post,))
            run.commit()
            run.conn.execute("BEGIN")
            run.conn.execute(FINISH, (run.now, post))
            run.commit()


def grouped(run: Run, said: list[str]) -> None:
    """100 messages per store commit and per turn commit; per send, one commit claims it and finishes the last."""
    for start in range(0, len(said), GROUP):
        batch = list(enumerate(said[start : start + GROUP], start))
        run.conn.execute("BEGIN")
        ids = [run.store(i, t) for i, t in batch]
        run.commit()
        run.conn.execute("BEGIN")
        posts = [p for (i, _), mid in zip(batch, ids, strict=True) if (p := run.turn(i, mid)) is not None]
        run.commit()
        last: int | None = None
        for post in posts:
            run.conn.execute("BEGIN")
            if last is not None:
                run.conn.execute(FINISH, (run.now, last))
            run.conn.execute(CLAIM, (post,))
            run.commit()
            last = post
        if last is not None:
            run.conn.execute("BEGIN")
            run.conn.execute(FINISH, (run.now, last))
            run.commit()


def one_commit(run: Run, said: list[str]) -> None:
    """Weakest: stored, handled, queued and marked sent in one commit — a crash loses the message, a send may repeat."""
    for i, t in enumerate(said):
        run.conn.execute("BEGIN")
        mid = run.store(i, t)
        post = run.turn(i, mid)
        if post is not None:
            run.conn.execute(FINISH, (run.now, post))
        run.commit()


VARIANTS: tuple[tuple[str, Callable[[Run, list[str]], None]], ...] = (
    ("the contract (stored; turn; sending; sent — each committed)", contract),
    (f"grouped: {GROUP} messages a commit, one commit per send", grouped),
    ("one commit per message, no `sending` mark (no crash guarantees)", one_commit),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    args = parser.parse_args()
    say(machine() + f", {load()}")
    said = texts(args.messages)
    bound = classify_seconds(said)
    say(f"classify alone: {bound * 1e6:.1f} µs per message ({1 / bound:,.0f} messages/s)")
    with tempfile.TemporaryDirectory() as tmp:
        for n, (name, variant) in enumerate(VARIANTS):
            run = Run(fresh_db(Path(tmp), f"v{n}"))
            started = time.perf_counter()
            variant(run, said)
            took = (time.perf_counter() - started) / len(said)
            run.conn.close()
            say(
                f"{name}: {took * 1e6:.1f} µs per message, {run.commits / len(said):.2f} commits per message; "
                f"ceiling of pipeline ÷ bound = {bound / (bound + took):.2f}"
            )
    say(machine() + f", {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
