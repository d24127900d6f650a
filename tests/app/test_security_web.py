"""Issue 11 through the real server: every request here is raw HTTP (or gradio_client)
against an app listening on 127.0.0.1, as a browser or an attacker would send it.

- the stored LLM key goes only to the address it was saved with, and only admins (or,
  without a login, loopback requests naming a loopback Host) may change or test settings;
- foreign Host names get 400 and foreign Origins 403, with no CORS header, also when the
  app listens on 0.0.0.0;
- a client that keeps guessing passwords must wait;
- 1 MB sent to each endpoint is refused at once, and another client still gets answers;
- a refused upload is not kept, and Gradio's temporary copies are deleted.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from gradio_client import Client

from zhiwen.settings import AppSettings, load_api_key, load_settings, save_api_key, save_settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "llm"))
from fake_openai import FakeOpenAI
from web_helpers import auth_header, queue_call

QUESTION = "今年社会捐赠一共多少？"
KEY = "sk-saved-secret-4711"
REMOTE = {"X-Forwarded-For": "203.0.113.9"}  # a client beyond a reverse proxy on this machine


def _serve(app_dirs: tuple[Path, Path], base: Path, port: int, host: str = "127.0.0.1",
           **kwargs):  # type: ignore[no-untyped-def]
    import app

    corpus, index = app_dirs
    shutil.copytree(index, base / "index")
    shutil.copytree(corpus, base / "docs")
    return app.serve(base / "index", base / "docs", host, port, block=False, **kwargs)


@pytest.fixture(scope="module")
def fake_a() -> Iterator[FakeOpenAI]:
    """The endpoint the admin saved, with its key."""
    with FakeOpenAI() as server:
        yield server


@pytest.fixture(scope="module")
def fake_b() -> Iterator[FakeOpenAI]:
    """Another server on another loopback port: the attacker's."""
    with FakeOpenAI() as server:
        yield server


@pytest.fixture(scope="module")
def open_app(app_dirs, fake_a: FakeOpenAI, free_port, tmp_path_factory):  # type: ignore[no-untyped-def]
    """An app without login whose saved endpoint is fake_a, with a stored key."""
    base = tmp_path_factory.mktemp("open-app")
    running = _serve(app_dirs, base, free_port())
    save_settings(running.state.index_dir, AppSettings(fake_a.base_url, "fake-model"))
    save_api_key(running.state.index_dir, KEY, fake_a.base_url)
    running.state.reload()
    yield running
    running.demo.close()


def _settings_form(url: str, key: str = "") -> list:  # type: ignore[type-arg]
    return [url, "fake-model", key]


# --- 1. the stored key and who may change settings --------------------------------------------


def test_stored_key_goes_only_to_the_address_it_was_saved_with(open_app, fake_a: FakeOpenAI,  # type: ignore[no-untyped-def]
                                                               fake_b: FakeOpenAI) -> None:
    with httpx.Client(base_url=open_app.url, timeout=60) as http:
        fake_a.queue("好")
        ok, out = queue_call(http, "zw-test-llm", _settings_form(fake_a.base_url))
        assert ok and out[0].startswith("连接成功"), out
        assert auth_header(fake_a.headers[-1]) == f"Bearer {KEY}"  # its own address: yes

        fake_b.queue("好")
        ok, out = queue_call(http, "zw-test-llm", _settings_form(fake_b.base_url))
        assert ok and out[0].startswith("连接成功"), out
        assert len(fake_b.headers) == 1 and auth_header(fake_b.headers[-1]) is None

        save = [fake_b.base_url, "fake-model", "", False, "simplified"]
        ok, out = queue_call(http, "zw-save-settings", save)
        assert ok, out
        assert load_settings(open_app.state.index_dir).llm_base_url == fake_b.base_url
        assert load_api_key(open_app.state.index_dir) == ""  # a new address forgets the old key

        fake_b.queue("占位[1]")  # every later question now goes to fake_b: without the key
        Client(open_app.url, verbose=False).predict(QUESTION, api_name="/ask")
        assert len(fake_b.headers) == 2
        assert all(auth_header(h) is None for h in fake_b.headers)
        assert all(KEY not in str(body) for body in fake_b.requests)

        # saving the first address again does not bring the key back
        ok, _ = queue_call(http, "zw-save-settings", [fake_a.base_url, "fake-model", "", False, "simplified"])
        assert ok and load_api_key(open_app.state.index_dir) == ""


