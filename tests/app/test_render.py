"""Rendering answers and sources: markup only from the app, document text always inert."""

from __future__ import annotations

import pytest

from ui import render
from zhiwen.records import Answer, Citation

DOC = "第一段。\n前文很长的一句话，今年截至目前，社会捐赠折合共计约193万元。后文。\n第三段。"
START = DOC.index("今年")
END = DOC.index("后文")


def _answer(text: str = "约193万元[1]", abstained: bool = False, quote_doc: str = DOC) -> Answer:
    cites = () if abstained else (
        Citation(1, "d1", "a.txt", "<b>标题</b>", quote_doc[START:END], START, END, "2024-06-21"),)
    return Answer("今年社会捐赠一共多少？", text, abstained, cites, "extractive",
                  notes=("注意：年份不详",))


def test_markers_link_to_their_source_card() -> None:
    rec = render.turn_record(3, _answer(), "q", {"d1": DOC})
    msg = render.answer_markdown(rec)
    assert '<a class="zw-marker" href="#zw-cite-3-1"' in msg
    html = render.sources_html([rec])
    assert 'id="zw-cite-3-1"' in html
    assert f'data-start="{START}" data-end="{END}">{DOC[START:END]}</mark>' in html
    card = html.split('class="zw-doc-text"')[0]  # the card; the reader's full text follows
    assert "前文很长的一句话，" in card and "后文。" in card and "第三段" not in card
    assert "第三段" in html.split('class="zw-doc-text"')[1]


def test_unknown_marker_numbers_stay_plain_text() -> None:
    rec = render.turn_record(1, _answer("约193万元[1][7]"), "q", {"d1": DOC})
    msg = render.answer_markdown(rec)
    assert msg.count("zw-marker") == 1 and "\\[7\\]" in msg


@pytest.mark.parametrize("hostile", [
    "<script>alert(1)</script>", '<svg onload="alert(1)">', "<img src=x onerror=alert(1)>",
    "[点我](javascript:alert(1))", "![x](http://evil/x.png)", "**粗体** `code`",
])
def test_document_and_answer_text_is_never_markup(hostile: str) -> None:
    doc = DOC.replace("前文", hostile)
    start, end = doc.index("今年"), doc.index("后文")
    cite = Citation(1, "d1", hostile, hostile, doc[start:end], start, end)
    ans = Answer(hostile, hostile + "[1]", False, (cite,), "extractive")
    rec = render.turn_record(1, ans, hostile, {"d1": doc})
    html = render.sources_html([rec])
    msg = render.answer_markdown(rec) + render.chat_messages([rec])[0]["content"]
    for out in (html, msg):
        assert "<script" not in out and "<svg" not in out and "<img" not in out
    assert "](" not in msg.replace("\\](", "")  # the chat renders Markdown: no live link or image


def test_abstention_looks_different_and_says_not_zero() -> None:
    rec = render.turn_record(2, _answer("资料中没有找到答案。", abstained=True), "q", {})
    msg = render.answer_markdown(rec)
    assert 'class="zw-abstain"' in msg and "未找到" in msg and "不表示数值为零" in msg
    assert "zw-abstain" in render.sources_html([rec])
    assert "zw-abstain" not in render.answer_markdown(render.turn_record(1, _answer(), "q", {"d1": DOC}))


def test_copy_text_has_answer_then_sources() -> None:
    rec = render.turn_record(1, _answer(), "q", {"d1": DOC})
    text = render.copy_text(rec)
    assert text.splitlines()[0] == "约193万元[1]"
    assert "出处：" in text
    assert f"[1] <b>标题</b>（a.txt，2024-06-21）：「{DOC[START:END]}」" in text
    assert "转为简体" not in text  # nothing converted, nothing said
    assert render.copy_text(None) == ""


def test_notes_and_a_followups_resolved_query_are_shown() -> None:
    alone = render.answer_markdown(render.turn_record(1, _answer(), "今年社会捐赠一共多少？", {"d1": DOC}))
    assert "注意：年份不详" in alone and "按上文理解为" not in alone
    rec = render.turn_record(1, _answer(), "累计<b>社会捐赠</b>一共多少？", {"d1": DOC})
    msg = render.answer_markdown(rec)
    assert "按上文理解为：累计&lt;b&gt;社会捐赠&lt;/b&gt;一共多少？" in msg and "<b>" not in msg


def test_paragraph_context_is_trimmed_with_ellipses() -> None:
    text = "甲" * 500 + "【引文】" + "乙" * 500
    s = text.index("【")
    before, after = render.paragraph_around(text, s, s + 4, width=10)
    assert before == "…" + "甲" * 10 and after == "乙" * 10 + "…"


def test_empty_library_hint_says_how_to_add_documents() -> None:
    html = render.sources_html([], empty_library=True)
    assert "资料库" in html and "上传" in html
    assert "make" not in html and "make" not in render.EMPTY_LIBRARY_HERE  # office staff run no commands
    assert "到「资料库」页" not in render.EMPTY_LIBRARY_HERE  # shown on that very page


def test_stream_answer_yields_growing_text_then_the_answer() -> None:
    import threading

    from ui.chat import stream_answer

    release = threading.Event()

    class SlowEngine:
        def answer(self, question, history, on_token):  # type: ignore[no-untyped-def]
            on_token("今年")
            release.wait(5)  # the second piece comes only after the first was shown
            on_token("约193万元[1]")
            return _answer()

    items = stream_answer(SlowEngine(), "q", [])  # type: ignore[arg-type]
    assert next(items) == "今年"
    release.set()
    assert next(items) == "今年约193万元[1]"
    final = next(items)
    assert isinstance(final, Answer) and final.answer == "约193万元[1]"


