"""Time scope: whether a figure is this year's (今年) or a running total (累计). The one
classifier that answering (:mod:`qa.engine`), fact-checking (:mod:`check`) and talking
points (:mod:`points`) call, so that they cannot read the same sentence two ways.

The markers are data, in ``text/time_scope.tsv`` (a regular expression and its scope a
line); everything here reads the *search form* of a text (simplified, half-width; see
:func:`ingest.normalize.search_form`).

The product's key distinction: "今年截至目前，社会捐赠…约193万元" is this year's figure and
"自2021年结对以来…累计…超800万元" is the cumulative one; a draft that gives 800万 as this
year's donations must be caught.

**截至目前 (截止目前) alone is not a marker: it states no scope.** It means "up to now" and
does not say since when, so the same phrase heads both a this-year figure (今年截至目前…193万)
and a cumulative one (截至目前，累计…800万). What decides is the other marker beside it: 今年
截至目前 is this year, 截至目前累计 is cumulative, and with neither the figure has no scope
(:attr:`Scope.NONE`), which the fact-checker treats as compatible with either scope rather
than guess: a guess of this-year would flag a correct cumulative claim as contradicted.
(Before this module the fact-checker already read it so; the earlier hand-set ranker, since
replaced by the learned reader, had counted it as this-year.) 至今 alone is likewise no
marker; ``2021年至今`` is cumulative by its year.

The learned reader's time features (``qa/features.py``: ``_TIME``, ``years_of``) are not a
scope classifier: they match the time words of a question against a sentence's (2024年,
去年, 截至目前 as itself), and their vocabulary is fixed by the fitted models in
``qa/models/``; it changes only with a refit (``python -m eval.fit_reader``).
"""

from __future__ import annotations

import enum
import functools
import re

from text.lexicon import data_lines


class Scope(enum.StrEnum):
    """The time scope of a figure. A ``str``: JSON and comparisons see ``"this_year"``…"""

    THIS_YEAR = "this_year"
    CUMULATIVE = "cumulative"
    NONE = "none"


@functools.cache
def markers() -> tuple[tuple[str, Scope], ...]:
    """``(regex, scope)`` of every time-scope marker, in the order they are tried."""
    out = []
    for line in data_lines("time_scope.tsv"):
        pattern, scope = line.split("\t")
        out.append((pattern, Scope(scope)))
    return tuple(out)


@functools.cache
def marker_regex() -> re.Pattern[str]:
    """One regex of all markers: group ``this`` for this year's, ``cum`` for cumulative."""
    this = "|".join(p for p, s in markers() if s is Scope.THIS_YEAR)
    cum = "|".join(p for p, s in markers() if s is Scope.CUMULATIVE)
    return re.compile(f"(?P<this>{this})|(?P<cum>{cum})")


def scope_markers(form: str) -> list[tuple[Scope, int, int]]:
    """``(scope, start, end)`` of every time-scope marker in ``form``, in order."""
    return [(Scope.THIS_YEAR if m.group("this") else Scope.CUMULATIVE, m.start(), m.end())
            for m in marker_regex().finditer(form)]


def states(form: str, scope: Scope) -> bool:
    """Whether ``form`` holds a marker of ``scope`` (今年…累计 states both)."""
    return any(s == scope for s, _a, _b in scope_markers(form))


def last_scope(form: str) -> Scope:
    """The time scope the text states; the last marker wins (今年…累计 → cumulative)."""
    found = scope_markers(form)
    return found[-1][0] if found else Scope.NONE


def scope_at(form: str, clause: tuple[int, int], lead: str) -> Scope:
    """The time scope of a figure: a marker in its own clause, else the last marker before
    the clause in the sentence, else the last marker of the paragraph ``lead`` (the text
    of the paragraph before the sentence), else :attr:`Scope.NONE`."""
    for text in (form[clause[0] : clause[1]], form[: clause[0]], lead):
        scope = last_scope(text)
        if scope != Scope.NONE:
            return scope
    return Scope.NONE


def scope_label(scope: Scope) -> str:
    """How a scope is named to users: 今年, 累计, or 未注明时段."""
    return {Scope.THIS_YEAR: "今年", Scope.CUMULATIVE: "累计", Scope.NONE: "未注明时段"}[scope]
