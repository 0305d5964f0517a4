"""The nlp commands as the lead's `gridbot` CLI calls them."""

import argparse
import io
import json
from pathlib import Path

import pytest

from bot.cli.nlp import add_nlp_subcommands, run_classify
from nlp.fallback import Fallback


def test_classify_reads_plain_and_json_lines_and_survives_bad_ones() -> None:
    stdin = io.StringIO('楼道灯坏了好几天了\n{"text": "谢谢大家"}\n{"text": \n\n{"other": 1}\n{"text": 5}\n')
    stdout = io.StringIO()
    assert run_classify(stdin, stdout) == 0
    rows = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert [r.get("category") for r in rows] == ["repairs", "none", None, None, None]
    assert all("error" in r for r in rows[2:])
    assert rows[0]["clarify"] is False
    assert rows[0]["is_ticket"] is True


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="gridbot")
    add_nlp_subcommands(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_eval_prints_the_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "set.jsonl"
    rows = [
        {"text": "楼上装修电钻声太吵了", "category": "noise", "urgency": "normal"},
        {"text": "电梯困人了快来人", "category": "repairs", "urgency": "urgent"},
        {"text": "大家早上好", "category": "none", "urgency": "normal"},
    ]
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    args = _parse(["nlp", "eval", str(data)])
    assert args.func(args) == 0
    figures = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert figures["examples"] == 3
    assert {"accuracy", "macro_f1", "ticket_precision", "ticket_recall", "urgent_recall"} <= set(figures)


def test_report_lists_corrections_still_wrong_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text(
        '{"text": "大家早上好"}\n{"text": "阳台上的蜂窝越来越大", "category": "safety"}\n', encoding="utf-8"
    )
    args = _parse(["nlp", "report", str(rows)])
    assert args.func(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("1 unmatched, 1 corrected")
    assert "蜂窝" in lines[2]  # the correction the classifier still misses comes first


def test_train_writes_a_model_that_loads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    extra = tmp_path / "extra.jsonl"
    extra.write_text('{"text": "阳台上的蜂窝越来越大", "category": "safety"}\n', encoding="utf-8")
    out = tmp_path / "model.npz"
    args = _parse(["nlp", "train", "--extra", str(extra), "--out", str(out)])
    assert args.func(args) == 0
    assert json.loads(capsys.readouterr().out)["extra_examples"] == 1
    model = Fallback.load(out)
    assert model is not None
    assert "safety" in model.classes
    assert model.ticket_weights


@pytest.mark.parametrize("command", ["eval", "report", "train --extra"])
def test_a_file_that_cannot_be_read_is_one_line_and_exit_2(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli.main import main

    missing = tmp_path / "missing.jsonl"
    out = ["--out", str(tmp_path / "m.npz")] if "train" in command else []
    with pytest.raises(SystemExit) as exited:
        main(["nlp", *command.split(), str(missing), *out])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err == f"gridbot: {missing}: No such file or directory\n"
    assert not (tmp_path / "m.npz").exists()


def test_eval_of_a_line_that_is_not_a_labelled_example_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli.main import main

    data = tmp_path / "set.jsonl"
    data.write_text('{"text": "楼道灯坏了", "category": "repairs"}\n{"text": "x"}\n', encoding="utf-8")
    assert main(["nlp", "eval", str(data)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"gridbot: {data}:2: not a labelled example")
    assert captured.err.count("\n") == 1
