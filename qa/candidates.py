"""What the reader chooses among: the sentences of the retrieved chunks, then spans inside one.

A :class:`Unit` is one sentence of a retrieved chunk, located in its document (so a
citation quotes ``doc.text[doc_start:doc_end]``). Overlapping chunks repeat sentences; a
sentence is kept once, with the best rank of the chunks that hold it.

A :class:`Span` is a candidate answer inside a sentence: a figure with its qualifier and
unit (``约193万元``, ``15.6万册次``), a date or date range, a 《title》, a quotation, a run of
nouns (names, places, organisations), a noun phrase with its modifiers, a clause, or the
whole sentence. Spans are cut from
the sentence's own text, so an answer is always verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from text.names import tagged_words
from text.numbers import find_quantities, is_figure
from zhiwen.records import Chunk, Hit


@dataclass(frozen=True, slots=True)
class Unit:
    """One sentence of a retrieved chunk.

    Attributes:
        text, form: the sentence and its search form (same length).
        chunk: the chunk it was read from; ``hit_rank`` that chunk's fused rank (1-based).
        doc_start, doc_end: the sentence's offsets in its document.
        ranks: the chunk's rank in each retriever.
        prev, next: the neighbouring sentences' search forms in the chunk ("" at an edge).
    """

    text: str
    form: str
    chunk: Chunk
    hit_rank: int
    doc_start: int
    doc_end: int
    ranks: dict[str, int]
    prev: str = ""
    next: str = ""


# kinds of span, in the order of the feature vector's one-hot
SPAN_KINDS = ("number", "date", "year", "title", "quote", "person", "place", "org", "noun",
              "phrase", "clause", "sentence")


@dataclass(frozen=True, slots=True)
class Span:
    """A candidate answer: ``unit.text[start:end]``."""

    start: int
    end: int
    kind: str


def units(hits: list[Hit]) -> list[Unit]:
    """The sentences of ``hits``, once each, in hit order; not a "sentence" of punctuation
    alone (a stray "。" or "；" the splitter leaves), which holds no candidate answer."""
    seen: set[tuple[str, int, int]] = set()
    out: list[Unit] = []
    for rank, hit in enumerate(hits, 1):
        c = hit.chunk
        spans = c.sentences or ((0, len(c.text)),)
        for i, (a, b) in enumerate(spans):
            key = (c.doc_id, c.start + a, c.start + b)
            text = c.text[a:b]
            if key in seen or not text.strip(_TRIM + "\u3000"):
                continue
            seen.add(key)
            prev = c.search_text[spans[i - 1][0]:spans[i - 1][1]] if i > 0 else ""
            nxt = c.search_text[spans[i + 1][0]:spans[i + 1][1]] if i + 1 < len(spans) else ""
            out.append(Unit(text=text, form=c.search_text[a:b], chunk=c, hit_rank=rank,
                            doc_start=c.start + a, doc_end=c.start + b, ranks=dict(hit.ranks),
                            prev=prev, next=nxt))
    return out


_CLAUSE_END = re.compile(r"[，,；;：:。！!？?\n]")
_TITLE = re.compile(r"《[^《》]{1,40}》")
_QUOTE = re.compile(r"[“「『\"]([^“”「」『』\"]{1,80})[”」』\"]")
_YEAR_BEFORE = re.compile(r"(?:今年|去年|明年|前年|后年|本年|当年)$")
_DATE_AFTER = re.compile(r"以前|之前|以后|之后|以来|中旬|上旬|下旬|前|后|底|初|末|起")
_TRIM = "，,；;：:。！!？?、 \t\n"
_NOUN_TAGS = {"n", "nr", "nr?", "nrt", "nrfg", "ns", "nt", "nz", "eng", "x", "j", "l", "vn", "an", "ng"}
_KIND_OF_TAG = {"nr": "person", "nrt": "person", "nrfg": "person", "nr?": "person", "ns": "place",
                "nt": "org"}


def clauses(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of the clauses of ``text`` (split at ，；：。！？), trimmed."""
    out = []
    start = 0
    for m in [*_CLAUSE_END.finditer(text), None]:
        end = m.start() if m else len(text)
        a, b = _trim(text, start, end)
        if b > a:
            out.append((a, b))
        start = m.end() if m else len(text)
    return out


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a] in _TRIM:
        a += 1
    while b > a and text[b - 1] in _TRIM:
        b -= 1
    return a, b


