"""The command line's help states the defaults the code uses (no index or model needed)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from qa.cli import cli
from qa.engine import DEFAULT_K


@pytest.mark.parametrize("command", ["ask", "chat"])
def test_k_help_names_the_engines_default(command: str) -> None:
    out = CliRunner().invoke(cli, [command, "--help"]).output
    assert f"读取的段落数（默认 {DEFAULT_K}）" in out


def test_points_takes_the_script_setting() -> None:
    out = CliRunner().invoke(cli, ["points", "--help"]).output
    assert "--script" in out and "original" in out
