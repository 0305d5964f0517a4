"""Shared test setup."""

pytest_plugins = ["tests.pg_fixture"]
