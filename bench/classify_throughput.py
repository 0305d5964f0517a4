"""Messages classified per second on one core after start-up, and the process's peak RSS with the NLP loaded.

.venv/bin/python bench/classify_throughput.py [--seconds 5]
"""

from __future__ import annotations

import argparse
import sys
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
    return 0 if rate >= args.min_rate else 1


if __name__ == "__main__":
    raise SystemExit(main())
