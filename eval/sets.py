"""Question sets and scoring rules shared by the eval runner, the trainer and benchmarks."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.normalize import search_form

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "eval" / "questions.jsonl"
CLAIMS = ROOT / "eval" / "claims.jsonl"
RGB_DIR = ROOT.parent / "shared" / "benchmarks" / "rgb"
RGB_CORPUS = RGB_DIR / "corpus.jsonl"
RGB_QUESTIONS = RGB_DIR / "questions.dev.jsonl"


@dataclass(frozen=True, slots=True)
class Question:
    """One evaluation question; ``expect`` elements may be alias lists (any one suffices)."""

    id: str
    question: str
    expect: tuple[Any, ...]
    forbid: tuple[str, ...] = ()
    kind: str = "other"
    lang: str = "zh-Hans"
    answerable: bool = True
    evidence: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_questions(path: Path = QUESTIONS) -> list[Question]:
    """Our own question set over ``docs/`` (see eval/questions.jsonl)."""
    return [
        Question(id=str(r["id"]), question=r["question"], expect=tuple(r.get("expect", ())),
                 forbid=tuple(r.get("forbid", ())), kind=r.get("kind", "other"),
                 lang=r.get("lang", "zh-Hans"), answerable=bool(r.get("answerable", True)),
                 evidence=r.get("evidence", ""))
        for r in read_jsonl(path)
    ]


def load_rgb_questions(path: Path = RGB_QUESTIONS) -> list[Question]:
    """RGB's questions (``{"id", "query", "answer"}``); all are answerable."""
    return [Question(id=f"rgb-q{r['id']}", question=r["query"], expect=tuple(r["answer"]),
                     kind="rgb") for r in read_jsonl(path)]


def _norm(text: str) -> str:
    return search_form(text).replace(" ", "")


def rgb_correct(prediction: str, answer: tuple[Any, ...] | list[Any]) -> bool:
    """RGB's rule: lower-case, drop spaces; every element must appear (a list element
    is a set of aliases, any one of which suffices). Both sides are also brought to
    simplified script and half width, which only makes matching script-blind."""
    pred = _norm(prediction)
    for el in answer:
        options = el if isinstance(el, list) else [el]
        if not any(_norm(str(o)) in pred for o in options):
            return False
    return True


def expect_correct(prediction: str, q: Question) -> bool:
    """Our sets' rule: every ``expect`` element in the answer, no ``forbid`` string in it."""
    pred = _norm(prediction)
    return rgb_correct(prediction, q.expect) and not any(_norm(f) in pred for f in q.forbid)
