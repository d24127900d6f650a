"""The app as programs and attackers see it: gradio_client calls, file-serving refusals,
hostile upload names, and questions answered consistently while an ingest runs."""

from __future__ import annotations

import http.client
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest
from gradio_client import Client, handle_file

QUESTION = "今年社会捐赠一共多少？"


@pytest.fixture(scope="module")
def client(running_app) -> Client:  # type: ignore[no-untyped-def]
    return Client(running_app.url, verbose=False)


def _raw_get(url: str, raw_path: str) -> tuple[int, bytes]:
    """GET ``raw_path`` exactly as written (no dot-segment or percent normalisation)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", raw_path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def _check_citations(answer: dict, index_dir: Path) -> None:
    """Every citation's quote is the exact span of its document in the live index."""
    from index.retrievers import SearchIndex

    idx = SearchIndex.open(index_dir)
    for c in answer["citations"]:
        assert idx.doc(c["doc_id"]).text[c["start"] : c["end"]] == c["quote"]


# --- the chat endpoints ---------------------------------------------------------------------


def test_ask_endpoint_answers_193_with_exact_citation(client: Client, running_app) -> None:  # type: ignore[no-untyped-def]
    ans = client.predict(QUESTION, api_name="/ask")
    assert not ans["abstained"]
    assert "193" in ans["answer"]
    assert "[1]" in ans["answer"]
    assert ans["citations"] and "193" in ans["citations"][0]["quote"]
    _check_citations(ans, running_app.state.index_dir)


def test_ask_follow_up_uses_history(client: Client) -> None:
    first = client.predict(QUESTION, api_name="/ask")
    turn = {"question": first["question"], "answer": first["answer"], "query": first["query"]}
    follow = client.predict("那累计呢？", [turn], api_name="/ask")
    assert "社会捐赠" in follow["query"], follow["query"]  # the subject was carried over
    alone = client.predict("那累计呢？", api_name="/ask")
    assert alone["query"] == "那累计呢？"


def test_ask_refuses_empty_question_in_chinese(client: Client) -> None:
    with pytest.raises(Exception, match="请先输入问题"):
        client.predict("   ", api_name="/ask")


def test_chat_endpoint_streams_and_renders_markers(client: Client, record_timing) -> None:  # type: ignore[no-untyped-def]
    """The page's own streaming endpoint also serves programs; times are recorded."""
    stamps: list[tuple[float, str]] = []
    t0 = time.perf_counter()

    def seen(*outputs) -> None:  # type: ignore[no-untyped-def]
        messages = outputs[1] if len(outputs) > 1 and isinstance(outputs[1], list) else []
        bot = [m for m in messages if m["role"] == "assistant"]
        if bot:
            stamps.append((time.perf_counter() - t0, bot[-1]["content"][0]["text"]))

    job = client.submit(QUESTION, api_name="/chat", result_callbacks=[seen])
    final = job.result(timeout=60)
    total = time.perf_counter() - t0
    messages = final[1]
    assert messages[-1]["role"] == "assistant"
    text = messages[-1]["content"][0]["text"]
    assert "193" in text and 'class="zw-marker"' in text
    assert "zw-cite-1-1" in final[2] and "<mark " in final[2]
    assert "出处：" in final[3] and "193" in final[3]
    assert stamps, "no streamed update arrived"
    record_timing("api_chat_extractive", first_token_s=stamps[0][0], complete_s=total)


# --- files the app must not serve ----------------------------------------------------------


@pytest.mark.parametrize("name", ["manifest", "docs", "settings", "key", "corpus"])
def test_private_files_are_refused(running_app, name: str) -> None:  # type: ignore[no-untyped-def]
    from zhiwen.settings import save_api_key

    state = running_app.state
    save_api_key(state.index_dir, "sk-test-secret")
    (state.index_dir / "settings.json").write_text("{}", encoding="utf-8")
    live = state.index_dir / "versions" / (state.index_dir / "CURRENT").read_text().strip()
    target = {
        "manifest": live / "manifest.json",
        "docs": live / "docs.jsonl",
        "settings": state.index_dir / "settings.json",
        "key": state.index_dir / "llm_key",
        "corpus": next(state.corpus_dir.glob("*.txt")),
    }[name]
    assert target.is_file()
    for raw in (str(target), quote(str(target), safe="")):
        status, body = _raw_get(running_app.url, f"/gradio_api/file={raw}")
        assert status in (403, 404), (raw, status)
        assert b"sk-test-secret" not in body and target.read_bytes()[:20] not in body


