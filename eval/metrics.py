"""Metric functions of the evaluation harness: pure functions over per-question outcomes.

Every function here works on plain values (ranks, booleans, milliseconds), so each can be
checked on small hand-made inputs. :func:`summarize` turns a group of
:class:`Outcome` records (one question answered by one column) into the figures the
report prints.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

_MARKERS = re.compile(r"\s*\[\d+\]")


def first_hit_rank(texts: Sequence[str], is_hit: Callable[[str], bool]) -> int | None:
    """1-based rank of the first text for which ``is_hit`` holds, or ``None``."""
    for rank, text in enumerate(texts, 1):
        if is_hit(text):
            return rank
    return None


def hit_at(ranks: Sequence[int | None], k: int) -> float | None:
    """Share of questions whose first hit is at rank ``k`` or better (``None`` when empty)."""
    if not ranks:
        return None
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def mrr(ranks: Sequence[int | None]) -> float | None:
    """Mean reciprocal rank; a question with no hit contributes 0 (``None`` when empty)."""
    if not ranks:
        return None
    return sum(1.0 / r for r in ranks if r is not None) / len(ranks)


def abstention_pr(pairs: Iterable[tuple[bool, bool]]) -> tuple[float | None, float | None]:
    """Precision and recall of abstaining, from ``(abstained, answerable)`` pairs.

    Precision: of the abstentions, the share on unanswerable questions. Recall: of the
    unanswerable questions, the share abstained on. ``None`` where the denominator is 0.
    """
    abstained = right = unanswerable = 0
    for did_abstain, answerable in pairs:
        abstained += did_abstain
        unanswerable += not answerable
        right += did_abstain and not answerable
    precision = right / abstained if abstained else None
    recall = right / unanswerable if unanswerable else None
    return precision, recall


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (linear interpolation), ``None`` for no values."""
    if not values:
        return None
    return float(np.percentile(np.asarray(values, dtype=float), q))


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def strip_markers(answer: str) -> str:
    """The answer without its citation markers (``…约193万元[1]`` → ``…约193万元``)."""
    return _MARKERS.sub("", answer).strip()


def budget(answer: str, limit: int) -> str:
    """The answer cut to ``limit`` characters (the same budget for every column)."""
    return answer[:limit]


def ratio(value: float | None, base: float | None) -> float | None:
    """``value / base``, ``None`` when either is missing or the base is 0."""
    if value is None or base is None or base == 0:
        return None
    return value / base


@dataclass(slots=True)
class Outcome:
    """One question answered by one column.

    ``answer`` is the budgeted answer (markers stripped, cut to the budget); ``full`` the
    untruncated one. ``correct``/``correct_full`` are already scored by the set's rule
    (``False`` whenever the column abstained on an answerable question). ``citation_valid``
    is ``None`` for columns without citations or questions they did not answer.
    """

    qid: str
    kind: str
    answerable: bool
    answer: str
    full: str
    abstained: bool
    correct: bool
    correct_full: bool
    hit_rank: int | None
    retrieve_ms: float
    answer_ms: float
    citation_valid: bool | None = None
    top3: list[dict[str, Any]] = field(default_factory=list)

    @property
    def right(self) -> bool:
        """Right answer on an answerable question, abstention on an unanswerable one."""
        return self.correct if self.answerable else self.abstained


def summarize(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """Figures for one group of outcomes of one column (a set, or one kind of a set)."""
    answerable = [o for o in outcomes if o.answerable]
    ranks = [o.hit_rank for o in answerable]
    answered = [o for o in outcomes if not o.abstained]
    precision, recall = abstention_pr((o.abstained, o.answerable) for o in outcomes)
    cited = [o.citation_valid for o in answerable if o.citation_valid is not None]
    retrieve = [o.retrieve_ms for o in outcomes]
    answer = [o.answer_ms for o in outcomes]
    total = [o.retrieve_ms + o.answer_ms for o in outcomes]
    n = len(answerable)
    return {
        "n": len(outcomes),
        "answerable": n,
        "hit@1": hit_at(ranks, 1),
        "hit@5": hit_at(ranks, 5),
        "mrr": mrr(ranks),
        "accuracy": sum(o.correct for o in answerable) / n if n else None,
        "accuracy_full": sum(o.correct_full for o in answerable) / n if n else None,
        "right": sum(o.right for o in outcomes) / len(outcomes) if outcomes else None,
        "abstain_precision": precision,
        "abstain_recall": recall,
        "citation_valid": sum(cited) / len(cited) if cited else None,
        "mean_len": mean([len(o.answer) for o in answered]),
        "mean_len_full": mean([len(o.full) for o in answered]),
        "retrieve_p50": percentile(retrieve, 50),
        "retrieve_p95": percentile(retrieve, 95),
        "answer_p50": percentile(answer, 50),
        "answer_p95": percentile(answer, 95),
        "total_p50": percentile(total, 50),
        "total_p95": percentile(total, 95),
    }


def below_thresholds(summary: dict[str, Any], thresholds: dict[str, float]) -> list[str]:
    """Each figure of ``summary`` under its threshold, as a Chinese line (empty: all pass).

    A figure that is missing (``None``) fails: a gate that cannot be measured is not passed.
    """
    problems = []
    for key, floor in thresholds.items():
        value = summary.get(key)
        if value is None or value < floor:
            shown = "无法计算" if value is None else f"{value:.3f}"
            problems.append(f"{key} = {shown}，低于门槛 {floor:.3f}")
    return problems
