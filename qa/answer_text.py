"""Wording of extractive answers: the direct answer span, abstentions and year notes.

The direct answer is cut verbatim from the best sentence: the clause window (at most
``MAX_ANSWER`` characters) that covers the question's terms and carries what the question
type asks for. For a quantity question the figure is put in front when one clearly fits.
"""

from __future__ import annotations

import functools
import math
import re

from qa.names import person_names as _names
from qa.numbers import Quantity, find_quantities
from qa.question import QuestionInfo, asked_unit
from qa.ranker import EN_DATE as _EN_DATE
from qa.ranker import QUOTATION, asked_figure, figures, has_type
from qa.ranker import fits as _fits

MAX_ANSWER = 80
# Clause ends: Chinese and ASCII punctuation, ellipses and a sentence-final ASCII period
# (web snippets join sentences with ". " and " ... ").
_CLAUSE_END = re.compile(r"[，,；;：:。！？!?]|\.{3}|…+|\.(?=\s|[\u4e00-\u9fff])")
# Page debris of scraped news: a snippet's English date ("Jun 6, 2022 ..."), and metadata
# labels ("来源：", "发布时间：2022-10-17 08:00", "浏览次数：58").
_META = re.compile(r"(?:来源|發布時間|发布时间|发布日期|更新时间|时间|日期|浏览次数|浏览|阅读|原标题|"
                   r"责任编辑|编辑|作者|记者)[：:]\s*")
_PUBLISHED = re.compile(r"^\s*(?:[^\s，。]{0,6}?)(?:发表|报道|电|讯|刊发|刊登|发布)")
_TITLE = re.compile(r"《[^》]{1,60}》")
# A question asking for several names ("主演有哪些", "都有谁", "哪些领导")
_LIST = re.compile(r"哪些|都有谁|有谁|哪几[位个]|分别是|\bwho (?:are|were)\b|\bwhich\b.*\bpeople\b")


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
    return [(a, b) for a, b in spans if _clause_body(text[a:b])]


_PUNCT = "，,；;：:。！？!?.…  \n"


def _clause_body(text: str) -> str:
    """The clause without punctuation, blanks and snippet dates."""
    return _EN_DATE.sub("", text).strip(_PUNCT)


def _type_ok(qtype: str, text: str) -> bool:
    """A window carries what the question type asks for. Looser than the ranker's
    ``has_type`` for figures and dates: any number (a bare year too) or any date counts."""
    if qtype == "quantity":
        return any(q.kind in ("number", "percent") for q in find_quantities(text))
    if qtype == "date":
        return any(q.kind in ("date", "year") for q in find_quantities(text))
    return qtype == "other" or has_type(qtype, text, text)


_SCOPE_WORDS = re.compile(r"今年|本年|截至目前|截止目前|累计|累积|以来")


def _window_score(q: QuestionInfo, text: str, form: str, agree: dict[str, float],
                  names: int = 0) -> float:
    """Prefer windows that hold the question's terms (the anchor, above all the attribute
    asked about), what the question type asks for, words other retrieved passages agree
    on, and words the question doesn't already contain (the answer itself); page debris
    counts against a window."""
    terms = sum(len(t) for t in q.terms if t in form)
    terms += 2 * max((len(h) for h in q.heads if h in form), default=0)
    # a time-scoped question keeps the words that state the scope ("今年截至目前，…")
    scope = 2.0 if q.scope != "none" and _SCOPE_WORDS.search(form) else 0.0
    novel = sum(1 for ch in form if "\u4e00" <= ch <= "\u9fff" and ch not in q.form)
    support = sum(w for t, w in agree.items() if t in form)
    asked = 3.0 if q.qtype == "quantity" and asked_figure(q, form) else 0.0
    debris = 3.0 * len(_META.findall(form)) + 2.0 * len(_EN_DATE.findall(text))
    answers, slot = _answer_cues(q)
    cue = 3.0 if any(said.search(form) for said in answers) else 0.0
    if slot is not None and slot.search(form):
        cue += 15.0
    return (terms + scope + asked + cue + (3.0 if _type_ok(q.qtype, form) else 0.0)
            + min(support, 6.0) + 2.0 * min(novel, 20) / 20 + 2.5 * min(names, 8) - debris
            - 0.01 * len(form))





_SLOT = r"[^，。；]{0,2}(?:是|为|：|:)\s*[“\"「《]"
# What a question asks for and the words a source answers it with: 用途是什么 → 用于…,
# 为什么 → 因为…, 目的 → 为了…, 表达了什么 → 表示…
_CUES = [(re.compile(a), re.compile(b)) for a, b in (
    (r"用途|用来|用在|做什么用|\bused? for\b|\bpurpose\b", r"用于|用来|用作|用在"),
    (r"为什么|为何|原因|\bwhy\b", r"因为|由于|原因|因此|所以"),
    (r"目的|\bin order to\b|\baim\b", r"为了|旨在|目的|以便"),
    (r"表达|表示|态度", r"表示|表达|感谢|欢迎|希望"),
)]


