"""The app in its other configurations: behind a login, in LLM mode against a real
OpenAI-protocol server on loopback, and with an empty library."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from gradio_client import Client

from zhiwen.settings import AppSettings, save_api_key, save_settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "llm"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_openai import FakeOpenAI
from web_helpers import auth_header, queue_call

QUESTION = "今年社会捐赠一共多少？"
LOGIN = ("office", "清溪-test-pw")


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture(scope="module")
def llm_app(app_dirs: tuple[Path, Path], fake: FakeOpenAI, free_port,  # type: ignore[no-untyped-def]
            tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """A second app over a copy of the index, in LLM mode, with a login required."""
    import os

    import app

    corpus, index = app_dirs
    base = tmp_path_factory.mktemp("llm-app")
    shutil.copytree(index, base / "index")
    shutil.copytree(corpus, base / "docs")
    save_settings(base / "index", AppSettings(fake.base_url, "fake-model", "simplified"))
    save_api_key(base / "index", "sk-llm-secret")
    os.environ["ZHIWEN_AUTH"] = ":".join(LOGIN)
    try:
        running = app.serve(base / "index", base / "docs", "127.0.0.1", free_port(), block=False)
    finally:
        del os.environ["ZHIWEN_AUTH"]
    yield running
    running.demo.close()


def test_login_is_required_when_configured(llm_app) -> None:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=llm_app.url, timeout=10) as http:
        assert http.get("/config").status_code == 401
        assert http.post("/login", data={"username": LOGIN[0], "password": "wrong"}).status_code >= 400
        assert http.post("/login", data={"username": LOGIN[0], "password": LOGIN[1]}).status_code == 200
        config = http.get("/config")
        assert config.status_code == 200
        assert "sk-llm-secret" not in config.text


def _passage_number(fake: FakeOpenAI, needle: str) -> int:
    content = fake.requests[-1]["messages"][-1]["content"]
    for n in range(1, 20):
        start, end = content.find(f'编号="{n}"'), content.find(f'编号="{n + 1}"')
        if start >= 0 and needle in content[start : end if end > 0 else None]:
            return n
    raise AssertionError(f"no passage holds {needle}")


def test_llm_answer_streams_token_by_token_then_shows_checked_answer(llm_app, fake: FakeOpenAI) -> None:  # type: ignore[no-untyped-def]
    client = Client(llm_app.url, auth=LOGIN, verbose=False)
    fake.queue("占位")  # learn which passage number carries the 193 sentence
    client.predict(QUESTION, api_name="/ask")
    n = _passage_number(fake, "193")
    fake.queue(["今年截至目前，", "社会捐赠", "折合共计", f"约193万元[{n}]。"])
    job = client.submit(QUESTION, api_name="/chat")
    final = job.result(timeout=60)
    partial = [out[1][-1]["content"][0]["text"] for out in job.outputs()
               if isinstance(out[1], list) and out[1] and out[1][-1]["role"] == "assistant"]
    text = final[1][-1]["content"][0]["text"]
    assert "193" in text and f'href="#zw-cite-1-{n}"' in text
    assert "zw-typing" not in text
    streamed = [p for p in partial if "zw-typing" in p]
    assert streamed and "193" not in streamed[0], partial  # a preview came before the whole answer
    # unchecked text is visibly a draft until the check passes (issue 11, item 6)
    assert all('class="zw-draft"' in p and "正在核对" in p for p in streamed), streamed
    assert "zw-draft" not in text and "正在核对" not in text
    assert fake.requests[-1]["stream"] is True


def test_failed_llm_check_falls_back_to_extractive_with_a_note(llm_app, fake: FakeOpenAI) -> None:  # type: ignore[no-untyped-def]
    client = Client(llm_app.url, auth=LOGIN, verbose=False)
    fake.queue("今年社会捐赠共计约250万元[1]。")  # a figure no passage states
    ans = client.predict(QUESTION, api_name="/ask")
    assert ans["mode"] == "extractive" and "193" in ans["answer"]
    assert any("未通过核对" in note for note in ans["notes"])


def test_connection_test_reports_success_and_failure_in_chinese(llm_app, fake: FakeOpenAI) -> None:  # type: ignore[no-untyped-def]
    """Through the server, logged in as the admin (the first user of the login)."""
    form = [fake.base_url, "fake-model", ""]
    with httpx.Client(base_url=llm_app.url, timeout=60) as http:
        assert http.post("/login", data={"username": LOGIN[0], "password": LOGIN[1]}).status_code == 200
        fake.queue("好")
        ok, out = queue_call(http, "zw-test-llm", form)
        assert ok and out[0].startswith("连接成功"), out
        assert auth_header(fake.headers[-1]) == "Bearer sk-llm-secret"  # the key's own address
        ok, out = queue_call(http, "zw-test-llm", ["http://127.0.0.1:9/v1", "fake-model", ""])
        assert ok and out[0] == "连接失败：无法连接", out
        ok, out = queue_call(http, "zw-test-llm", ["", "", ""])
        assert ok and "抽取式" in out[0]


def test_a_401_that_echoes_the_key_never_reaches_the_page(llm_app, fake: FakeOpenAI) -> None:  # type: ignore[no-untyped-def]
    """Issue 11, item 7: the body of a 401 repeated the key and was shown as a note."""
    client = Client(llm_app.url, auth=LOGIN, verbose=False)
    fake.queue_error(401, "Incorrect API key provided: sk-llm-secret. Find your key at sk-proj-Ab12Cd34Ef56.")
    ans = client.predict(QUESTION, api_name="/ask")
    assert ans["mode"] == "extractive" and "193" in ans["answer"]
    notes = " ".join(ans["notes"])
    assert "密钥" in notes and "HTTP 401" in notes
    assert "sk-" not in notes and "Incorrect" not in notes
    fake.queue_error(401, "Incorrect API key provided: sk-llm-secret.")
    out = client.predict(QUESTION, api_name="/chat")
    assert "sk-" not in str(out)


def test_empty_library_says_how_to_add_documents(tmp_path: Path, free_port) -> None:  # type: ignore[no-untyped-def]
    import app

    running = app.serve(tmp_path / "no-index", tmp_path / "docs", "127.0.0.1", free_port(), block=False)
    try:
        client = Client(running.url, verbose=False)
        with pytest.raises(Exception, match="资料库还是空的"):
            client.predict(QUESTION, api_name="/ask")
        out = client.predict(QUESTION, api_name="/chat")
        assert "资料库还是空的" in out[1][-1]["content"][0]["text"]
        assert "上传" in out[2]
    finally:
        running.demo.close()


def test_display_script_setting_switches_answers_to_original_script(app_dirs: tuple[Path, Path],  # type: ignore[no-untyped-def]
                                                                    tmp_path: Path) -> None:
    from ui.settings_tab import make_save_fn, settings_view
    from ui.state import AppState

    corpus, index = app_dirs
    shutil.copytree(index, tmp_path / "index")
    state = AppState(tmp_path / "index", corpus)
    session = state.session()
    assert session is not None and "万" in session.answer(QUESTION).answer
    this_machine = SimpleNamespace(username=None, client=SimpleNamespace(host="127.0.0.1"),
                                   headers={"host": "127.0.0.1:7860"})
    make_save_fn(state)("", "", "", False, "original", this_machine)
    session = state.session()
    assert session is not None and "萬" in session.answer(QUESTION).answer
    assert settings_view(state)[3] == "original"
    assert AppState(tmp_path / "index", corpus).settings().script == "original"  # persisted
