"""HTML and table rows for the 核稿 (fact-check) and 讲话要点 (talking points) tabs.

As in :mod:`ui.render`, all draft and document text is escaped; only tags written here
are markup.
"""

from __future__ import annotations

from typing import Any

from check.check import CheckReport
from check.check_render import LABELS, MARKS, summary_line
from points.points import PointsResult
from points.points_export import number_sources
from ui.render import esc

CHECK_HEADERS = ["#", "陈述", "结论", "稿件数值 → 资料数值", "依据"]


def legend_html() -> str:
    """The colour key of the verdicts."""
    items = "".join(f'<span class="zw-v zw-v-{v}">{MARKS[v]} {LABELS[v]}</span>' for v in LABELS)
    return f'<div class="zw-legend">{items}</div>'


def claims_html(draft: str, report: CheckReport) -> str:
    """The draft with each claim coloured by its verdict and numbered like the table."""
    if not report.claims:
        return '<div class="zw-empty">文稿中没有可核对的陈述（没有带事实的句子）。</div>'
    parts, pos = [], 0
    for i, c in enumerate(sorted(report.claims, key=lambda c: c.start), 1):
        if c.start < pos:  # overlapping claims: colour the first only
            continue
        parts.append(esc(draft[pos : c.start]))
        parts.append(f'<span class="zw-v zw-v-{c.verdict}" title="{esc(LABELS[c.verdict])}">'
                     f"{esc(draft[c.start : c.end])}<sup>{i}</sup></span>")
        pos = c.end
    parts.append(esc(draft[pos:]))
    summary = esc(summary_line(report))
    notes = "".join(f'<div class="zw-note">{esc(n)}</div>' for n in report.notes)
    return (f'<div class="zw-q">{summary}</div>{legend_html()}{notes}'
            f'<div class="zw-claims" id="zw-claims">{"".join(parts)}</div>')


def claim_rows(report: CheckReport) -> list[list[Any]]:
    """One table row per claim: number, claim, verdict, claim value → source value, evidence."""
    rows = []
    for i, c in enumerate(sorted(report.claims, key=lambda c: c.start), 1):
        values = "；".join(f"{m.claim_value} → {m.source_value}" for m in c.mismatches)
        if c.note:
            values = f"{values}（{c.note}）" if values else c.note
        evidence = "\n".join(f"[{e.n}] {e.source}：「{e.quote}」" for e in c.evidence)
        rows.append([i, c.claim, f"{MARKS[c.verdict]} {LABELS[c.verdict]}", values or "—",
                     evidence or "资料中没有找到相关内容"])
    return rows


def points_html(result: PointsResult) -> str:
    """Bullets under theme headings, each ending with its source numbers; then the sources."""
    if not result.points:
        notes = "".join(esc(n) for n in result.notes) or "资料中没有与这个题目相关的要点。"
        return f'<div class="zw-empty">{notes}</div>'
    sources, refs = number_sources(result)
    themes: dict[str, list[str]] = {}
    for p, r in zip(result.points, refs, strict=True):
        ref = "".join(f'<span class="zw-n">[{n}]</span>' for n in r)
        themes.setdefault(p.theme, []).append(f"<li>{esc(p.text)}{ref}</li>")
    body = "".join(f"<h4>{esc(t)}</h4><ul>{''.join(items)}</ul>" for t, items in themes.items())
    listed = "".join(
        f'<li><span class="zw-src">[{n}] {esc(c.title)}（{esc(c.source)}，字符 {c.start}–{c.end}）</span>'
        f"<br><mark>{esc(c.quote)}</mark></li>" for n, c in enumerate(sources, 1))
    footer = "".join(f'<div class="zw-note">{esc(n)}</div>' for n in result.notes)
    if result.dropped:
        footer += f'<div class="zw-note">另有 {result.dropped} 条要点未通过引文核对，已删去。</div>'
    return (f'<div class="zw-points" id="zw-points-out"><div class="zw-q">讲话要点：{esc(result.topic)}</div>'
            f'{body}<h4>资料来源</h4><ul class="zw-sources-list">{listed}</ul>{footer}</div>')