@functools.lru_cache(maxsize=256)
def _answer_cues(q: QuestionInfo) -> tuple[tuple[re.Pattern[str], ...], re.Pattern[str] | None]:
    """Per question, once: the words a source answers it with (用途 → 用于), and for an
    "other" question the pattern "attribute, then 是/为/：, then a quoted value"
    ("主题是“只有一个地球”")."""
    answers = tuple(said for ask, said in _CUES if ask.search(q.form))
    heads = "|".join(re.escape(h) for h in q.heads)
    slot = re.compile(f"(?:{heads}){_SLOT}") if q.qtype == "other" and heads else None
    return answers, slot


def best_window(q: QuestionInfo, text: str, form: str, limit: int = MAX_ANSWER,
                agree: dict[str, float] | None = None) -> tuple[int, int]:
    """Offsets of the best window of whole clauses of ``text`` no longer than ``limit``.

    When some window carries what a quantity or date question asks for, only such
    windows compete: a date question is never answered by a clause without a date. A
    question asking for people counts the names a window holds, so a list of names is
    kept whole.
    """
    clauses = _clauses(text)
    if not clauses:
        return 0, len(text)
    names = _names(text, form) if q.qtype == "person" else []
    windows = []
    for i in range(len(clauses)):
        for j in range(i, min(len(clauses), i + 6)):
            a, b = clauses[i][0], clauses[j][1]
            if b - a > limit and j > i:
                break
            windows.append((a, min(b, a + limit)))
    if q.qtype in ("quantity", "date"):
        typed = [w for w in windows if _type_ok(q.qtype, text[w[0] : w[1]])]
        windows = typed or windows

    def held(w: tuple[int, int]) -> int:
        return sum(1 for a, b in names if w[0] <= a and b <= w[1])

    if q.qtype == "person":  # "谁" is answered by a name, not by "他" or a job title
        named = [w for w in windows if held(w)]
        windows = named or windows

    listing = bool(_LIST.search(q.form))

    def score(w: tuple[int, int]) -> float:
        count = held(w)
        # a question asking "which ones" keeps an enumeration (产业合作、劳务协作…和乡村建设)
        items = min(5, text.count("、", w[0], w[1])) if listing else 0
        return _window_score(q, text[w[0] : w[1]], form[w[0] : w[1]], agree or {}, count) + items

    return max(windows, key=score)


def direct_answer(q: QuestionInfo, text: str, form: str,
                  agree: dict[str, float] | None = None) -> str:
    """The short answer cut from one sentence (verbatim, original script).

    For a quantity or date question the figure or date comes first, followed by the
    clause that states it; a quote question gets the quotation; any other question the
    whole sentence when it fits in ``MAX_ANSWER``, else its best window of clauses.
    ``agree`` weighs words (in search form) that other retrieved passages also state.
    """
    if q.qtype in ("quantity", "date"):
        value = pick_value(q, text, form)
        if value is not None:
            start, end = value
            clauses = _clauses(text)
            ca, cb = next(((a, b) for a, b in clauses if a <= start < b), (start, end))
            cb = max(cb, next((b for a, b in clauses if a < end <= b), cb))
            prev = [a for a, b in clauses if b <= ca]
            # a bare clause ("造成12人死亡") gets its lead-in, and so does a figure whose
            # time scope the previous clause states ("今年截至目前，…约193万元")
            if prev and (cb - ca < 14 or (q.scope != "none"
                                          and _SCOPE_WORDS.search(form[prev[-1] : ca]))):
                ca = prev[-1]
            elif not _clause_body(text[ca:cb]).replace(text[start:end], "").strip():
                # the value stands alone ("6月21日，…"): the clause after it says what happened
                cb = next((b for a, b in clauses if a >= cb), cb)
            figure = text[start:end].strip()
            clause = _EN_DATE.sub("", text[ca:cb]).strip(" .…").rstrip("，,；;：:、。")
            clause = clause[: MAX_ANSWER - len(figure) - 2]
            return f"{figure}（{clause}）" if figure != clause else clause
    if q.qtype == "quote":  # "引用了哪句古语": the quotation itself, marks included
        quotes = [m for m in QUOTATION.finditer(text) if m.end() - m.start() <= MAX_ANSWER]
        if quotes:
            return max(quotes, key=lambda m: m.end() - m.start()).group()
    whole = _EN_DATE.sub("", text).strip(" .…").rstrip("，,；;：:、")
    if q.qtype not in ("quantity", "date") and len(whole) <= MAX_ANSWER:
        # a sentence that fits is the answer as it stands (a figure's neighbours are not:
        # "今年…" must not carry the cumulative figure beside it)
        return whole
    a, b = best_window(q, text, form, agree=agree)
    return _EN_DATE.sub("", text[a:b]).strip(" .…").rstrip("，,；;：:、")


