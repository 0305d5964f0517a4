"""Who the database last knew as each grid's worker and area cadre, so a change is noticed at reload and start-up."""

from __future__ import annotations

import json

from sqlalchemy import text

from storage.repository import Repo

KEY = "grid_workers"
CADRES_KEY = "grid_area_cadres"  # grid id → area cadre ("" for none), kept apart from the workers' record


def lock(repo: Repo) -> None:
    """PostgreSQL: one process at a time compares and moves (the others then find nothing to do)."""
    if repo.postgres:
        repo.session.execute(text("SELECT pg_advisory_xact_lock(7312, 0)"))


def last_workers(repo: Repo, key: str = KEY) -> dict[str, str] | None:
    """grid id → default worker (or, with CADRES_KEY, area cadre) as last recorded; None before any record."""
    raw = repo.meta(key)
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else None


def save_workers(repo: Repo, workers: dict[str, str], key: str = KEY) -> None:
    value = json.dumps(workers, sort_keys=True, ensure_ascii=False)
    if repo.meta(key) != value:
        repo.set_meta(key, value)
