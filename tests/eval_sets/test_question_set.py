"""Validate ``eval/questions.jsonl``: well formed, balanced, and true to the seed article.

Each answerable question's ``evidence`` must be an exact substring of the repaired seed text
lying inside one sentence, every ``expect`` item (or one of its aliases) must occur in the
search form of that evidence, and no ``forbid`` item may.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from eval.check_gov import field_problems, item_problem, lang_problems
from ingest.normalize import search_form
from ingest.repair import repair_text
from ingest.split import split_sentences

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = ROOT / "eval" / "questions.jsonl"
SEED = ROOT / "docs" / "000_3eb5a6fcadb296c6.txt"

FIELDS = {
    "id": str, "question": str, "kind": str, "lang": str, "answerable": bool,
    "expect": list, "forbid": list, "evidence": str,
}
KINDS = {"quantity", "person", "date", "place", "quote", "other"}
LANGS = {"zh-Hans", "zh-Hant", "en"}
ID_FORM = re.compile(r"q\d{3,}")


@pytest.fixture(scope="module")
def seed_text() -> str:
    return repair_text(SEED.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed_sentences(seed_text: str) -> list[str]:
    return [seed_text[start:end] for start, end in split_sentences(seed_text)]


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return [json.loads(line) for line in _lines()]


def _lines() -> list[str]:
    """The lines of the question file (each must be one JSON record; blank lines are errors)."""
    return QUESTIONS.read_text(encoding="utf-8").splitlines()


def _shape_problems(rec: Any) -> list[str]:
    """What is wrong with one record's fields and types (empty when it is well formed)."""
    problems = field_problems(rec, FIELDS)
    if problems:
        return problems
    if not ID_FORM.fullmatch(rec["id"]):
        problems.append(f"id {rec['id']!r} is not like q001")
    if not rec["question"].strip():
        problems.append("empty question")
    if rec["kind"] not in KINDS:
        problems.append(f"kind {rec['kind']!r} not in {sorted(KINDS)}")
    if rec["lang"] not in LANGS:
        problems.append(f"lang {rec['lang']!r} not in {sorted(LANGS)}")
    for key in ("expect", "forbid"):
        for item in rec[key]:
            aliases = item if isinstance(item, list) else [item]
            if bad := item_problem(key, item):
                problems.append(bad)
            elif key == "forbid" and isinstance(item, list):
                problems.append(f"forbid item {item!r} must be a plain string")
            elif any(search_form(a) != a for a in aliases):
                problems.append(f"{key} item {item!r} is not in search form (simplified, lower case)")
    if rec["answerable"] and (not rec["expect"] or not rec["evidence"]):
        problems.append("answerable question needs expect and evidence")
    if not rec["answerable"] and (rec["expect"] or rec["evidence"]):
        problems.append("unanswerable question must have empty expect and evidence")
    return problems


def _evidence_problems(rec: dict[str, Any], text: str, sentences: list[str]) -> list[str]:
    """What makes an answerable record's evidence fail to support its expect/forbid lists."""
    evidence = rec["evidence"]
    if evidence not in text:
        return [f"evidence {evidence!r} is not a substring of the repaired seed"]
    problems = []
    if not any(evidence in s for s in sentences):
        problems.append(f"evidence {evidence!r} spans more than one sentence")
    form = search_form(evidence)
    for item in rec["expect"]:
        aliases = item if isinstance(item, list) else [item]
        if not any(a in form for a in aliases):
            problems.append(f"expect {item!r} does not occur in the evidence {form!r}")
    problems += [f"forbid {f!r} occurs in the evidence" for f in rec["forbid"] if f in form]
    return problems


def _lang_problem(rec: dict[str, Any]) -> str | None:
    """Whether the question's script matches its ``lang`` (the gov set's check, shared)."""
    problems = lang_problems(rec)
    return problems[0] if problems else None


@pytest.mark.parametrize("lineno", range(1, len(_lines()) + 1))
def test_each_line_is_a_valid_record(lineno: int) -> None:
    line = _lines()[lineno - 1]
    try:
        rec = json.loads(line)
    except json.JSONDecodeError as exc:
        pytest.fail(f"{QUESTIONS.name}:{lineno}: not valid JSON ({exc})")
    problems = _shape_problems(rec)
    if not problems and (lang := _lang_problem(rec)):
        problems.append(lang)
    assert not problems, f"{QUESTIONS.name}:{lineno}: {problems}"


def test_answerable_evidence_supports_expect_and_not_forbid(
    records: list[dict[str, Any]], seed_text: str, seed_sentences: list[str]
) -> None:
    bad = {r["id"]: p for r in records if r["answerable"]
           and (p := _evidence_problems(r, seed_text, seed_sentences))}
    assert not bad, bad


def test_ids_and_questions_are_unique(records: list[dict[str, Any]]) -> None:
    ids = Counter(r["id"] for r in records)
    assert [i for i, n in ids.items() if n > 1] == []
    # Compared in search form, so a zh-Hant line may not merely transliterate a zh-Hans one.
    forms = Counter(search_form(r["question"]).strip() for r in records)
    assert [q for q, n in forms.items() if n > 1] == []


def test_set_size_and_balance(records: list[dict[str, Any]]) -> None:
    langs = Counter(r["lang"] for r in records)
    assert len(records) >= 60
    assert sum(not r["answerable"] for r in records) >= 12
    assert langs["en"] >= 8 and langs["zh-Hant"] >= 8
    assert {r["kind"] for r in records if r["answerable"]} == KINDS


def test_both_sides_of_each_time_scope_trap_are_asked(records: list[dict[str, Any]]) -> None:
    """今年 vs 累计 donations and produce sales: each figure asked at least twice, forbidding the other."""
    pairs = [("193万", "800万"), ("800万", "193万"), ("80万", "800万"), ("800万", "超80万")]
    for wanted, trap in pairs:
        hits = [r["id"] for r in records if wanted in r["expect"] and trap in r["forbid"]]
        assert len(hits) >= 2, (wanted, trap, hits)


def test_validator_rejects_broken_records(seed_text: str, seed_sentences: list[str]) -> None:
    """The checks above can fail: a record with each kind of defect is reported."""
    assert _shape_problems({"id": "x1", "question": "", "kind": "size", "lang": "fr", "answerable": True,
                            "expect": [], "forbid": [["a"]], "evidence": ""})
    assert _shape_problems({"id": "q001"})
    assert _lang_problem({"question": "今年社會捐贈多少？", "lang": "zh-Hans"})
    rec = {"expect": ["193万"], "forbid": [], "evidence": "社會捐贈超800萬元"}
    assert _evidence_problems(rec, seed_text, seed_sentences)
    rec = {"expect": ["800万"], "forbid": ["800万"], "evidence": "社會捐贈超800萬元"}
    assert _evidence_problems(rec, seed_text, seed_sentences)
    rec = {"expect": ["193万"], "forbid": [], "evidence": "社会捐赠折合共计约193万元"}
    assert _evidence_problems(rec, seed_text, seed_sentences)
    rec = {"expect": ["沈志攀"], "forbid": [], "evidence": "參加了本次活動。期間，鎮長沈志攀"}
    assert _evidence_problems(rec, seed_text, seed_sentences) == [
        f"evidence {rec['evidence']!r} spans more than one sentence"]
    rec = {"expect": ["193万"], "forbid": [], "evidence": "社會捐贈折合共計約193萬元"}
    assert not _evidence_problems(rec, seed_text, seed_sentences)
