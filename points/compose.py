"""A talking point composed from its source sentence, without a language model.

A point is short and speakable: a lead phrase (the subject the sentence gives the figure)
+ the figure with its qualifier and unit (and the noun it counts) + its time scope when
the words kept do not state it: ``今年截至目前，社會捐贈折合共計約193萬元。`` gives
``今年社會捐贈折合約193萬元``. Every word is cut verbatim from the source, in source order,
except the scope label in front (今年, 累计, or the cited ``自2021年…以来`` phrase): a figure
is never written anew, so each figure of a point is a figure of its citation (tests check
this with :func:`text.numbers.find_quantities`).

How a sentence is cut:

* the pieces are the clauses (between ，；。) that hold the unit's figures, at most
  :data:`MAX_PIECES`, each ending with its last figure and the noun it counts
  (``協助3家涉農企業入駐…`` → ``協助3家涉農企業``), or with the clause's rest when
  that is short (:data:`MAX_TAIL`);
* a total word right before the figure goes (共计/总计/合计: ``折合共計約193萬元`` →
  ``折合約193萬元``, the same figure, still approximate);
* a piece whose lead is too short or starts with an adverb (``捐資捐物達156萬元``,
  ``共免費招收…``) keeps the clause before it, which names the subject, unless that
  clause is long (:data:`MAX_SUBJECT`: a list of work, not a subject).
"""

from __future__ import annotations

import re
from dataclasses import replace

from ingest.normalize import search_form
from points.themes import Unit
from text.facts import NOUN_UNITS, noun_after
from text.scope import Scope, scope_markers

MAX_PIECES = 2
MAX_TAIL = 10  # characters after the last figure kept when they end the clause
MIN_LEAD = 6  # a lead shorter than this (in characters) names no subject
MAX_SUBJECT = 20  # a longer clause before it is a list of work, not the subject
_CLAUSE = re.compile(r"[^，；。！？,;]+")
_TOTAL = re.compile(r"(?:共计|总计|合计)$")
_ADVERB = re.compile(r"^(?:共|并|还|已|再|又|累计|其中)")


def _clauses(form: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _CLAUSE.finditer(form)]


def _figure_end(form: str, unit: Unit, offset: int) -> dict[int, int]:
    """For each figure (by start in the unit's text), where its words end: the figure and
    the noun it counts."""
    out = {}
    for f in unit.figures:
        start, end = f.q.start - offset, f.q.end - offset
        if not 0 <= start < end <= len(form):
            continue
        noun = noun_after(form, replace(f.q, start=start, end=end))
        extra = len(noun) - (len(f.q.unit) if f.q.unit in NOUN_UNITS else 0)
        out[start] = end + max(extra, 0)
    return out


def compose(unit: Unit) -> tuple[str, bool]:
    """The point's words in the source's script (no final 。), and whether they state a
    time scope themselves. A unit without figures (an event) is its sentence."""
    text = unit.text
    form = search_form(text)
    offset = unit.start - unit.cand.doc_start
    ends = _figure_end(form, unit, offset)
    if not ends:
        return text, bool(scope_markers(form))
    clauses = _clauses(form)
    holding = [i for i, (a, b) in enumerate(clauses) if any(a <= s < b for s in ends)]
    pieces: list[str] = []
    for i in holding[:MAX_PIECES]:
        a, b = clauses[i]
        last = max(e for s, e in ends.items() if a <= s < b)
        last = b if b - last <= MAX_TAIL else last  # a short rest of the clause stays
        first = min(s for s in ends if a <= s < b)
        lead = form[a:first]
        cut = _TOTAL.search(lead)
        words = text[a:first][: cut.start()] if cut else text[a:first]
        piece = words + text[first:last]
        if not pieces and i > 0 and (i - 1) not in holding and (
                len(lead) < MIN_LEAD or _ADVERB.match(lead)) \
                and clauses[i - 1][1] - clauses[i - 1][0] <= MAX_SUBJECT:
            pa = clauses[i - 1][0]
            piece = text[pa:a] + piece  # the clause before, with its separator, verbatim
        pieces.append(piece)
    composed = "，".join(p.strip() for p in pieces)
    return composed, bool(scope_markers(search_form(composed)))


def scope_prefix(unit: Unit, stated: bool) -> tuple[str, bool]:
    """The scope words to put in front, and whether they need a comma after them."""
    if stated or unit.scope == Scope.NONE:
        return "", False
    if unit.scope == Scope.THIS_YEAR:
        return "今年", False
    if unit.scope_phrase is not None:
        return unit.scope_phrase[2], True
    return "累计", False
