"""Incremental ingest over real files with the real default embedder."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from index import store
from index.retrievers import SearchIndex
from ingest.dates import DATES_VERSION
from ingest.pipeline import ingest
from ingest.remove import remove
from ingest.split import SPLIT_VERSION

SEED = Path(__file__).resolve().parents[2] / "docs" / "000_3eb5a6fcadb296c6.txt"

PINYIN_NOTE = re.compile(r"[\u4e00-\u9fff][(（][a-zü\u0100-\u01dc]+[)）]")
DOUBLED = re.compile(r"[,，][,，、。；;]")


def _doc(index_dir: Path):  # type: ignore[no-untyped-def]
    data, _, _ = store.load(index_dir)
    (doc,) = data.docs.values()
    return doc, data


def test_seed_is_stored_repaired_and_raw_file_untouched(seed_index_dir: Path) -> None:
    raw = SEED.read_text(encoding="utf-8")
    assert PINYIN_NOTE.search(raw) and DOUBLED.search(raw)  # the fixture really is dirty
    doc, data = _doc(seed_index_dir)
    assert not PINYIN_NOTE.search(doc.text)
    assert not DOUBLED.search(doc.text)
    assert "明門(中國)幼童用品有限公司" in doc.text
    assert "社會捐贈折合共計約193萬元" in doc.text
    assert doc.source == SEED.name
    assert hashlib.sha256(SEED.read_bytes()).hexdigest() == data.files[SEED.name].sha256


def test_every_chunk_is_an_exact_span_of_its_document(seed_index_dir: Path) -> None:
    doc, data = _doc(seed_index_dir)
    for c in data.chunks:
        assert c.text == doc.text[c.start : c.end]
        for a, b in c.sentences:
            assert 0 <= a < b <= len(c.text)
    assert len({c.chunk_id for c in data.chunks}) == len(data.chunks)


def _write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = folder / name
    p.write_bytes(text.encode(encoding))
    return p


def test_reingest_of_unchanged_corpus_embeds_nothing(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    _write(src, "a.txt", "清溪镇今年向德江县捐赠27万元。\n用于村村结对帮扶。")
    _write(src, "b.md", "# 劳务协作\n\n输入铜仁籍务工人员908人。")
    first = ingest([src], tmp_path / "idx")
    assert first.files_new == 2 and first.chunks_embedded == first.chunks_new > 0
    second = ingest([src], tmp_path / "idx")
    assert second.files_unchanged == 2
    assert second.chunks_embedded == 0 and second.version is None
    assert store.current_version(tmp_path / "idx") == first.version


def test_an_index_split_by_an_older_rule_is_resplit_on_the_next_ingest(
        tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import ingest.pipeline as pipeline

    src = tmp_path / "src"
    src.mkdir()
    _write(src, "a.txt", "“行百里者半九十。協作是長期工程。”沈志攀表示，將堅持。")
    monkeypatch.setattr(pipeline, "SPLIT_VERSION", 1)
    monkeypatch.setattr("ingest.split._inside_quote", lambda *args: False)  # the old rule
    first = ingest([src], tmp_path / "idx")
    old, _, _ = store.load(tmp_path / "idx")
    assert len(old.chunks[0].sentences) == 3
    monkeypatch.undo()
    other = tmp_path / "other"
    other.mkdir()
    _write(other, "b.txt", "輸入銅仁籍務工人員908人。")
    report = ingest([other], tmp_path / "idx")  # another folder: a.txt must survive
    data, _, _ = store.load(tmp_path / "idx")
    assert report.version and report.warnings
    assert {f for f in data.files} == {"a.txt", "b.txt"}
    (doc_a,) = [d for d in data.docs.values() if d.path == "a.txt"]
    assert doc_a == next(d for d in old.docs.values() if d.path == "a.txt")
    (chunk_a,) = [c for c in data.chunks if c.doc_id == doc_a.doc_id]
    assert [chunk_a.text[a:b] for a, b in chunk_a.sentences] == [
        "“行百里者半九十。協作是長期工程。”", "沈志攀表示，將堅持。"]
    assert report.documents_new == 1 and first.version != report.version
    assert store.read_manifest(tmp_path / "idx")["split_version"] == pipeline.SPLIT_VERSION


def test_an_ingest_after_a_remove_splits_nothing_again(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    _write(src, "a.txt", "甲文档：消费协作助销农副产品。")
    _write(src, "b.txt", "乙文档：劳务协作输入务工人员。")
    idx = tmp_path / "idx"
    ingest([src], idx, max_chars=200)
    remove(["a.txt"], idx)
    built = store.BuildSettings.of(store.read_manifest(idx))
    assert built == store.BuildSettings(SPLIT_VERSION, 200, dates=DATES_VERSION)
    (src / "a.txt").unlink()
    _write(src, "c.txt", "丙文档：教育协作开设德江班。")
    report = ingest([src], idx, max_chars=200)
    assert report.warnings == [] and report.documents_new == 1 and report.chunks_new == 1


def test_another_chunk_length_resplits_with_a_warning_that_says_so(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    _write(src, "a.txt", "甲文档：消费协作助销农副产品。")
    ingest([src], tmp_path / "idx")
    report = ingest([src], tmp_path / "idx", max_chars=10)
    assert report.version and "分块长度由 300 字改为 10 字" in report.warnings[0][1]
    assert all(len(c.text) <= 10 for c in store.load(tmp_path / "idx")[0].chunks)


def test_save_requires_the_build_settings(tmp_path: Path) -> None:
    data = store.IndexData.empty("fake", 4)
    with pytest.raises(TypeError):
        store.save(tmp_path, data, {"split_version": 2})  # type: ignore[arg-type]


def test_changed_file_replaces_its_chunks_and_cache_spares_the_rest(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    _write(src, "a.txt", "清溪镇今年向德江县捐赠27万元。")
    _write(src, "b.txt", "输入铜仁籍务工人员908人。")
    ingest([src], tmp_path / "idx")
    _write(src, "a.txt", "清溪镇今年向德江县捐赠35万元。")
    report = ingest([src], tmp_path / "idx")
    assert report.files_changed == 1 and report.files_unchanged == 1
    assert report.chunks_embedded == 1
    data, _, _ = store.load(tmp_path / "idx")
    texts = " ".join(c.text for c in data.chunks)
    assert "35万元" in texts and "27万元" not in texts and "908人" in texts
    assert len(data.docs) == 2


def test_remove_and_prune(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    _write(src, "a.txt", "甲文档：消费协作助销农副产品。")
    _write(src, "b.txt", "乙文档：劳务协作输入务工人员。")
    _write(src, "c.txt", "丙文档：教育协作开设德江班。")
    idx = tmp_path / "idx"
    ingest([src], idx)
    removed, unknown = remove([str(src / "a.txt"), "nope.txt"], idx)
    assert removed == ["a.txt"] and unknown == ["nope.txt"]
    assert {f for f in store.load(idx)[0].files} == {"b.txt", "c.txt"}
    (src / "b.txt").unlink()
    report = ingest([src], idx)  # without --prune the document of a deleted file stays
    assert "b.txt" in store.load(idx)[0].files and report.version is not None  # a.txt is back
    report = ingest([src], idx, prune=True)
    assert report.files_removed == 1
    data = store.load(idx)[0]
    assert set(data.files) == {"a.txt", "c.txt"}
    assert all("乙文档" not in c.text for c in data.chunks)


def test_bad_files_are_reported_and_the_rest_still_go_in(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    _write(src, "good.txt", "德江县第七幼儿园位于县城。")
    _write(src, "gbk.txt", "东西部协作工作联席会议在德江召开。", encoding="gbk")
    (src / "empty.txt").write_bytes(b"")
    (src / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    report = ingest([src, tmp_path / "missing-folder"], tmp_path / "idx")
    failed = dict(report.failed)
    assert set(failed) == {"empty.txt", "image.txt", str(tmp_path / "missing-folder")}
    assert all(reason for reason in failed.values())
    assert report.files_new == 2
    idx = SearchIndex.open(tmp_path / "idx")
    assert {idx.doc(c.doc_id).path for c in idx.chunks} == {"good.txt", "gbk.txt"}
    assert "联席会议" in idx.search("联席会议在哪里召开", 1)[0].chunk.text


def test_an_index_from_before_the_date_rules_finds_its_kept_documents_dates(tmp_path: Path) -> None:
    from dataclasses import replace

    from ingest.remove import set_document_date

    src = tmp_path / "src"
    src.mkdir()
    _write(src, "a.txt", "老旧小区改造提速\n发布日期：2024年10月22日\n\n去年，清溪镇完成老旧小区改造5个。")
    _write(src, "b.txt", "乙文档\n发布日期：2023年3月1日\n\n劳务协作输入务工人员。")
    idx = tmp_path / "idx"
    ingest([src], idx)
    # what an ingest made before dates were read from the text: no date, no date rule version
    data, _, _ = store.load(idx, for_update=True)
    by_path = {d.path: d.doc_id for d in data.docs.values()}
    data.docs = {k: replace(d, date=None, meta={}) for k, d in data.docs.items()}
    store.save(idx, data, store.BuildSettings(SPLIT_VERSION, 300))
    set_document_date(by_path["b.txt"], "2023-05-05", idx)  # a person's correction stays

    report = ingest([src], idx)  # no file changed
    docs = store.load(idx)[0].docs
    assert docs[by_path["a.txt"]].date == "2024-10-22"
    assert docs[by_path["a.txt"]].meta["date_from"] == "正文"
    assert docs[by_path["b.txt"]].date == "2023-05-05"
    assert any("1 篇未改动的文档重新识别了日期" in w for _p, w in report.warnings), report.warnings
    assert report.chunks_new == 0 and report.chunks_embedded == 0  # nothing split or embedded again
    assert store.read_manifest(idx)["dates"] == DATES_VERSION
    again = ingest([src], idx)
    assert again.warnings == [] and again.version is None  # done once
