"""Config errors name the key; defaults fill in what a community leaves out."""

from pathlib import Path

import pytest

from bot.core.settings import ConfigError, load_settings

BASE = """
people:
  - {id: wxid_zhangyan, name: 张燕, role: grid_worker}
grids:
  - {id: g10, name: 第十网格, worker: wxid_zhangyan, groups: [room_a]}
community: {name: 美景社区, staff_chat: room_staff}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_issue_shape_loads_with_packaged_defaults(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, BASE), env={})
    assert settings.category_name("noise") == "噪音扰民"
    assert [lv.role for lv in settings.ladder] == ["grid_worker", "area_cadre", "secretary", "street_center"]
    assert settings.grid_of_group["room_a"].id == "g10"
    assert settings.all_communities[0].name == "美景社区"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("colour: blue\n", "colour: unknown key"),
        ("texts: {ack_typo: x}\n", "texts.ack_typo: unknown key"),
        ("quiet_hours: {start: '25:00'}\n", "quiet_hours.start"),
        ("timezone: Mars/Olympus\n", "unknown time zone"),
        ("categories: {noise: {name: 噪音, start_level: 9}}\n", "categories.noise.start_level"),
    ],
)
def test_bad_keys_are_named(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        load_settings(write(tmp_path, BASE + extra), env={})


def test_unknown_person_in_grid(tmp_path: Path) -> None:
    bad = BASE.replace("worker: wxid_zhangyan", "worker: wxid_nobody")
    with pytest.raises(ConfigError, match="wxid_nobody"):
        load_settings(write(tmp_path, bad), env={})


def test_group_in_two_grids(tmp_path: Path) -> None:
    bad = BASE.replace("grids:\n", "grids:\n  - {id: g11, name: 第十一网格, worker: wxid_zhangyan, groups: [room_a]}\n")
    with pytest.raises(ConfigError, match="already in grid"):
        load_settings(write(tmp_path, bad), env={})


def test_texts_override_and_database_from_env(tmp_path: Path) -> None:
    settings = load_settings(
        write(tmp_path, BASE + "texts: {ack: '收到 #{ticket}'}\n"),
        env={"GRIDBOT_DATABASE_URL": "postgresql://u@h/db"},
    )
    assert settings.texts.ack == "收到 #{ticket}"
    assert settings.texts.err_no_role == "此命令仅限网格工作人员使用。"
    assert settings.database_url == "postgresql://u@h/db"


def test_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.yaml", env={})
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(write(tmp_path, "people: [\n"), env={})


ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ["config.yaml", "examples/demo.yaml"])
def test_shipped_configs_load(name: str) -> None:
    settings = load_settings(ROOT / name, env={})
    # every group a grid lists resolves to that grid, and every grid has a named worker
    for grid in settings.grids:
        for group in grid.groups:
            assert settings.grid_of_group[group].id == grid.id
        assert all(w in settings.people_by_id for w in grid.workers)


def test_gridbot_now_pins_a_process_clock_and_a_bad_value_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from bot.cli.main import main
    from bot.core.clock import ShiftedClock, SystemClock, clock_from_env

    tz = ZoneInfo("Asia/Shanghai")
    assert isinstance(clock_from_env(tz, {}), SystemClock)
    pinned = clock_from_env(tz, {"GRIDBOT_NOW": "2027-02-08T10:00:00"})  # naive: the deployment's zone
    assert isinstance(pinned, ShiftedClock)
    start = datetime(2027, 2, 8, 10, 0, tzinfo=tz)
    assert start <= pinned.now() < start + timedelta(minutes=1)
    assert pinned.now().tzinfo == tz
    with pytest.raises(ValueError, match="GRIDBOT_NOW: not an ISO 8601 date-time"):
        clock_from_env(tz, {"GRIDBOT_NOW": "next tuesday"})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GRIDBOT_NOW", "2027-13-45")
        assert main(["health"]) == 2
    assert capsys.readouterr().err.strip().startswith("gridbot: GRIDBOT_NOW: not an ISO 8601 date-time")
