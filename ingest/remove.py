"""Editing the library in place: removing source files (their documents leave the library
unless another file holds the same documents; then the library keeps them, under the other
file), and correcting a document's publication date by hand."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from index import store
from index.embedders import get_embedder
from ingest.pipeline import IngestReport, Pending, assemble
from zhiwen.errors import InputError


@dataclass(slots=True)
class RemoveResult:
    """What a removal did: files dropped, arguments that matched none, and for each
    dropped file the other files that hold the same documents (which therefore stay)."""

    removed: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    shared: dict[str, list[str]] = field(default_factory=dict)

    def messages(self) -> list[str]:
        """One Chinese line per removed file, saying truthfully what left the library."""
        lines = []
        for p in self.removed:
            others = self.shared.get(p)
            if others:
                lines.append(f"已移除文件：{p}；但它的内容与 {'、'.join(others)} 相同，"
                             "这份文档仍因后者保留在资料库中，回答会引用后者")
            else:
                lines.append(f"已移除：{p}")
        return lines


def remove(paths: list[str], index_dir: store.Location) -> tuple[list[str], list[str]]:
    """Drop the documents of the given source files from the index.

    A path matches a recorded source path exactly, or by its trailing components (so both
    ``docs/a.txt`` and ``a.txt`` find ``a.txt`` recorded relative to ``docs/``).

    Returns:
        ``(removed, unknown)`` recorded paths removed, and arguments that matched nothing.
    """
    result = remove_files(paths, index_dir)
    return result.removed, result.unknown


def remove_files(paths: list[str], index_dir: store.Location) -> RemoveResult:
    """:func:`remove`, also telling which removed files share documents with files that
    stay: a document leaves the index only when no remaining file holds it."""
    with store.writer_lock(index_dir):
        built = store.BuildSettings.of(store.read_manifest(index_dir))
        old, _, _ = store.load(index_dir, for_update=True)
        removed: list[str] = []
        unknown: list[str] = []
        for arg in paths:
            parts = Path(arg).as_posix().lstrip("./").split("/")
            cands = {"/".join(parts[i:]) for i in range(len(parts))}
            hit = [p for p in old.files if p in cands]
            if not hit:
                unknown.append(arg)
            removed += hit
        shared: dict[str, list[str]] = {}
        if removed:
            files = {p: f for p, f in old.files.items() if p not in removed}
            for p in removed:
                others = sorted(q for q, f in files.items() if set(f.doc_ids) & set(old.files[p].doc_ids))
                if others:
                    shared[p] = others
            embedder = get_embedder(old.embedder)
            # no document is split here: the kept chunks keep the settings they were made with
            data = assemble(old, files, Pending(), embedder, index_dir, None, IngestReport(),
                             built.max_chars)
            store.save(index_dir, data, built)
    return RemoveResult(removed, unknown, shared)


def set_document_date(doc_id: str, value: str | None, index_dir: store.Location) -> store.DocumentEntry:
    """Correct a document's publication date by hand (``None`` clears it): a new index
    version with only that field changed (``meta["date_from"]`` becomes 人工校正). The
    date stays through later ingests, which keep unchanged documents as they are.

    Raises:
        InputError: no such document, or ``value`` is no valid ``YYYY-MM-DD`` date.
    """
    from ingest.dates import FROM_USER, date_of_metadata

    iso = None
    if value:
        iso = date_of_metadata(value.strip())
        if iso is None or not value.strip()[:4].isdigit():
            raise InputError(value, "日期格式不对，请写成 2025-11-03 或 2025年11月3日")
    with store.writer_lock(index_dir):
        built = store.BuildSettings.of(store.read_manifest(index_dir))
        data, _, _ = store.load(index_dir, for_update=True)
        if doc_id not in data.docs:
            raise InputError(doc_id, "资料库里没有这篇文档，请刷新列表后再试")
        entry = data.docs[doc_id]
        meta = {**entry.meta, "date_from": FROM_USER} if iso else \
            {k: v for k, v in entry.meta.items() if k != "date_from"}
        data.docs[doc_id] = replace(entry, date=iso, meta=meta)
        store.save(index_dir, data, built)
        return data.docs[doc_id]
