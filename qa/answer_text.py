"""Wording of extractive answers: the direct answer span, abstentions and year notes.

The direct answer is cut verbatim from the best sentence: the clause window (at most
``MAX_ANSWER`` characters) that covers the question's terms and carries what the question
type asks for. For a quantity question the figure is put in front when one clearly fits.
"""

from __future__ import annotations

import functools
import re

from qa.numbers import find_quantities
from qa.question import QuestionInfo
from qa.ranker import PERSON, PLACE

MAX_ANSWER = 60
_CLAUSE_END = re.compile(r"[，,；;：:。！？!?]")


@functools.lru_cache(maxsize=1)
def _t2s():  # type: ignore[no-untyped-def]
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
        return bool(PERSON.search(text))
    if qtype == "place":
        return bool(PLACE.search(text))
    return True


_SCOPE_WORDS = re.compile(r"今年|本年|截至目前|截止目前|累计|累积|以来")


def _window_score(q: QuestionInfo, form: str) -> float:
    """Prefer windows that hold the question's terms (the anchor), what the question type
    asks for, and words the question doesn't already contain (the answer itself)."""
    terms = sum(len(t) for t in q.terms if t in form)
    # a time-scoped question keeps the words that state the scope ("今年截至目前，…")
    scope = 2.0 if q.scope != "none" and _SCOPE_WORDS.search(form) else 0.0
    novel = sum(1 for ch in form if "\u4e00" <= ch <= "\u9fff" and ch not in q.form)
    return (terms + scope + (3.0 if _type_ok(q.qtype, form) else 0.0)
            + 2.0 * min(novel, 12) / 12 - 0.01 * len(form))


def best_window(q: QuestionInfo, text: str, form: str, limit: int = MAX_ANSWER) -> tuple[int, int]:
    """Offsets of the best window of whole clauses of ``text`` no longer than ``limit``."""
    clauses = _clauses(text)
    if not clauses:
        return 0, len(text)
    best, best_score = (clauses[0][0], min(len(text), clauses[0][0] + limit)), -1e9
    for i in range(len(clauses)):
        for j in range(i, min(len(clauses), i + 4)):
            a, b = clauses[i][0], clauses[j][1]
            if b - a > limit and j > i:
                break
            if b - a > limit:
                b = a + limit
            score = _window_score(q, form[a:b])
            if score > best_score:
                best, best_score = (a, b), score
    return best


def direct_answer(q: QuestionInfo, text: str, form: str) -> str:
    """The short answer cut from one sentence (verbatim, original script)."""
    a, b = best_window(q, text, form)
    span = text[a:b].strip().rstrip("，,；;：:、")
    if q.qtype == "quantity":
        figures = [x for x in find_quantities(span) if x.kind in ("number", "percent")]
        if len(figures) == 1 and figures[0].text.strip() != span:
            return f"{figures[0].text.strip()}（{span}）"
    return span


def abstain_message(q: QuestionInfo) -> str:
    """The Chinese abstention, naming what was searched for."""
    what = "、".join(q.terms[:6]) if q.terms else q.text.strip()
    return f"资料中没有找到答案：已检索与“{what}”相关的内容，但没有句子能回答这个问题。"


def year_note(doc) -> str:  # type: ignore[no-untyped-def]
    """Which year "今年" means in ``doc``, or a warning that the source doesn't say."""
    if doc.date:
        return f"“今年”指 {doc.date[:4]} 年（来源日期 {doc.date}）。"
    return "注意：来源未注明发布日期，文中的“今年”是哪一年无法从资料确定。"
