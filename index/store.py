"""The persisted index: one folder, versioned, switched atomically.

Layout::

    <root>/
      CURRENT                 name of the live version (replaced atomically)
      versions/<version>/     one complete index:
        manifest.json         format, embedder name and dimension, counts, sha256 of each file
        docs.jsonl            DocumentEntry per line
        files.jsonl           FileEntry per line (what each source file produced)
        chunks.jsonl          Chunk per line, in vector order
        tokens.jsonl          BM25 tokens per chunk (only read when rebuilding)
        vectors.faiss         FAISS IndexFlatIP over unit vectors (written by FaissVectorStore)
        bm25/                 bm25s arrays (numpy, allow_pickle=False) and JSON
      embeddings.sqlite       embedding cache shared by all versions
      .lock                   held by a writer

A save writes a new version folder, fsyncs it, then replaces ``CURRENT``; a crash at any
point before that leaves the previous version live. Nothing is ever unpickled."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index import milvus, milvus_write
from index.backends import Bm25sKeyword, DenseBackend, FaissDense, KeywordBackend
from index.disk import (
    chunk_from_dict,
    chunk_to_dict,
    fsync_dir,
    read_jsonl,
    sha256_file,
    write_bm25,
    write_faiss,
    write_jsonl,
)
from index.milvus_location import MilvusLocation, parse_location
from zhiwen.errors import IndexCorruptError, IndexMismatchError, IndexMissingError
from zhiwen.records import Chunk

FORMAT_VERSION = 1
KEEP_VERSIONS = 2
DEFAULT_INDEX_DIR = ".zhiwen/index"


# Where an index lives: this folder layout, or a Milvus collection (index/milvus*.py)
Location = Path | MilvusLocation


def default_index_dir() -> Path:
    """``$ZHIWEN_INDEX`` or ``.zhiwen/index`` under the working directory (a folder)."""
    return Path(os.environ.get("ZHIWEN_INDEX") or DEFAULT_INDEX_DIR)


def index_location(value: str | None = None) -> Location:
    """The index a ``--index`` value names (else ``$ZHIWEN_INDEX``, else the default
    folder): a folder, ``milvus-lite:<file>.db`` or ``milvus://host:port/collection``.

    Raises:
        ConfigError: a malformed ``milvus`` location.
    """
    return parse_location(value or os.environ.get("ZHIWEN_INDEX") or DEFAULT_INDEX_DIR)


def describe(root: Location) -> dict[str, str]:
    """Which engines serve the index, for ``zhiwen status``."""
    if isinstance(root, MilvusLocation):
        return milvus.describe(root)
    read_manifest(root)
    return {"后端": "本地文件夹", "向量检索": "FAISS（IndexFlatIP，精确内积）",
            "关键词检索": "本地 bm25s"}


@dataclass(frozen=True, slots=True)
class DocumentEntry:
    """A document as persisted: the repaired text and what a citation names."""

    doc_id: str
    path: str
    source: str
    title: str
    text: str
    date: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    ingested_at: str = ""
    n_chunks: int = 0


@dataclass(frozen=True, slots=True)
class FileEntry:
    """A source file: its content hash and the documents it produced."""

    path: str
    sha256: str
    size: int
    doc_ids: tuple[str, ...]
    ingested_at: str
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BuildSettings:
    """How an index version's chunks were made. Recorded in every manifest, so that an
    ingest can tell whether the chunks it keeps were split the way it would split them."""

    split_version: int
    max_chars: int
    # "sentences": chunk vectors pooled from sentence vectors; "chunks": one per chunk (older)
    vectors: str = "sentences"
    dates: int = 0  # the rules that found the documents' dates (ingest.dates.DATES_VERSION)

    def as_manifest(self) -> dict[str, Any]:
        return {"split_version": self.split_version, "max_chars": self.max_chars,
                "vectors": self.vectors, "dates": self.dates}

    @classmethod
    def of(cls, manifest: dict[str, Any]) -> BuildSettings:
        """The settings a manifest records. Indexes written before they were recorded
        were split by rule 1 (or, when only that was recorded, 300 characters at most), those
        without ``vectors`` embedded whole chunks, and those without ``dates`` found none."""
        return cls(int(manifest.get("split_version", 1)), int(manifest.get("max_chars", 300)),
                   str(manifest.get("vectors", "chunks")), int(manifest.get("dates", 0)))


@dataclass(slots=True)
class IndexData:
    """Everything in one index version, in memory."""

    embedder: str
    dim: int
    docs: dict[str, DocumentEntry]
    files: dict[str, FileEntry]
    chunks: list[Chunk]
    tokens: list[list[str]] | None
    vectors: np.ndarray | None
    version: str = ""
    created: str = ""

    @classmethod
    def empty(cls, embedder: str, dim: int) -> IndexData:
        return cls(embedder, dim, {}, {}, [], [], np.zeros((0, dim), dtype=np.float32))


@contextlib.contextmanager
def writer_lock(root: Location) -> Iterator[None]:
    """Hold the index's writer lock (one ingest at a time; readers never wait)."""
    if isinstance(root, MilvusLocation):
        with milvus_write.writer_lock(root):
            yield
        return
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def current_version(root: Path) -> str | None:
    """Name of the live version, or ``None`` when the folder holds no index."""
    try:
        name = (root / "CURRENT").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def save(root: Location, data: IndexData, settings: BuildSettings, *, fresh: bool = False) -> str:
    """Write ``data`` as a new version and make it live; returns the version name.

    The caller should hold :func:`writer_lock`. ``data.tokens`` must be set. ``settings``
    (how the chunks were split) go into the manifest; read them back with
    :meth:`BuildSettings.of`.
    """
    if not isinstance(settings, BuildSettings):
        raise TypeError("save() needs the BuildSettings the chunks were split with")
    if data.tokens is None or len(data.tokens) != len(data.chunks):
        raise ValueError("save() needs one token list per chunk")
    if data.vectors is None or data.vectors.shape != (len(data.chunks), data.dim):
        raise ValueError(
            f"vectors shape {getattr(data.vectors, 'shape', None)} does not match {len(data.chunks)} chunks "
            f"of dimension {data.dim}"
        )
    if isinstance(root, MilvusLocation):
        return milvus_write.save(root, data, settings, fresh=fresh)
    versions = root / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    name = time.strftime("v%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
    tmp = versions / (name + ".partial")
    tmp.mkdir()
    try:
        _write_version(tmp, data, name, settings.as_manifest())
    except BaseException:
        # an error (not a kill) leaves no .partial behind; a kill's is collected later
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    final = versions / name
    os.replace(tmp, final)
    fsync_dir(versions)
    pointer = root / "CURRENT.tmp"
    with pointer.open("w", encoding="utf-8") as fh:
        fh.write(name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(pointer, root / "CURRENT")
    fsync_dir(root)
    _collect_garbage(versions, keep=name)
    return name



def _write_version(tmp: Path, data: IndexData, name: str, meta: dict[str, Any]) -> None:
    """Write every file of version ``name`` into the folder ``tmp`` and fsync them."""
    assert data.tokens is not None and data.vectors is not None
    write_jsonl(tmp / "docs.jsonl", (asdict(d) for d in data.docs.values()))
    write_jsonl(
        tmp / "files.jsonl",
        ({**asdict(f), "doc_ids": list(f.doc_ids), "warnings": list(f.warnings)}
         for f in data.files.values()),
    )
    write_jsonl(tmp / "chunks.jsonl", (chunk_to_dict(c) for c in data.chunks))
    write_jsonl(tmp / "tokens.jsonl", ({"t": t} for t in data.tokens))
    write_faiss(tmp / "vectors.faiss", data.vectors)
    (tmp / "bm25").mkdir()
    write_bm25(tmp / "bm25", data.tokens)
    checksums = {
        str(p.relative_to(tmp)): sha256_file(p) for p in sorted(tmp.rglob("*")) if p.is_file()
    }
    manifest = {
        "format_version": FORMAT_VERSION,
        "version": name,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "embedder": {"name": data.embedder, "dim": data.dim},
        "counts": {"documents": len(data.docs), "files": len(data.files), "chunks": len(data.chunks)},
        "checksums": checksums,
        **meta,
    }
    for p in tmp.rglob("*"):
        if p.is_file() and p.suffix != ".jsonl":  # jsonl files were fsynced as written
            with p.open("rb+") as fh:
                os.fsync(fh.fileno())
    with (tmp / "manifest.json").open("w", encoding="utf-8") as fh:
        json.dump(manifest, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    fsync_dir(tmp)

def _collect_garbage(versions: Path, keep: str) -> None:
    """Remove old versions beyond the newest ``KEEP_VERSIONS`` and any partial leftovers.

    The previous version is kept so that a reader that had just read ``CURRENT`` can
    still finish loading it.
    """
    complete = sorted(p for p in versions.iterdir() if not p.name.endswith(".partial"))
    doomed = [p for p in complete[:-KEEP_VERSIONS] if p.name != keep]
    doomed += [p for p in versions.iterdir() if p.name.endswith(".partial")]
    for p in doomed:
        shutil.rmtree(p, ignore_errors=True)


def read_manifest(root: Location) -> dict[str, Any]:
    """The live version's manifest.

    Raises:
        IndexMissingError: no index in ``root``.
        IndexCorruptError: the manifest is missing or unreadable.
    """
    if isinstance(root, MilvusLocation):
        return milvus.read_manifest(root)
    name = current_version(root)
    if name is None:
        raise IndexMissingError(
            f"索引不存在：{root}。请先运行 zhiwen ingest docs/（或用 --index 指定索引文件夹）。"
        )
    path = root / "versions" / name / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(
            f"索引清单无法读取：{path}（{exc}）。请运行 zhiwen ingest --rebuild 重建索引。"
        ) from exc
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"索引 {root} 的格式版本为 {manifest.get('format_version')!r}，本程序需要 "
            f"{FORMAT_VERSION}。请运行 zhiwen ingest --rebuild 重建索引。"
        )
    return manifest


def verify(root: Path, manifest: dict[str, Any]) -> Path:
    """Check every file of the live version against the manifest's checksums."""
    folder = root / "versions" / manifest["version"]
    expected: dict[str, str] = manifest.get("checksums") or {}
    actual = {
        str(p.relative_to(folder)): p for p in folder.rglob("*")
        if p.is_file() and p.name != "manifest.json"
    }
    if set(expected) != set(actual):
        missing = sorted(set(expected) - set(actual)) or sorted(set(actual) - set(expected))
        raise IndexCorruptError(
            f"索引 {root} 不完整或被改动（文件不符：{', '.join(missing[:3])}）。"
            "请运行 zhiwen ingest --rebuild 重建索引。"
        )
    for rel, p in actual.items():
        if sha256_file(p) != expected[rel]:
            raise IndexCorruptError(
                f"索引文件 {p} 的校验和不符，可能已损坏或被改动。请运行 zhiwen ingest --rebuild 重建索引。"
            )
    return folder


def check_embedder(root: Location, manifest: dict[str, Any], name: str, dim: int | None) -> None:
    """Refuse an index built by another embedder or dimension."""
    from index.remote_embedder import identity

    built = manifest["embedder"]
    if identity(built["name"]) != identity(name) or (dim is not None and built["dim"] != dim):
        raise IndexMismatchError(
            f"索引 {root} 由嵌入模型 {built['name']}（维度 {built['dim']}）建立，"
            f"当前选择的是 {name}（维度 {dim if dim is not None else '未知'}）。"
            f"请改用 --embedder {built['name']}，或运行 zhiwen ingest --rebuild --embedder {name} 重建索引。"
        )


def load(root: Location, *, for_update: bool = False) -> tuple[IndexData, DenseBackend, KeywordBackend]:
    """Load and verify the live version.

    Args:
        for_update: also read the BM25 tokens and the vectors, which only an ingest
            that rebuilds the index needs (queries don't, and skip that memory).

    Returns:
        ``(data, dense, keyword)``: the records (and vectors), and the two search
        backends over them (:class:`index.backends.FaissDense`,
        :class:`index.backends.Bm25sKeyword`).

    Raises:
        IndexMissingError, IndexCorruptError, IndexMismatchError.
    """
    if isinstance(root, MilvusLocation):
        return milvus.load(root, for_update=for_update)
    import bm25s
    from llama_index.vector_stores.faiss import FaissVectorStore

    manifest = read_manifest(root)
    folder = verify(root, manifest)
    try:
        docs = {d["doc_id"]: DocumentEntry(**d) for d in read_jsonl(folder / "docs.jsonl")}
        files = {}
        for f in read_jsonl(folder / "files.jsonl"):
            f["doc_ids"] = tuple(f["doc_ids"])
            f["warnings"] = tuple(f["warnings"])
            files[f["path"]] = FileEntry(**f)
        chunks = [chunk_from_dict(c) for c in read_jsonl(folder / "chunks.jsonl")]
        tokens = [r["t"] for r in read_jsonl(folder / "tokens.jsonl")] if for_update else None
        store = FaissVectorStore.from_persist_path(str(folder / "vectors.faiss"))
        bm25 = bm25s.BM25.load(str(folder / "bm25"), allow_pickle=False, show_progress=False)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise IndexCorruptError(
            f"索引 {root} 无法读取（{exc}）。请运行 zhiwen ingest --rebuild 重建索引。"
        ) from exc
    dim = int(manifest["embedder"]["dim"])
    index = store.client
    if index.ntotal != len(chunks) or index.d != dim:
        raise IndexCorruptError(
            f"索引 {root} 的向量数（{index.ntotal}）或维度（{index.d}）与清单不符。"
            "请运行 zhiwen ingest --rebuild 重建索引。"
        )
    vectors = None
    if for_update:
        vectors = (
            np.asarray(index.reconstruct_n(0, index.ntotal), dtype=np.float32)
            if index.ntotal else np.zeros((0, dim), np.float32)
        )
    data = IndexData(
        embedder=manifest["embedder"]["name"],
        dim=dim,
        docs=docs,
        files=files,
        chunks=chunks,
        tokens=tokens,
        vectors=vectors,
        version=manifest["version"],
        created=manifest.get("created", ""),
    )
    ids = [c.chunk_id for c in chunks]
    return data, FaissDense(store, ids), Bm25sKeyword(bm25, ids)
