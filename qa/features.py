"""The reader's features: named functions of a question and a sentence or a span.

Nothing here names the words of a particular question. The lexicons are general ones of
the language: interrogatives (多少, 谁, 哪…, what/who/which…) and time expressions (years,
今年/去年/明年, 累计/以来). What matters, and how much, is learned by the models in
:mod:`qa.reader` from thousands of reading-comprehension questions (``python -m
eval.fit_reader``).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from index.bm25 import tokenize
from ingest.normalize import query_form
from qa.candidates import SPAN_KINDS, Span, Unit, clauses
from qa.times import TIME_WORDS, doc_years, heading_years, time_agreement, years_of
from text.lexicon import CJK, is_cjk
from text.numbers import find_quantities, is_figure

# -- the question ----------------------------------------------------------------------

# Interrogatives, longest first. English ones are whole words.
_WH = re.compile(
    r"为什么|为何|什么时候|什么|多少|多长|多大|多高|多久|多远|多重|多宽|多深|几时|几|谁|哪|何时|何地|"
    r"何处|何人|何种|何|怎么|怎样|如何|是否|啥|"
    r"\b(?:how many|how much|how long|how old|what|which|who|whom|whose|when|where|why|how)\b")
_STOP_CHARS = set("的了是在和与及或也就都而并对为以于由被把将向从这那其之个有吗呢吧啊请问一共到底"
                  "，。？！、；：,.?!;: ")
_HAN_PAIR = re.compile(rf"(?=([{CJK}0-9a-z]{{2}}))")


@dataclass(frozen=True, slots=True)
class QView:
    """A question as the features see it.

    Attributes:
        text, form: the question and its search form.
        tokens: its content words (BM25 tokens that are not interrogatives).
        wh: the interrogative ("" when none); ``wh_key`` it plus the next character
            (多少钱, 哪一, 什么时), the models' view of what kind of answer is asked.
        left, right: up to 6 characters of the question before and after the interrogative.
        measure: the character after 多少/几 (多少人 → 人), "" when none.
        times: time expressions (years, 今年, 累计…) the question states.
        numbers: values of the figures the question itself gives.
    """

    text: str
    form: str
    tokens: tuple[str, ...]
    wh: str
    wh_key: str
    left: str
    right: str
    measure: str
    times: tuple[str, ...]
    numbers: frozenset[str]
    pairs: frozenset[str]


# A word holding an interrogative morpheme (哪几, 哪家, 几个, 一年 of 哪一年…) frames the
# question; no source "contains the answer" by repeating it.
_WH_MORPHEME = re.compile(r"[哪几谁啥]|什么|多少|何|怎")


def view(question: str, drop: frozenset[str] = frozenset()) -> QView:
    """The question as the features see it; ``drop``: words that frame questions (learned by
    the fitting: question words that their answers' paragraphs mostly lack, such as 钱)."""
    form = query_form(question)
    m = _WH.search(form)
    wh = m.group(0) if m else ""
    at, end = (m.start(), m.end()) if m else (len(form), len(form))
    nxt = form[end:end + 1] if m and re.match(rf"[{CJK}]", form[end:end + 1]) else ""
    measure = nxt if wh in ("多少", "几") else ""
    wh_tokens = {w for w in re.findall(rf"[a-z]+|[{CJK}]+", wh)}
    raw = tokenize(form)
    framing = [t for t in raw if _WH_MORPHEME.search(t)]  # 哪一年, and its sub-word 一年 below
    tokens = tuple(dict.fromkeys(t for t in raw if t not in wh_tokens and t not in drop
                                 and not any(t in f for f in framing)))
    return QView(
        text=question, form=form, tokens=tokens, wh=wh, wh_key=wh + nxt,
        left=_strip(form[max(0, at - 6):at]), right=_strip(form[end:end + 6]), measure=measure,
        times=tuple(dict.fromkeys(TIME_WORDS.findall(form))),
        numbers=frozenset(str(q.value) for q in find_quantities(form) if q.kind != "year"),
        pairs=frozenset(_HAN_PAIR.findall(form)),
    )


_EN_WH = {"how many": "多少", "how much": "多少", "how long": "多长", "how old": "多大", "what": "什么",
          "which": "哪", "who": "谁", "whom": "谁", "whose": "谁", "when": "何时", "where": "哪里",
          "why": "为什么", "how": "怎么"}
_EN_TIME = [(re.compile(r"\bthis year\b|\bso far\b"), "今年"), (re.compile(r"\blast year\b"), "去年"),
            (re.compile(r"\bnext year\b"), "明年"), (re.compile(r"\bsince\b|\bcumulative"), "以来"),
            (re.compile(r"\bfirst half\b"), "上半年"), (re.compile(r"\bsecond half\b"), "下半年"),
            (re.compile(r"\b((?:19|20)\d\d)\b"), r"\1年")]


def is_english(form: str) -> bool:
    """More Latin letters than twice the Chinese characters."""
    latin = sum(ch.isascii() and ch.isalpha() for ch in form)
    return latin > 2 * sum(is_cjk(ch) for ch in form)


def english_view(question: str, passages: list[str], drop: frozenset[str] = frozenset()) -> QView:
    """An English question seen as its Chinese counterpart: its words bridged to the Chinese
    terms of the retrieved passages (:mod:`text.crosslingual`), its interrogative and time
    words to Chinese ones, so the same features and models read it."""
    from text.crosslingual import bridge

    q = view(question)
    terms = tuple(dict.fromkeys(b.term for b in bridge(question, passages) if b.term not in drop))
    wh = _EN_WH.get(q.wh, "")
    times: list[str] = []
    for pattern, zh in _EN_TIME:
        times += [m.expand(zh) for m in pattern.finditer(q.form)]
    pairs = frozenset(p for t in terms for p in _HAN_PAIR.findall(t))
    return QView(text=question, form=q.form, tokens=terms, wh=wh, wh_key=wh, left="", right="",
                 measure="", times=tuple(dict.fromkeys(times)), numbers=q.numbers, pairs=pairs)


def view_for(question: str, passages: list[str], drop: frozenset[str] = frozenset()) -> QView:
    """:func:`view` of a question, or for an English one :func:`english_view`."""
    q = view(question, drop)
    return english_view(question, passages, drop) if is_english(q.form) else q


def _strip(s: str) -> str:
    return "".join(ch for ch in s if ch not in _STOP_CHARS)


# -- shared measures ---------------------------------------------------------------------

Idf = Callable[[str], float]


def remembered(idf: Idf) -> Idf:
    """``idf`` answering each word from memory after the first time (one question's reading
    asks for the same few words thousands of times)."""
    seen: dict[str, float] = {}

    def known(token: str) -> float:
        v = seen.get(token)
        if v is None:
            v = seen[token] = idf(token)
        return v

    return known


def idf_coverage(q: QView, text: str, idf: Idf) -> float:
    """The idf-weighted share of the question's words present in ``text``."""
    total = sum(idf(t) for t in q.tokens)
    if not total:
        return 0.0
    return sum(idf(t) for t in q.tokens if t in text) / total


def max_missing_idf(q: QView, text: str, idf: Idf) -> float:
    """The idf of the rarest question word absent from ``text`` (0 when none is absent)."""
    return max((idf(t) for t in q.tokens if t not in text), default=0.0)


def pair_overlap(q: QView, text: str) -> float:
    """The share of the question's character pairs that ``text`` contains."""
    if not q.pairs:
        return 0.0
    return sum(p in text for p in q.pairs) / len(q.pairs)


def longest_common(a: str, b: str) -> int:
    """Length of the longest common substring of ``a`` and ``b``: from each start in ``a``,
    the match is grown while it is a substring of ``b``, from one more than the best so far
    (a longer match holds a shorter one, so none is missed)."""
    best = 0
    for i in range(len(a)):
        k = best + 1
        while i + k <= len(a) and a[i:i + k] in b:
            best = k
            k += 1
    return best


# -- sentence features -------------------------------------------------------------------

SENTENCE_FEATURES = (
    "hit_rank", "dense_rank", "bm25_rank", "idf_cov", "idf_cov_ctx", "tok_cov", "pair_overlap",
    "lcs", "missing_idf", "length", "has_number", "has_date", "has_title", "has_quote",
    "time_missing", "time_conflict", "time_missing_doc", "q_number_missing", "first_in_chunk",
    "cos", "cos_gap", "cos_rank", "wh_key",
)
# each sentence feature's column in a row of :func:`sentence_row`
SENTENCE_COLUMN = {name: i for i, name in enumerate(SENTENCE_FEATURES)}
_COS = SENTENCE_COLUMN["cos"]


def sentence_row(q: QView, u: Unit, idf: Idf, doc_year: int | None,
                 doc_text: str = "") -> list[float]:
    """The features of sentence ``u`` for question ``q`` (order: :data:`SENTENCE_FEATURES`).
    ``doc_text`` is the title and text of the sentence's document: a report states its year
    once ("2024年工作总结", "2024年，全镇…") and its sentences don't repeat it."""
    ctx = u.prev + u.form + u.next
    toks = q.tokens
    qs = find_quantities(u.text)
    miss, conflict = time_agreement(q, u, doc_year, heading_years(doc_text, u.doc_start)
                                    if doc_text and q.times else frozenset())
    return [
        u.hit_rank,
        u.ranks.get("dense", 99),
        u.ranks.get("bm25", 99),
        idf_coverage(q, u.form, idf),
        idf_coverage(q, ctx, idf),
        (sum(t in u.form for t in toks) / len(toks)) if toks else 0.0,
        pair_overlap(q, u.form),
        longest_common(_strip(q.form), u.form) / max(1, len(_strip(q.form))),
        max_missing_idf(q, ctx, idf),
        math.log1p(len(u.text)),
        float(any(is_figure(x) for x in qs)),
        float(any(x.kind in ("date", "year") for x in qs)),
        float("《" in u.text),
        float(bool(re.search(r"[“「『]", u.text))),
        miss,
        conflict,
        float(bool(q.times) and not years_of(" ".join(q.times), doc_year)
              & (years_of(u.chunk.search_text, doc_year) | doc_years(doc_text, doc_year))),
        float(bool(q.numbers) and not q.numbers <= {str(x.value) for x in qs}),
        float(not u.prev),
        math.nan, math.nan, math.nan,  # cos, cos_gap, cos_rank: see :func:`fill_similarity`
        0.0,  # wh_key: filled by the reader with the vocabulary id
    ]


def fill_similarity(rows: np.ndarray, cos: np.ndarray | None) -> None:
    """Fill the embedding columns of one question's sentence rows in place: the cosine of
    the question with each sentence (vectors built at ingest), its gap to the best
    sentence's, and its rank (1 = nearest). ``None`` (no vectors) leaves them missing,
    which the models were fitted to handle."""
    if cos is None or not len(rows):
        return
    cos = np.asarray(cos, dtype=np.float64)
    rows[:, _COS] = cos
    rows[:, _COS + 1] = cos - cos.max()
    rows[:, _COS + 2] = 1 + np.argsort(np.argsort(-cos, kind="stable"), kind="stable")


# -- span features -------------------------------------------------------------------------

SPAN_FEATURES = (
    *(f"kind_{k}" for k in SPAN_KINDS),
    "length", "rel_length", "rel_pos", "q_char_overlap", "has_q_token", "left_align",
    "right_align", "near_cov", "clause_cov", "token_dist", "measure_fit", "q_number",
    "has_digit", "sentence_score", "sentence_rank", "in_brackets", "adj_left", "adj_right",
    "clause_rank", "wh_key",
)
_WINDOW = 10
_DIGIT = re.compile(r"\d")


def _clause_of(clause_spans: list[tuple[int, int]], a: int, b: int) -> tuple[int, int]:
    for ca, cb in clause_spans:
        if ca <= a and b <= cb:
            return ca, cb
    return a, b


@functools.lru_cache(maxsize=8192)
def token_positions(form: str, tokens: tuple[str, ...]) -> tuple[int, ...]:
    """Start offsets in ``form`` of every occurrence of the question's words."""
    out: list[int] = []
    for t in tokens:
        out.extend(m.start() for m in re.finditer(re.escape(t), form))
    return tuple(sorted(out))


@functools.lru_cache(maxsize=1024)
def _pairs(side: str) -> frozenset[str]:
    return frozenset(side[i:i + 2] for i in range(len(side) - 1))


@functools.lru_cache(maxsize=1024)
def _chars(form: str) -> frozenset[str]:
    return frozenset(form)


def _align(side: str, window: str) -> float:
    """Share of the character pairs of ``side`` (question context next to the interrogative)
    found in ``window`` (sentence text next to the span)."""
    pairs = _pairs(side)
    if not pairs:
        return 0.0
    return sum(p in window for p in pairs) / len(pairs)


def span_row(q: QView, u: Unit, s: Span, idf: Idf, sentence_score: float, sentence_rank: int,
             clause_spans: list[tuple[int, int]] | None = None,
             covers: dict[tuple[int, int], float] | None = None) -> list[float]:
    """The features of span ``s`` of sentence ``u`` (order: :data:`SPAN_FEATURES`).
    ``covers`` remembers the question's coverage of each piece of ``u`` across its spans."""
    form = u.form
    start, end = s.start, s.end
    piece = form[start:end]
    n = max(1, len(form))
    cl = clause_spans if clause_spans is not None else clauses(u.text)
    seen = {} if covers is None else covers

    def cover(a: int, b: int) -> float:
        v = seen.get((a, b))
        if v is None:
            v = seen[(a, b)] = idf_coverage(q, form[a:b], idf)
        return v

    mine = cover(*_clause_of(cl, start, end))
    clause_rank = 1 + sum(cover(a, b) > mine for a, b in cl)
    positions = token_positions(form, q.tokens)
    dist = min((min(abs(p - start), abs(p - end)) for p in positions
                if not start <= p < end), default=n)
    near = form[max(0, start - _WINDOW):start] + form[end:end + _WINDOW]
    # the figures of the span, only read when the question gives one to compare them with
    digits = {str(x.value) for x in find_quantities(u.text[start:end])
              if x.kind != "year"} if q.numbers else set()
    return [
        *(float(s.kind == k) for k in SPAN_KINDS),
        math.log1p(end - start),
        (end - start) / n,
        start / n,
        sum(map(_chars(q.form).__contains__, piece)) / max(1, len(piece)),
        float(any(t in piece for t in q.tokens)),
        _align(q.left, form[max(0, start - 8):start]),
        _align(q.right, form[end:end + 8]),
        idf_coverage(q, near, idf),
        mine,
        math.log1p(dist),
        float(bool(q.measure) and q.measure in piece[-3:]),
        float(bool(digits & q.numbers)),
        float(bool(_DIGIT.search(piece))),
        sentence_score,
        sentence_rank,
        float(start > 0 and form[start - 1] in "(（"),
        float(any(form.endswith(t, 0, start) for t in q.tokens)),  # a question word just before
        float(any(form.startswith(t, end) or form.startswith(t, end + 1) for t in q.tokens)),
        clause_rank,
        0.0,  # wh_key
    ]