def spans(unit: Unit) -> list[Span]:
    """Every candidate answer in ``unit`` (duplicates of the same offsets dropped)."""
    text, form = unit.text, unit.form
    found: dict[tuple[int, int], str] = {}

    quantities = find_quantities(text)

    def add(a: int, b: int, kind: str) -> None:
        a, b = _trim(text, a, b)
        if b > a and (a, b) not in found:
            found[(a, b)] = kind

    def add_words(a: int, b: int, kind: str) -> None:
        # words never cut a figure: 4千多人 is not a candidate of 23万4千多人
        if not any(q.start < x < q.end for q in quantities for x in (a, b)):
            add(a, b, kind)

    for q in quantities:
        if q.kind == "ordinal":
            continue
        kind = "number" if is_figure(q) else q.kind  # else a date or a year
        a, b = q.start, q.end
        if kind != "number":  # 明年6月前 is one date: the relative year and 前 make it true
            if m := _YEAR_BEFORE.search(form[:a]):
                a = m.start()
            if m := _DATE_AFTER.match(form, b):
                b = m.end()
        add(a, b, kind)
    for m in _TITLE.finditer(text):
        add(m.start(), m.end(), "title")
        add(m.start() + 1, m.end() - 1, "title")
    for m in _QUOTE.finditer(text):
        add(m.start(1), m.end(1), "quote")
    words = (*tagged_words(form), ("。", "w"))  # tagged once for both; "。" closes the last run
    _noun_runs(words, add_words)
    _phrases(words, add_words)
    for a, b in clauses(text):
        add(a, b, "clause")
    add(0, len(text), "sentence")
    return [Span(a, b, k) for (a, b), k in found.items()]


def _noun_runs(words: Sequence[tuple[str, str]], add: Callable[[int, int, str], None]) -> None:
    """Single nouns and maximal runs of nouns among the sentence's tagged ``words``."""
    pos = 0
    run_start = -1
    run_kind = "noun"
    for word, flag in words:
        nounish = flag in _NOUN_TAGS and bool(re.search(r"[^\W\d]", word))
        if nounish:
            kind = _KIND_OF_TAG.get(flag, "noun")
            add(pos, pos + len(word), kind)
            if run_start < 0:
                run_start, run_kind = pos, kind
            elif kind != "noun":
                run_kind = kind
        else:
            if run_start >= 0 and pos - run_start > 1:
                add(run_start, pos, run_kind)
            run_start = -1
        pos += len(word)


# word classes a noun phrase is built of: nouns and what modifies them (adjectives 浪漫喜剧,
# distinguishing words, numerals and measures 六世 / 三号, times, localisers)
_PHRASE_TAGS = _NOUN_TAGS | {"a", "b", "m", "q", "mq", "t", "tg", "f", "s"}
MAX_PHRASE = 24
# a bracket or quotation mark ends a phrase: "0769-87321458（工作日上午8" is no answer
_ENCLOSES = re.compile(r"[（）()\[\]【】〔〕「」『』“”‘’\"《》〈〉]")


def _phrases(words: Sequence[tuple[str, str]], add: Callable[[int, int, str], None]) -> None:
    """Maximal runs of noun-phrase words, and each of their tails (a Chinese phrase ends
    in its head: 教宗保禄六世 → 保禄六世), of two words or more and holding a noun. A run
    ends at clause punctuation and at a bracket or quotation mark (``_ENCLOSES``)."""
    run: list[tuple[int, int, str]] = []
    pos = 0
    for word, flag in words:
        if (flag in _PHRASE_TAGS and word.strip()
                and not (_CLAUSE_END.search(word) or _ENCLOSES.search(word))):
            run.append((pos, pos + len(word), flag))
        else:
            for i in range(len(run) - 1):
                a, b = run[i][0], run[-1][1]
                if b - a <= MAX_PHRASE and any(f in _NOUN_TAGS for _a, _b, f in run[i:]):
                    add(a, b, "phrase")
            run = []
        pos += len(word)


def paragraph_lead(doc_text: str, start: int, limit: int = 200) -> str:
    """The text of the paragraph before ``start`` (at most ``limit`` characters): a heading
    such as "深化消费协作" that the sentence's facts belong to."""
    para = doc_text.rfind("\n", 0, start) + 1
    return doc_text[max(para, start - limit) : start]


def reading_order(items: list[tuple[Unit, str]]) -> list[tuple[Unit, str]]:
    """A list answer's items (each with its text, best first) as a reader takes them: the
    documents in the order of their best item, each document's items in the order of its
    text. (Sorted by document id, a summary of one event began with another document's
    sentence that merely mentions it.)"""
    docs = list(dict.fromkeys(u.chunk.doc_id for u, _t in items))
    return sorted(items, key=lambda it: (docs.index(it[0].chunk.doc_id), it[0].doc_start))