def test_a_key_typed_with_a_new_address_belongs_to_it(open_app, fake_b: FakeOpenAI) -> None:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=open_app.url, timeout=60) as http:
        ok, out = queue_call(http, "zw-save-settings",
                             [fake_b.base_url, "fake-model", "sk-new-for-b-0001", False, "simplified"])
        assert ok, out
        fake_b.queue("好")
        ok, out = queue_call(http, "zw-test-llm", _settings_form(fake_b.base_url))
        assert ok and auth_header(fake_b.headers[-1]) == "Bearer sk-new-for-b-0001"


def test_without_login_only_this_machine_may_change_or_test_settings(open_app, fake_b: FakeOpenAI) -> None:  # type: ignore[no-untyped-def]
    before = (open_app.state.index_dir / "settings.json").read_bytes()
    sent = len(fake_b.requests)
    with httpx.Client(base_url=open_app.url, timeout=60) as http:
        ok, out = queue_call(http, "zw-test-llm", _settings_form(fake_b.base_url), headers=REMOTE)
        assert ok and "只能在运行知问的这台电脑上" in out[0], out
        ok, err = queue_call(http, "zw-save-settings",
                             ["http://127.0.0.1:9/v1", "m", "", False, "simplified"], headers=REMOTE)
        assert not ok and "只能在运行知问的这台电脑上" in str(err)
    assert (open_app.state.index_dir / "settings.json").read_bytes() == before
    assert len(fake_b.requests) == sent  # nothing was sent anywhere


def test_connection_errors_say_only_failed_timeout_or_status(open_app, fake_b: FakeOpenAI) -> None:  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    fake_b.queue_error(500, "db at 10.1.2.3:5432 refused; see /srv/secret/config.yaml")
    with httpx.Client(base_url=open_app.url, timeout=60) as http:
        ok, out = queue_call(http, "zw-test-llm", _settings_form(dead))
        assert ok and out[0] == "连接失败：无法连接", out
        ok, out = queue_call(http, "zw-test-llm", _settings_form(fake_b.base_url))
        assert ok and out[0] == "连接失败：HTTP 500", out


@pytest.fixture(scope="module")
def login_app(app_dirs, free_port, tmp_path_factory):  # type: ignore[no-untyped-def]
    base = tmp_path_factory.mktemp("login-app")
    users = base / "users.txt"
    users.write_text("alice:alice-pw-1\nbob:bob-pw-2\n", encoding="utf-8")
    os.environ["ZHIWEN_AUTH_FILE"] = str(users)
    try:
        running = _serve(app_dirs, base, free_port())
    finally:
        del os.environ["ZHIWEN_AUTH_FILE"]
    yield running
    running.demo.close()


def _login(http: httpx.Client, user: str, password: str, headers: dict[str, str] | None = None) -> int:
    return http.post("/login", data={"username": user, "password": password}, headers=headers).status_code


def test_with_login_only_an_admin_may_change_or_test_settings(login_app, fake_b: FakeOpenAI) -> None:  # type: ignore[no-untyped-def]
    sent = len(fake_b.requests)
    with httpx.Client(base_url=login_app.url, timeout=60) as bob:
        assert _login(bob, "bob", "bob-pw-2") == 200
        ok, out = queue_call(bob, "zw-test-llm", _settings_form(fake_b.base_url))
        assert ok and "只有管理员" in out[0], out
        save = [fake_b.base_url, "fake-model", "", False, "simplified"]
        ok, err = queue_call(bob, "zw-save-settings", save)
        assert not ok and "只有管理员" in str(err)
    assert len(fake_b.requests) == sent
    assert load_settings(login_app.state.index_dir).llm_base_url == ""
    with httpx.Client(base_url=login_app.url, timeout=60) as alice:  # the first user is the admin
        assert _login(alice, "alice", "alice-pw-1") == 200
        ok, out = queue_call(alice, "zw-save-settings", ["", "", "", False, "original"])
        assert ok, out
    assert load_settings(login_app.state.index_dir).script == "original"


