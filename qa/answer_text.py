"""Wording of extractive answers: the direct answer span, abstentions and year notes.

The direct answer is cut verbatim from the best sentence: the clause window (at most
``MAX_ANSWER`` characters) that covers the question's terms and carries what the question
type asks for. For a quantity question the figure is put in front when one clearly fits.
"""

from __future__ import annotations

import functools
import re

from qa.numbers import find_quantities
from qa.question import QuestionInfo, asked_unit
from qa.ranker import PERSON, PLACE
from qa.ranker import name_flags as _name_flags

MAX_ANSWER = 60
_CLAUSE_END = re.compile(r"[，,；;：:。！？!?]")


@functools.lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def to_display(text: str, script: str) -> str:
    """``text`` in the display script (quotes are never converted, only answers)."""
    return _t2s().convert(text) if script == "simplified" else text


def _clauses(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in _CLAUSE_END.finditer(text):
        if m.end() - start > 0:
            spans.append((start, m.end()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip("，,；;：:。！？!? \n")]


def _type_ok(qtype: str, text: str) -> bool:
    if qtype == "quantity":
        return any(q.kind in ("number", "percent") for q in find_quantities(text))
    if qtype == "date":
        return any(q.kind in ("date", "year") for q in find_quantities(text))
    if qtype == "person":
        return bool(PERSON.search(text)) or "nr" in _name_flags(text)
    if qtype == "place":
        return bool(PLACE.search(text)) or "ns" in _name_flags(text)
    return True


def _asked_figure(q: QuestionInfo, text: str) -> bool:
    """The window states a figure of the kind asked (多少个车站 → 10座车站, 多少人 → 12人)."""
    unit, noun = asked_unit(q.form)
    if not unit and not noun:
        return False
    for x in find_quantities(text):
        after = text[x.end : x.end + 6]
        if (unit and x.unit == unit) or (noun and noun[:2] in after):
            return True
    return False


_SCOPE_WORDS = re.compile(r"今年|本年|截至目前|截止目前|累计|累积|以来")


def _window_score(q: QuestionInfo, form: str, agree: dict[str, float]) -> float:
    """Prefer windows that hold the question's terms (the anchor), what the question type
    asks for, words other retrieved passages agree on, and words the question doesn't
    already contain (the answer itself)."""
    terms = sum(len(t) for t in q.terms if t in form)
    # a time-scoped question keeps the words that state the scope ("今年截至目前，…")
    scope = 2.0 if q.scope != "none" and _SCOPE_WORDS.search(form) else 0.0
    novel = sum(1 for ch in form if "\u4e00" <= ch <= "\u9fff" and ch not in q.form)
    support = sum(w for t, w in agree.items() if t in form)
    asked = 3.0 if q.qtype == "quantity" and _asked_figure(q, form) else 0.0
    return (terms + scope + asked + (3.0 if _type_ok(q.qtype, form) else 0.0) + min(support, 6.0)
            + 2.0 * min(novel, 12) / 12 - 0.01 * len(form))


def best_window(q: QuestionInfo, text: str, form: str, limit: int = MAX_ANSWER,
                agree: dict[str, float] | None = None) -> tuple[int, int]:
    """Offsets of the best window of whole clauses of ``text`` no longer than ``limit``.

    When some window carries what a quantity or date question asks for, only such
    windows compete: a date question is never answered by a clause without a date.
    """
    clauses = _clauses(text)
    if not clauses:
        return 0, len(text)
    windows = []
    for i in range(len(clauses)):
        for j in range(i, min(len(clauses), i + 4)):
            a, b = clauses[i][0], clauses[j][1]
            if b - a > limit and j > i:
                break
            windows.append((a, min(b, a + limit)))
    if q.qtype in ("quantity", "date"):
        typed = [w for w in windows if _type_ok(q.qtype, text[w[0] : w[1]])]
        windows = typed or windows
    return max(windows, key=lambda w: _window_score(q, form[w[0] : w[1]], agree or {}))


def direct_answer(q: QuestionInfo, text: str, form: str,
                  agree: dict[str, float] | None = None) -> str:
    """The short answer cut from one sentence (verbatim, original script).

    For a quantity question the figure comes first, followed by the clause that states
    it. ``agree`` weighs words (in search form) that other retrieved passages also state.
    """
    if q.qtype == "quantity":
        figure = _asked_figure_in(q, text, form)
        if figure is not None:
            ca, cb = next((a, b) for a, b in _clauses(text) if a <= figure.start < b)
            prev = [a for a, b in _clauses(text) if b <= ca]
            # a bare clause ("造成12人死亡") gets its lead-in, and so does a figure whose
            # time scope the previous clause states ("今年截至目前，…约193万元")
            if prev and (cb - ca < 14 or (q.scope != "none"
                                          and _SCOPE_WORDS.search(form[prev[-1] : ca]))):
                ca = prev[-1]
            clause = text[ca:cb].strip().rstrip("，,；;：:、。")[:MAX_ANSWER]
            return f"{figure.text.strip()}（{clause}）" if figure.text.strip() != clause else clause
    a, b = best_window(q, text, form, agree=agree)
    return text[a:b].strip().rstrip("，,；;：:、")


_CLOCK = re.compile(r"\d{1,2}:\d{2}")


def _asked_figure_in(q: QuestionInfo, text: str, form: str):
    """The figure of ``text`` the question asks for: the one nearest the question's
    attribute (its last term found in the sentence: 死亡人数 → 死亡), preferring the
    asked unit (多少个车站 → 座/个). Bare years, clock times and codes are skipped."""
    clocks = [m.span() for m in _CLOCK.finditer(text)]
    figures = [x for x in _figures(text)
               if (not any(a <= x.start < b for a, b in clocks) and len(str(int(x.value))) < 6)
               or x.unit]
    if not figures:
        return None
    present = [t for t in q.terms if t in form]
    if not present:
        return figures[0]
    anchor = present[-1]
    spots = [m.start() for m in re.finditer(re.escape(anchor), form)]
    unit, noun = asked_unit(q.form)

    def cost(x) -> tuple[float, int]:
        dist = min(abs(x.start - p) for p in spots)
        fits = (unit and x.unit == unit) or (noun and noun[:2] in text[x.end : x.end + 6])
        return (dist - (20 if fits else 0), x.start)

    return min(figures, key=cost)


def abstain_message(q: QuestionInfo) -> str:
    """The Chinese abstention, naming what was searched for."""
    what = "、".join(q.terms[:6]) if q.terms else q.text.strip()
    return f"资料中没有找到答案：已检索与“{what}”相关的内容，但没有句子能回答这个问题。"


def year_note(doc) -> str:
    """Which year "今年" means in ``doc``, or a warning that the source doesn't say."""
    if doc.date:
        return f"“今年”指 {doc.date[:4]} 年（来源日期 {doc.date}）。"
    return "注意：来源未注明发布日期，文中的“今年”是哪一年无法从资料确定。"


def _figures(text: str) -> list:
    """Figures in ``text`` other than bare years."""
    return [x for x in find_quantities(text) if x.kind in ("number", "percent")
            and not (x.unit == "" and x.kind == "number" and 1900 <= x.value <= 2100)]
