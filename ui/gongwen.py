"""Word files in the layout of Chinese official documents (公文, after GB/T 9704-2012), for
a leader's desk: the 讲话要点 and the 核稿 report.

- A4, margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm;
- title in 宋体 二号 (22 pt), centred (方正小标宋简体 is not on every computer);
- body in 仿宋 (仿宋_GB2312) 三号 (16 pt), first-line indent of two characters, fixed
  28 pt line spacing;
- headings numbered 一、二、 (黑体) and （一）（二） (楷体);
- black text only, no theme colours; sources as 注释 at the end, with readable names.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

# 方正小标宋简体 is the 公文 title face, but it is not on every office computer; 宋体 is, and
# GB/T 9704 allows it: the title uses 宋体 so that it looks the same wherever it is opened.
TITLE_FONT = "宋体"
BODY_FONT = "仿宋"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体"
TITLE_SIZE = Pt(22)  # 二号
BODY_SIZE = Pt(16)  # 三号
NOTE_SIZE = Pt(14)  # 四号, for 注释 and tables
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
BLACK = RGBColor(0, 0, 0)
_CN_NUMBERS = "一二三四五六七八九十"


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (up to 99)."""
    if n <= 10:
        return _CN_NUMBERS[n - 1]
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else _CN_NUMBERS[tens - 1]) + "十" + (_CN_NUMBERS[ones - 1] if ones else ""))


def new_document() -> Any:
    """An empty A4 document with 公文 margins and the body style set to 仿宋 三号, black."""
    doc = Document()
    for section in doc.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
        section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    normal = doc.styles["Normal"]
    _font(normal.font, normal.element, BODY_FONT, BODY_SIZE)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(28)
    fmt.space_before = fmt.space_after = Pt(0)
    return doc


def _font(font: Any, element: Any, name: str, size: Any, bold: bool = False) -> None:
    font.name, font.size, font.bold = name, size, bold
    font.color.rgb = BLACK
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    for key in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        fonts.set(qn(key), name)


def run(paragraph: Any, text: str, name: str = BODY_FONT, size: Any = BODY_SIZE, *,
        bold: bool = False, color: RGBColor | None = None, highlight: Any = None) -> Any:
    """A run of ``text`` in ``name`` at ``size`` (black unless a mark needs colour)."""
    r = paragraph.add_run(text)
    _font(r.font, r._element, name, size, bold)
    if color is not None:
        r.font.color.rgb = color
    if highlight is not None:
        r.font.highlight_color = highlight
    return r


def title(doc: Any, text: str) -> Any:
    """The centred title: 宋体 二号."""
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.space_after = Pt(28)
    run(p, text, TITLE_FONT, TITLE_SIZE, bold=True)
    return p


def heading(doc: Any, n: int, text: str) -> Any:
    """A first-level heading: ``一、text`` in 黑体 三号, indented two characters."""
    p = body(doc, "")
    run(p, f"{cn_number(n)}、{text}", HEADING_FONT, BODY_SIZE)
    return p


def subheading(doc: Any, n: int, text: str) -> Any:
    """A second-level item: ``（一）text`` in 楷体 三号."""
    p = body(doc, "")
    run(p, f"（{cn_number(n)}）{text}", SUBHEADING_FONT, BODY_SIZE)
    return p


def body(doc: Any, text: str = "") -> Any:
    """A body paragraph in 仿宋 三号 with a two-character first-line indent."""
    p = doc.add_paragraph()
    p.paragraph_format.first_line_indent = Pt(32)
    if text:
        run(p, text)
    return p


def notes(doc: Any, lines: Iterable[str], head: str = "注释") -> None:
    """The 注释 at the end: a ``注释：`` line, then one line per source, 仿宋 四号."""
    lines = list(lines)
    if not lines:
        return
    p = doc.add_paragraph()
    p.paragraph_format.space_before = Pt(14)
    run(p, f"{head}：", BODY_FONT, NOTE_SIZE, bold=True)
    for line in lines:
        q = doc.add_paragraph()
        q.paragraph_format.line_spacing = Pt(22)
        run(q, line, BODY_FONT, NOTE_SIZE)


def table(doc: Any, headers: list[str], rows: Iterable[list[Any]]) -> Any:
    """A bordered table (Table Grid), header row bold, cells in 仿宋 小四."""
    rows = list(rows)
    t = doc.add_table(rows=1 + len(rows), cols=len(headers))
    t.style = "Table Grid"
    for i, text in enumerate(headers):
        cell = t.rows[0].cells[i]
        cell.paragraphs[0].paragraph_format.first_line_indent = Pt(0)
        run(cell.paragraphs[0], text, BODY_FONT, Pt(12), bold=True)
    for r, row in enumerate(rows, 1):
        for i, value in enumerate(row):
            para = t.rows[r].cells[i].paragraphs[0]
            para.paragraph_format.line_spacing = Pt(18)
            run(para, str(value), BODY_FONT, Pt(12))
    return t


