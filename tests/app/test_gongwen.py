"""The 公文 Word files read back with python-docx: page, margins, fonts, numbering, 注释."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from docx.shared import Mm, Pt

from points.points import PointsResult, TalkingPoint
from ui import gongwen
from zhiwen.records import Citation, ClaimCheck, FigureMark, Mismatch


def _east_asian(run) -> str:  # type: ignore[no-untyped-def]
    from docx.oxml.ns import qn

    return run._element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))


def _points() -> PointsResult:
    c1 = Citation(1, "d1", "uploads/社会帮扶简报-20261201-233422-541b8861.txt", "社会帮扶简报",
                  "今年截至目前，社会捐赠折合共计约193万元。", 10, 31, "2025-11-03")
    c2 = Citation(2, "d2", "000_3eb5a6fcadb296c6.txt", "东西部协作", "社会捐赠超800万元。", 5, 15)
    return PointsResult("清溪镇东西部协作成效", (
        TalkingPoint("社会帮扶", "今年社会捐赠约193万元。", (c1,)),
        TalkingPoint("社会帮扶", "结对以来社会捐赠超800万元。", (c2,)),
        TalkingPoint("教育协作", "德江班免费招收学生87名。", (c2,)),
    ))


def test_points_docx_follows_gongwen_layout(tmp_path: Path) -> None:
    path = gongwen.points_docx(_points(), tmp_path / "要点.docx")
    d = docx.Document(str(path))
    sec = d.sections[0]
    assert abs(sec.page_width - Mm(210)) < Mm(0.1) and abs(sec.page_height - Mm(297)) < Mm(0.1)  # A4
    for got, mm in ((sec.top_margin, 37), (sec.bottom_margin, 35),
                    (sec.left_margin, 28), (sec.right_margin, 26)):
        assert abs(got - Mm(mm)) < Mm(0.1), (got, mm)
    normal = d.styles["Normal"]
    assert normal.font.size == Pt(16)  # 三号
    from docx.oxml.ns import qn

    assert normal.element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "仿宋"
    paras = [p for p in d.paragraphs if p.text.strip()]
    head = paras[0]
    assert head.text == "清溪镇东西部协作成效讲话要点"
    assert head.runs[0].font.size == Pt(22)  # 二号
    assert _east_asian(head.runs[0]) in ("宋体", "方正小标宋简体")
    texts = [p.text for p in paras]
    assert "一、社会帮扶" in texts and "二、教育协作" in texts
    assert any(t.startswith("（一）今年社会捐赠约193万元。") for t in texts)
    assert any(t.startswith("（二）结对以来社会捐赠超800万元。") for t in texts)
    body = next(p for p in paras if p.text.startswith("（一）今年"))
    assert all(_east_asian(r) in ("仿宋", "楷体") for r in body.runs)
    assert body.runs[1].font.size == Pt(16)
    # no theme colours: every run black (or no colour at all)
    for p in d.paragraphs:
        for r in p.runs:
            assert r.font.color.theme_color is None
            assert r.font.color.rgb in (None, gongwen.BLACK)
    i = texts.index("注释：")
    notes = texts[i + 1:]
    assert notes[0] == ("[1]《社会帮扶简报》（社会帮扶简报.txt，2025-11-03）："
                        "“今年截至目前，社会捐赠折合共计约193万元。”")
    assert notes[1].startswith("[2]《东西部协作》：") and "字符" not in " ".join(notes)


def test_check_docx_marks_each_figure_and_has_the_table(tmp_path: Path) -> None:
    from check.check import CheckReport

    draft = "清溪镇累计社会捐赠超200万元，消费协作助销近800万元。\n明年将新建5所学校。"
    a, b = draft.index("超200万元"), draft.index("近800万元")
    first = ClaimCheck(draft[: draft.index("\n")], 0, draft.index("\n"), "contradicted",
                       (Citation(1, "d", "x.txt", "t", "社会捐赠超800万元", 0, 10),),
                       (Mismatch("超过200万元", "超800万元"),), "",
                       (FigureMark(a, a + 6, "contradicted", "超800万元"),
                        FigureMark(b, b + 6, "supported", "近800万元")))
    s = draft.index("明年")
    second = ClaimCheck(draft[s:], s, len(draft), "not_found", (), (), "资料中找不到：5所",
                        (FigureMark(draft.index("5所"), draft.index("5所") + 2, "unverified"),))
    report = CheckReport((first, second), "extractive", {}, ())
    d = docx.Document(str(gongwen.check_docx(draft, report, tmp_path / "核稿.docx")))
    runs = [r for p in d.paragraphs for r in p.runs]
    wrong = next(r for r in runs if r.text == "超200万元")
    right = next(r for r in runs if r.text == "近800万元")
    assert wrong.font.color.rgb == gongwen.MARK_COLORS["contradicted"][0]
    assert right.font.color.rgb == gongwen.MARK_COLORS["supported"][0]
    table = d.tables[0]
    assert [c.text for c in table.rows[0].cells][:3] == ["#", "陈述", "结论"]
    assert "资料未提及" in table.rows[2].cells[4].text
    assert "稿件 超过200万元，资料为 超800万元" in table.rows[1].cells[3].text


@pytest.mark.parametrize(("n", "cn"), [(1, "一"), (10, "十"), (12, "十二"), (21, "二十一")])
def test_chinese_numbers(n: int, cn: str) -> None:
    assert gongwen.cn_number(n) == cn
