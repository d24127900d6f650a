"""Issue 14, "done when": every numbered point in the browser in light and dark, at 1440 and
390 px. test_browser_ux.py tests each point in depth at one size and scheme; this walks the
app once per (scheme, width), checks each point's visible essentials and the WCAG AA
contrast of what it shows, and saves one screenshot per point under
artifacts/screenshots/ux/matrix/ (git-ignored).

Point 11 (setup) has no browser side: tests/zhiwen/test_serve_start.py runs the server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.app.test_browser_ux import _ask, _ratios, _tab

pytestmark = pytest.mark.browser

SIZES = {"desktop": (1440, 1000), "phone": (390, 844)}


def _contrast(page: Any, area: str, selector: str) -> None:
    found = _ratios(page, selector)
    assert found, f"nothing measured in {area}"
    low = [f for f in found if f["ratio"] < 4.5]
    assert not low, f"{area}: {low}"


def _fits(page: Any, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width + 2, f"the page is {scroll} px wide on a {width} px screen"


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_each_point_in_each_scheme_and_width(open_page, screenshots: Path, scheme: str,  # type: ignore[no-untyped-def]
                                             size: str) -> None:
    width, height = SIZES[size]
    phone = width < 600
    page = open_page(width, height, scheme)
    out = screenshots / "ux" / "matrix"
    out.mkdir(parents=True, exist_ok=True)

    def shot(point: str, full: bool = False) -> None:
        page.screenshot(path=str(out / f"{point}-{scheme}-{width}.png"), full_page=full)

    # 1: the light theme holds whatever the system asks; 10: chat basics are there
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
    assert not page.evaluate("document.body.classList.contains('dark')")
    assert "通过 API 使用" not in page.locator("body").inner_text()
    page.wait_for_selector("button.zw-example")  # filled on page load with what the library answers
    assert page.locator("button.zw-example").count() >= 2
    # 5: an empty question is said at its field, in Chinese
    page.press("#zw-question textarea", "Enter")
    page.wait_for_selector("#zw-question-hint .zw-field-error")
    assert "请先输入问题" in page.locator("#zw-question-hint").inner_text()
    shot("p05-empty-question")
    # 2 and 3: an answer with its citation, readable, copyable, its quote a tap/hover away
    timing = _ask(page, "今年社会捐赠一共多少？")
    assert timing["first_text"].startswith("正在检索"), timing
    answer = page.locator("#zw-chat [data-testid=bot]").last
    assert "193" in answer.inner_text() and answer.locator("button.zw-copy-answer").count() == 1
    _contrast(page, "answer", "#zw-chat [data-testid=bot], #zw-chat [data-testid=bot] *")
    _contrast(page, "source cards", "#zw-sources .zw-cite, #zw-sources .zw-cite *")
    _fits(page, width)
    shot("p02-p10-answer")
    marker = answer.locator("a.zw-marker").first
    if phone:
        marker.tap()
    else:
        marker.hover()
    preview = page.locator(".zw-preview")
    preview.wait_for()
    assert "193" in preview.inner_text()
    shot("p03-citation")
    page.mouse.move(2, 2)
    if phone:
        page.locator(".zw-preview .zw-sheet-open").tap()
    else:
        page.locator("#zw-sources .zw-cite").first.click()
    reader = page.locator("#zw-reader .zw-reader-panel")
    reader.wait_for()
    assert "193" in reader.locator("mark.zw-focus").inner_text()
    _contrast(page, "reader", "#zw-reader .zw-reader-panel, #zw-reader .zw-reader-panel *")
    shot("p03-reader")
    page.keyboard.press("Escape")
    reader.wait_for(state="detached")
    # 6: 核稿 marks each figure, the wrong one apart from the right one, readable
    _tab(page, "核稿")
    page.fill("#zw-draft textarea", "自2021年与德江县结对以来，社会捐赠超800万元，"
                                    "劳务协作输入铜仁籍务工人员200人。\n今年社会捐赠折合共计约200万元。")
    page.click("#zw-check")
    page.wait_for_selector("#zw-claims .zw-fig-contradicted")
    assert page.locator("#zw-claims .zw-fig-supported").count() >= 1
    assert "与资料相近但不相同（资料：约193万元），请核对" in page.locator("#zw-check-table").inner_text()
    _contrast(page, "核稿 marks", "#zw-check-out, #zw-check-out *")
    _contrast(page, "核稿 table", "#zw-check-table td, #zw-check-table td *, #zw-check-table th *")
    _fits(page, width)
    shot("p06-check", full=True)
    # 7: talking points, headline figures first, each with its source; the downloads offered
    _tab(page, "讲话要点")
    page.fill("#zw-topic textarea", "清溪镇与德江县东西部协作成效")
    page.click("#zw-points")
    page.wait_for_selector("#zw-points-out")
    text = page.locator("#zw-points-out").inner_text()
    assert "今年社会捐赠折合约193万元" in text
    assert text.index("193万元") < text.index("156万元") < text.index("超800万元"), text
    assert "字符" not in text and "3eb5a6fcadb296c6" not in text  # sources readable, no offsets
    page.locator("#zw-points-docx").wait_for()
    _contrast(page, "讲话要点", "#zw-points-out, #zw-points-out *")
    _fits(page, width)
    shot("p07-points", full=True)
    # 4 and 8: the library shows readable names and the 日期 column, and no server paths
    _tab(page, "资料库")
    docs = page.locator("#zw-docs")
    docs.wait_for()
    listing = docs.inner_text()
    assert "发布日期" in listing and "uploads/" not in listing
    _fits(page, width)
    shot("p04-p08-library", full=True)
    # 9: every tab reachable at this width, none behind a … menu
    tabs = page.get_by_role("tab")
    assert [t.inner_text().strip() for t in tabs.all()] == ["问答", "核稿", "讲话要点", "资料库", "设置"]
    for i in range(tabs.count()):
        box = tabs.nth(i).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    _tab(page, "设置")
    page.wait_for_timeout(300)
    _fits(page, width)
    shot("p09-settings", full=True)
