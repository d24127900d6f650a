"""Retrieval over a loaded index: dense, keyword and their fusion.

:class:`SearchIndex` holds a loaded index version: its records (documents, files,
chunks), its embedder and two search backends behind the protocols of
:mod:`index.backends`, which know chunks only by ``chunk_id``. :meth:`SearchIndex.search`
is the plain entry point that returns :class:`Hit` records. The three retrievers are
llama-index ``BaseRetriever`` subclasses over it, so that zhiwen's search plugs into a
stock llama-index query engine (see the README, "llama-index").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from index import store
from index.backends import DenseBackend, KeywordBackend
from index.bm25 import tokenize
from index.cache import cache_path
from index.embedders import ZhiwenEmbedding, get_embedder
from index.sentences import SentenceVectors
from ingest.normalize import query_form
from zhiwen.records import Chunk, Hit

RRF_K = 60  # the constant of reciprocal-rank fusion (Cormack et al. 2009)
DEFAULT_CANDIDATES = 50
Ranked = list[tuple[str, float]]  # (chunk_id, score), best first


class SearchIndex:
    """A loaded, verified index version: records, embedder and the two search backends."""

    def __init__(
        self,
        root: store.Location,
        data: store.IndexData,
        dense_backend: DenseBackend,
        keyword_backend: KeywordBackend,
        embedder: ZhiwenEmbedding,
    ) -> None:
        self.root = root
        self.data = data
        self.dense_backend = dense_backend
        self.keyword_backend = keyword_backend
        self.embedder = embedder
        self._order = {c.chunk_id: i for i, c in enumerate(data.chunks)}
        self.sentences = SentenceVectors(cache_path(root), embedder)

    @classmethod
    def open(cls, root: store.Location, embedder_name: str | None = None) -> SearchIndex:
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
        data, dense, keyword = store.load(root)
        return cls(root, data, dense, keyword, embedder)

    # -- records -------------------------------------------------------------------
    @property
    def chunks(self) -> list[Chunk]:
        """Every chunk, documents in ingest order and each document's chunks in text order."""
        return self.data.chunks

    def chunk(self, chunk_id: str) -> Chunk:
        return self.data.chunks[self._order[chunk_id]]

    def doc(self, doc_id: str) -> store.DocumentEntry:
        return self.data.docs[doc_id]

    def documents(self) -> Mapping[str, store.DocumentEntry]:
        """The documents by ``doc_id`` (read-only), in ingest order."""
        return MappingProxyType(self.data.docs)

    def files(self) -> Mapping[str, store.FileEntry]:
        """The source files by recorded path (read-only): what each one produced."""
        return MappingProxyType(self.data.files)

    def vectors(self, chunk_ids: Sequence[str] | None = None) -> np.ndarray:
        """The stored vectors of ``chunk_ids`` (default: every chunk, in :attr:`chunks` order)."""
        ids = [c.chunk_id for c in self.data.chunks] if chunk_ids is None else chunk_ids
        return self.dense_backend.vectors(ids)

    def sentence_similarity(self, query: str, forms: Sequence[str]) -> np.ndarray:
        """Embedding cosine of ``query`` with each sentence search form of ``forms``
        (vectors built at ingest; see :mod:`index.sentences`)."""
        return self.sentences.similarity(query_form(query), forms)

    def idf(self, token: str) -> float:
        """Keyword idf of a token (a token no chunk holds: the idf of document frequency 0)."""
        return self.keyword_backend.idf(token)

    # -- the two retrievers ----------------------------------------------------------
    def dense(self, query: str, k: int) -> Ranked:
        """``(chunk_id, cosine)`` of the ``k`` chunks nearest to the query, best first."""
        if not self.data.chunks:
            return []
        return self.dense_by_vector(self.sentences.query(query_form(query)), k)

    def dense_by_vector(self, vec: np.ndarray, k: int) -> Ranked:
        return self._settled(self.dense_backend.search(vec, k))

    def keyword(self, query: str, k: int) -> Ranked:
        """``(chunk_id, score)`` of the ``k`` best keyword matches, best first."""
        return self._settled(self.keyword_backend.search(tokenize(query_form(query)), k))

    def _settled(self, ranked: Ranked) -> Ranked:
        """Equal scores in :attr:`chunks` order. Chunks with the same search text (a
        document in simplified and in traditional characters, a page crawled twice) score
        exactly alike, and each engine orders such ties its own way (FAISS's heap, numpy's
        argpartition, Milvus's segments); the rank decides the fusion, so without this the
        backends would cite different copies of the same passage."""
        last = len(self._order)
        return sorted(ranked, key=lambda cs: (-cs[1], self._order.get(cs[0], last)))

    # -- fusion ------------------------------------------------------------------------
    def search(self, query: str, k: int = 5, *, candidates: int = DEFAULT_CANDIDATES) -> list[Hit]:
        """Hybrid search: reciprocal-rank fusion of the dense and keyword lists."""
        return self.fuse({"dense": self.dense(query, candidates), "bm25": self.keyword(query, candidates)}, k)

    def fuse(self, lists: Mapping[str, Ranked], k: int) -> list[Hit]:
        """Reciprocal-rank fusion of ranked ``(chunk_id, score)`` lists into ``k`` hits
        (ties in :attr:`chunks` order)."""
        scores: dict[str, float] = {}
        ranks: dict[str, dict[str, int]] = {}
        for name, ranked in lists.items():
            for rank, (cid, _score) in enumerate(ranked, start=1):
                scores[cid] = scores.get(cid, 0.0) + 1.0 / (RRF_K + rank)
                ranks.setdefault(cid, {})[name] = rank
        best = sorted(scores, key=lambda c: (-scores[c], self._order[c]))[:k]
        return [Hit(chunk=self.chunk(c), score=scores[c], ranks=ranks[c]) for c in best]


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
    """A llama-index retriever over a :class:`SearchIndex`. zhiwen's own engine calls
    :meth:`SearchIndex.search` directly; these serve llama-index applications (README,
    "Inside llama-index"), and each node carries its document's citation metadata."""

    def __init__(self, index: SearchIndex, similarity_top_k: int = 5) -> None:
        super().__init__()
        self.index = index
        self.similarity_top_k = similarity_top_k

    def hits(self, query: str) -> list[Hit]:
        raise NotImplementedError

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return _as_nodes(self.index, self.hits(query_bundle.query_str))


class DenseRetriever(_IndexRetriever):
    """Dense search (the index's :class:`DenseBackend`: cosine over unit vectors)."""

    def hits(self, query: str) -> list[Hit]:
        ranked = self.index.dense(query, self.similarity_top_k)
        return [Hit(self.index.chunk(c), s, {"dense": i}) for i, (c, s) in enumerate(ranked, 1)]


class KeywordRetriever(_IndexRetriever):
    """Keyword search (the index's :class:`KeywordBackend`: BM25 over jieba tokens of the
    simplified search form)."""

    def hits(self, query: str) -> list[Hit]:
        ranked = self.index.keyword(query, self.similarity_top_k)
        return [Hit(self.index.chunk(c), s, {"bm25": i}) for i, (c, s) in enumerate(ranked, 1)]


class HybridRetriever(_IndexRetriever):
    """Reciprocal-rank fusion of :class:`DenseRetriever` and :class:`KeywordRetriever`."""

    def hits(self, query: str) -> list[Hit]:
        return self.index.search(query, self.similarity_top_k)
