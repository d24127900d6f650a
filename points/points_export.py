"""Presenting talking points: terminal text, Markdown, and a Word document (python-docx)
with the bullets under theme headings and a numbered source list.

Sources are numbered once for the whole document, in order of first use; a bullet ends
with the numbers of its citations (``［1,2］``).
"""

from __future__ import annotations

from pathlib import Path

from points.points import PointsResult, TalkingPoint
from zhiwen.errors import InputError
from zhiwen.records import Citation

_EAST_ASIA_FONT = "宋体"


def number_sources(result: PointsResult) -> tuple[list[Citation], list[list[int]]]:
    """The distinct cited spans (numbered from 1 in order of first use) and, for each
    point, the numbers of its citations."""
    index: dict[tuple[str, int, int], int] = {}
    sources: list[Citation] = []
    refs: list[list[int]] = []
    for p in result.points:
        mine = []
        for c in p.citations:
            key = (c.doc_id, c.start, c.end)
            if key not in index:
                sources.append(c)
                index[key] = len(sources)
            mine.append(index[key])
        refs.append(mine)
    return sources, refs


def _ref(numbers: list[int]) -> str:
    return "［" + ",".join(map(str, numbers)) + "］"


def _source_line(n: int, c: Citation) -> str:
    date = f"，{c.date}" if c.date else ""
    return f"[{n}] {c.title}（{c.source}，字符 {c.start}–{c.end}{date}）：「{c.quote}」"


def _grouped(result: PointsResult, refs: list[list[int]]) -> dict[str, list[tuple[TalkingPoint, list[int]]]]:
    out: dict[str, list[tuple[TalkingPoint, list[int]]]] = {}
    for p, r in zip(result.points, refs, strict=True):
        out.setdefault(p.theme, []).append((p, r))
    return out


def _footer(result: PointsResult) -> list[str]:
    lines = list(result.notes)
    if result.dropped:
        lines.append(f"另有 {result.dropped} 条要点未通过引文核对，已删去。")
    return lines


def render_terminal(result: PointsResult) -> str:
    """Themes, bullets with source numbers, then the numbered sources with their quotes."""
    sources, refs = number_sources(result)
    lines = [f"讲话要点：{result.topic}", ""]
    for theme, items in _grouped(result, refs).items():
        lines.append(f"【{theme}】")
        lines += [f"  • {p.text}{_ref(r)}" for p, r in items]
        lines.append("")
    if sources:
        lines.append("资料来源：")
        lines += [_source_line(n, c) for n, c in enumerate(sources, 1)]
    lines += _footer(result)
    return "\n".join(lines).rstrip() + "\n"


def render_markdown(result: PointsResult) -> str:
    """A Markdown document: ``##`` per theme, bullets, and a source list at the end."""
    sources, refs = number_sources(result)
    out = [f"# 讲话要点：{result.topic}", ""]
    for theme, items in _grouped(result, refs).items():
        out += [f"## {theme}", ""]
        out += [f"- {p.text}{_ref(r)}" for p, r in items]
        out.append("")
    if sources:
        out += ["## 资料来源", ""]
        out += [f"{n}. {_source_line(n, c)[len(f'[{n}] '):]}" for n, c in enumerate(sources, 1)]
        out.append("")
    out += [f"> {line}" for line in _footer(result)]
    return "\n".join(out).rstrip() + "\n"


def write_docx(result: PointsResult, path: Path) -> None:
    """Save the points as a Word document at ``path``.

    Raises:
        InputError: the file cannot be written (missing folder, no permission …).
    """
    import docx
    from docx.oxml.ns import qn
    from docx.shared import Pt

    sources, refs = number_sources(result)
    document = docx.Document()
    normal = document.styles["Normal"]
    normal.font.size = Pt(12)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), _EAST_ASIA_FONT)
    document.core_properties.title = f"讲话要点：{result.topic}"
    document.add_heading(f"讲话要点：{result.topic}", level=1)
    for theme, items in _grouped(result, refs).items():
        document.add_heading(theme, level=2)
        for p, r in items:
            para = document.add_paragraph(style="List Bullet")
            para.add_run(p.text)
            para.add_run(_ref(r)).font.superscript = True
    if sources:
        document.add_heading("资料来源", level=2)
        for n, c in enumerate(sources, 1):
            document.add_paragraph(_source_line(n, c))
    for line in _footer(result):
        document.add_paragraph(line)
    try:
        document.save(str(path))
    except OSError as exc:
        reason = "权限不足" if isinstance(exc, PermissionError) else (exc.strerror or str(exc))
        raise InputError(str(path), f"无法写入 Word 文件：{reason}") from exc
