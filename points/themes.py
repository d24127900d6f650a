"""Facts as speakable units, and the themes the sources group them under.

A *unit* is one sentence of a source, or one clause of it when the sentence lists
achievements of different themes ("其中，消费协作助销…近800万元，劳务协作输入…908人，
社会捐赠超800万元" gives three). Themes are read from the sources' own paragraph headings
("深化教育协作，延续技能培训优势。" → 教育协作); a sentence under no heading joins the theme
whose paragraph shares most of its words, else 综合.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from index.store import DocumentEntry
from ingest.normalize import search_form
from ingest.split import iter_sentences
from qa.candidates import Unit as Sentence
from qa.candidates import paragraph_lead
from qa.engine import Engine
from text.facts import Figure, content_terms, fact_figures
from text.lexicon import CJK
from text.scope import Scope, last_scope
from zhiwen.records import Citation

GENERAL = "综合"
_HEADING = re.compile(
    r"^(?:深化|加强|强化|推进|推动|做好|抓好|聚焦|突出|持续深化|全面深化|扎实推进|持续推进)?"
    rf"([{CJK}]{{2,4}}(?:协作|帮扶|合作|交流|扶贫|振兴))[，。：:]"
)
_EVENT = re.compile(r"召开|签订|签约|举办|开设|成立|揭牌|首次")
_CONNECTIVE = re.compile(r"^(?:其中|同时|此外|另外|期间|另一方面)[，,]")
_SINCE = re.compile(r"自\s*\d{4}\s*年[^，。；\n]{0,16}以来")
_CLAUSE = re.compile(r"[^，；。！？]*[，；。！？]?")
MIN_THEME_OVERLAP = 0.6
LONG = 60  # a sentence longer than this loses clauses without figures at its ends


@dataclass(eq=False, slots=True)
class Unit:
    """A fact to speak: ``text == doc.text[start:end]`` (trimmed), from ``cand``'s sentence."""

    cand: Sentence
    start: int
    end: int
    text: str
    figures: list[Figure]
    date_key: str
    scope: Scope
    scope_phrase: tuple[int, int, str] | None  # cited sentence span and the 自…以来 phrase
    theme: str
    theme_rank: int

    @property
    def order(self) -> tuple[str, int]:
        return self.cand.chunk.doc_id, self.start


@dataclass(frozen=True, slots=True)
class Theme:
    name: str
    start: int
    end: int
    form: str


def theme_rank(doc_text: str, theme: str) -> int:
    """Where a theme stands in the document's order of headings (:data:`GENERAL` first,
    themes the document does not head last)."""
    names = [t.name for t in doc_themes(doc_text)]
    return 0 if theme == GENERAL else names.index(theme) + 1 if theme in names else len(names) + 1


@lru_cache(maxsize=256)
def doc_themes(doc_text: str) -> tuple[Theme, ...]:
    """The themes a document's paragraphs announce in their first clause."""
    out = []
    pos = 0
    for line in doc_text.split("\n"):
        m = _HEADING.match(search_form(line.strip()))
        if m:
            out.append(Theme(m.group(1), pos, pos + len(line), search_form(line)))
        pos += len(line) + 1
    return tuple(out)


def theme_of(engine: Engine, doc_text: str, start: int, form: str) -> str:
    """The theme of the text at ``start`` (with search form ``form``): its paragraph's
    heading, else the theme paragraph sharing most of its words, else the theme named in
    it (``消费`` for 消费协作), else :data:`GENERAL`."""
    themes = doc_themes(doc_text)
    for t in themes:
        if t.start <= start < t.end:
            return t.name
    weights = {w: engine.idf(w) for w in content_terms(form)}
    total = sum(weights.values())
    if total and themes:
        share, best = max((sum(v for w, v in weights.items() if w in t.form) / total, t.name) for t in themes)
        if share >= MIN_THEME_OVERLAP:
            return best
    named = [t.name for t in themes if t.name[:2] in form]
    return named[0] if named else GENERAL


