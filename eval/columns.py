"""The systems compared side by side, one column each, over the same index and questions.

(a) BM25 only and (b) dense only answer with the best sentence of their top chunk; (c) is
llama-index's stock pipeline (``VectorStoreIndex`` over the same chunks and vectors,
``as_retriever``) with the same best-sentence answer; (d) is zhiwen's extractive engine and
(e) zhiwen with an LLM. "Best sentence" is the sentence of the top chunk whose embedding
(same embedder) is nearest the question's.

A column's :meth:`Column.run` returns one :class:`Raw` per question (after one untimed
warm-up call); scoring is the runner's job. Sentence vectors are the ones the
ingest built; an index built before them gets them between the timed retrieval and the
timed answer step, stored in its embedding cache.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from tqdm import tqdm

from eval.sets import Question
from index.sentences import sentence_forms
from zhiwen.records import Chunk, Citation
from zhiwen.session import Session

DEPTH = 10  # chunks retrieved per question for hit@k and MRR
EMBED_BATCH = 32


@dataclass(slots=True)
class Raw:
    """What one column did for one question, before scoring."""

    answer: str
    abstained: bool
    chunks: list[Chunk]
    retrieve_ms: float
    answer_ms: float
    citations: tuple[Citation, ...] = ()


def _bar(items: Sequence[Any], desc: str) -> Any:
    return tqdm(items, desc=desc, unit="问", file=sys.stderr, leave=False, dynamic_ncols=True)


class SentencePicker:
    """Picks the sentence of a chunk nearest to the question, by embedding cosine, from the
    sentence vectors the ingest built (:mod:`index.sentences`)."""

    def __init__(self, index: Any) -> None:
        self.index = index

    def warm(self, chunks: Sequence[Chunk], desc: str) -> None:
        """Load (or, for an index built before sentence vectors, embed and store) the
        vectors of every sentence of ``chunks``, batch by batch with progress."""
        forms = list(dict.fromkeys(f for c in chunks for f in sentence_forms(c)))
        with tqdm(total=len(forms), desc=desc, unit="句", file=sys.stderr, leave=False) as bar:
            for i in range(0, len(forms), EMBED_BATCH * 8):
                part = forms[i : i + EMBED_BATCH * 8]
                self.index.sentences.vectors(part)
                bar.update(len(part))

    def best(self, question: str, chunks: Sequence[Chunk]) -> str:
        """The original text of the sentence of ``chunks`` nearest to ``question``."""
        texts = [c.text[a:b] for c in chunks for a, b in (list(c.sentences) or [(0, len(c.text))])]
        if len(texts) == 1:
            return texts[0]
        cos = self.index.sentence_similarity(question, [f for c in chunks for f in sentence_forms(c)])
        return texts[int(np.argmax(cos))]


class Column:
    """One system under evaluation."""

    key: str = "?"
    name: str = ""
    cites: bool = False

    def run(self, questions: Sequence[Question]) -> list[Raw]:
        raise NotImplementedError


class BestSentenceColumn(Column):
    """A retriever whose answer is the best sentence of its top ``top`` chunks (never abstains)."""

    def __init__(self, key: str, name: str, retrieve: Callable[[str, int], list[Chunk]],
                 picker: SentencePicker, top: int = 1) -> None:
        self.key, self.name = key, name
        self.retrieve = retrieve
        self.picker = picker
        self.top = top  # sentences are read from this many of the best chunks

    def run(self, questions: Sequence[Question]) -> list[Raw]:
        if questions:  # untimed warm-up: first-call costs are not per-question latency
            self.retrieve(questions[0].question, DEPTH)
        found: list[tuple[list[Chunk], float]] = []
        for q in _bar(questions, f"({self.key}) 检索"):
            t0 = time.perf_counter()
            chunks = self.retrieve(q.question, DEPTH)
            found.append((chunks, (time.perf_counter() - t0) * 1000))
        self.picker.warm([c for cs, _ in found for c in cs[: self.top]], f"({self.key}) 句向量")
        out = []
        for q, (chunks, ms) in zip(_bar(questions, f"({self.key}) 作答"), found, strict=True):
            t0 = time.perf_counter()
            text = self.picker.best(q.question, chunks[: self.top]) if chunks else ""
            out.append(Raw(text, False, chunks, ms, (time.perf_counter() - t0) * 1000))
        return out


def bm25_column(index: Any, picker: SentencePicker) -> Column:
    """(a) BM25 only, answer = best sentence."""
    return BestSentenceColumn(
        "a", "BM25→最佳句",
        lambda q, k: [index.chunk(c) for c, _ in index.keyword(q, k)], picker)


def dense_column(index: Any, picker: SentencePicker) -> Column:
    """(b) the baseline: dense only (FAISS), answer = the sentence of the top 5 chunks
    nearest to the question by embedding."""
    return BestSentenceColumn(
        "b", "向量前5段→最近句",
        lambda q, k: [index.chunk(c) for c, _ in index.dense(q, k)], picker, top=5)


def llama_index_column(index: Any, picker: SentencePicker) -> Column:
    """(c) llama-index's stock ``VectorStoreIndex`` over the same chunks, vectors and embedder.

    The vectors are read back from the index (no model time); the stock in-memory vector
    store and retriever do the rest, as a llama-index user would get them.
    """
    from llama_index.core import VectorStoreIndex
    from llama_index.core.schema import TextNode

    vectors = index.vectors()
    nodes = [TextNode(id_=c.chunk_id, text=c.text, embedding=v.tolist())
             for c, v in zip(index.chunks, vectors, strict=True)]
    stock = VectorStoreIndex(nodes, embed_model=index.embedder)
    retrievers: dict[int, Any] = {}

    def retrieve(question: str, k: int) -> list[Chunk]:
        if k not in retrievers:
            retrievers[k] = stock.as_retriever(similarity_top_k=k)
        return [index.chunk(n.node.node_id) for n in retrievers[k].retrieve(question)]

    return BestSentenceColumn("c", "llama-index 默认", retrieve, picker)


class ZhiwenColumn(Column):
    """(d)/(e) a zhiwen session: its own answer, abstention, citations and timings."""

    cites = True

    def __init__(self, key: str, name: str, session: Session) -> None:
        self.key, self.name = key, name
        self.session = session

    def run(self, questions: Sequence[Question]) -> list[Raw]:
        if questions:  # untimed warm-up (lazy loads such as jieba's part-of-speech model)
            self.session.answer(questions[0].question)
        out = []
        for q in _bar(questions, f"({self.key}) 知问"):
            hits = self.session.search(q.question, DEPTH)
            ans = self.session.answer(q.question)
            out.append(Raw(ans.answer, ans.abstained, [h.chunk for h in hits],
                           float(ans.timings.get("retrieve_ms", 0.0)),
                           float(ans.timings.get("answer_ms", 0.0)), ans.citations))
        return out


def make_columns(session: Session, llm_session: Session | None = None) -> list[Column]:
    """Columns (a)–(d), plus (e) when ``llm_session`` is given."""
    index = session.index
    picker = SentencePicker(index)
    cols: list[Column] = [bm25_column(index, picker), dense_column(index, picker),
                          llama_index_column(index, picker), ZhiwenColumn("d", "知问 抽取式", session)]
    if llm_session is not None:
        cols.append(ZhiwenColumn("e", "知问 大模型", llm_session))
    return cols