MARK_COLORS = {"contradicted": (RGBColor(0xB9, 0x1C, 0x1C), WD_COLOR_INDEX.PINK),
               "supported": (RGBColor(0x16, 0x65, 0x34), WD_COLOR_INDEX.BRIGHT_GREEN),
               "rounding": (RGBColor(0x85, 0x4D, 0x0E), WD_COLOR_INDEX.YELLOW),
               "unverified": (None, WD_COLOR_INDEX.GRAY_25)}


def save(doc: Any, path: Path) -> Path:
    doc.save(str(path))
    return path


def source_note(n: int, c: Any) -> str:
    """One 注释 line: ``[1]《title》（readable name，2025-11-03）：“quote”``, no offsets."""
    from ui.render import readable_name

    name = readable_name(c.source)
    where = "，".join(x for x in (name, c.date or "") if x)
    return f"[{n}]《{c.title}》" + (f"（{where}）" if where else "") + f"：“{c.quote}”"


def points_docx(result: Any, path: Path) -> Path:
    """The talking points as a 公文: title, 一、 per theme, （一） per point with its note
    numbers, and the sources as 注释 at the end."""
    from points.points_export import number_sources

    doc = new_document()
    title(doc, f"{result.topic}讲话要点")
    sources, refs = number_sources(result)
    themes: dict[str, list[tuple[Any, list[int]]]] = {}
    for p, r in zip(result.points, refs, strict=True):
        themes.setdefault(p.theme, []).append((p, r))
    for i, (theme, items) in enumerate(themes.items(), 1):
        heading(doc, i, theme)
        for j, (p, r) in enumerate(items, 1):
            para = body(doc, "")
            run(para, f"（{cn_number(j)}）", SUBHEADING_FONT)
            run(para, p.text)
            mark = run(para, "〔" + ",".join(map(str, r)) + "〕", BODY_FONT, Pt(12))
            mark.font.superscript = True
    extra = list(result.notes)
    if result.dropped:
        extra.append(f"另有 {result.dropped} 条要点未通过引文核对，已删去。")
    for line in extra:
        body(doc, line)
    notes(doc, [source_note(n, c) for n, c in enumerate(sources, 1)])
    return save(doc, path)


def check_docx(draft: str, report: Any, path: Path) -> Path:
    """The 核稿 report: the summary, the draft with each claim numbered and each figure
    marked (wrong red, right green, close amber), then a table of every claim."""
    from check.check_render import MARKS, summary_line
    from ui.render_tools import CHECK_HEADERS, claim_rows

    doc = new_document()
    title(doc, "核稿报告")
    body(doc, summary_line(report))
    for n in report.notes:
        body(doc, f"注：{n}")
    heading(doc, 1, "文稿（已标注）")
    legend = body(doc, "")
    for status, word in (("contradicted", "不符"), ("supported", "相符"), ("rounding", "相近，请核对"),
                         ("unverified", "资料中找不到")):
        color, light = MARK_COLORS[status]
        run(legend, f" {word} ", BODY_FONT, Pt(12), color=color, highlight=light)
    claims = sorted(report.claims, key=lambda c: c.start)
    number = {id(c): i for i, c in enumerate(claims, 1)}
    for para_text_start, para_text in _paragraphs(draft):
        para = body(doc, "")
        end = para_text_start + len(para_text)
        marks = [(f.start, f.end, f.status, c) for c in claims for f in c.figures
                 if para_text_start <= f.start and f.end <= end]
        ends = {c.end: c for c in claims if para_text_start < c.end <= end}
        cuts = sorted({para_text_start, end, *[m[0] for m in marks], *[m[1] for m in marks], *ends})
        status_at = {m[0]: m[2] for m in marks}
        for a, b in itertools.pairwise(cuts):
            fig = status_at.get(a)
            ink, mark = MARK_COLORS[fig] if fig else (None, None)
            run(para, draft[a:b], color=ink, highlight=mark, bold=fig is not None)
            if b in ends:
                c = ends[b]
                sup = run(para, f"[{number[id(c)]}{MARKS[c.verdict]}]", BODY_FONT, Pt(12))
                sup.font.superscript = True
    heading(doc, 2, "逐条核对")
    table(doc, CHECK_HEADERS, claim_rows(report))
    return save(doc, path)


def _paragraphs(text: str) -> list[tuple[int, str]]:
    out, start = [], 0
    for line in text.split("\n"):
        if line.strip():
            out.append((start, line))
        start += len(line) + 1
    return out