def cite_span(doc: DocumentEntry, n: int, start: int, end: int) -> Citation:
    """A citation of ``doc.text[start:end]`` (the quote is that exact span)."""
    return Citation(n=n, doc_id=doc.doc_id, source=doc.source, title=doc.title,
                    quote=doc.text[start:end], start=start, end=end, date=doc.date)


def _clauses(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _CLAUSE.finditer(text) if m.end() > m.start()]


def _trim(text: str, figs: list[Figure]) -> tuple[int, int]:
    """Offsets of the lightly trimmed sentence: without a leading connective, and for a
    long sentence without figure-less clauses at either end."""
    a, b = 0, len(text)
    m = _CONNECTIVE.match(text)
    if m:
        a = m.end()
    if len(text) > LONG and figs:
        spans = [(x, y) for x, y in _clauses(text) if x >= a]
        holding = [(x, y) for x, y in spans if any(x <= f.q.start < y for f in figs)]
        if holding:
            a, b = holding[0][0], holding[-1][1]
    return a, b


def _trim_event(text: str, form: str) -> tuple[int, int]:
    """A long event sentence ends with the clause that names the event (召开, 签订 …)."""
    m = _EVENT.search(form)
    if len(text) <= LONG or m is None:
        return _trim(text, [])
    end = next((y for x, y in _clauses(text) if x <= m.start() < y), len(text))
    return _trim(text[:end], [])


def _since_phrase(doc_text: str, start: int) -> tuple[int, int, str] | None:
    """The sentence of the paragraph before ``start`` stating ``自2021年…以来``, and the phrase."""
    para = doc_text.rfind("\n", 0, start) + 1
    form = search_form(doc_text[para:start])
    for a, b in iter_sentences(form):
        m = _SINCE.search(form, a, b)
        if m:
            return para + a, para + b, doc_text[para + m.start() : para + m.end()]
    return None


def _achievement(fig: Figure) -> bool:
    """A figure that measures something: written with digits or at least ten (一项, 两地
    and other numerals of set phrases are not)."""
    q = fig.q
    if q.kind not in ("number", "percent"):
        return False
    return any(ch.isdigit() for ch in q.text) or q.value >= 10


def _unit(engine: Engine, cand: Sentence, a: int, b: int, figs: list[Figure], date_key: str) -> Unit:
    doc = engine.index.doc(cand.chunk.doc_id)
    text = cand.text[a:b].rstrip("，,；;、 ")
    scope = figs[0].scope if figs else Scope.NONE
    phrase = None
    if scope == Scope.CUMULATIVE and last_scope(cand.form[a:b]) == Scope.NONE:
        phrase = _since_phrase(doc.text, cand.doc_start)
    theme = theme_of(engine, doc.text, cand.doc_start, cand.form[a:b])
    return Unit(cand, cand.doc_start + a, cand.doc_start + a + len(text), text, figs, date_key,
                scope, phrase, theme, theme_rank(doc.text, theme))


def units_of(engine: Engine, cand: Sentence) -> list[Unit]:
    """The speakable facts of one candidate sentence (none when it has no figure, date
    or event)."""
    doc = engine.index.doc(cand.chunk.doc_id)
    lead = search_form(paragraph_lead(doc.text, cand.doc_start))
    found = fact_figures(cand.text, cand.form, lead)
    figs = [f for f in found if _achievement(f)]
    if not figs:
        dates = [f.q.date_key for f in found if f.q.kind == "date"]
        if not _EVENT.search(cand.form):
            return []
        a, b = _trim_event(cand.text, cand.form)
        return [_unit(engine, cand, a, b, [], dates[0] if dates else cand.form[:16])]
    clauses = sorted({f.clause for f in figs})
    if len(clauses) >= 2:
        names = [theme_of(engine, doc.text, -1, cand.form[x:y]) for x, y in clauses]
        if len(set(names)) == len(names) and GENERAL not in names:
            out = []
            for x, y in clauses:
                m = _CONNECTIVE.match(cand.text[x:y])
                own = [f for f in figs if f.clause == (x, y)]
                out.append(_unit(engine, cand, x + (m.end() if m else 0), y, own, ""))
            return out
    a, b = _trim(cand.text, figs)
    return [_unit(engine, cand, a, b, figs, "")]
