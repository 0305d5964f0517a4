"""Config that must be refused: one English line naming the key, exit 2, never a traceback.

The table is what a careless operator wrote (issue 22); the property tests feed the loader random
files and random edits of a good one, and nothing but ConfigError may come out.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli.main import main
from bot.core.settings import ConfigError, load_settings

BASE = """
people:
  - {id: wxid_zhangyan, name: 张燕, role: grid_worker}
  - {id: wxid_li, name: 李网格, role: grid_worker}
grids:
  - {id: g10, name: 第十网格, worker: wxid_zhangyan, groups: [room_a]}
  - {id: g11, name: 第十一网格, worker: wxid_li, groups: [room_b]}
community: {name: 美景社区, staff_chat: room_staff}
"""


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "config.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


REFUSED = [
    ("", "the config file is empty"),
    ("# only a comment\n", "the config file is empty"),
    (BASE.replace("g11, name: 第十一网格", "g10, name: 第十一网格"), "grids.g10: the grid id 'g10' is used twice"),
    (BASE.replace("第十一网格", "第十网格"), "grids.g11.name: the grid name '第十网格' is used twice"),
    (
        BASE.replace("id: wxid_li, name: 李网格", "id: wxid_zhangyan, name: 李网格"),
        "people: the person id 'wxid_zhangyan'",
    ),
    (BASE.replace("id: wxid_li,", "id: '',"), "people: '李网格' has an empty id"),
    (BASE.replace("staff_chat: room_staff", "staff_chat: room_a"), "community.staff_chat: 'room_a' is a residents'"),
    (BASE + "limits: {max_text_chars: -5}\n", "limits.max_text_chars: Input should be greater than or equal to 1"),
    (BASE + "limits: {flood_per_minute: 0}\n", "limits.flood_per_minute: Input should be greater than or equal to 1"),
    (BASE + "limits: {retention_days: 0}\n", "limits.retention_days"),
    (BASE + "sweep_interval_seconds: 0\n", "sweep_interval_seconds: Input should be greater than or equal to 1"),
    (BASE + "rating_window_hours: -1\n", "rating_window_hours: Input should be greater than 0"),
    (BASE + "promise_hours: .inf\n", "promise_hours"),
    (BASE + "outbox: {per_chat_per_minute: 0}\n", "outbox.per_chat_per_minute"),
    (BASE + "outbox: {global_per_minute: -1}\n", "outbox.global_per_minute"),
    (BASE + "outbox: {max_attempts: 0}\n", "outbox.max_attempts"),
    (BASE + "account_limits: {messages_per_day: 0}\n", "account_limits.messages_per_day"),
    (BASE + "account_limits: {warn_at: 2}\n", "account_limits.warn_at: Input should be less than or equal to 1"),
    (BASE + "ladder: [{level: 1, role: grid_worker, name: 网格员, deadline: 0}]\n", "ladder.0.deadline"),
    (BASE + "categories: {noise: {name: 噪音, deadline_hours: -2}}\n", "categories.noise.deadline_hours"),
    # all three weights 0: the 综合 of every community, grid and worker was silently blank (#21 review)
    (
        BASE + "digests: {score_weights: {response: 0, solved: 0, satisfied: 0}}\n",
        "digests.score_weights: at least one weight must be above 0",
    ),
    ("- a\n- b\n", "the top level must be a mapping"),
    ("people: [\n", "not valid YAML at line 2"),
    ("1: x\n", "1: keys must be names"),
]


@pytest.mark.parametrize(("text", "message"), REFUSED)
def test_refused_with_one_line_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    line = str(caught.value)
    assert message in line
    assert "\n" not in line


def test_binary_file_and_a_directory_are_refused(tmp_path: Path) -> None:
    for content in (bytes(range(256)) * 4, b"people: []\x00\x01\x02\n"):
        with pytest.raises(ConfigError, match="not a text file"):
            load_settings(write(tmp_path, content), env={})
    with pytest.raises(ConfigError, match="cannot read the config file"):
        load_settings(tmp_path, env={})


def test_cli_refuses_with_exit_2_and_no_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, bytes(range(256)))
    assert main(["replay", str(tmp_path / "log.jsonl"), "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"gridbot: {path}: not a text file")
    assert err.count("\n") == 1


@pytest.mark.parametrize("command", [["replay", "log.jsonl"], ["shell"], ["web"]])
def test_unwritable_data_dir_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    (tmp_path / "log.jsonl").write_text("", encoding="utf-8")
    # a path under a regular file cannot be created even by root (the tests may run as root)
    path = write(tmp_path, BASE + f"data_dir: {blocker / 'data'}\n")
    argv = [command[0], *(str(tmp_path / c) for c in command[1:]), "--config", str(path)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"gridbot: data_dir: {blocker / 'data'} is not a writable directory")
    assert err.count("\n") == 1


# -- property-based: whatever the file says, the loader answers with Settings or one ConfigError line --

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["", "wxid_zhangyan", "room_a", "room_staff", "g10", "25:00", "grid_worker", "2026-13-40"]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(string.ascii_lowercase + "_", max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


GOOD = yaml.safe_load(BASE + "limits: {max_text_chars: 100}\noutbox: {max_attempts: 3}\nrating_window_hours: 24\n")
GOOD_PATHS = _paths(GOOD)


def _load(tmp_path: Path, content: str | bytes) -> None:
    try:
        load_settings(write(tmp_path, content), env={})
    except ConfigError as exc:
        line = str(exc)
        assert line.strip()
        assert "\n" not in line, line
        assert "Traceback" not in line


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200))
def test_any_bytes_give_settings_or_one_line(tmp_path: Path, content: bytes) -> None:
    _load(tmp_path, content)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(sorted({*GOOD, "limits", "outbox", "ladder", "dedupe", "web", "x"})), values))
def test_any_mapping_gives_settings_or_one_line(tmp_path: Path, top: dict[str, Any]) -> None:
    _load(tmp_path, yaml.safe_dump(top, allow_unicode=True))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(GOOD_PATHS), values)
def test_one_edited_value_is_refused_by_its_key_or_loads(tmp_path: Path, where: tuple[Any, ...], value: Any) -> None:
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    node = data
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    try:
        load_settings(write(tmp_path, yaml.safe_dump(data, allow_unicode=True)), env={})
    except ConfigError as exc:
        line = str(exc)
        assert "\n" not in line, line
        # the message names where the edit was: its top-level key, or the person or grid it broke
        org = {"people", "grids", "community"}  # these refer to one another: a break may be named from either side
        named = {str(where[0])} | (org if where[0] in org else set())
        assert any(name in line for name in named), (where, value, line)
