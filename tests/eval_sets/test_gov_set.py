"""The gov question set (eval/gov/questions.jsonl) is true to its documents, and the checker
(eval/check_gov.py) catches each kind of broken record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.check_gov import file_problems, main, record_problems
from eval.sets import GOV_DIR

DOC = "g01_xiaofei_bangfu_zhanxiaohui.txt"
GOOD = {"id": "g900", "doc": DOC, "question": "展销会两天现场卖了多少钱？", "kind": "quantity",
        "lang": "zh-Hans", "answerable": True, "expect": ["超86万"], "forbid": ["9万元"],
        "evidence": "两天内累计接待市民约3.2万人次，现场销售额超86万元", "trap": ""}


@pytest.fixture(scope="module")
def docs() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in (GOV_DIR / "docs").glob("*.txt")}


def test_the_set_of_record_has_no_problem() -> None:
    assert file_problems(GOV_DIR / "questions.jsonl") == []


def test_a_good_record_passes(docs: dict[str, str]) -> None:
    assert record_problems(GOOD, docs) == []


@pytest.mark.parametrize(("change", "problem"), [
    ({"evidence": "两天内累计接待市民约3.5万人次"}, "evidence 不是"),
    ({"expect": ["超96万"]}, "expect '超96万' 不在 evidence 中"),
    ({"forbid": ["超86万"]}, "也是 expect"),
    ({"lang": "zh-Hant"}, "没有繁体字"),
    ({"question": "How much was sold?"}, "中文问题里没有汉字"),
    ({"doc": "g99.txt"}, "不在 eval/gov/docs/"),
    ({"kind": "number"}, "kind 'number'"),
    ({"trap": "time_shift"}, "trap 应为空"),
    ({"answerable": False}, "expect 和 evidence 应为空"),
    ({"id": "x1"}, "id 'x1'"),
])
def test_each_kind_of_broken_record_is_named(docs: dict[str, str], change: dict, problem: str) -> None:
    found = record_problems({**GOOD, **change}, docs)
    assert any(problem in p for p in found), found


def test_unanswerable_needs_a_trap_kind(docs: dict[str, str]) -> None:
    rec = {**GOOD, "answerable": False, "expect": [], "evidence": "", "trap": ""}
    assert any("trap 应为" in p for p in record_problems(rec, docs))
    assert record_problems({**rec, "trap": "entity_swap"}, docs) == []


def test_a_file_with_repeats_and_bad_json_fails_naming_the_line(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "more.jsonl"
    path.write_text("\n".join([json.dumps(GOOD, ensure_ascii=False), json.dumps(GOOD, ensure_ascii=False),
                               "{not json"]) + "\n", encoding="utf-8")
    problems = file_problems(path)
    assert any(":2 (g900): id 与第 1 行重复" in p for p in problems)
    assert any(":3: 不是合法的 JSON" in p for p in problems)
    with pytest.raises(SystemExit) as e:
        main([str(path)])
    assert e.value.code == 1 and "重复" in capsys.readouterr().out
