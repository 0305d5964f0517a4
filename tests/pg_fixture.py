"""pytest fixtures for a real PostgreSQL server (register with `pytest_plugins = ["tests.pg_fixture"]`).

`pg_bin_dir` (session): the binaries' directory (for tests that start their own server).
`pg_server` (session): one throwaway server for the whole run, see tests/pgserver.py.
`pg_url` (function): a fresh, empty database on it; its SQLAlchemy URL.
`pg_schema_url` (function): a fresh database already at the current schema (copied from a template).

Without the binaries the tests are skipped locally but fail under CI=true: a test that needs a
real peer must not pass in CI by not running.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from tests.pgserver import PgServer, PgUnavailable, find_bin_dir


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and PostgreSQL is needed: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_bin_dir() -> Path:
    """The server binaries' directory, or skip (locally) / fail (CI=true) the test."""
    try:
        return find_bin_dir()
    except PgUnavailable as exc:
        _unavailable(str(exc))


@pytest.fixture(scope="session")
def pg_server(pg_bin_dir: Path) -> Iterator[PgServer]:
    try:
        server = PgServer(bin_dir=pg_bin_dir)
    except PgUnavailable as exc:  # e.g. root without a postgres user
        _unavailable(str(exc))
    try:
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="session")
def pg_template(pg_server: PgServer) -> str:
    """A database at the current schema, copied for each `pg_schema_url` (a copy is ~0.1 s, a schema ~0.3 s)."""
    from storage.store import Store

    name = f"tmpl_{uuid.uuid4().hex[:8]}"
    Store(pg_server.create_database(name)).dispose()
    return name


@pytest.fixture
def pg_schema_url(pg_server: PgServer, pg_template: str) -> Iterator[str]:
    """A fresh database that already has the current schema."""
    if not pg_server.is_running():
        pg_server.start()
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = pg_server.create_database(name, template=pg_template)
    yield url
    if pg_server.is_running():
        pg_server.drop_database(name)


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    # a test that stopped the server (restart tests) must not break the ones after it
    if not pg_server.is_running():
        pg_server.start()
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = pg_server.create_database(name)
    yield url
    if pg_server.is_running():
        pg_server.drop_database(name)