def test_login_backs_off_after_five_failures(login_app) -> None:  # type: ignore[no-untyped-def]
    guesser = {"X-Forwarded-For": "198.51.100.7"}
    with httpx.Client(base_url=login_app.url, timeout=30) as http:
        assert [_login(http, "alice", f"guess-{i}", guesser) for i in range(5)] == [400] * 5
        blocked = http.post("/login", data={"username": "alice", "password": "alice-pw-1"}, headers=guesser)
        assert blocked.status_code == 429
        assert "登录失败次数过多" in blocked.json()["detail"] and int(blocked.headers["retry-after"]) > 0
        # another client is not held up by the guesser
        assert _login(http, "alice", "alice-pw-1", {"X-Forwarded-For": "198.51.100.8"}) == 200


# --- 2. Host and Origin allow-lists --------------------------------------------------------------


def _get(url: str, path: str = "/config", **headers: str) -> httpx.Response:
    with httpx.Client(base_url=url, timeout=30) as http:
        return http.get(path, headers=headers)


def test_a_foreign_host_is_refused(running_app) -> None:  # type: ignore[no-untyped-def]
    port = running_app.url.rstrip("/").rsplit(":", 1)[1]
    assert _get(running_app.url).status_code == 200
    assert _get(running_app.url, Host=f"localhost:{port}").status_code == 200
    for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1.evil.example:{port}"):
        resp = _get(running_app.url, Host=host, Origin=f"http://{host}")
        assert resp.status_code in (400, 421), host
        assert "access-control-allow-origin" not in resp.headers


