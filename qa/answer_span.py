"""What to show from the chosen sentence: a span, or the clause or sentence around it.

:func:`choose` takes the spans the boosted model scored; :func:`pick_mixed` puts the neural
reader's span (:mod:`qa.neural`) beside them, each scored by the mean of the two models'
probabilities. A span is always cut verbatim from the cited sentence, and :func:`snap`
widens one that cuts into a figure, a date, a 《title》 or a quotation to hold it whole.
"""

from __future__ import annotations

from typing import Any

from qa.candidates import Span, Unit, clauses, spans

MAX_SENTENCE = 80  # an unsure span falls back to its whole sentence up to this length


def choose(scored: list[tuple[Unit, Span, float]], threshold: float,
           max_len: int = MAX_SENTENCE, window: bool = True) -> tuple[Unit, Span]:
    """What to show: the best span when its probability reaches ``threshold``; otherwise its
    whole sentence when that is short enough to read as an answer, else the clause most
    likely to hold the answer (whose spans' probabilities sum highest), with its neighbouring
    clauses as far as ``max_len`` allows when ``window`` is on. All are cut verbatim from the
    cited sentence. (Out of fold the neighbours raise "the answer holds the gold" by 1.7–4.9
    points for 3–12 more characters on average: an unsure clause is often the one beside
    the answer.)"""
    unit, span, p = scored[0]
    if p >= threshold or span.kind == "sentence":
        return unit, span
    if len(unit.text.strip()) <= max_len:
        a, b = _whole(unit.text)
        return unit, Span(a, b, "sentence")
    mass: dict[tuple[int, int], float] = {}
    for u, sp, q in scored:
        if u is not unit or sp.kind == "sentence":
            continue
        for a, b in clauses(u.text):
            if a <= sp.start and sp.end <= b:
                mass[(a, b)] = mass.get((a, b), 0.0) + q
                break
    if not mass:
        return unit, span
    a, b = max(mass, key=mass.__getitem__)
    if window:
        a, b = _widen(unit.text, (a, b), mass, max_len)
    return unit, Span(a, b, "clause")


def _widen(text: str, best: tuple[int, int], mass: dict[tuple[int, int], float],
           max_len: int) -> tuple[int, int]:
    """The clause ``best`` with its neighbouring clauses added while the piece stays within
    ``max_len`` characters: the neighbour more likely to hold the answer first (by the
    spans' probability mass), the earlier one on a tie."""
    cl = clauses(text)
    if best not in cl:
        return best
    lo = hi = cl.index(best)
    while True:
        options = []
        if lo > 0 and cl[hi][1] - cl[lo - 1][0] <= max_len:
            options.append((mass.get(cl[lo - 1], 0.0), 1, lo - 1, hi))
        if hi + 1 < len(cl) and cl[hi + 1][1] - cl[lo][0] <= max_len:
            options.append((mass.get(cl[hi + 1], 0.0), 0, lo, hi + 1))
        if not options:
            return cl[lo][0], cl[hi][1]
        _m, _side, lo, hi = max(options)


def pick_neural(found: Any, top: Unit, scored: list[tuple[Unit, Span, float]],
                threshold: float) -> tuple[Unit, Span]:
    """:func:`choose` with the neural reader's span of ``top`` (a :class:`qa.neural.Found`)
    in first place, widened by :func:`snap`, and as sure as the reader is that the answer
    lies inside it (:meth:`qa.neural.Found.within`); the boosted spans of ``top`` stay behind
    it, so that an unsure answer falls back to the sentence or clause as before."""
    if found.end <= found.start:
        return choose(scored, threshold)
    span = snap(top, found.start, found.end)
    own = [x for x in scored if x[0] is top and (x[1].start, x[1].end) != (span.start, span.end)]
    return choose([(top, span, found.within(*_with_edges(top.text, span.start, span.end))), *own],
                  threshold)


def pick_mixed(found: Any, top: Unit, scored: list[tuple[Unit, Span, float]],
               threshold: float, max_len: int = MAX_SENTENCE) -> tuple[Unit, Span]:
    """:func:`choose` among the spans of ``top`` (the boosted candidates and the neural
    reader's own, widened by :func:`snap`), each scored by the mean of the two models'
    probabilities: the boosted model's for that candidate (0 when it is not one) and the
    neural reader's that the answer lies inside it (:meth:`qa.neural.Found.within`, edge
    punctuation included)."""
    if found.end <= found.start:
        return choose(scored, threshold, max_len)
    boosted = {(sp.start, sp.end): p for u, sp, p in scored if u is top}
    cands = {(sp.start, sp.end): sp for u, sp, _p in scored if u is top}
    own = snap(top, found.start, found.end)
    cands.setdefault((own.start, own.end), own)
    mixed = []
    for (a, b), sp in cands.items():
        if sp.kind == "sentence":
            continue
        mixed.append((top, sp, (boosted.get((a, b), 0.0) + found.within(*_with_edges(top.text, a, b))) / 2))
    if not mixed:
        return choose(scored, threshold, max_len)
    mixed.sort(key=lambda x: -x[2])
    return choose(mixed, threshold, max_len)


def _with_edges(text: str, a: int, b: int) -> tuple[int, int]:
    """``text[a:b]`` with the punctuation around it: spans that differ only by it are the
    same answer."""
    while a > 0 and text[a - 1] in _EDGE:
        a -= 1
    while b < len(text) and text[b] in _EDGE:
        b += 1
    return a, b


_WHOLE_KINDS = frozenset({"number", "date", "year", "title", "quote"})
_EDGE = "，。、；：？！,.;:?! \u3000"


def snap(unit: Unit, start: int, end: int) -> Span:
    """The span ``unit.text[start:end]`` widened to hold whole every figure (with its
    qualifier and unit), date, 《title》 or quotation it overlaps, and trimmed of edge
    punctuation; its kind is that of the candidate it then equals, else ``"phrase"``."""
    cands = spans(unit)
    a, b = start, end
    for c in cands:
        if c.kind in _WHOLE_KINDS and c.start < b and a < c.end:
            a, b = min(a, c.start), max(b, c.end)
    while a < b and unit.text[a] in _EDGE:
        a += 1
    while b > a and unit.text[b - 1] in _EDGE:
        b -= 1
    if b <= a:
        a, b = _whole(unit.text)
        return Span(a, b, "sentence")
    kind = next((c.kind for c in cands if (c.start, c.end) == (a, b)), "phrase")
    return Span(a, b, kind)


def _whole(text: str) -> tuple[int, int]:
    a, b = 0, len(text)
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b
