"""Messages classified per second on one core after start-up, and the process's peak RSS with the NLP loaded;
then `gridbot classify` as a whole process (start-up included) on `--lines` lines (#19: ≥ 4,000 msg/s on 60,000).

.venv/bin/python bench/classify_throughput.py [--seconds 5] [--lines 60000]
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine, peak_rss_mb, say
from nlp.classifier import default_classifier
from nlp.corpus import packaged


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="how long to keep classifying")
    parser.add_argument("--min-rate", type=float, default=0.0, help="exit 1 below this many msgs/s")
    parser.add_argument("--lines", type=int, default=60_000, help="lines for the whole-process run (0: none)")
    args = parser.parse_args()
    say(machine())
    started = time.perf_counter()
    classifier = default_classifier()
    texts = [e.text for e in (*packaged(), *packaged("heldout.jsonl"))]
    classifier.classify(texts[0])
    say(f"start-up: {time.perf_counter() - started:.2f} s, RSS after start-up {peak_rss_mb():.0f} MB")
    done = 0
    begin = time.perf_counter()
    deadline = begin + args.seconds
    while time.perf_counter() < deadline:
        for text in texts:
            classifier.classify(text)
        done += len(texts)
    elapsed = time.perf_counter() - begin
    rate = done / elapsed
    mean_chars = sum(map(len, texts)) / len(texts)
    say(f"classify: {done} messages (mean {mean_chars:.0f} chars) in {elapsed:.2f} s = {rate:,.0f} msgs/s on one core")
    say(f"peak RSS: {peak_rss_mb():.0f} MB")
    if args.lines:
        say(whole_process(texts, args.lines))
    return 0 if rate >= args.min_rate else 1


def whole_process(texts: list[str], lines: int) -> str:
    """`gridbot classify` from spawn to exit on `lines` lines (the corpus's texts over and over), one JSON
    verdict a line read back and counted."""
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        given = Path(tmp) / "lines.txt"
        one_line = (" ".join(t.split()) for t in itertools.cycle(texts))
        given.write_text("".join(f"{t}\n" for t in itertools.islice(one_line, lines)), encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(root)}
        with given.open("rb") as stdin:
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "bot.cli", "classify"], stdin=stdin, capture_output=True, env=env, check=True
            )
            seconds = time.perf_counter() - started
    verdicts = done.stdout.count(b"\n")
    if verdicts != lines:
        raise SystemExit(f"gridbot classify answered {verdicts} of {lines} lines")
    return f"gridbot classify, whole process: {lines:,} lines in {seconds:.2f} s = {lines / seconds:,.0f} msgs/s"


if __name__ == "__main__":
    raise SystemExit(main())
