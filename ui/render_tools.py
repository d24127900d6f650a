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
from ui.render import esc, readable_name
from zhiwen.records import ClaimCheck, FigureMark

CHECK_HEADERS = ["#", "陈述", "结论", "数值核对", "依据"]


def legend_html() -> str:
    """The colour key of the verdicts."""
    items = "".join(f'<span class="zw-v zw-v-{v}">{MARKS[v]} {LABELS[v]}</span>' for v in LABELS)
    return f'<div class="zw-legend">{items}</div>'


FIGURE_WORDS = {"supported": "与资料相符", "contradicted": "与资料不符", "rounding": "与资料相近但不相同",
                "unverified": "资料中找不到"}


def _figure_title(f: FigureMark) -> str:
    said = FIGURE_WORDS.get(f.status, "")
    return f"{said}（资料：{f.source_value}）" if f.source_value and f.status != "supported" else said


def _claim_inner(draft: str, c: ClaimCheck) -> str:
    """The claim's text with each of its figures marked on its own (the wrong one red,
    the right one green, a close one amber)."""
    out, pos = [], c.start
    for f in sorted(c.figures, key=lambda f: f.start):
        if f.start < pos or f.end > c.end:
            continue
        out.append(esc(draft[pos : f.start]))
        out.append(f'<span class="zw-fig zw-fig-{f.status}" title="{esc(_figure_title(f))}">'
                   f"{esc(draft[f.start : f.end])}</span>")
        pos = f.end
    out.append(esc(draft[pos : c.end]))
    return "".join(out)


def claims_html(draft: str, report: CheckReport) -> str:
    """The draft with each claim coloured by its verdict and numbered like the table,
    and within it each figure marked by its own outcome."""
    if not report.claims:
        return '<div class="zw-empty">文稿中没有可核对的陈述（没有带事实的句子）。</div>'
    parts, pos = [], 0
    for i, c in enumerate(sorted(report.claims, key=lambda c: c.start), 1):
        if c.start < pos:  # overlapping claims: colour the first only
            continue
        parts.append(esc(draft[pos : c.start]))
        parts.append(f'<span class="zw-v zw-v-{c.verdict}" title="{esc(LABELS[c.verdict])}">'
                     f"{_claim_inner(draft, c)}<sup>{i}</sup></span>")
        pos = c.end
    parts.append(esc(draft[pos:]))
    summary = esc(summary_line(report))
    notes = "".join(f'<div class="zw-note">{esc(n)}</div>' for n in report.notes)
    return (f'<div class="zw-q">{summary}</div>{legend_html()}{notes}'
            f'<div class="zw-claims" id="zw-claims">{"".join(parts)}</div>')


def values_text(c: ClaimCheck) -> str:
    """What differs, in words that do not contradict the verdict: a close figure is
    "与资料相近但不相同（资料：约193万元），请核对", a wrong one "稿件 X，资料为 Y"."""
    close = {f.source_value for f in c.figures if f.status == "rounding"}
    parts = []
    for m in c.mismatches:
        if c.verdict == "needs_review" and (m.source_value in close or not close):
            parts.append(f"{m.claim_value} 与资料相近但不相同（资料：{m.source_value}），请核对")
        else:
            parts.append(f"稿件 {m.claim_value}，资料为 {m.source_value}")
    values = "；".join(parts)
    note = c.note if not (c.mismatches and "相近" in c.note) else ""  # said above already
    if note:
        values = f"{values}（{note}）" if values else note
    return values or "—"


def evidence_text(c: ClaimCheck) -> str:
    """The quotes a verdict rests on, named readably; none for a claim the library does
    not mention (an unrelated quote would suggest otherwise)."""
    if c.verdict == "not_found" or not c.evidence:
        return "资料未提及"
    return "\n".join(f"[{e.n}] {readable_name(e.source) or e.title}：「{e.quote}」" for e in c.evidence)


def claim_rows(report: CheckReport) -> list[list[Any]]:
    """One table row per claim: number, claim, verdict, what differs, evidence."""
    return [[i, c.claim, f"{MARKS[c.verdict]} {LABELS[c.verdict]}", values_text(c), evidence_text(c)]
            for i, c in enumerate(sorted(report.claims, key=lambda c: c.start), 1)]


def _source_label(c: Any) -> str:
    """A source as people read it: title, readable file name and date; no offsets, no
    machine names (the same as the chat's source cards and the 公文's 注释)."""
    where = "，".join(x for x in (readable_name(c.source), c.date or "") if x)
    return c.title + (f"（{where}）" if where else "")


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
        f'<li><span class="zw-src">[{n}] {esc(_source_label(c))}</span>'
        f"<br><mark>{esc(c.quote)}</mark></li>" for n, c in enumerate(sources, 1))
    footer = "".join(f'<div class="zw-note">{esc(n)}</div>' for n in result.notes)
    if result.dropped:
        footer += f'<div class="zw-note">另有 {result.dropped} 条要点未通过引文核对，已删去。</div>'
    return (f'<div class="zw-points" id="zw-points-out"><div class="zw-q">讲话要点：{esc(result.topic)}</div>'
            f'{body}<h4>资料来源</h4><ul class="zw-sources-list">{listed}</ul>{footer}</div>')
