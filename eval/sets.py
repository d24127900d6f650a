"""Question sets and scoring rules shared by the eval runner, the trainer and benchmarks."""

from __future__ import annotations

import json
import sys
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
MRC_DIR = ROOT.parent / "shared" / "benchmarks" / "mrc"
GOV_DIR = ROOT / "eval" / "gov"
GOV_QUESTIONS = GOV_DIR / "questions.jsonl"


def split_of(group: str, test_share: float = 0.5) -> str:
    """``"fit"`` or ``"test"`` for a document (or an RGB question, which has its own
    passages), by a hash of its name: the reader is fitted on ``fit`` only, and ``test``
    is opened only to report. RGB splits half and half, our gov set 60/40."""
    import hashlib

    h = int(hashlib.sha256(("split:" + group).encode()).hexdigest(), 16) % 1000
    return "test" if h < test_share * 1000 else "fit"


GOV_TEST_SHARE = 0.4


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


def asked(path: Path, key: str = "question") -> list[dict[str, Any]]:
    """The rows of a question file that ask something: a row whose question is empty (CMRC
    2018's trial split has two) is skipped with a warning naming the file and line, rather
    than crashing a retriever that cannot embed an empty query."""
    rows = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            r = json.loads(line)
            if not str(r.get(key, "")).strip():
                print(f"{path.name} 第 {n} 行：问题为空，已跳过", file=sys.stderr)
                continue
            rows.append(r)
    return rows


def load_questions(path: Path = QUESTIONS) -> list[Question]:
    """Our own question set over ``docs/`` (see eval/questions.jsonl)."""
    return [
        Question(id=str(r["id"]), question=r["question"], expect=tuple(r.get("expect", ())),
                 forbid=tuple(r.get("forbid", ())), kind=r.get("kind", "other"),
                 lang=r.get("lang", "zh-Hans"), answerable=bool(r.get("answerable", True)),
                 evidence=r.get("evidence", ""), extra={"doc": r.get("doc", "")})
        for r in asked(path)
    ]


def load_rgb_questions(path: Path = RGB_QUESTIONS, split: str = "all") -> list[Question]:
    """RGB's questions (``{"id", "query", "answer"}``); all are answerable. ``split``:
    ``fit``, ``test`` (never fitted on) or ``all``."""
    return [Question(id=f"rgb-q{r['id']}", question=r["query"], expect=tuple(r["answer"]),
                     kind="rgb") for r in asked(path, "query")
            if split == "all" or split_of(f"rgb-{r['id']}") == split]


def load_gov_questions(path: Path = GOV_QUESTIONS, split: str = "all") -> list[Question]:
    """The questions over ``eval/gov/docs`` (written for this project), by document split."""
    return [q for q in load_questions(path)
            if split == "all" or split_of(q.extra["doc"], GOV_TEST_SHARE) == split]


def load_mrc_questions(name: str) -> list[Question]:
    """DRCD or CMRC questions: any annotated answer suffices (one alias list)."""
    return [Question(id=r["id"], question=r["question"], expect=(list(r["answers"]),), kind=name,
                     lang="zh-Hant" if name == "drcd" else "zh-Hans", extra={"doc": r["doc_id"]})
            for r in asked(MRC_DIR / f"{name}.questions.jsonl")]


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
