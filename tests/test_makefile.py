"""The Makefile's promises: `make demo` starts from a fresh demo database (the old one kept as a backup)
unless KEEP=1, `make reset-demo` exists, and only `make test` installs the Node gateway (gateway/)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def dry_run(*args: str) -> str:
    """What make would run, every target taken as out of date (-B), nothing run (-n)."""
    done = make("-n", "-B", *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_demo_does_not_install_the_node_gateway_but_test_does() -> None:
    assert "npm" not in dry_run("demo")
    assert "npm ci" in dry_run("test")


def test_demo_starts_afresh_unless_keep() -> None:
    assert "gridbot.db.bak" in dry_run("demo")
    assert "gridbot.db.bak" not in dry_run("demo", "KEEP=1")


def test_reset_demo_keeps_the_old_database_as_a_backup(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    demo.mkdir()
    (demo / "gridbot.db").write_text("second run", encoding="utf-8")
    (demo / "gridbot.db-wal").write_text("its wal", encoding="utf-8")
    (demo / "gridbot.db.bak").write_text("first run", encoding="utf-8")
    (demo / "gridbot.db.bak-wal").write_text("first run's wal", encoding="utf-8")
    done = make("-s", "reset-demo", f"DEMO_DIR={demo}")
    assert done.returncode == 0, done.stderr
    assert not (demo / "gridbot.db").exists()
    assert not (demo / "gridbot.db-wal").exists()
    # the database with its own WAL, renamed alike (SQLite finds NAME-wal next to NAME)
    assert (demo / "gridbot.db.bak").read_text(encoding="utf-8") == "second run"
    assert (demo / "gridbot.db.bak-wal").read_text(encoding="utf-8") == "its wal"
    assert done.stderr.strip() == (
        f"demo: a fresh database; the previous one is {demo}/gridbot.db.bak (make demo KEEP=1 keeps it)"
    )
    again = make("-s", "reset-demo", f"DEMO_DIR={demo}")  # nothing to move: nothing said, backup untouched
    assert (again.returncode, again.stderr) == (0, "")
    assert (demo / "gridbot.db.bak").read_text(encoding="utf-8") == "second run"
