"""Sentence vectors: the embedding of every sentence of every chunk, built at ingest.

The reader compares the question with each retrieved sentence by embedding cosine (the
strongest single signal of which sentence answers). The ingest embeds each sentence's
search form into the embedding cache (:mod:`index.cache`), beside the chunk vectors, so
answering reads them instead of running the model. An index built before sentence vectors
existed, or whose cache was deleted, still answers: a sentence missing from the cache is
embedded on first use and stored, so it is embedded once.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.cache import EmbeddingCache, text_key
from index.embedders import ZhiwenEmbedding
from zhiwen.errors import IndexCorruptError
from zhiwen.records import Chunk

QUERY_MEMO = 256  # query vectors remembered (the retriever and the reader share one)
SENTENCE_MEMO = 200_000  # sentence vectors remembered in memory (~300 MB at 384 dims)


def sentence_forms(chunk: Chunk) -> list[str]:
    """The search forms of a chunk's sentences, in order (the whole chunk when it has none).
    These are the texts the ingest embeds and :class:`SentenceVectors` looks up."""
    return [chunk.search_text[a:b] for a, b in chunk.sentences] or [chunk.search_text]


class SentenceVectors:
    """Sentence and query vectors of one index, thread-safe.

    Args:
        cache_file: the index's embedding cache (``cache_path(root)``); when it cannot be
            opened (a read-only disk), vectors are kept in memory only.
        embedder: the index's embedder, for sentences the cache lacks and for queries.
    """

    def __init__(self, cache_file: Path, embedder: ZhiwenEmbedding) -> None:
        self.embedder = embedder
        self._cache_file = cache_file
        self._cache: EmbeddingCache | None = None
        self._opened = False
        self._mem: OrderedDict[str, np.ndarray] = OrderedDict()
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.embedded = 0  # sentences this process had to embed (0 after a full ingest)

    def _store(self) -> EmbeddingCache | None:
        if not self._opened:
            self._opened = True
            try:
                self._cache = EmbeddingCache(self._cache_file, self.embedder.model_name,
                                             self.embedder.dim)
            except (IndexCorruptError, OSError, sqlite3.Error):
                self._cache = None
        return self._cache

    def query(self, form: str) -> np.ndarray:
        """The query vector of ``form`` (a query's search form), remembered."""
        with self._lock:
            vec = self._queries.get(form)
            if vec is not None:
                self._queries.move_to_end(form)
                return vec
        vec = self.embedder.embed_query(form)
        with self._lock:
            self._queries[form] = vec
            while len(self._queries) > QUERY_MEMO:
                self._queries.popitem(last=False)
        return vec

    def vectors(self, forms: Sequence[str]) -> np.ndarray:
        """An ``(len(forms), dim)`` array of the sentences' unit vectors."""
        keys = [text_key(f) for f in forms]
        with self._lock:
            found = {k: self._mem[k] for k in keys if k in self._mem}
            wanted = [k for k in dict.fromkeys(keys) if k not in found]
            store = self._store()
            if wanted and store is not None:
                found.update(store.get_many(wanted))
            todo = {k: f for k, f in zip(keys, forms, strict=True) if k not in found}
            if todo:
                vecs = self.embedder.embed_passages(list(todo.values()))
                self.embedded += len(todo)
                found.update(zip(todo, vecs, strict=True))
                if store is not None:
                    try:
                        store.put_many(zip(todo, vecs, strict=True))
                    except sqlite3.Error:  # a read-only or busy cache: keep them in memory
                        pass
            for k in wanted:
                self._mem[k] = found[k]
            while len(self._mem) > SENTENCE_MEMO:
                self._mem.popitem(last=False)
        if not keys:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)

    def similarity(self, query_form: str, forms: Sequence[str]) -> np.ndarray:
        """Cosine of the query with each sentence."""
        if not forms:
            return np.zeros(0, dtype=np.float32)
        return self.vectors(forms) @ self.query(query_form)

    def forget(self) -> None:
        """Drop the remembered vectors (a benchmark's pass then reads them as a new question
        would: the query embedded, the sentences read from the cache)."""
        with self._lock:
            self._mem.clear()
            self._queries.clear()
