"""The files of an index version: checksums, durable writes, and chunks as JSON Lines."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from zhiwen.records import Chunk


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fsync_dir(path: Path) -> None:
    fd = os.open(str(path), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_jsonl(path: Path, rows: Iterator[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
            fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def chunk_to_dict(c: Chunk) -> dict[str, Any]:
    return {
        "chunk_id": c.chunk_id,
        "doc_id": c.doc_id,
        "start": c.start,
        "end": c.end,
        "text": c.text,
        "search_text": c.search_text,
        "sentences": [list(s) for s in c.sentences],
    }


def chunk_from_dict(d: dict[str, Any]) -> Chunk:
    return Chunk(
        chunk_id=d["chunk_id"],
        doc_id=d["doc_id"],
        start=d["start"],
        end=d["end"],
        text=d["text"],
        search_text=d["search_text"],
        sentences=tuple((int(a), int(b)) for a, b in d["sentences"]),
    )


def write_faiss(path: Path, vectors: np.ndarray) -> None:
    """The vectors as a flat inner-product FAISS index, in llama-index's file format."""
    import faiss
    from llama_index.vector_stores.faiss import FaissVectorStore

    index = faiss.IndexFlatIP(vectors.shape[1])
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    FaissVectorStore(faiss_index=index).persist(persist_path=str(path))


def write_bm25(folder: Path, tokens: list[list[str]]) -> None:
    """The BM25 index of the chunks' tokens (bm25s' files, no pickle)."""
    from index.bm25 import build_bm25

    build_bm25(tokens).save(str(folder), allow_pickle=False, show_progress=False)
