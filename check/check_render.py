"""Presenting a fact-check: a terminal report and a Markdown report a person can attach
to the draft. (The JSON form is :meth:`check.check.CheckReport.to_dict`.)"""

from __future__ import annotations

from check.check import CheckReport
from zhiwen.records import ClaimCheck

MARKS = {"supported": "✓", "contradicted": "✗", "needs_review": "！", "not_found": "？"}
LABELS = {"supported": "相符", "contradicted": "不符", "needs_review": "需人工判断",
          "not_found": "资料未提及"}  # fmt: skip


def summary_line(report: CheckReport) -> str:
    """``共 5 条陈述：✓ 相符 2 · ✗ 不符 1 · ！ 需人工判断 1 · ？ 资料未提及 1``."""
    counts = report.counts()
    parts = [f"{MARKS[v]} {LABELS[v]} {n}" for v, n in counts.items()]
    return f"共 {len(report.claims)} 条陈述：" + " · ".join(parts)


def _mismatches(c: ClaimCheck) -> list[str]:
    word = "相近" if c.verdict == "needs_review" else "不符"
    return [f"{word}：稿件 {m.claim_value} ≠ 资料 {m.source_value}" for m in c.mismatches]


def render_terminal(report: CheckReport) -> str:
    """Each claim with its verdict mark, its offsets in the draft, what differs and the
    evidence quotes; a summary line first."""
    if not report.claims:
        return "文稿中没有可核对的陈述。"
    lines = ["核稿结果：" + summary_line(report), *[f"注：{n}" for n in report.notes], ""]
    for i, c in enumerate(report.claims, 1):
        lines.append(f"{MARKS[c.verdict]} [{i}] {c.claim}（{LABELS[c.verdict]}；第 {c.start}–{c.end} 字）")
        lines += [f"    {m}" for m in _mismatches(c)]
        if c.note:
            lines.append(f"    说明：{c.note}")
        for e in c.evidence:
            lines.append(f"    依据 [{e.n}] {e.source}（字符 {e.start}–{e.end}）「{e.quote}」")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: CheckReport, title: str = "核稿报告") -> str:
    """A Markdown report: the summary, a table of every claim, then the details (what
    differs and the evidence quotes) of each claim that is not simply supported."""
    out = [f"# {title}", "", summary_line(report), "", *[f"> 注：{n}\n" for n in report.notes]]
    if not report.claims:
        return "\n".join([*out, "文稿中没有可核对的陈述。", ""])
    out += ["| # | 结论 | 陈述 | 位置 | 不符之处 |", "|---|---|---|---|---|"]
    for i, c in enumerate(report.claims, 1):
        diff = "；".join(f"{m.claim_value} ≠ {m.source_value}" for m in c.mismatches)
        out.append(f"| {i} | {MARKS[c.verdict]} {LABELS[c.verdict]} | {_md_cell(c.claim)} "
                   f"| {c.start}–{c.end} | {_md_cell(diff)} |")
    out += ["", "## 依据", ""]
    for i, c in enumerate(report.claims, 1):
        out.append(f"### {i}. {MARKS[c.verdict]} {LABELS[c.verdict]}：{c.claim}")
        out.append("")
        out += [f"- {m}" for m in _mismatches(c)]
        if c.note:
            out.append(f"- 说明：{c.note}")
        for e in c.evidence:
            out.append(f"- 依据 [{e.n}] `{e.source}`（字符 {e.start}–{e.end}）：")
            out.append(f"  > {e.quote}")
        if not c.evidence and c.verdict == "not_found":
            out.append("- 资料中没有找到相关内容。")
        out.append("")
    return "\n".join(out)
