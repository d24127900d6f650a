"""The engine's LLM mode (:meth:`qa.engine.Engine.answer` with an LLM configured): the model
answers from the retrieved passages, each cited number checked against them; whatever fails
the checks falls back to the extractive answer, with a note saying why."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ingest.normalize import search_form
from qa.followup import resolve_followup
from text.numbers import find_quantities
from zhiwen.records import Answer, Chunk, Citation, Conflict

if TYPE_CHECKING:
    from qa.engine import Engine, Turn


def answer_llm(engine: Engine, question: str, history: Sequence[Turn], k: int | None,
               on_token: Callable[[str], None] | None) -> Answer:
    """The LLM mode's answer: the model writes from the retrieved passages; an answer that
    fails the checks, or a model that cannot be reached, falls back to the extractive one."""
    from llm.client import build_messages, condense_question, stream_chat
    from llm.validate import check_answer, cited_numbers, is_abstention
    from qa.engine import Turn
    from zhiwen.errors import LLMError

    assert engine.llm is not None and engine.llm_settings is not None
    t0 = time.perf_counter()
    query = question
    try:
        if history:
            pairs = [(t.question, t.answer) for t in history]
            query = condense_question(engine.llm, pairs, question) or resolve_followup(
                question, [Turn(q, a) for q, a in pairs])
        hits = engine.retrieve(query, k)
        passages = [h.chunk.text for h in hits]
        t1 = time.perf_counter()
        text = stream_chat(engine.llm, build_messages(query, passages), on_token)
    except LLMError as exc:
        return engine.answer_extractive(
            question, history, k, notes=(f"大模型服务不可用，已改用抽取式答案：{exc}",))
    t2 = time.perf_counter()
    problems = check_answer(text, passages)
    if problems:
        return engine.answer_extractive(
            question, history, k, query=query if query != question else None,
            notes=("大模型的回答未通过核对，已改用抽取式答案：" + "；".join(problems),))
    timings = {"retrieve_ms": round((t1 - t0) * 1000, 2), "answer_ms": round((t2 - t1) * 1000, 2)}
    if is_abstention(text):
        return Answer(question, text, True, (), "llm", timings, query=query)
    cited = sorted(set(cited_numbers(text)))
    citations = tuple(llm_citation(engine, n, hits[n - 1].chunk, text) for n in cited)
    # sources that disagree on the asked figure are flagged in this mode too
    reading = engine.read(query, k)
    others = engine.conflicts(reading, len(citations) + 2) if reading.span is not None else []
    if reading.unit is not None and others:
        found = (Conflict(reading.answer, engine.citation(len(citations) + 1, reading.unit)), *others)
        note = "资料之间不一致，请核对原文：" + "；".join(f"{c.value}[{c.citation.n}]" for c in found)
        return Answer(question, text, False, citations + tuple(c.citation for c in found), "llm",
                      timings, (note,), query=query, conflicts=found)
    return Answer(question, text, False, citations, "llm", timings, query=query)

def llm_citation(engine: Engine, n: int, chunk: Chunk, answer: str) -> Citation:
    """Cite the sentence of passage ``n`` that best backs the answer (figures first)."""
    wanted = {q.value for q in find_quantities(answer)}
    answer_form = search_form(answer)

    def support(span: tuple[int, int]) -> tuple[int, int]:
        text = chunk.text[span[0] : span[1]]
        figures = sum(q.value in wanted for q in find_quantities(text))
        overlap = sum(1 for ch in set(chunk.search_text[span[0] : span[1]]) if ch in answer_form)
        return figures, overlap

    a, b = max(chunk.sentences, key=support) if chunk.sentences else (0, len(chunk.text))
    doc = engine.index.doc(chunk.doc_id)
    start, end = chunk.start + a, chunk.start + b
    return Citation(n=n, doc_id=doc.doc_id, source=doc.source, title=doc.title,
                    quote=doc.text[start:end], start=start, end=end, date=doc.date)