_CLOCK = re.compile(r"\d{1,2}:\d{2}|[上下]午\d{1,2}[点时]")
_RATE = re.compile(r"率|比例|占比|百分|增长|增速|增幅|涨|降|跌|同比|环比")
_BOUNDARY = re.compile(r"[，,；;。！？!?]")
_LABEL = re.compile(r"(?:图|表|附件|第)\s*$")
_RANGE = re.compile(r"\s*(?:至|到|-|—|–|~|～)\s*")


def _label_or_code(x: Quantity, text: str) -> bool:
    """A unitless number that is a label (图2, 表1) or a code (a flight number)."""
    return bool(_LABEL.search(text[max(0, x.start - 3) : x.start])) or (
        len(re.sub(r"\D", "", x.text)) >= 6 and not re.search(r"[万亿千百十]", x.text))


def pick_value(q: QuestionInfo, text: str, form: str) -> tuple[int, int] | None:
    """Offsets of the figure (quantity question) or date (date question) of ``text`` the
    question asks for.

    Each value is anchored by the question's terms around it: a term counts by its length,
    less the further it stands from the value, and little when it sits inside a quoted
    title (《…》) the value is outside of. The asked unit or noun (多少个车站 → 座/个 车站)
    wins; page debris (snippet dates, "发布时间：…"), clock times, codes, the question's
    own figures and the dates a report was published on lose. A date range
    ("11月15日至16日") is returned whole.
    """
    debris = [m.span() for m in _CLOCK.finditer(text)]
    if q.qtype == "quantity":
        values = [x for x in figures(text) if x.unit or not _label_or_code(x, text)]
    else:
        debris += [m.span() for m in _EN_DATE.finditer(text)]
        values = [x for x in find_quantities(text) if x.kind in ("date", "year")]
    values = [x for x in values if not any(a <= x.start < b for a, b in debris)]
    titles = [m.span() for m in _TITLE.finditer(form)]
    asked_own = {x.value for x in find_quantities(q.form)}
    if not values:
        return None
    unit, noun = asked_unit(q.form) if q.qtype == "quantity" else ("", "")
    spots = [(t, m.start(), m.end()) for t in q.terms if len(t) >= 2 or "\u4e00" <= t <= "\u9fff"
             for m in re.finditer(re.escape(t), form)]

    def anchor(x) -> float:
        best: dict[str, float] = {}
        for t, a, b in spots:
            d = max(0, x.start - b, a - x.end)
            # a clause boundary between term and value weighs like eight characters
            lo, hi = (b, x.start) if b <= x.start else (x.end, a)
            d += 8 * len(_BOUNDARY.findall(form, lo, hi)) if hi > lo else 0
            # the attribute asked about ("新增就业了多少" → 就业) binds closest
            w = (6 * len(t) * math.exp(-d / 8) if t in q.heads
                 else len(t) * math.exp(-d / 20))
            if any(ta <= a < tb for ta, tb in titles) and not any(ta <= x.start < tb
                                                                     for ta, tb in titles):
                w *= 0.3
            best[t] = max(best.get(t, 0.0), w)
        return sum(best.values())

    def score(x) -> tuple[float, int]:
        s = anchor(x)
        if _fits(x, text, unit, noun):
            s += 6.0
        if x.kind == "percent" and _RATE.search(q.form):
            s += 3.0
        if x.value in asked_own and len(values) > 1:
            s -= 8.0
        before = text[max(0, x.start - 12) : x.start]
        if _META.search(before[-8:]) or (q.qtype == "date" and _PUBLISHED.match(text[x.end :])):
            s -= 6.0
        if q.qtype == "date" and x.kind == "date":
            s += 1.0  # a full date answers "when" better than a bare year
        return (s, -x.start)

    best = max(values, key=score)
    start, end = best.start, best.end
    if q.qtype == "date":  # keep a range whole: 11月15日至16日, 6月21日-23日
        for x in values:
            gap = text[end : x.start]
            if x.start >= end and _RANGE.fullmatch(gap):
                end = x.end
                break
    return start, end


def abstain_message(q: QuestionInfo, unmentioned: str = "") -> str:
    """The Chinese abstention, naming what was searched for, and what the question asks
    about that no retrieved passage mentions at all (``unmentioned``: 酒店, 医生)."""
    what = "、".join(q.terms[:6]) if q.terms else q.text.strip()
    why = (f"检索到的资料都没有提到所问的“{unmentioned}”" if unmentioned
           else "没有句子能回答这个问题")
    return f"资料中没有找到答案：已检索与“{what}”相关的内容，但{why}。"


def year_note(doc) -> str:
    """Which year "今年" means in ``doc``, or a warning that the source doesn't say."""
    if doc.date:
        return f"“今年”指 {doc.date[:4]} 年（来源日期 {doc.date}）。"
    return "注意：来源未注明发布日期，文中的“今年”是哪一年无法从资料确定。"