def test_stream_answer_turns_errors_into_chinese_messages() -> None:
    import gradio as gr

    from ui.chat import stream_answer
    from zhiwen.errors import LLMError

    class Broken:
        def answer(self, question, history, on_token):  # type: ignore[no-untyped-def]
            raise LLMError("大模型服务 http://127.0.0.1:9/v1 连接被拒绝")

    class Buggy:
        def answer(self, question, history, on_token):  # type: ignore[no-untyped-def]
            raise KeyError("secret internals")

    with pytest.raises(gr.Error, match="连接被拒绝"):
        list(stream_answer(Broken(), "q", []))  # type: ignore[arg-type]
    with pytest.raises(gr.Error, match="内部错误") as err:
        list(stream_answer(Buggy(), "q", []))  # type: ignore[arg-type]
    assert "secret" not in str(err.value)


def _cites(*spans: tuple[int, int]) -> tuple[Citation, ...]:
    return tuple(Citation(n, "d1", "uploads/老旧小区改造进展-20261201-233422-541b8861.txt", "标题",
                          LONG[s:e], s, e, "2025-11-03") for n, (s, e) in enumerate(spans, 1))


LONG = "第一段。\n" + "甲乙丙丁。" * 10 + "\n" + "戊己庚辛。" * 80 + "\n末段。"


def test_only_cited_passages_show_the_rest_behind_a_fold() -> None:
    far = LONG.index("戊") + 200
    ans = Answer("问", "答案[2]", False, _cites((5, 10), (far, far + 5)), "extractive")
    html = render.sources_html([render.turn_record(1, ans, "问", {"d1": LONG})])
    shown, fold = html.split('<details class="zw-more">')
    assert 'id="zw-cite-1-2"' in shown and 'id="zw-cite-1-1"' not in shown
    assert "其他相关段落（1，答案未引用）" in fold and 'id="zw-cite-1-1"' in fold


def test_overlapping_passages_share_one_card() -> None:
    ans = Answer("问", "答案[1][2][3]", False, _cites((5, 10), (10, 15), (12, 20)), "extractive")
    html = render.sources_html([render.turn_record(1, ans, "问", {"d1": LONG})])
    assert html.count('class="zw-cite"') == 1
    assert html.count("<mark") == 2  # [2] and [3] overlap: one mark names both
    assert 'data-cites="zw-cite-1-2 zw-cite-1-3"' in html
    assert all(f'id="zw-cite-1-{n}"' in html for n in (1, 2, 3))


def test_cards_name_the_document_readably_with_its_date() -> None:
    ans = Answer("问", "答案[1]", False, _cites((5, 10)), "extractive")
    html = render.sources_html([render.turn_record(1, ans, "问", {"d1": LONG})])
    assert "2025-11-03 · 老旧小区改造进展.txt" in html and "541b8861" not in html.split("zw-doc-text")[0]
    assert "字符" not in html
    assert render.readable_name("000_3eb5a6fcadb296c6.txt") == ""
    assert render.readable_name("uploads/天麻产业-20261201-233422-541b8861.txt") == "天麻产业.txt"
    assert render.readable_name("报告.docx") == "报告.docx"


def test_quotes_in_the_display_script_with_the_verbatim_form_beside() -> None:
    doc = "前文。今年社會捐贈折合共計約193萬元。後文。"
    s, e = doc.index("今年"), doc.index("後文")
    cite = Citation(1, "d1", "a.txt", "標題", doc[s:e], s, e)
    rec = render.turn_record(1, Answer("问", "约193万元[1]", False, (cite,), "extractive"),
                             "问", {"d1": doc}, script="simplified")
    html = render.sources_html([rec])
    cards = html.split('class="zw-cite"')[1]
    assert "社会捐赠折合共计约193万元" in cards.split("zw-q-verbatim")[0]  # the display form first
    assert "社會捐贈折合共計約193萬元" in html  # verbatim one click away
    assert "引文已转为简体显示" in html and "zw-script-toggle" in html
    copied = render.copy_text(rec)
    assert "「今年社会捐赠折合共计约193万元。」" in copied and "已由繁体转为简体" in copied
    original = render.sources_html([render.turn_record(1, Answer("问", "x[1]", False, (cite,),
                                                                 "extractive"), "问", {"d1": doc})])
    assert "zw-script-toggle" not in original  # nothing converted: no switch


def test_the_reader_gets_the_whole_document_or_a_window_of_a_long_one() -> None:
    ans = Answer("问", "答案[1]", False, _cites((5, 10)), "extractive")
    rec = render.turn_record(1, ans, "问", {"d1": LONG})
    assert rec["docs"]["d1"]["text"] == LONG and rec["docs"]["d1"]["offset"] == 0
    big = "前" * 100_000 + LONG
    cite = Citation(1, "d1", "a.txt", "t", big[100_005:100_010], 100_005, 100_010)
    rec = render.turn_record(1, Answer("问", "答案[1]", False, (cite,), "extractive"), "问", {"d1": big})
    doc = rec["docs"]["d1"]
    assert doc["partial"] and len(doc["text"]) <= render.READER_MAX_CHARS
    assert doc["text"][100_005 - doc["offset"]:100_010 - doc["offset"]] == cite.quote
