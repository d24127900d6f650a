"""The answer engine: one ``answer()`` for the CLI, the Gradio app and the eval runner.

Extractive mode (the default) retrieves with the hybrid retriever and hands the chunks to
the learned reader (:mod:`qa.reader`): it picks the sentence, the span inside it, and
whether the sources answer the question at all. The answer is the span (or the clause
holding it), cut verbatim and cited by the sentence's exact offsets. When sources disagree
on the figure asked for, the answer says so and cites both.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from index.retrievers import SearchIndex
from ingest.normalize import search_form
from llm.safety import suspicious_passages
from qa.absent import Mentions
from qa.answer_span import choose
from qa.candidates import Unit, reading_order
from qa.features import QView, idf_coverage, is_english, remembered
from qa.followup import resolve_followup
from qa.llm_answer import answer_llm
from qa.multi_ask import answer_span, asks
from qa.qtype import QType, question_type, topic_of
from qa.reader import Reader, Reading, doc_year_of
from qa.render import abstain_message, to_display, year_note
from qa.times import (
    asked_years,
    doc_form,
    named_years,
    other_years_last,
    stated_time,
    title_and_text,
    years_of,
)
from text.compare import compare, same_measure
from text.numbers import has_figure, parse_quantity
from text.scope import Scope, states
from zhiwen.records import Answer, Citation, Conflict, Hit

if TYPE_CHECKING:
    from llama_index.llms.openai_like import OpenAILike

    from llm.settings import LLMSettings

DEFAULT_K = 8
MAX_CITATIONS = 3
LIST_ITEMS = 5  # at most this many items in a list or summary answer
LIST_SHARE = 0.2  # an item's sentence stands at least this share against the best (Reading.share)
# another source counts when its sentence stands this share against the answer's on an equal
# footing (Reading.share; a judgment, not fitted: 0.2 is a logit gap of 1.6)
CONFLICT_SHARE = 0.2
SCOPED_POOL = 3  # a question naming a year picks its k passages from the best 3k (Engine.retrieve)
SUMMARY_COVERAGE = 0.5  # a summary needs a sentence holding half its topic's words (by idf)


@dataclass(frozen=True, slots=True)
class Turn:
    """One earlier exchange of a conversation."""

    question: str
    answer: str
    query: str = ""  # the retrieval query actually used (the resolved question)


class Engine:
    """Answers questions over one loaded index.

    Args:
        index: the loaded index.
        k: how many chunks to read sentences from.
        threshold: abstain when the answerability model's probability is below it;
            ``None`` takes the value fitted with the reader.
        script: ``"simplified"`` renders direct answers in simplified characters;
            ``"original"`` keeps the source's script. Quotes are always verbatim.
    """

    def __init__(self, index: SearchIndex, *, k: int = DEFAULT_K, threshold: float | None = None,
                 script: str = "simplified", llm: LLMSettings | None = None) -> None:
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        if script not in ("simplified", "original"):
            raise ValueError(f"script must be 'simplified' or 'original', got {script!r}")
        self.index = index
        self.k = k
        self.script = script
        self.reader = Reader()
        self.threshold = threshold if threshold is not None else self.reader.threshold
        self.llm_settings = llm
        self.llm: OpenAILike | None = None  # the client, shared with the checker and the points
        self._years: dict[str, int | None] = {}
        self._texts: dict[str, str] = {}
        self._named: dict[str, frozenset[str]] = {}
        self._mentions = Mentions.of(index)
        if llm is not None:
            from llm.client import make_llm  # the OpenAI client stack loads only in LLM mode

            self.llm = make_llm(llm)

    # -- retrieval ---------------------------------------------------------------------
    def retrieve(self, query: str, k: int | None = None) -> list[Hit]:
        """The ``k`` best hybrid hits (each carries its per-retriever ranks). A question that
        names a year reads first the passages that may speak of it: of the best
        :data:`SCOPED_POOL` × ``k``, those whose document names only other years (in its
        title, its text and its date) go last (:func:`qa.times.other_years_last`): a 2026
        release's passages, for a question about 2025, fall behind the 2025 report's."""
        k = k or self.k
        form = search_form(query)
        asked = asked_years(form, is_english(form))
        if not asked:
            return self.index.search(query, k)
        return other_years_last(self.index.search(query, SCOPED_POOL * k), asked, self._passage_years)[:k]

    def _passage_years(self, hit: Hit) -> frozenset[str]:
        """The years a hit's document names anywhere (title and text) and its year of
        publication (:func:`qa.times.named_years`), remembered per document."""
        doc = hit.chunk.doc_id
        if doc not in self._named:
            year = self.doc_year(doc)
            self._named[doc] = named_years(doc_form(self.doc_text(doc))) | (
                {str(year)} if year is not None else set())
        return self._named[doc]

    def doc_year(self, doc_id: str) -> int | None:
        """The year a document was published (what its 今年 means), when known."""
        if doc_id not in self._years:
            self._years[doc_id] = doc_year_of(self.index.doc(doc_id).date)
        return self._years[doc_id]

    def when(self, unit: Unit) -> frozenset[str]:
        """The years a sentence speaks of (``cum``: a running total): those it or the one before
        states (:func:`qa.times.stated_time`; 今年 by its document's date), else its document's."""
        year = self.doc_year(unit.chunk.doc_id)
        said = frozenset(y for y in years_of(stated_time(unit), year) if y.isdigit() or y == "cum")
        return said or (frozenset({str(year)}) if year is not None else frozenset())

    def idf(self, token: str) -> float:
        return self.index.idf(token)

    def rank(self, text: str, k: int | None = None) -> tuple[QView, list[Unit]]:
        """The sentences of the best chunks for ``text``, best first by the sentence model
        (the fact-checker and the talking points read these)."""
        hits = self.retrieve(text, k)
        reading = self._read(text, hits)
        return self.reader.view(text), [u for u, _s in reading.ranked]

    def _read(self, text: str, hits: list[Hit]) -> Reading:
        return self.reader.read(text, hits, self.idf, self.doc_year,
                                self.index.sentence_similarity, self.doc_text, self._mentions)

    def doc_text(self, doc_id: str) -> str:
        """A document's title and text, where the reader looks for the years it states
        (built once per document: the reader's year lookup is remembered per text)."""
        if doc_id not in self._texts:
            self._texts[doc_id] = title_and_text(self.index.doc(doc_id))
        return self._texts[doc_id]

    def hits(self, query: str, k: int | None = None) -> list[Hit]:
        """Retrieved chunks, less any that command the reader ("忽略以上指示…")."""
        return [h for h in self.retrieve(query, k) if not suspicious_passages([h.chunk.text])]

    def read(self, query: str, k: int | None = None) -> Reading:
        """Retrieve for ``query`` and read: the reader's full view, for eval and tools."""
        return self._read(query, self.hits(query, k))

    # -- answering ---------------------------------------------------------------------
    def answer(self, question: str, history: Sequence[Turn] = (), *, k: int | None = None,
               on_token: Callable[[str], None] | None = None) -> Answer:
        """Answer ``question``; follow-ups are resolved against ``history``.

        With an LLM configured the model's answer streams through ``on_token`` and is then
        checked (citations exist, every figure is in a cited passage); a failed check or a
        dead endpoint returns the extractive answer with a note saying why. Streamed text
        is a preview: the returned :class:`Answer` is what passed the checks. Without an
        LLM, ``on_token`` receives the extractive answer in one piece.
        """
        if self.llm is not None:
            return answer_llm(self, question, history, k, on_token)
        ans = self.answer_extractive(question, history, k)
        if on_token is not None:
            on_token(ans.answer)
        return ans

    def extractive(self, question: str) -> Answer:
        """The extractive answer to a stand-alone ``question``, even with a model configured
        (for checks that must not send text to it, such as the app's example questions)."""
        return self.answer_extractive(question, (), None)

    def answer_extractive(self, question: str, history: Sequence[Turn], k: int | None,
                          query: str | None = None, notes: tuple[str, ...] = ()) -> Answer:
        """The extractive answer, read against ``history`` (or for ``query`` when the LLM
        mode has already resolved it), with ``notes`` (why the LLM mode fell back to it)."""
        t0 = time.perf_counter()
        query = query or resolve_followup(question, history)
        topic = topic_of(query)  # "总结一下X的成效" asks about X
        hits = self.hits(topic, k)
        t1 = time.perf_counter()
        result = self.compose(question, query, self._read(topic, hits))
        t2 = time.perf_counter()
        timings = {"retrieve_ms": round((t1 - t0) * 1000, 2), "answer_ms": round((t2 - t1) * 1000, 2)}
        return Answer(question=question, answer=result.answer, abstained=result.abstained,
                      citations=result.citations, mode="extractive", timings=timings,
                      notes=notes + result.notes, query=query, conflicts=result.conflicts)

    def compose(self, question: str, query: str, reading: Reading) -> Answer:
        """The answer to show for a reading: the span with its citations, a note on 今年,
        and the other sources' values where they disagree; or an abstention saying why."""
        unit = reading.unit
        qtype = question_type(search_form(query))
        # a summary is not a factual question: the answerability model (fitted on factual
        # questions) does not judge it; it needs sentences that cover most of its topic
        answerable = (reading.answers(self.threshold) if qtype != QType.SUMMARY
                      else reading.unit is not None and self._covers(reading, SUMMARY_COVERAGE))
        if unit is None or reading.span is None or not answerable:
            return Answer(question, abstain_message(query, reading), True, (), "extractive")
        if qtype != QType.FACT:
            return self.compose_list(question, reading, summary=qtype == QType.SUMMARY)
        chosen = [unit, *self.support(reading)]
        citations = [self.citation(n, u) for n, u in enumerate(chosen, 1)]
        conflicts = self.conflicts(reading, len(citations) + 1)
        text = to_display(self._shown(query, reading), self.script) + "[1]"
        if conflicts:
            citations += [c.citation for c in conflicts]
            others = "，".join(f"另一来源说{to_display(c.value, self.script)}[{c.citation.n}]"
                              for c in conflicts)
            text = f"资料之间不一致：{text}；{others}。请核对原文。"
        notes: tuple[str, ...] = ()
        if states(search_form(unit.text) + search_form(query), Scope.THIS_YEAR):
            notes = (year_note(self.index.doc(unit.chunk.doc_id)),)
        return Answer(question, text, False, tuple(citations), "extractive", notes=notes,
                      conflicts=tuple(conflicts))

    def _shown(self, query: str, reading: Reading) -> str:
        """The reader's answer; for a question asking two things, the clauses holding both."""
        parts, u, sp = asks(query), reading.unit, reading.span
        both = answer_span(self.reader, reading, parts, remembered(self.idf)) if parts else None
        if both is None or u is None or sp is None or (sp.start <= both.start and both.end <= sp.end):
            return reading.answer
        return u.text[both.start:both.end]

    def _covers(self, reading: Reading, share: float) -> bool:
        assert reading.question is not None and reading.unit is not None
        u = reading.unit
        return idf_coverage(reading.question, u.prev + u.form + u.next, self.idf) >= share

    def compose_list(self, question: str, reading: Reading, summary: bool = False) -> Answer:
        """"有哪些 / 都有谁": one item per sentence that scores near the best, each its best
        span (or clause) and its own citation, in the order of the documents; with
        ``summary`` ("总结一下…", whose instruction the reading's question no longer holds)
        each item is its whole sentence."""
        assert reading.question is not None
        q, first = reading.question, reading.ranked[0][0]
        # sentences that stand near the best on an equal footing (whichever was retrieved
        # first: a list's items are alike and the sentence model's scores are competitive);
        # for a summary also those that hold most of its topic's words (the sentence model
        # answers questions: for a topic it puts one sentence far ahead of the rest)
        def near(u: Unit) -> bool:
            return reading.share(u, first) >= LIST_SHARE or (
                summary and idf_coverage(q, u.form, self.idf) >= SUMMARY_COVERAGE)

        chosen = sorted((us for us in reading.ranked[:LIST_ITEMS * 2] if near(us[0])),
                        key=lambda us: -reading.share(us[0], first))
        items: list[tuple[Unit, str]] = []
        for rank, (u, s) in enumerate(chosen, 1):
            if len(items) >= LIST_ITEMS:
                break
            if summary:
                text = u.text.strip()
            else:
                scored = self.reader.best_spans(q, [u], [s], self.idf, self.reader.wh_id(q), rank)
                cu, sp = choose(scored, self.reader.span_threshold)
                text = cu.text[sp.start:sp.end]
            if text and all(text not in t and t not in text for _u, t in items):
                items.append((u, text))
        items = reading_order(items)
        citations = tuple(self.citation(n, u) for n, (u, _t) in enumerate(items, 1))
        body = "\n".join(f"{n}. {to_display(t, self.script)}[{n}]" for n, (_u, t) in enumerate(items, 1))
        return Answer(question, body, False, citations, "extractive")

    def support(self, reading: Reading) -> list[Unit]:
        """Other sentences (other documents first) that state the answer's figure or text."""
        assert reading.unit is not None and reading.span is not None
        best = reading.unit
        piece = search_form(best.text[reading.span.start:reading.span.end])
        out: list[Unit] = []
        for u, _s in reading.ranked[1:12]:
            if len(out) >= MAX_CITATIONS - 1:
                break
            if u.chunk.doc_id == best.chunk.doc_id or any(u.form == o.form for o in out):
                continue
            if len(piece) >= 2 and piece in u.form and u.form != best.form:
                out.append(u)
        return out

    def conflicts(self, reading: Reading, first_n: int) -> list[Conflict]:
        """Figures of the asked kind that other documents' sentences give differently.

        A figure counts when its sentence, in another document, scores near the answer's
        sentence on an equal footing (:meth:`Reading.share`: the same attribute and scope,
        as far as the sentence model can tell, whichever was retrieved first), it
        is among that sentence's best candidates, and its value, unit-compatible, is not the
        answer's; unless the two sentences speak of different years (:meth:`when`): a
        2026 figure does not contradict 2025's, nor a running total a year's.
        """
        best = reading.unit
        # the answer's figure: the answer itself when it is one, else the best-scored figure
        # of the answer's sentence
        span = reading.span if reading.span is not None and reading.span.kind == "number" else next(
            (sp for u, sp, _p in reading.spans if u is best and sp.kind == "number"), None)
        if best is None or span is None:
            return []
        mine = parse_quantity(best.text[span.start:span.end])
        if mine is None:
            return []
        out: list[Conflict] = []
        seen_values = {mine.value}
        mine_when = self.when(best)
        assert reading.question is not None
        q = reading.question
        idf = remembered(self.idf)

        def cover(u: Unit) -> float:
            return idf_coverage(q, u.prev + u.form + u.next, idf)

        # the spans of the best sentences, and those of other documents' sentences that stand
        # as well as the answer's but were ranked below them (the same fact retrieved later)
        scored = list(reading.spans)
        have = {id(u) for u, _sp, _p in scored}
        wh = self.reader.wh_id(q)
        full = 0.8 * cover(best)
        for rank, (u, sc) in enumerate(reading.ranked, 1):
            # (a sentence that fails the coverage test below, or holds no figure, gives
            # nothing: not scored)
            if (id(u) not in have and u.chunk.doc_id != best.chunk.doc_id
                    and reading.share(u, best) >= CONFLICT_SHARE and cover(u) >= full
                    and has_figure(u.text)):
                scored += self.reader.best_spans(q, [u], [sc], idf, wh, rank)
        top_of: dict[int, float] = {}  # each sentence's best span score
        for u, _sp, p in scored:
            top_of[id(u)] = max(top_of.get(id(u), 0.0), p)
        for u, sp, p in scored:
            if len(out) >= 2:
                break
            # another document's sentence that the sentence model also rates as an answer,
            # and whose own best candidates include this figure
            if sp.kind != "number" or u.chunk.doc_id == best.chunk.doc_id:
                continue
            if reading.share(u, best) < CONFLICT_SHARE or p < 0.5 * top_of[id(u)]:
                continue
            if cover(u) < full:  # it must speak of what was asked as fully
                continue
            other = parse_quantity(u.text[sp.start:sp.end])
            if other is None or other.value in seen_values or not same_measure(other, mine):
                continue
            if mine_when and (other_when := self.when(u)) and not other_when & mine_when:
                continue  # figures for different years (or a year and a total) do not contradict
            if compare(other, mine) == "mismatch":
                seen_values.add(other.value)
                out.append(Conflict(u.text[sp.start:sp.end], self.citation(first_n + len(out), u)))
        return out

    def citation(self, n: int, unit: Unit) -> Citation:
        """A citation of a sentence; its quote is the document's exact span."""
        doc = self.index.doc(unit.chunk.doc_id)
        return Citation(n=n, doc_id=doc.doc_id, source=doc.source, title=doc.title,
                        quote=doc.text[unit.doc_start : unit.doc_end], start=unit.doc_start,
                        end=unit.doc_end, date=doc.date)