@pytest.mark.parametrize("raw", [
    "/etc/passwd",
    "../../../../../../etc/passwd",
    "%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%2Fetc%2Fpasswd",
    "..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "..%252f..%252f..%252fetc%252fpasswd",
])
def test_traversal_and_absolute_paths_are_refused(running_app, raw: str) -> None:  # type: ignore[no-untyped-def]
    status, body = _raw_get(running_app.url, f"/gradio_api/file={raw}")
    assert status in (403, 404), (raw, status)
    assert b"root:" not in body


def test_traversal_out_of_the_upload_cache_is_refused(running_app) -> None:  # type: ignore[no-untyped-def]
    cache = Path(__import__("gradio").utils.get_upload_folder())
    status, body = _raw_get(running_app.url, f"/gradio_api/file={cache}/../../../../../../etc/passwd")
    assert status in (403, 404)
    assert b"root:" not in body


# --- hostile upload names ------------------------------------------------------------------


def _call(url: str, api: str, data: list) -> list:  # type: ignore[type-arg]
    """Call a Gradio endpoint over plain HTTP and return its final output list."""
    with httpx.Client(base_url=url, timeout=120) as http:
        event = http.post(f"/gradio_api/call/{api}", json={"data": data}).json()["event_id"]
        with http.stream("GET", f"/gradio_api/call/{api}/{event}") as resp:
            kind = ""
            for line in resp.iter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: ") and kind in ("complete", "error"):
                    payload = json.loads(line[6:])
                    if kind == "error":
                        raise RuntimeError(payload)
                    return payload
    raise AssertionError("no result")


@pytest.mark.parametrize("hostile", ["../../escape.txt", "/tmp/absolute-escape.txt",
                                     "nul\x00byte.txt", "CON.txt", "..\\..\\win-escape.txt"])
def test_hostile_upload_name_stays_in_upload_folder(running_app, hostile: str) -> None:  # type: ignore[no-untyped-def]
    state = running_app.state
    before = set(state.corpus_dir.parent.rglob("*"))
    body = f"上传测试：{hostile!r} 的内容，危险文件名测试。".encode()
    with httpx.Client(base_url=running_app.url, timeout=30) as http:
        resp = http.post("/gradio_api/upload", files=[("files", (hostile, body, "text/plain"))])
    assert resp.status_code == 200, resp.text
    server_path = resp.json()[0]
    file_data = {"path": server_path, "orig_name": hostile, "meta": {"_type": "gradio.FileData"}}
    _call(running_app.url, "ingest_files", [[file_data]])
    created = set(state.corpus_dir.parent.rglob("*")) - before
    created_files = [p for p in created if p.is_file() and "embeddings" not in p.name]
    stored = [p for p in created_files if p.parent == state.upload_dir]
    assert len(stored) == 1, created_files
    assert re.fullmatch(r"[\w-]+-\d{8}-\d{6}-[0-9a-f]{8}\.txt", stored[0].name), stored[0].name
    assert stored[0].read_bytes() == body
    outside = [p for p in created_files if not p.is_relative_to(state.index_dir) and p not in stored]
    assert not outside, outside
    assert not Path("/tmp/absolute-escape.txt").exists()


# --- questions during an ingest --------------------------------------------------------------


