"""Speech talking points (讲话要点): the strongest distinct facts on a topic, grouped under
the themes the sources use, each one speakable sentence with its citation.

Without an LLM each point is composed from its sentence (:mod:`points.compose`): a lead
phrase, the figure with its qualifier and unit, and its time scope in front when the words
kept do not state it ("今年社会捐赠折合约193万元", "自2021年与德江县结对以来，…"), every
word but the scope label cut verbatim from the source, shown in the engine's script. A
scope phrase taken from the paragraph's lead-in is cited too (the sentence that states
it). The quote of every citation is the exact source span; the pieces are chosen by
:func:`_score` (this year's and sums of a million or more first).
Themes come from the sources' own paragraph headings ("深化教育协作，…" → 教育协作).
LLM mode (see :func:`check.check_llm.smooth_bullet`) may reword bullets; numbers and citations
are checked.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from ingest.normalize import search_form
from points.compose import compose, scope_prefix
from points.themes import Unit, cite_span, units_of
from qa.engine import Engine
from qa.render import to_display
from text.scope import Scope
from zhiwen.records import Citation

DEFAULT_N = 8
MIN_TOPIC = 0.5  # share of the topic's words a document must hold to be on the topic
# headline figures first: this year's before the undated, the cumulative last (issue 14)
_SCOPE_ORDER = {Scope.THIS_YEAR: 0, Scope.NONE: 1, Scope.CUMULATIVE: 2}
# a stated scope makes a figure speakable, this year's most (the headline of a speech)
_SCOPE_BONUS = {Scope.THIS_YEAR: 1.0, Scope.CUMULATIVE: 0.5, Scope.NONE: 0.0}
HEADLINE_SUM = 1_000_000  # 元: a sum of a million or more is a headline figure


@dataclass(frozen=True, slots=True)
class TalkingPoint:
    """One bullet: its theme, one speakable sentence, the time scope of its figures, and
    its citations (the first quotes the bullet's figures)."""

    theme: str
    text: str
    citations: tuple[Citation, ...]
    scope: Scope = Scope.NONE

    def to_dict(self) -> dict[str, Any]:
        return {"theme": self.theme, "text": self.text, "scope": self.scope,
                "citations": [c.to_dict() for c in self.citations]}  # fmt: skip


@dataclass(frozen=True, slots=True)
class PointsResult:
    """Talking points on a topic, in theme order; ``dropped`` counts LLM bullets refused
    by the citation check."""

    topic: str
    points: tuple[TalkingPoint, ...]
    mode: Literal["extractive", "llm"] = "extractive"
    dropped: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def themes(self) -> dict[str, list[TalkingPoint]]:
        """The points grouped by theme, themes in the order of their first point."""
        out: dict[str, list[TalkingPoint]] = {}
        for p in self.points:
            out.setdefault(p.theme, []).append(p)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"topic": self.topic, "points": [p.to_dict() for p in self.points],
                "mode": self.mode, "dropped": self.dropped, "notes": list(self.notes)}  # fmt: skip


def talking_points(engine: Engine, topic: str, n: int = DEFAULT_N, *, k: int = 24,
                   llm: Any = None, script: str | None = None) -> PointsResult:
    """Up to ``n`` talking points on ``topic`` from the ``k`` best chunks.

    ``script`` is the bullets' script, ``"simplified"`` or ``"original"`` (quotes are
    always verbatim); ``None`` means the engine's.

    With ``llm`` (see :func:`llm.client.make_llm`) each bullet is reworded for speech; a
    rewording that fails the citation check or changes a figure drops the bullet (counted
    in ``dropped``). If the endpoint fails, or every rewording fails its check, the
    extractive bullets are kept with a note saying why.

    Raises:
        ValueError: ``n`` or ``k`` is less than 1, or the topic is empty.
    """
    if n < 1 or k < 1:
        raise ValueError(f"n and k must be at least 1, got n={n}, k={k}")
    if not topic.strip():
        raise ValueError("topic must not be empty")
    q, cands = engine.rank(topic, k)
    docs = {d: _on_topic(engine, q.tokens, d) for d in {c.chunk.doc_id for c in cands}}
    cands = [c for c in cands if docs[c.chunk.doc_id]]
    cands.sort(key=lambda c: (c.chunk.doc_id, c.doc_start))
    units = [u for c in cands for u in units_of(engine, c)]
    chosen = _select(units, n)
    points = tuple(_bullet(engine, u, script or engine.script) for u in chosen)
    notes = () if points else ("资料中没有与这个题目相关、带有数字或具体事件的内容。",)
    result = PointsResult(topic, points, "extractive", 0, notes)
    return _smoothed(llm, result) if llm is not None and points else result


