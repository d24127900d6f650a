"""The answer engine: one ``answer()`` for the CLI, the Gradio app and the eval runner.

Extractive mode (the default) retrieves with the hybrid retriever, ranks the sentences of
the top chunks with :class:`qa.ranker.Ranker`, and answers with a short span cut verbatim
from the best sentence, citing the sentence by its exact offsets. It abstains when the
verifier's confidence in the best sentence is under the calibrated threshold.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from index.retrievers import SearchIndex
from ingest.normalize import search_form
from qa.answer_text import abstain_message, direct_answer, to_display, year_note
from qa.followup import resolve_followup
from qa.numbers import find_quantities
from qa.question import (
    CATEGORIES,
    QuestionInfo,
    analyse,
    asks_day,
    asks_end,
    asks_range,
    asks_year,
)
from qa.ranker import (
    FEATURES,
    Candidate,
    Ranker,
    asked_nouns,
    date_ranges,
    load_fitted,
    single_day,
    starts_only,
    states_year,
)
from qa.safety import suspicious_passages
from zhiwen.records import Answer, Chunk, Citation, Hit

if TYPE_CHECKING:
    from qa.llm import LLMSettings

DEFAULT_K = 8
_TYPE_MATCH = FEATURES.index("type_match")
_WHICH_MISS = FEATURES.index("which_miss")
_CTX_COV = FEATURES.index("ctx_cov")
_ASKED_MISS = FEATURES.index("asked_miss")
MAX_CITATIONS = 3


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
        threshold: abstain when the verifier's confidence is below it; ``None`` takes the
            calibrated value stored with the ranker weights.
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
        fitted = load_fitted()
        self.ranker = Ranker(index, fitted.weights, fitted.verifier)
        self.threshold = threshold if threshold is not None else fitted.threshold
        self.llm_settings = llm
        self._llm = None
        if llm is not None:
            from qa.llm import make_llm  # the OpenAI client stack loads only in LLM mode

            self._llm = make_llm(llm)

    # -- retrieval ---------------------------------------------------------------------
    def retrieve(self, query: str, k: int | None = None) -> list[Hit]:
        """The ``k`` best hybrid hits (each carries its per-retriever ranks)."""
        return self.index.search(query, k or self.k)

    def rank(self, question: str, k: int | None = None, *,
             own: str | None = None) -> tuple[QuestionInfo, list[Candidate]]:
        """Analyse, retrieve and rank candidate sentences (best first).

        ``own`` is the user's words when ``question`` was expanded from a follow-up: its
        own question type and time scope win over the carried-over context.
        """
        q = analyse(question)
        if own is not None and own != question:
            mine = analyse(own)
            # "这笔钱用于什么？" asks its own kind of question; "那累计呢？" keeps the old one
            asks = re.search(r"什么|谁|哪|多少|几|何时|怎么|如何|\b(?:what|who|which|how|when|where)\b",
                             mine.form)
            q = replace(q, qtype=mine.qtype if (mine.qtype != "other" or asks) else q.qtype,
                        scope=mine.scope if mine.scope != "none" else q.scope)
        hits = self.retrieve(question, k)
        if q.is_english:  # English words → the Chinese terms they stand for in these passages
            from qa.crosslingual import with_chinese_terms

            q = with_chinese_terms(q, [h.chunk.search_text for h in hits])
        return q, self.ranker.candidates(q, hits)

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
        if self._llm is not None:
            return self._answer_llm(question, history, k, on_token)
        ans = self._answer_extractive(question, history, k)
        if on_token is not None:
            on_token(ans.answer)
        return ans

    def _answer_extractive(self, question: str, history: Sequence[Turn], k: int | None,
                           query: str | None = None, notes: tuple[str, ...] = ()) -> Answer:
        t0 = time.perf_counter()
        query = query or resolve_followup(question, history)
        q, cands = self.rank(query, k, own=question)
        t1 = time.perf_counter()
        result = self._compose(question, q, cands)
        t2 = time.perf_counter()
        timings = {"retrieve_ms": round((t1 - t0) * 1000, 2), "answer_ms": round((t2 - t1) * 1000, 2)}
        return Answer(question=question, answer=result.answer, abstained=result.abstained,
                      citations=result.citations, mode="extractive", timings=timings,
                      notes=notes + result.notes, query=query)

    def _answer_llm(self, question: str, history: Sequence[Turn], k: int | None,
                    on_token: Callable[[str], None] | None) -> Answer:
        from qa.llm import (
            build_messages,
            check_answer,
            cited_numbers,
            condense_question,
            is_abstention,
            stream_chat,
        )
        from zhiwen.errors import LLMError

        assert self._llm is not None and self.llm_settings is not None
        t0 = time.perf_counter()
        query = question
        try:
            if history:
                query = condense_question(self._llm, [(t.question, t.answer) for t in history],
                                          question)
            hits = self.retrieve(query, k)
            passages = [h.chunk.text for h in hits]
            t1 = time.perf_counter()
            text = stream_chat(self._llm, build_messages(query, passages), on_token)
        except LLMError as exc:
            return self._answer_extractive(
                question, history, k, notes=(f"大模型服务不可用，已改用抽取式答案：{exc}",))
        t2 = time.perf_counter()
        problems = check_answer(text, passages)
        if problems:
            return self._answer_extractive(
                question, history, k, query=query if query != question else None,
                notes=("大模型的回答未通过核对，已改用抽取式答案：" + "；".join(problems),))
        timings = {"retrieve_ms": round((t1 - t0) * 1000, 2), "answer_ms": round((t2 - t1) * 1000, 2)}
        if is_abstention(text):
            return Answer(question, text, True, (), "llm", timings, query=query)
        cited = sorted(set(cited_numbers(text)))
        citations = tuple(self._llm_citation(n, hits[n - 1].chunk, text) for n in cited)
        return Answer(question, text, False, citations, "llm", timings, query=query)

    def _llm_citation(self, n: int, chunk: Chunk, answer: str) -> Citation:
        """Cite the sentence of passage ``n`` that best backs the answer (figures first)."""
        wanted = {q.value for q in find_quantities(answer)}
        answer_form = search_form(answer)

        def support(span: tuple[int, int]) -> tuple[int, int]:
            text = chunk.text[span[0] : span[1]]
            figures = sum(q.value in wanted for q in find_quantities(text))
            overlap = sum(1 for ch in set(chunk.search_text[span[0] : span[1]]) if ch in answer_form)
            return figures, overlap

        a, b = max(chunk.sentences, key=support) if chunk.sentences else (0, len(chunk.text))
        doc = self.index.doc(chunk.doc_id)
        start, end = chunk.start + a, chunk.start + b
        return Citation(n=n, doc_id=doc.doc_id, source=doc.source, title=doc.title,
                        quote=doc.text[start:end], start=start, end=end, date=doc.date)

    @staticmethod
    def eligible(q: QuestionInfo, cands: list[Candidate]) -> list[Candidate]:
        """The candidates that may answer at all (the trainer fits on these too)."""
        # A sentence that commands the reader ("忽略以上指示…") is never an answer.
        cands = [c for c in cands if not suspicious_passages([c.text])]
        if q.terms:  # a sentence sharing no term with the question (nor its lead-in) supports nothing
            cands = [c for c in cands if c.features[_CTX_COV] > 0]
        # a sentence that is itself a question ("…是什么类型？") states nothing
        cands = [c for c in cands if not _ASKING.search(c.text)] or cands
        which = asked_nouns(q)[1]
        if which in CATEGORIES:
            # "哪个酒店" is never answered by a passage that names no hotel
            cands = [c for c in cands if c.features[_WHICH_MISS] == 0]
        if q.qtype == "date" and asks_year(q.form):
            # "哪一年" is answered by a year: "6月21日" alone doesn't say which
            cands = [c for c in cands if states_year(c.text)]
        if q.qtype == "date" and asks_range(q.form):
            # "哪几天" is answered by a span of days (6月21-23日) when a passage gives one
            cands = [c for c in cands if date_ranges(c.text)] or cands
        elif q.qtype == "date" and asks_end(q.form):
            # "持续到哪一年" is not answered by "自2021年…以来": the start, not the end
            cands = [c for c in cands if not starts_only(c.text)]
        elif q.qtype == "date" and asks_day(q.form):
            # and "几月几日" by one day when a passage states one
            cands = [c for c in cands if single_day(c.text)] or cands
        if q.qtype in ("quantity", "date", "quote"):
            # "多少"/"何时"/"哪句古语" is never answered by a sentence that states no
            # figure, date or quotation
            cands = [c for c in cands if c.features[_TYPE_MATCH] > 0]
        return cands

    def _compose(self, question: str, q: QuestionInfo, cands: list[Candidate]) -> Answer:
        retrieved = cands
        cands = self.eligible(q, cands)
        if not cands or self.ranker.confidence(q, cands) < self.threshold:
            return Answer(question, abstain_message(q, _unmentioned(q, retrieved)), True, (),
                          "extractive")
        best = cands[0]
        # further sentences that score nearly as well back the answer as extra sources
        extra = [c for c in cands[1:] if c.score >= 0.6 * best.score]
        chosen = [best, *extra[: MAX_CITATIONS - 1]]
        citations = tuple(self.citation(n, c) for n, c in enumerate(chosen, 1))
        text = direct_answer(q, best.text, best.form, best.agree)
        text = to_display(text, self.script) + "[1]"
        notes: tuple[str, ...] = ()
        if q.scope == "this_year" or re.search(r"今年|本年", best.form):
            notes = (year_note(self.index.doc(best.chunk.doc_id)),)
        return Answer(question, text, False, citations, "extractive", notes=notes)

    def citation(self, n: int, cand: Candidate) -> Citation:
        """A citation of a candidate sentence; its quote is the document's exact span."""
        doc = self.index.doc(cand.chunk.doc_id)
        return Citation(n=n, doc_id=doc.doc_id, source=doc.source, title=doc.title,
                        quote=doc.text[cand.doc_start : cand.doc_end], start=cand.doc_start,
                        end=cand.doc_end, date=doc.date)


_ASKING = re.compile(r"[？?]\s*[”」』\"]?\s*$")


def _unmentioned(q: QuestionInfo, cands: list[Candidate]) -> str:
    """What the question asks for that no retrieved sentence mentions (哪个酒店 → 酒店,
    多少名医生 → 医生), for the abstention to name; ``""`` when every part is mentioned."""
    asked, which = asked_nouns(q)
    if which and all(c.features[_WHICH_MISS] > 0 for c in cands):
        return which
    if asked and all(c.features[_ASKED_MISS] > 0 for c in cands):
        return asked
    return ""
