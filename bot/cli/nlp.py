"""The nlp commands: `gridbot classify`, `gridbot nlp eval FILE`, `gridbot nlp train`, `gridbot nlp report`."""

from __future__ import annotations

import argparse
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

from nlp.classifier import default_classifier
from nlp.corpus import Example, read
from nlp.fallback import MODEL_FILE
from nlp.metrics import evaluate

MAX_LINE = 20_000  # longer lines are cut: one pasted document must not stall the pipe


def _text_of(line: str) -> str:
    """A line is plain text, or a JSON object with a "text" field."""
    stripped = line.strip()
    if not stripped.startswith("{"):
        return stripped
    try:
        row = json.loads(stripped)
    except json.JSONDecodeError as exc:
        raise ValueError(f"malformed JSON: {exc.msg}") from exc
    if not isinstance(row, dict) or not isinstance(row.get("text"), str):
        raise ValueError('a JSON line needs a string "text" field')
    text: str = row["text"]
    return text


def run_classify(stdin: TextIO, stdout: TextIO) -> int:
    classifier = default_classifier()
    for line in stdin:
        if not line.strip():
            continue
        try:
            out: dict[str, Any] = classifier.classify(_text_of(line[:MAX_LINE])).to_json()
        except ValueError as exc:
            out = {"error": str(exc)}
        stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        stdout.flush()
    return 0


def _unreadable(path: str, exc: OSError | UnicodeDecodeError) -> SystemExit:
    """A file named on the command line that cannot be read: one line and exit 2, never a traceback."""
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    sys.stderr.write(f"gridbot: {path}: {reason}\n")
    return SystemExit(2)


def _extra_rows(path: str | None) -> list[tuple[str, str | None]]:
    if not path:
        return []
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _unreadable(path, exc) from exc
    rows: list[tuple[str, str | None]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            rows.append((str(row["text"]), row.get("category")))
        except (ValueError, KeyError, TypeError) as exc:
            raise SystemExit(f"{path}:{number}: expected a JSON object with a text field ({exc})") from exc
    return rows


def _database_rows(url: str | None, corrections_only: bool) -> list[tuple[str, str | None]]:
    """Corrections (and, for the report, unmatched messages) stored by the bot's handlers."""
    if not url:
        return []
    from storage.store import Store  # only when asked: the nlp tools work without a database

    store = Store(url, create=False)
    with store.begin() as uow:
        # /改类 and /补单 (and /登记) through ticket events; /忽略 of a likely request as "none"
        rows: list[tuple[str, str | None]] = [*uow.tickets.corrections(), *uow.likely.corrections()]
        if not corrections_only:
            rows.extend((m.text, None) for m in uow.messages.unmatched())
    return rows


def cmd_eval(args: argparse.Namespace) -> int:
    try:
        examples: list[Example] = read(Path(args.file))
    except (OSError, UnicodeDecodeError) as exc:
        raise _unreadable(args.file, exc) from exc
    except ValueError as exc:  # a line that is not a labelled example: parse_lines names the file and line
        sys.stderr.write(f"gridbot: {exc}\n")
        return 2
    figures, misses, per_style = evaluate(default_classifier(), examples)
    for ex, cat, urg in misses if args.verbose_misses else []:
        sys.stdout.write(f"miss: gold={ex.category}/{ex.urgency} got={cat}/{urg}  {ex.text[:70]}\n")
    for style, fig in per_style.items() if args.per_style else []:
        sys.stdout.write(json.dumps({"style": style, **fig.to_json()}, ensure_ascii=False) + "\n")
    sys.stdout.write(json.dumps(figures.to_json(), ensure_ascii=False) + "\n")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from nlp.train import train

    extra = [(t, c) for t, c in [*_extra_rows(args.extra), *_database_rows(args.db, True)] if c]
    out = Path(args.out) if args.out else Path(str(resources.files("nlp").joinpath("data", MODEL_FILE)))
    model = train(extra)
    model.dump(out)
    sys.stdout.write(json.dumps({"model": str(out), "extra_examples": len(extra), "features": len(model.index)}) + "\n")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from nlp.report import report

    rows = [*_extra_rows(args.file), *_database_rows(args.db, False)]
    sys.stdout.write(report(rows, default_classifier()))
    return 0


def add_nlp_subcommands(subparsers: argparse._SubParsersAction) -> None:
    nlp = subparsers.add_parser("nlp", help="evaluate, retrain and inspect the message classifier")
    sub = nlp.add_subparsers(dest="nlp_command", required=True)
    ev = sub.add_parser(
        "eval",
        help="ticket P/R, category accuracy, emergency recall and false alarms, likely share on a labelled JSONL",
    )
    ev.add_argument("file", help='JSONL, one {"text", "category", "urgency"} per line')
    ev.add_argument("--misses", dest="verbose_misses", action="store_true", help="also list every miss")
    ev.add_argument("--per-style", dest="per_style", action="store_true", help="also one line of figures per style")
    ev.set_defaults(func=cmd_eval)
    tr = sub.add_parser("train", help="rebuild the learned fallback from the corpus plus corrections")
    tr.add_argument("--extra", help='JSONL of {"text", "category"} corrections to learn from')
    tr.add_argument("--db", help="also learn the corrections stored in this database (URL)")
    tr.add_argument("--out", help="where to write the model (default: the packaged nlp/data file)")
    tr.set_defaults(func=cmd_train)
    rp = sub.add_parser("report", help="list unmatched and corrected messages with today's verdict")
    rp.add_argument("file", nargs="?", help='JSONL of {"text", "category"?} rows (category = the correction)')
    rp.add_argument("--db", help="read unmatched messages and corrections from this database (URL)")
    rp.set_defaults(func=cmd_report)