def _smoothed(llm: Any, result: PointsResult) -> PointsResult:
    """The points reworded by ``llm``; bullets that fail the checks are dropped."""
    from check.check_llm import smooth_bullet
    from zhiwen.errors import LLMError

    kept: list[TalkingPoint] = []
    dropped = 0
    for p in result.points:
        try:
            text, problems = smooth_bullet(llm, p.text, [c.quote for c in p.citations])
        except LLMError as exc:
            note = f"大模型不可用，要点保留资料原文措辞：{exc}"
            return PointsResult(result.topic, result.points, "extractive", 0, (*result.notes, note))
        if problems:
            dropped += 1
        else:
            kept.append(TalkingPoint(p.theme, text, p.citations, p.scope))
    if not kept:
        # Every rewording failed its check: the checked extractive bullets stand, and say why.
        note = f"大模型改写的 {dropped} 条要点都没有通过引文核对，已改用资料原文措辞。"
        return PointsResult(result.topic, result.points, "extractive", 0, (*result.notes, note))
    return PointsResult(result.topic, tuple(kept), "llm", dropped, result.notes)


def _on_topic(engine: Engine, terms: tuple[str, ...], doc_id: str) -> bool:
    """Whether a document holds enough of the topic's words (IDF-weighted)."""
    if not terms:
        return True
    doc = engine.index.doc(doc_id)
    form = search_form(doc.title + "\n" + doc.text)
    weights = {t: engine.idf(t) for t in terms}
    total = sum(weights.values()) or 1.0
    return sum(w for t, w in weights.items() if t in form) / total >= MIN_TOPIC


def _facts(unit: Unit) -> set[tuple[Any, ...]]:
    """What a unit states, for spotting the same fact twice: its figures (value, unit,
    qualifier and counted noun: 近800万 of sales is not 超800万 of donations) or, for an
    event, its date."""
    return {(f.q.value, f.q.unit, f.q.qualifier, f.noun[:2] if f.q.unit == "个" else "")
            for f in unit.figures} or {("event", unit.date_key)}  # fmt: skip


def _score(unit: Unit) -> float:
    """Prefer quantified achievements (money and people most), then stated time scopes,
    then concrete events."""
    if not unit.figures:
        return 0.8
    money = [f.q.value for f in unit.figures if f.q.unit == "元" and f.q.value > 0]
    people = any(f.q.unit in ("人", "名", "人次") for f in unit.figures)
    size = 0.05 * math.log10(float(max(money))) if money else 0.0  # larger sums a little first
    headline = 0.5 if money and max(money) >= HEADLINE_SUM else 0.0
    return (min(len(unit.figures), 2) + (1.0 if money or people else 0.0) + size + headline
            + _SCOPE_BONUS[unit.scope])


def _select(units: list[Unit], n: int) -> list[Unit]:
    """The ``n`` best units without repeating a fact: first the best quantified unit of each
    theme, then the best of the rest; grouped by theme (themes in source order), within a
    theme this year's first, then undated, cumulative last, the larger figure first."""
    ranked = sorted(units, key=lambda u: (-_score(u), u.order))
    chosen: list[Unit] = []
    seen: set[tuple[Any, ...]] = set()
    for pass_no in (0, 1):
        themes_done: set[str] = set()
        for u in ranked:
            if len(chosen) >= n:
                break
            facts = _facts(u)
            if u in chosen or facts & seen or (pass_no == 0 and (u.theme in themes_done
                                                                  or not u.figures)):
                continue
            chosen.append(u)
            seen |= facts
            themes_done.add(u.theme)
    return sorted(chosen, key=lambda u: (u.cand.chunk.doc_id != chosen[0].cand.chunk.doc_id,
                                         u.theme_rank, _SCOPE_ORDER[u.scope], -_score(u), u.order))


def _bullet(engine: Engine, unit: Unit, script: str) -> TalkingPoint:
    """The point composed from a unit (:func:`points.compose.compose`: lead phrase, figure,
    scope), its time-scope label and its citations."""
    words, stated = compose(unit)
    prefix, comma = scope_prefix(unit, stated)
    doc = engine.index.doc(unit.cand.chunk.doc_id)
    citations = [cite_span(doc, 1, unit.cand.doc_start, unit.cand.doc_end)]
    if prefix and unit.scope_phrase is not None and prefix == unit.scope_phrase[2]:
        citations.append(cite_span(doc, 2, unit.scope_phrase[0], unit.scope_phrase[1]))
    text = to_display(prefix + ("，" if comma else "") + words, script)
    if not re.search(r"[。！？”」]$", text):
        text += "。"
    return TalkingPoint(unit.theme, text, tuple(citations), unit.scope)