def _big_document(path: Path) -> Path:
    """A document unrelated to donations, long enough that embedding it takes seconds."""
    lines = [f"示例水库第{i}段：第{i}号观测点记录水位{i}.5米，巡查人员{i + 2}名，沿岸种植柳树{i * 3}棵，"
             f"并完成了堤坝加固工程的第{i}期验收。" for i in range(1, 150)]
    path.write_text("示例水库巡查记录\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow
def test_twenty_parallel_questions_during_an_ingest_are_consistent(client: Client, running_app,  # type: ignore[no-untyped-def]
                                                                  tmp_path: Path, record_timing) -> None:
    state = running_app.state
    baseline = client.predict(QUESTION, api_name="/ask")
    session_before = state.session()
    # the twenty clients connect first: a client's handshake is not what is measured, and
    # twenty of them at once took longer than the ingest itself (a flaky race)
    clients = [Client(running_app.url, verbose=False) for _ in range(20)]
    finished: list[float] = []
    job = client.submit([handle_file(str(_big_document(tmp_path / "水库巡查记录.txt")))],
                        api_name="/ingest_files",
                        result_callbacks=[lambda *_: finished.append(time.perf_counter())])
    deadline = time.monotonic() + 60
    while not any("水库" in p.name for p in state.upload_dir.glob("*.txt")):  # stored: ingest begins
        assert time.monotonic() < deadline, "the upload was never stored"
        time.sleep(0.02)
    assert not job.done()
    started = time.perf_counter()

    def ask(c: Client) -> tuple[dict, float]:  # type: ignore[type-arg]
        out = c.predict(QUESTION, api_name="/ask")
        return out, time.perf_counter()

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(ask, clients))
    job.result(timeout=300)
    assert finished, "the ingest reported no result"
    during = [t for _, t in results if t < finished[0]]
    assert during, "no question was answered while the ingest ran"
    record_timing("parallel_questions_during_ingest", questions=len(results),
                  answered_before_ingest_finished=len(during),
                  slowest_answer_s=max(t for _, t in results) - started,
                  ingest_remaining_s=finished[0] - started)
    assert state.session() is not session_before, "the ingest did not swap in a new session"
    for out, _ in results:
        assert out["answer"] == baseline["answer"]
        assert [c["quote"] for c in out["citations"]] == [c["quote"] for c in baseline["citations"]]
        _check_citations(out, state.index_dir)
    # the new document is searchable through the swapped-in session (whether the reader
    # answers or abstains on it is the reader's business, measured by the eval)
    session = state.session()
    assert session is not None
    hit = session.search("示例水库沿岸种植的是什么树？", 3)[0]
    assert session.doc(hit.chunk.doc_id).source.startswith("uploads/")
    assert "柳树" in hit.chunk.text


def test_remove_file_drops_its_documents_and_keeps_the_file_recoverable(client: Client, running_app,  # type: ignore[no-untyped-def]
                                                                         tmp_path: Path) -> None:
    state = running_app.state
    doc = tmp_path / "待删除.txt"
    doc.write_text("待删除的资料\n示例果园今年收获苹果4321箱。\n", encoding="utf-8")
    client.predict([handle_file(str(doc))], api_name="/ingest_files")
    source = next(p for p in state.session().files() if "待删除" in p)
    status = client.predict(source, api_name="/remove_file")
    assert "已移除" in status and source in status
    assert source not in state.session().files()
    assert not (state.corpus_dir / source).exists()
    assert (state.corpus_dir / ".removed" / source).is_file()
    ans = client.predict("示例果园今年收获苹果多少箱？", api_name="/ask")
    assert "4321" not in ans["answer"]
    with pytest.raises(Exception, match="资料库里没有这个文件"):
        client.predict("../../etc/passwd", api_name="/remove_file")


def test_config_never_carries_the_key(running_app) -> None:  # type: ignore[no-untyped-def]
    from zhiwen.settings import save_api_key

    save_api_key(running_app.state.index_dir, "sk-config-secret")
    with httpx.Client(base_url=running_app.url, timeout=10) as http:
        for path in ("/config", "/gradio_api/info", "/"):
            resp = http.get(path)
            assert resp.status_code == 200
            assert "sk-config-secret" not in resp.text


@pytest.mark.parametrize("name, body", [
    ("page.html", b"<html><body><script>alert(1)</script></body></html>"),
    ("image.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'),
])
def test_uploaded_html_and_svg_are_never_served_as_pages(running_app, name: str, body: bytes) -> None:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=running_app.url, timeout=30) as http:
        stored = http.post("/gradio_api/upload", files=[("files", (name, body, "text/html"))]).json()[0]
        resp = http.get(f"/gradio_api/file={stored}")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/octet-stream"
    assert resp.headers["content-disposition"].startswith("attachment")


def test_uploads_over_the_size_limit_are_refused(running_app) -> None:  # type: ignore[no-untyped-def]
    from ui.uploads import MAX_UPLOAD_BYTES

    big = b"x" * (MAX_UPLOAD_BYTES + 1024)
    with httpx.Client(base_url=running_app.url, timeout=60) as http:
        resp = http.post("/gradio_api/upload", files=[("files", ("big.txt", big, "text/plain"))])
    assert resp.status_code in (400, 413), resp.status_code
