"""End to end in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

Each scenario saves a screenshot of its tab under artifacts/screenshots/.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture
def page(open_page):  # type: ignore[no-untyped-def]
    return open_page(1400, 1000)


def _open_tab(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("tab", name=name).click()


def _ask(page, question: str) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Ask in the chat tab; seconds until the answer bubble appears and until it is final."""
    _open_tab(page, "问答")
    bots = page.locator("#zw-chat [data-testid=bot]")
    before = bots.count()
    page.fill("#zw-question textarea", question)
    t0 = time.perf_counter()
    page.press("#zw-question textarea", "Enter")
    bots.nth(before).wait_for()
    first = time.perf_counter() - t0
    page.wait_for_function(
        "n => document.querySelectorAll('#zw-chat [data-testid=bot]').length > n"
        " && !document.querySelector('#zw-chat .zw-typing, #zw-chat .zw-pending')", arg=before)
    return first, time.perf_counter() - t0


def test_ask_193_click_citation_shows_highlighted_quote(page, screenshots: Path,  # type: ignore[no-untyped-def]
                                                        record_timing) -> None:
    first, complete = _ask(page, "今年社会捐赠一共多少？")
    answer = page.locator("#zw-chat [data-testid=bot]").last
    assert "193" in answer.inner_text()
    marker = answer.locator("a.zw-marker").first
    target = marker.get_attribute("href").lstrip("#")
    marker.click()
    card = page.locator(f".zw-cite:has(#{target})")
    page.wait_for_function(
        "id => document.getElementById(id).closest('.zw-cite').classList.contains('zw-active')",
        arg=target)
    quote = card.locator(f"mark[data-cites~='{target}']:visible")
    assert "193" in quote.inner_text()
    page.wait_for_timeout(600)  # the smooth scroll
    box, view = quote.bounding_box(), page.viewport_size
    assert box is not None and 0 <= box["y"] < view["height"]
    page.click("#zw-copy")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "193" in copied and "出处：" in copied
    page.screenshot(path=str(screenshots / "chat.png"), full_page=True)
    record_timing("browser_chat_extractive", first_token_s=first, complete_s=complete)


def test_gbk_upload_is_ingested_and_answerable(page, screenshots: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    gbk = tmp_path / "天麻产业.txt"
    gbk.write_bytes("德江县天麻产业简报\n今年德江县天麻种植面积达到3.2万亩，带动农户5600户增收。\n"
                    .encode("gbk"))
    _open_tab(page, "资料库")
    page.set_input_files("#zw-upload input[type=file]", str(gbk))
    page.wait_for_selector("#zw-upload :text('天麻产业')")  # name and suffix may be apart
    page.click("#zw-import")
    page.wait_for_selector("#zw-import-status :text('导入成功 1 个')")
    assert "德江县天麻产业简报" in page.locator("#zw-docs").inner_text()
    page.screenshot(path=str(screenshots / "library.png"), full_page=True)
    _ask(page, "德江县天麻种植面积有多少？")
    answer = page.locator("#zw-chat [data-testid=bot]").last.inner_text()
    assert "3.2万亩" in answer, answer


def test_settings_show_extractive_mode_and_never_the_key(page, running_app, screenshots: Path) -> None:  # type: ignore[no-untyped-def]
    from zhiwen.settings import save_api_key

    save_api_key(running_app.state.index_dir, "sk-browser-secret")
    page.reload()
    _open_tab(page, "设置")
    page.wait_for_selector("#zw-settings-status :text('抽取式')")
    page.click("#zw-test-llm")
    page.wait_for_selector("#zw-settings-status :text('没有填写接口地址')")
    assert page.input_value("#zw-llm-key input") == ""
    assert "sk-browser-secret" not in page.content()
    page.screenshot(path=str(screenshots / "settings.png"), full_page=True)


def test_fact_check_flags_the_wrong_figure_with_source_value(page, screenshots: Path) -> None:  # type: ignore[no-untyped-def]
    draft = ("清溪镇工商联向德江县人民政府捐赠10万元。\n"
             "今年截至目前，社会捐赠折合共计约250万元。")
    _open_tab(page, "核稿")
    page.fill("#zw-draft textarea", draft)
    page.click("#zw-check")
    wrong = page.locator("#zw-claims .zw-v-contradicted")
    wrong.wait_for()
    assert wrong.count() == 1 and "250万元" in wrong.inner_text()
    assert page.locator("#zw-claims .zw-v-supported").count() == 1
    table = page.locator("#zw-check-table").inner_text()
    assert "250万元" in table and "193万元" in table and "不符" in table
    with page.expect_download() as got:
        page.click("#zw-check-md")
    report = Path(got.value.path()).read_text(encoding="utf-8")
    assert report.startswith("# 核稿报告") and "193" in report
    page.screenshot(path=str(screenshots / "check.png"), full_page=True)


def test_talking_points_grouped_with_sources_and_docx_download(page, screenshots: Path,  # type: ignore[no-untyped-def]
                                                              tmp_path: Path) -> None:
    import docx

    _open_tab(page, "讲话要点")
    page.fill("#zw-topic textarea", "清溪镇与德江县东西部协作成效")
    page.click("#zw-points")
    out = page.locator("#zw-points-out")
    out.wait_for()
    assert out.locator("h4").count() >= 2  # themes plus the source list
    bullets = out.locator("ul:not(.zw-sources-list) > li")
    assert bullets.count() >= 2
    assert all(bullets.nth(i).locator(".zw-n").count() >= 1 for i in range(bullets.count()))
    with page.expect_download() as got:
        page.click("#zw-points-docx")
    saved = tmp_path / got.value.suggested_filename
    got.value.save_as(saved)
    assert saved.suffix == ".docx"
    text = "\n".join(p.text for p in docx.Document(str(saved)).paragraphs)
    assert "讲话要点" in text and "注释：" in text
    assert bullets.first.inner_text().split("[")[0].strip() in text
    page.screenshot(path=str(screenshots / "points.png"), full_page=True)


def test_a_slow_example_check_never_wipes_an_answer(open_page, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The example questions are checked when the page opens; a question asked before they
    arrive keeps its answer and sources (they once came with the empty sources panel)."""
    import app

    real = app.library_examples

    def slow(session, limit: int = 4):  # type: ignore[no-untyped-def]
        time.sleep(3)
        return real(session, limit)

    monkeypatch.setattr(app, "library_examples", slow)
    page = open_page(1400, 1000)
    _ask(page, "今年社会捐赠一共多少？")
    page.wait_for_selector(".zw-example")
    assert "第 1 问" in page.locator(".zw-sources").first.inner_text()
    assert "193" in page.locator("#zw-chat [data-testid=bot]").last.inner_text()
