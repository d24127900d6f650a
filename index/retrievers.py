"""Retrieval over a loaded index: dense (FAISS), keyword (BM25) and their fusion.

:class:`SearchIndex` holds a loaded index version and its embedder. The three retrievers
are llama-index ``BaseRetriever`` subclasses over it, so they plug into llama-index query
engines; :meth:`SearchIndex.search` is the plain entry point that returns :class:`Hit`
records.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.core.vector_stores.types import VectorStoreQuery

from index import store
from index.bm25 import idf_table, tokenize, top_k
from index.embedders import ZhiwenEmbedding, get_embedder
from ingest.normalize import query_form
from zhiwen.records import Chunk, Hit

RRF_K = 60  # the constant of reciprocal-rank fusion (Cormack et al. 2009)
DEFAULT_CANDIDATES = 50


class SearchIndex:
    """A loaded, verified index version plus the embedder it was built with."""

    def __init__(
        self,
        root: Path,
        data: store.IndexData,
        faiss_store: Any,
        bm25: Any,
        embedder: ZhiwenEmbedding,
    ) -> None:
        self.root = root
        self.data = data
        self.faiss_store = faiss_store
        self.bm25 = bm25
        self.embedder = embedder
        self._row_of = {c.chunk_id: i for i, c in enumerate(data.chunks)}
        self._idf: dict[str, float] | None = None
        self._idf_default = 0.0

    @classmethod
    def open(cls, root: Path, embedder_name: str | None = None) -> SearchIndex:
        """Load the live version of the index in ``root``.

        Args:
            root: the index folder.
            embedder_name: refuse the index unless it was built with this embedder;
                ``None`` means use whichever built it.

        Raises:
            IndexMissingError, IndexCorruptError, IndexMismatchError, EmbedderError.
        """
        manifest = store.read_manifest(root)
        name = embedder_name or manifest["embedder"]["name"]
        if embedder_name:
            store.check_embedder(root, manifest, name, None)
        embedder = get_embedder(name)
        store.check_embedder(root, manifest, name, embedder.dim)
        data, faiss_store, bm25 = store.load(root)
        return cls(root, data, faiss_store, bm25, embedder)

    # -- lookups -------------------------------------------------------------------
    @property
    def chunks(self) -> list[Chunk]:
        return self.data.chunks

    def chunk(self, chunk_id: str) -> Chunk:
        return self.data.chunks[self._row_of[chunk_id]]

    def doc(self, doc_id: str) -> store.DocumentEntry:
        return self.data.docs[doc_id]

    def idf(self, token: str) -> float:
        """BM25 idf of a token (a token no chunk holds: the idf of document frequency 0)."""
        if self._idf is None:
            self._idf = idf_table(self.bm25, len(self.data.chunks))
            n = len(self.data.chunks)
            self._idf_default = float(np.log(1 + (n + 0.5) / 0.5))  # df = 0
        return self._idf.get(token, self._idf_default)

    # -- the two retrievers ----------------------------------------------------------
    def dense(self, query: str, k: int) -> list[tuple[int, float]]:
        """``(row, cosine)`` of the ``k`` chunks nearest to the query, best first."""
        if not self.data.chunks:
            return []
        vec = self.embedder.embed_query(query_form(query))
        return self.dense_by_vector(vec, k)

    def dense_by_vector(self, vec: np.ndarray, k: int) -> list[tuple[int, float]]:
        result = self.faiss_store.query(
            VectorStoreQuery(query_embedding=vec.tolist(), similarity_top_k=min(k, len(self.chunks)))
        )
        return [(int(i), float(s)) for i, s in zip(result.ids or [], result.similarities or [], strict=True)]

    def keyword(self, query: str, k: int) -> list[tuple[int, float]]:
        """``(row, bm25 score)`` of the ``k`` best keyword matches, best first."""
        return top_k(self.bm25, len(self.data.chunks), tokenize(query_form(query)), k)

    # -- fusion ------------------------------------------------------------------------
    def search(self, query: str, k: int = 5, *, candidates: int = DEFAULT_CANDIDATES) -> list[Hit]:
        """Hybrid search: reciprocal-rank fusion of the dense and keyword lists."""
        return fuse(
            {"dense": self.dense(query, candidates), "bm25": self.keyword(query, candidates)},
            self.data.chunks,
            k,
        )


def fuse(
    lists: dict[str, list[tuple[int, float]]], chunks: list[Chunk], k: int
) -> list[Hit]:
    """Reciprocal-rank fusion of ranked ``(row, score)`` lists into ``k`` hits."""
    scores: dict[int, float] = {}
    ranks: dict[int, dict[str, int]] = {}
    for name, ranked in lists.items():
        for rank, (row, _score) in enumerate(ranked, start=1):
            scores[row] = scores.get(row, 0.0) + 1.0 / (RRF_K + rank)
            ranks.setdefault(row, {})[name] = rank
    best = sorted(scores, key=lambda r: (-scores[r], r))[:k]
    return [Hit(chunk=chunks[r], score=scores[r], ranks=ranks[r]) for r in best]


def _as_nodes(index: SearchIndex, hits: list[Hit]) -> list[NodeWithScore]:
    nodes = []
    for h in hits:
        doc = index.doc(h.chunk.doc_id)
        node = TextNode(
            id_=h.chunk.chunk_id,
            text=h.chunk.text,
            start_char_idx=h.chunk.start,
            end_char_idx=h.chunk.end,
            metadata={"doc_id": doc.doc_id, "source": doc.source, "title": doc.title,
                      "date": doc.date, "ranks": h.ranks},
        )
        nodes.append(NodeWithScore(node=node, score=h.score))
    return nodes


class _IndexRetriever(BaseRetriever):
    def __init__(self, index: SearchIndex, similarity_top_k: int = 5) -> None:
        super().__init__()
        self.index = index
        self.similarity_top_k = similarity_top_k

    def hits(self, query: str) -> list[Hit]:
        raise NotImplementedError

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return _as_nodes(self.index, self.hits(query_bundle.query_str))


class DenseRetriever(_IndexRetriever):
    """FAISS inner product over unit vectors (= cosine)."""

    def hits(self, query: str) -> list[Hit]:
        ranked = self.index.dense(query, self.similarity_top_k)
        return [Hit(self.index.chunks[r], s, {"dense": i}) for i, (r, s) in enumerate(ranked, 1)]


class KeywordRetriever(_IndexRetriever):
    """BM25 over jieba tokens of the simplified search form."""

    def hits(self, query: str) -> list[Hit]:
        ranked = self.index.keyword(query, self.similarity_top_k)
        return [Hit(self.index.chunks[r], s, {"bm25": i}) for i, (r, s) in enumerate(ranked, 1)]


class HybridRetriever(_IndexRetriever):
    """Reciprocal-rank fusion of :class:`DenseRetriever` and :class:`KeywordRetriever`."""

    def hits(self, query: str) -> list[Hit]:
        return self.index.search(query, self.similarity_top_k)
