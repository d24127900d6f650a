"""Runs every column over one question set and scores it: the body of ``python -m eval``.

:func:`evaluate` returns one JSON-ready result: the summary per column, the breakdown per
question ``kind``, ratios against the llama-index column (c), and a record per question
with each column's answer, so the report writer and ``--compare`` need nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict
from typing import Any

from eval.columns import Column, Raw
from eval.metrics import Outcome, budget, ratio, strip_markers, summarize
from eval.sets import Question, expect_correct, rgb_correct
from qa.render import MAX_ANSWER

RATIO_BASE = "c"

Rule = Callable[[str, Question], bool]


def rule_for(name: str) -> Rule:
    """The answer rule of a set: ``"expect"`` (our sets: expect in, forbid out) or ``"rgb"``."""
    if name == "rgb":
        return lambda pred, q: rgb_correct(pred, q.expect)
    if name == "expect":
        return expect_correct
    raise ValueError(f"unknown rule {name!r}: use 'expect' or 'rgb'")


def is_evidence(q: Question, text: str, rule: str) -> bool:
    """Whether a retrieved chunk counts as a hit: it holds the question's ``evidence``
    string, or (RGB, or no evidence given) its answer by RGB's rule."""
    if rule != "rgb" and q.evidence:
        return q.evidence in text
    return bool(q.expect) and rgb_correct(text, q.expect)


def citation_valid(index: Any, q: Question, raw: Raw) -> bool:
    """Every quote equals its document at its offsets, and one quote holds the answer."""
    if not raw.citations:
        return False
    exact = all(c.quote == index.doc(c.doc_id).text[c.start : c.end] for c in raw.citations)
    return exact and any(rgb_correct(c.quote, q.expect) for c in raw.citations)


def _top3(index: Any, q: Question, raw: Raw, rule: str) -> list[dict[str, Any]]:
    return [{"source": index.doc(c.doc_id).source, "start": c.start,
             "hit": is_evidence(q, c.text, rule), "text": c.text[:80].replace("\n", " ")}
            for c in raw.chunks[:3]]


def score(index: Any, col: Column, q: Question, raw: Raw, rule: str, limit: int,
          keep_top3: bool = True) -> Outcome:
    """One column's answer to one question, scored under the answer-length budget; a wrong
    answer keeps its top-3 hits (for the failure listing) when ``keep_top3``."""
    judge = rule_for(rule)
    full = strip_markers(raw.answer)
    short = budget(full, limit)
    ok = q.answerable and not raw.abstained
    ranks = [i for i, c in enumerate(raw.chunks, 1) if is_evidence(q, c.text, rule)]
    out = Outcome(
        qid=q.id, kind=q.kind, answerable=q.answerable, answer=short, full=full,
        abstained=raw.abstained, correct=ok and judge(short, q), correct_full=ok and judge(full, q),
        hit_rank=ranks[0] if ranks else None, retrieve_ms=raw.retrieve_ms, answer_ms=raw.answer_ms,
        citation_valid=citation_valid(index, q, raw) if col.cites and ok else None,
    )
    if keep_top3 and not out.right:
        out.top3 = _top3(index, q, raw, rule)
    return out


def _ratios(summary: dict[str, dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    base = summary.get(RATIO_BASE)
    if base is None:
        return {}
    return {key: {"accuracy": ratio(s["accuracy"], base["accuracy"]),
                  "latency": ratio(s["total_p50"], base["total_p50"])}
            for key, s in summary.items()}


def evaluate(index: Any, columns: Sequence[Column], questions: Sequence[Question], rule: str,
             limit: int = MAX_ANSWER, top3_for: Collection[str] | None = ("d", "e")) -> dict[str, Any]:
    """Run every column over ``questions`` and score them (see the module docstring).

    Wrong answers of the columns in ``top3_for`` (all columns when ``None``) keep their
    top-3 hits in the result; the others' are left out to keep reports small.
    """
    outcomes: dict[str, list[Outcome]] = {}
    for col in columns:
        raws = col.run(questions)
        keep = top3_for is None or col.key in top3_for
        outcomes[col.key] = [score(index, col, q, r, rule, limit, keep)
                             for q, r in zip(questions, raws, strict=True)]
    return assemble(columns, questions, outcomes, rule, limit)


def assemble(columns: Sequence[Column], questions: Sequence[Question],
             outcomes: dict[str, list[Outcome]], rule: str, limit: int) -> dict[str, Any]:
    """The result object from scored outcomes (split out so tests can feed outcomes)."""
    summary = {key: summarize(outs) for key, outs in outcomes.items()}
    kinds = sorted({q.kind for q in questions})
    by_kind = {kind: {key: summarize([o for o in outs if o.kind == kind])
                      for key, outs in outcomes.items()} for kind in kinds}
    records = []
    for i, q in enumerate(questions):
        results = {}
        for key, outs in outcomes.items():
            o = asdict(outs[i])
            for k in ("qid", "kind", "answerable"):
                o.pop(k)
            if not o["top3"]:
                o.pop("top3")
            if o["full"] == o["answer"]:
                o.pop("full")
            o["retrieve_ms"], o["answer_ms"] = round(o["retrieve_ms"], 2), round(o["answer_ms"], 2)
            o["right"] = outs[i].right
            results[key] = o
        records.append({"id": q.id, "question": q.question, "kind": q.kind,
                        "answerable": q.answerable, "expect": list(q.expect),
                        "forbid": list(q.forbid), "results": results})
    return {
        "rule": rule,
        "budget": limit,
        "columns": [{"key": c.key, "name": c.name} for c in columns],
        "summary": summary,
        "by_kind": by_kind,
        "ratios": _ratios(summary),
        "questions": records,
    }
