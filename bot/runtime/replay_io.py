"""What `gridbot replay` reads and writes: the JSONL chat log's lines, and the `--sent` file.

A log line is one JSON object (the README's "Replay" section lists the fields). A line that is not one
raises BadLine with a short English reason; replay reports it with its number and goes on.

The `--sent` file is the memory platform's record: a line is written (line-buffered, so it is with the
operating system at once) when the adapter sends, and the file is fsync'd after each batch. A replay
killed mid-send leaves one outbox row `sending`; the next replay with the same `--sent` file settles it
against the file's last line (`settle_stranded`) instead of asking staff to check a platform that died
with the process. Without `--sent` there is no such record, and the row is reported as in a live bot.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from bot.adapters.memory import MemoryAdapter
from bot.core.messages import IncomingMessage, MessageKind, OutgoingMessage
from storage.states import OutboxState
from storage.store import Store

REQUIRED = ("id", "chat_id", "sender_id", "text", "ts")
OPTIONAL_TEXT = ("chat_topic", "sender_name", "ref", "quoted_id", "kind")
# simulated time stays in years the calendar and the sweep's arithmetic handle (year 9999 overflows)
FIRST_YEAR, LAST_YEAR = 2000, 2199


class BadLine(ValueError):
    pass


def _ident(obj: dict[str, Any], key: str) -> str:
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadLine(f"{key} must be a string, not {type(value).__name__ if value is not None else 'null'}")
    if not str(value).strip():
        raise BadLine(f"{key} is empty")
    return str(value)


def _timestamp(value: Any) -> datetime:
    if not isinstance(value, str):
        raise BadLine(f"ts must be a string, e.g. 2026-05-01T21:00:00+08:00, not {value!r}")
    try:
        ts = datetime.fromisoformat(value)
    except ValueError as exc:
        raise BadLine(f"bad ts {value!r}") from exc
    if ts.tzinfo is None:
        raise BadLine("ts needs a UTC offset, e.g. 2026-05-01T21:00:00+08:00")
    try:
        year = ts.astimezone(UTC).year
    except OverflowError:
        year = ts.year
    if not FIRST_YEAR <= year <= LAST_YEAR or not FIRST_YEAR <= ts.year <= LAST_YEAR:
        raise BadLine(f"ts out of range ({FIRST_YEAR}–{LAST_YEAR}): {value!r}")
    return ts


def parse_line(raw: str) -> IncomingMessage:
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BadLine(f"not JSON ({exc.msg})") from exc
    if not isinstance(obj, dict):
        raise BadLine("not a JSON object")
    missing = [k for k in REQUIRED if k not in obj]
    if missing:
        raise BadLine(f"missing {', '.join(missing)}")
    ids = {key: _ident(obj, key) for key in ("id", "chat_id", "sender_id")}
    if not isinstance(obj["text"], str):
        raise BadLine(f"text must be a string, not {'null' if obj['text'] is None else type(obj['text']).__name__}")
    ts = _timestamp(obj["ts"])
    for key in OPTIONAL_TEXT:
        if key in obj and not isinstance(obj[key], str):
            raise BadLine(f"{key} must be a string")
    mentions = obj.get("mentions") or []
    if not isinstance(mentions, list) or not all(isinstance(m, str) for m in mentions):
        raise BadLine("mentions must be a list of ids")
    if not isinstance(obj.get("mentions_bot", False), bool):
        raise BadLine("mentions_bot must be true or false")
    kind = obj.get("kind", "text")
    return IncomingMessage(
        message_id=ids["id"],
        chat_id=ids["chat_id"],
        chat_topic=obj.get("chat_topic", ""),
        sender_id=ids["sender_id"],
        sender_name=obj.get("sender_name", ""),
        text=obj["text"],
        timestamp=ts,
        mentions=tuple(mentions),
        mentions_bot=obj.get("mentions_bot", False),
        kind=MessageKind(kind) if kind in MessageKind._value2member_map_ else MessageKind.OTHER,
        ref=obj.get("ref", ""),
        quoted_id=obj.get("quoted_id", ""),
    )


def sent_record(chat_id: str, text: str, mention_ids: tuple[str, ...], at: datetime) -> str:
    """One `--sent` line (other tools read these four fields)."""
    record = {"chat_id": chat_id, "text": text, "mention_ids": list(mention_ids), "ts": at.isoformat()}
    return json.dumps(record, ensure_ascii=False) + "\n"


class RecordingAdapter(MemoryAdapter):
    """The memory adapter, writing each send to the `--sent` file the moment it is made."""

    def __init__(self, now: Any, out: IO[str] | None) -> None:
        super().__init__(now)
        self.out = out

    async def send(self, message: OutgoingMessage) -> None:
        before = len(self.sent)
        try:
            await super().send(message)
        finally:
            if self.out is not None:
                for item in self.sent[before:]:
                    self.out.write(sent_record(item.chat_id, item.text, item.mention_ids, item.at))

    def sync(self) -> None:
        """End of a batch: what was written reaches the disk (a power cut, not only a kill, keeps it)."""
        if self.out is not None:
            self.out.flush()
            os.fsync(self.out.fileno())


def open_sent(path: Path) -> tuple[IO[str], dict[str, Any] | None]:
    """The `--sent` file for appending, line-buffered, and its last complete record (None if none).

    A last line cut short (the process died inside the write) is dropped: that send is settled anew."""
    last: dict[str, Any] | None = None
    if path.exists():
        with path.open("rb+") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - 65536))
            tail = fh.read()
            complete = tail.rfind(b"\n") + 1
            if complete < len(tail) and (complete > 0 or size == len(tail)):
                fh.truncate(size - (len(tail) - complete))
            lines = tail[:complete].splitlines()
            if lines:
                try:
                    parsed = json.loads(lines[-1].decode("utf-8"))
                    last = parsed if isinstance(parsed, dict) else None
                except ValueError:
                    last = None
    return path.open("a", encoding="utf-8", buffering=1), last


def settle_stranded(store: Store, last: dict[str, Any] | None, now: datetime) -> int:
    """Rows a killed replay left `sending`: sent if the `--sent` file's last line is theirs, else due again.

    In a replay the memory adapter is the platform, and it died with the process: what it did not write
    did not go out, so it is sent now rather than reported to staff as uncertain."""
    with store.begin() as uow:
        stranded = uow.outbox.stranded(store.lease)
        for item in stranded:
            went_out = last is not None and (last.get("chat_id"), last.get("text"), last.get("mention_ids")) == (
                item.chat_id,
                item.text,
                list(item.mention_ids),
            )
            at = datetime.fromisoformat(str(last["ts"])) if went_out and last else now
            uow.outbox.finish(item.id, state=OutboxState.SENT if went_out else OutboxState.PENDING, at=at)
    return len(stranded)
