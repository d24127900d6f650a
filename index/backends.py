"""The two search engines behind :class:`index.retrievers.SearchIndex`, as protocols.

A backend knows chunks only by ``chunk_id``: how it numbers its rows, what it stores and
how it scores stay inside it. :class:`SearchIndex` does the rest (embedding the query,
tokenizing it, fusing the two ranked lists, the chunk and document records).

The first implementation keeps both in the index folder: :class:`FaissDense` (a FAISS
inner-product index read through llama-index's ``FaissVectorStore``) and
:class:`Bm25sKeyword` (a ``bm25s.BM25`` over jieba tokens). A server engine for corpora
beyond one machine implements the same two protocols, is loaded by ``index.store`` and
needs no change outside ``index/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
from llama_index.core.vector_stores.types import VectorStoreQuery

from index.bm25 import idf_table, top_k


@runtime_checkable
class DenseBackend(Protocol):
    """Nearest-neighbour search over the chunks' unit vectors (inner product = cosine)."""

    def __len__(self) -> int:
        """How many chunks it holds."""
        ...

    def search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """``(chunk_id, cosine)`` of the ``k`` chunks nearest to ``vector``, best first."""
        ...

    def vectors(self, chunk_ids: Sequence[str]) -> np.ndarray:
        """The stored vectors of ``chunk_ids``, one row each, as float32.

        Raises:
            KeyError: a chunk id it does not hold.
        """
        ...


@runtime_checkable
class KeywordBackend(Protocol):
    """Keyword search over the chunks' tokens (see :func:`index.bm25.tokenize`)."""

    def __len__(self) -> int:
        """How many chunks it holds."""
        ...

    def search(self, tokens: Sequence[str], k: int) -> list[tuple[str, float]]:
        """``(chunk_id, score)`` of at most ``k`` chunks with a positive score, best first."""
        ...

    def document_frequency(self, token: str) -> int:
        """How many chunks hold ``token`` (0 for a token none holds)."""
        ...

    def idf(self, token: str) -> float:
        """The scorer's inverse document frequency of ``token``; a token no chunk holds
        gets the idf of document frequency 0 (the highest)."""
        ...


def bm25_idf(n_docs: int, df: int) -> float:
    """BM25's (Lucene's) idf of a token held by ``df`` of ``n_docs`` chunks."""
    return float(np.log(1 + (n_docs - df + 0.5) / (df + 0.5)))


class FaissDense:
    """:class:`DenseBackend` over a llama-index ``FaissVectorStore`` whose FAISS row ``i``
    is ``chunk_ids[i]``."""

    def __init__(self, faiss_store: Any, chunk_ids: Sequence[str]) -> None:
        self._store = faiss_store
        self._ids = list(chunk_ids)
        self._row_of = {cid: i for i, cid in enumerate(self._ids)}

    def __len__(self) -> int:
        return len(self._ids)

    def search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        if not self._ids or k < 1:
            return []
        result = self._store.query(
            VectorStoreQuery(query_embedding=np.asarray(vector).tolist(),
                             similarity_top_k=min(k, len(self._ids)))
        )
        return [(self._ids[int(i)], float(s))
                for i, s in zip(result.ids or [], result.similarities or [], strict=True)]

    def vectors(self, chunk_ids: Sequence[str]) -> np.ndarray:
        faiss_index = self._store.client
        rows = np.asarray([self._row_of[c] for c in chunk_ids], dtype=np.int64)
        if not len(rows):
            return np.zeros((0, faiss_index.d), dtype=np.float32)
        return np.asarray(faiss_index.reconstruct_batch(rows), dtype=np.float32)


class Bm25sKeyword:
    """:class:`KeywordBackend` over a ``bm25s.BM25`` whose document ``i`` is
    ``chunk_ids[i]`` (an empty index holds one dummy document, never returned)."""

    def __init__(self, model: Any, chunk_ids: Sequence[str]) -> None:
        self._model = model
        self._ids = list(chunk_ids)
        self._idf: dict[str, float] | None = None

    def __len__(self) -> int:
        return len(self._ids)

    def search(self, tokens: Sequence[str], k: int) -> list[tuple[str, float]]:
        if k < 1:
            return []
        return [(self._ids[row], score) for row, score in top_k(self._model, len(self._ids), list(tokens), k)]

    def document_frequency(self, token: str) -> int:
        col = self._model.vocab_dict.get(token)
        if col is None or not self._ids:
            return 0
        indptr = self._model.scores["indptr"]
        return int(indptr[col + 1] - indptr[col]) if col + 1 < len(indptr) else 0

    def idf(self, token: str) -> float:
        if self._idf is None:
            self._idf = idf_table(self._model, len(self._ids))
        found = self._idf.get(token)
        return found if found is not None else bm25_idf(len(self._ids), 0)
