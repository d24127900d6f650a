"""Publication dates found where Chinese documents state them (issue 14, point 4)."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest

from ingest.dates import date_in_name, date_in_text, find_date
from ingest.loaders import load_file


@pytest.mark.parametrize(("text", "expected"), [
    ("老旧小区改造进展\n2025年11月3日\n今年全镇完成改造12个小区。", "2025-11-03"),
    ("清溪镇社会捐赠情况\n来源：清溪镇  发布时间：2025-10-15 09:30\n今年截至目前……", "2025-10-15"),
    ("标题\n发布日期：2024/6/21\n正文。", "2024-06-21"),
    # a report's sender and its date labelled on one line
    ("上半年工作情况\n报送单位：清溪镇人力资源分局　报送日期：2026年7月10日\n正文。", "2026-07-10"),
    ("标题\n簽發日期：2025年3月2日\n正文。", "2025-03-02"),
    ("标题\n上报2025年3月1日的数据。\n正文。", None),  # 上报 without its 日期 begins a sentence
    ("关于开展安全检查的通知\n各村（社区）：\n请于本月底前完成检查。\n清溪镇人民政府\n二〇二五年十一月三日",
     "2025-11-03"),
    ("标题\n（2025年10月15日）\n正文。", "2025-10-15"),
    # the header lines news pages and reports put round their date
    ("产业园二期开工\n2025-06-25 10:32　来源：德江县融媒体中心\n6月23日上午……", "2025-06-25"),
    ("代表团来清溪考察\n2026/04/09　来源：清溪镇人民政府网\n4月7日至8日……", "2026-04-09"),
    ("乡村振兴工作总结\n时间：2024-12-30\n2024年，……", "2024-12-30"),
    ("2025年政府工作报告（摘要）\n（2025年2月12日在清溪镇第十八届人民代表大会第五次会议上）\n各位代表：",
     "2025-02-12"),
    ("上半年工作情况汇报\n清溪镇人民政府　2025年7月14日\n市领导小组办公室：", "2025-07-14"),
    ("上半年工作情况汇报\n清溪镇人民政府2025年7月14日\n市领导小组办公室：", "2025-07-14"),
    ("标题\n截至2025年3月1日\n正文。", None),  # a time the text speaks of
    ("标题\n2025年3月1日，清溪镇召开会议。\n正文。", None),  # a lead sentence, not a header
    ("标题\n2025年3月1日 清溪镇召开会议\n正文。", None),
    ("全镇2025年共完成项目12个 2025年3月1日\n正文。", None),  # a figure's line, not a signature
    ("2021年与德江县结对以来，清溪镇在多方面的协作取得成果。", None),  # a year in a sentence
    ("今年6月21日，代表团赴德江。", None),
    ("标题\n2025年13月45日\n正文。", None),  # no such day
])
def test_date_in_text(text: str, expected: str | None) -> None:
    assert date_in_text(text) == expected


@pytest.mark.parametrize(("name", "expected"), [
    ("通知-2025-11-03.docx", "2025-11-03"),
    ("20251103_简报.txt", "2025-11-03"),
    ("简报2025年11月3日.txt", "2025-11-03"),
    ("uploads/老旧小区改造进展-20261201-233422-541b8861.txt", None),  # the upload stamp is no date
    ("uploads/通知20251015-20261201-233422-541b8861.txt", "2025-10-15"),
    ("000_3eb5a6fcadb296c6.txt", None),
])
def test_date_in_name(name: str, expected: str | None) -> None:
    assert date_in_name(name) == expected


def test_text_before_name_before_metadata() -> None:
    assert find_date("标题\n2025年11月3日\n正文", "x-2024-01-01.txt", datetime(2020, 1, 1)) == \
        ("2025-11-03", "正文")
    assert find_date("正文。", "x-2024-01-01.txt", datetime(2020, 1, 1)) == ("2024-01-01", "文件名")
    assert find_date("正文。", "x.txt", datetime(2020, 5, 6)) == ("2020-05-06", "文件属性")
    assert find_date("正文。", "x.txt", None) == (None, "")


def test_loaders_fill_the_date_and_say_where_it_came_from(tmp_path: Path) -> None:
    import docx
    from pypdf import PdfWriter

    (tmp_path / "a.txt").write_text("老旧小区改造进展\n2025年11月3日\n今年完成改造12个小区。",
                                    encoding="utf-8")
    (tmp_path / "b.html").write_text(
        '<html><head><meta name="pubdate" content="2025-10-15"></head>'
        "<body><article><p>今年社会捐赠约193万元。</p></article></body></html>", encoding="utf-8")
    (tmp_path / "c.html").write_text(
        "<html><body><article><h1>简报</h1><p>发布时间：2025-09-01</p><p>今年……</p></article></body></html>",
        encoding="utf-8")
    d = docx.Document()
    d.add_paragraph("今年完成改造12个小区。")
    d.core_properties.created = datetime(2025, 8, 8, 10, 0)
    d.save(str(tmp_path / "d.docx"))
    w = PdfWriter()
    w.add_blank_page(200, 200)
    w.add_metadata({"/CreationDate": "D:20250707120000+08'00'"})
    buf = io.BytesIO()
    w.write(buf)
    raw = {p: load_file(tmp_path / p, tmp_path) for p in ("a.txt", "b.html", "c.html", "d.docx")}
    got = {p: (r.documents[0].date, r.documents[0].meta.get("date_from")) for p, r in raw.items()}
    assert got == {"a.txt": ("2025-11-03", "正文"), "b.html": ("2025-10-15", "文件属性"),
                   "c.html": ("2025-09-01", "正文"), "d.docx": ("2025-08-08", "文件属性")}
    from pypdf import PdfReader

    from ingest.dates import date_of_metadata

    assert date_of_metadata(PdfReader(io.BytesIO(buf.getvalue())).metadata.creation_date) == "2025-07-07"


def test_a_corrected_date_is_kept_through_a_later_ingest(tmp_path: Path) -> None:
    from index.retrievers import SearchIndex
    from ingest.pipeline import ingest
    from ingest.remove import set_document_date
    from zhiwen.errors import InputError

    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "a.txt").write_text("简报\n今年社会捐赠约193万元。", encoding="utf-8")
    ingest([corpus], tmp_path / "index")
    (doc_id,) = SearchIndex.open(tmp_path / "index").documents()
    set_document_date(doc_id, "2025年11月3日", tmp_path / "index")
    (corpus / "b.txt").write_text("另一篇\n明年新建学校。", encoding="utf-8")
    ingest([corpus], tmp_path / "index")
    entry = SearchIndex.open(tmp_path / "index").documents()[doc_id]
    assert entry.date == "2025-11-03" and entry.meta["date_from"] == "人工校正"
    with pytest.raises(InputError, match="日期格式不对"):
        set_document_date(doc_id, "去年", tmp_path / "index")
