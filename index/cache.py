"""Embedding cache keyed by (embedder name, sha256 of the embedded text).

SQLite, vectors stored as raw float32 bytes (never pickled). Re-ingesting an unchanged
corpus, rebuilding the index after a change, and re-running a benchmark all read vectors
from here instead of running the model again.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from index.milvus_location import MilvusLocation
from zhiwen.errors import IndexCorruptError


def text_key(text: str) -> str:
    """The cache key of one embedded text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """A persistent map from (model, text hash) to a float32 vector."""

    def __init__(self, path: Path, model: str, dim: int) -> None:
        self.path = path
        self.model = model
        self.dim = dim
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(str(path), check_same_thread=False)
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS vectors ("
                " model TEXT NOT NULL, key TEXT NOT NULL, vec BLOB NOT NULL,"
                " PRIMARY KEY (model, key))"
            )
            self._db.commit()
        except sqlite3.DatabaseError as exc:
            raise IndexCorruptError(f"嵌入缓存 {path} 无法打开：{exc}。可以删除该文件后重试。") from exc

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """Vectors for the keys that are cached; missing keys are absent from the result."""
        found: dict[str, np.ndarray] = {}
        step = 500  # SQLite caps the number of bound parameters per statement
        for i in range(0, len(keys), step):
            part = list(keys[i : i + step])
            marks = ",".join("?" * len(part))
            rows = self._db.execute(
                f"SELECT key, vec FROM vectors WHERE model = ? AND key IN ({marks})",
                [self.model, *part],
            )
            for key, blob in rows:
                vec = np.frombuffer(blob, dtype=np.float32)
                if vec.shape[0] == self.dim:
                    found[key] = vec
        return found

    def put_many(self, items: Iterable[tuple[str, np.ndarray]]) -> None:
        """Store vectors (float32) under their keys."""
        self._db.executemany(
            "INSERT OR REPLACE INTO vectors (model, key, vec) VALUES (?, ?, ?)",
            [
                (self.model, key, np.asarray(vec, dtype=np.float32).tobytes())
                for key, vec in items
            ],
        )
        self._db.commit()

    def close(self) -> None:
        self._db.close()


CACHE_ENV = "ZHIWEN_EMBEDDING_CACHE"


def cache_path(root: Path | MilvusLocation) -> Path:
    """The embedding cache an ingest into ``root`` reads and fills: ``$ZHIWEN_EMBEDDING_CACHE``
    (one SQLite file any number of indexes share, so a text embedded for one index is never
    embedded again for another, e.g. the same corpus moved into Milvus), else the index's
    own ``embeddings.sqlite`` (a Milvus index keeps it in its local folder). Entries are keyed
    on model + text, so one file safely holds several embedders' vectors."""
    shared = os.environ.get(CACHE_ENV, "").strip()
    if shared:
        path = Path(shared).expanduser()
        return path / "embeddings.sqlite" if path.is_dir() else path
    return (root.local if isinstance(root, MilvusLocation) else root) / "embeddings.sqlite"
