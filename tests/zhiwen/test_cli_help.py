"""The command line's help states the defaults the code uses, and ``zhiwen eval`` says
that it needs the source checkout (no index or model needed)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.engine import DEFAULT_K
from zhiwen.cli import EVAL_NEEDS_CHECKOUT, cli
from zhiwen.errors import ZhiwenError


@pytest.mark.parametrize("command", ["ask", "chat"])
def test_k_help_names_the_engines_default(command: str) -> None:
    out = CliRunner().invoke(cli, [command, "--help"]).output
    assert f"读取的段落数（默认 {DEFAULT_K}）" in out


def test_points_takes_the_script_setting() -> None:
    out = CliRunner().invoke(cli, ["points", "--help"]).output
    assert "--script" in out and "original" in out


def test_eval_says_it_needs_the_checkout() -> None:
    out = CliRunner().invoke(cli, ["eval", "--help"]).output
    assert "源码目录" in out and "../shared/benchmarks/" in out


def test_eval_outside_a_checkout_fails_in_chinese(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["eval", "--limit", "1"])
    assert isinstance(result.exception, ZhiwenError)
    assert str(result.exception) == EVAL_NEEDS_CHECKOUT


def test_the_wheel_leaves_eval_out() -> None:
    config = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text("utf-8"))
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    assert not any(p.startswith("eval") for p in include) and "qa*" in include
