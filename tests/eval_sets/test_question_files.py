"""Question files with rows that ask nothing: skipped with a warning naming file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.sets import load_questions, load_rgb_questions


def test_an_empty_question_is_skipped_and_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "questions.jsonl"
    rows = [{"id": "1", "question": "今年社会捐赠一共多少？"}, {"id": "2", "question": "  "},
            {"id": "3", "question": "德江班招收多少名学生？"}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    qs = load_questions(path)
    assert [q.id for q in qs] == ["1", "3"]
    assert "questions.jsonl 第 2 行：问题为空" in capsys.readouterr().err


def test_rgb_rows_are_checked_on_their_query(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "rgb.jsonl"
    rows = [{"id": 1, "query": "", "answer": ["x"]}, {"id": 2, "query": "谁赢了？", "answer": ["y"]}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    assert [q.question for q in load_rgb_questions(path)] == ["谁赢了？"]
    assert "rgb.jsonl 第 1 行" in capsys.readouterr().err
