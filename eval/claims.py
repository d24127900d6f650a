"""The fact-check claim set (``eval/claims.jsonl``) and its scorer.

Each line is ``{"id", "claim", "verdict", "source_value"?, "kind"}``: the claim, the
verdict ``zhiwen check`` must give (``supported``, ``contradicted``, ``needs_review`` for a
rounding a person should judge, ``not_found``), the source's value a contradiction or a
rounding must name, and the kind of trap (``number``, ``count``, ``year``, ``date``,
``name``, ``time_scope``, ``qualifier``, ``rounding``, ``numeral_variant``, ``supported``,
``not_addressed``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.sets import CLAIMS, read_jsonl
from ingest.normalize import search_form
from zhiwen.records import ClaimCheck
from zhiwen.session import Session


@dataclass(frozen=True, slots=True)
class ClaimCase:
    """One claim of the set and what checking it must give."""

    id: str
    claim: str
    verdict: str
    source_value: str = ""
    kind: str = "other"


def load_claims(path: Path = CLAIMS) -> list[ClaimCase]:
    """The claim set at ``path``."""
    return [ClaimCase(id=str(r["id"]), claim=r["claim"], verdict=r["verdict"],
                      source_value=r.get("source_value", ""), kind=r.get("kind", "other"))
            for r in read_jsonl(path)]  # fmt: skip


def _norm(text: str) -> str:
    return search_form(text).replace(" ", "")


def claim_correct(case: ClaimCase, got: ClaimCheck) -> bool:
    """Right verdict, and when a source value is expected, some mismatch names it."""
    if got.verdict != case.verdict:
        return False
    if not case.source_value:
        return True
    want = _norm(case.source_value)
    return any(want in _norm(m.source_value) for m in got.mismatches)


def score_claims(session: Session, path: Path = CLAIMS) -> dict[str, Any]:
    """Check every claim of the set with the fact-checker of ``session``.

    Returns ``{"total", "correct", "accuracy", "by_kind": {kind: {"total", "correct",
    "accuracy"}}, "failures": [{"id", "claim", "kind", "expected", "expected_source_value",
    "got", "mismatches", "note"}], "seconds"}``.
    """
    from check.check import ClaimSpan

    checker = session.checker()
    cases = load_claims(path)
    t0 = time.perf_counter()
    by_kind: dict[str, dict[str, Any]] = {}
    failures = []
    for case in cases:
        got = checker.check_claim(ClaimSpan(case.claim, 0, len(case.claim)))
        ok = claim_correct(case, got)
        slot = by_kind.setdefault(case.kind, {"total": 0, "correct": 0})
        slot["total"] += 1
        slot["correct"] += int(ok)
        if not ok:
            failures.append({"id": case.id, "claim": case.claim, "kind": case.kind,
                             "expected": case.verdict, "expected_source_value": case.source_value,
                             "got": got.verdict, "mismatches": [m.to_dict() for m in got.mismatches],
                             "note": got.note})  # fmt: skip
    for slot in by_kind.values():
        slot["accuracy"] = slot["correct"] / slot["total"]
    correct = sum(s["correct"] for s in by_kind.values())
    return {"total": len(cases), "correct": correct,
            "accuracy": correct / len(cases) if cases else 0.0, "by_kind": by_kind,
            "failures": failures, "seconds": round(time.perf_counter() - t0, 3)}  # fmt: skip