@pytest.mark.parametrize("origin", ["http://evil.example:7860", "null", "http://evil.example"])
def test_a_foreign_origin_gets_no_cors_header(running_app, origin: str) -> None:  # type: ignore[no-untyped-def]
    resp = _get(running_app.url, Origin=origin)
    assert resp.status_code == 403 and "access-control-allow-origin" not in resp.headers
    with httpx.Client(base_url=running_app.url, timeout=30) as http:
        pre = http.options("/gradio_api/queue/join",
                           headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
        assert "access-control-allow-origin" not in pre.headers


def test_the_page_own_origin_still_works(running_app) -> None:  # type: ignore[no-untyped-def]
    origin = running_app.url.rstrip("/")
    resp = _get(running_app.url, Origin=origin)
    assert resp.status_code == 200 and resp.headers.get("access-control-allow-origin") == origin


def test_listening_on_all_interfaces_trusts_only_the_allowed_hosts(app_dirs, free_port,  # type: ignore[no-untyped-def]
                                                                   tmp_path: Path) -> None:
    port = free_port()
    running = _serve(app_dirs, tmp_path, port, host="0.0.0.0", allowed_host=["zhiwen.test"])
    try:
        url = f"http://127.0.0.1:{port}"
        assert _get(url, Host=f"zhiwen.test:{port}").status_code == 200
        ok = _get(url, Host=f"zhiwen.test:{port}", Origin=f"http://zhiwen.test:{port}")
        assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == f"http://zhiwen.test:{port}"
        for host in (f"evil.example:{port}", f"0.0.0.0:{port}", f"192.0.2.1:{port}"):
            resp = _get(url, Host=host, Origin=f"http://{host}")
            assert resp.status_code in (400, 421) and "access-control-allow-origin" not in resp.headers
        foreign = _get(url, Host=f"zhiwen.test:{port}", Origin="http://evil.example")
        assert foreign.status_code == 403 and "access-control-allow-origin" not in foreign.headers
    finally:
        running.demo.close()


# --- 4. field limits: 1 MB to every endpoint ----------------------------------------------------

MB = 2**20


def _refused(call) -> str:  # type: ignore[no-untyped-def]
    try:
        call()
    except Exception as exc:
        return str(exc)
    raise AssertionError("a 1 MB request was accepted")


@pytest.mark.slow
def test_a_megabyte_to_every_endpoint_is_refused_and_others_still_get_answers(  # type: ignore[no-untyped-def]
        running_app, record_timing) -> None:
    url = running_app.url
    big = "长" * MB
    turn = {"question": "问", "answer": "答", "query": "查"}
    calls = {
        "ask.question": lambda c: c.predict(big, api_name="/ask"),
        "ask.history.query": lambda c: c.predict(QUESTION, [{**turn, "query": big}], api_name="/ask"),
        "ask.history.answer": lambda c: c.predict(QUESTION, [{**turn, "answer": big}], api_name="/ask"),
        "ask.history.length": lambda c: c.predict(QUESTION, [turn] * (MB // 40), api_name="/ask"),
        "chat.question": lambda c: c.predict(big, api_name="/chat"),
        "check.draft": lambda c: c.predict(big, api_name="/check"),
        "points.topic": lambda c: c.predict(big, 6, api_name="/points"),
        "remove_file.source": lambda c: c.predict(big, api_name="/remove_file"),
    }

    def attack(name: str) -> tuple[str, str, float]:
        started = time.perf_counter()
        message = _refused(lambda: calls[name](Client(url, verbose=False)))
        return name, message, time.perf_counter() - started

    with ThreadPoolExecutor(len(calls) + 1) as pool:
        attacks = [pool.submit(attack, name) for name in calls]
        settings = pool.submit(lambda: queue_call(httpx.Client(base_url=url, timeout=120),
                                                  "zw-test-llm", [big, big, big]))
        time.sleep(0.2)  # the megabytes are in flight
        other = Client(url, verbose=False)
        started = time.perf_counter()
        answer = other.predict(QUESTION, api_name="/ask")
        latency = time.perf_counter() - started
        results = [f.result(timeout=120) for f in attacks]
        ok, out = settings.result(timeout=120)
    assert "193" in answer["answer"]
    assert latency < 2.0, f"another client's question took {latency:.2f} s"
    for name, message, _ in results:
        assert "太长" in message or "没有这个文件" in message, (name, message)
    assert not ok or "太长" in str(out), out
    record_timing("megabyte_requests", other_client_answer_s=latency,
                  slowest_refusal_s=max(t for _, _, t in results))


# --- 3 and 10. refused uploads are not kept; temporary copies are deleted ---------------------


def _broken_docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types")
        z.writestr("word/document.xml", "<w:document>未闭合")
    return buf.getvalue()


def test_a_refused_upload_is_not_kept_and_temporary_copies_go(running_app) -> None:  # type: ignore[no-untyped-def]
    state = running_app.state
    good = "上传测试\n示例苗圃今年培育树苗5432株。\n".encode()
    with httpx.Client(base_url=running_app.url, timeout=120) as http:
        temp = http.post("/gradio_api/upload", files=[
            ("files", ("坏文件.docx", _broken_docx(), "application/octet-stream")),
            ("files", ("苗圃.txt", good, "text/plain"))]).json()
        assert all(Path(p).is_file() for p in temp)
        before = set(state.upload_dir.glob("*")) if state.upload_dir.exists() else set()
        files = [{"path": p, "orig_name": n, "meta": {"_type": "gradio.FileData"}}
                 for p, n in zip(temp, ["坏文件.docx", "苗圃.txt"], strict=True)]
        event = http.post("/gradio_api/call/ingest_files", json={"data": [files]}).json()["event_id"]
        text = http.get(f"/gradio_api/call/ingest_files/{event}").text
    assert "event: complete" in text, text
    payload = json.loads(text.split("event: complete\ndata: ", 1)[1].splitlines()[0])
    status, failed = payload[0], payload[4]
    assert "导入成功 1 个" in status, status
    assert any("不是有效的 .docx 文件" in row[1] for row in failed["data"]), failed
    added = set(state.upload_dir.glob("*")) - before
    assert [p.suffix for p in added] == [".txt"], added  # the refused .docx was not kept
    assert not any(Path(p).exists() for p in temp)  # Gradio's temporary copies are gone
    ans = Client(running_app.url, verbose=False).predict("示例苗圃今年培育树苗多少株？", api_name="/ask")
    assert "5432" in ans["answer"]
