"""HTML and Markdown for answers, citations and the document list.

Every piece of document or user text goes through :func:`esc` (HTML) or :func:`md_text`
(chat Markdown) before it reaches the page, so a document that contains ``<script>``,
``<svg onload=…>`` or Markdown links shows as plain text. Only the tags written here are
real markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

from zhiwen.records import Answer, Citation

CONTEXT_CHARS = 120  # characters of the paragraph shown on each side of a quote
EMPTY_LIBRARY = (
    "资料库还是空的。请到「资料库」页上传文件（.txt、.md、.html、.pdf、.docx、.jsonl），"
    "或把文件放进 docs/ 文件夹后运行 make run。"
)
NOT_ZERO = "资料里没有找到依据——这表示“没有找到”，不表示数值为零。"

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def esc(text: str) -> str:
    """``text`` safe to place inside HTML elements and attribute values."""
    return html.escape(text, quote=True)


def md_text(text: str) -> str:
    """``text`` as literal chat Markdown: HTML escaped and Markdown punctuation backslashed."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def cite_id(turn: int, n: int) -> str:
    """The element id of citation ``n`` of chat turn ``turn`` in the sources panel."""
    return f"zw-cite-{turn}-{n}"


def _markers(escaped: str, turn: int, known: set[int]) -> str:
    """Turn the escaped ``\\[n\\]`` markers of known citations into links to the sources."""

    def link(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if n not in known:
            return m.group(0)
        return f'<a class="zw-marker" href="#{cite_id(turn, n)}" title="查看出处 {n}">[{n}]</a>'

    return re.sub(r"\\\[(\d+)\\\]", link, escaped)


def answer_markdown(record: dict[str, Any]) -> str:
    """The chat message of one finished turn (see :func:`turn_record`)."""
    notes = "".join(f'<div class="zw-note">{esc(n if n.startswith("注") else "注：" + n)}</div>'
                    for n in record["notes"])
    if record.get("query") and record["query"] != record["question"]:  # a follow-up, read in context
        notes = f'<div class="zw-note">{esc("按上文理解为：" + record["query"])}</div>' + notes
    if record["abstained"]:
        return (f'<div class="zw-abstain"><strong>未找到</strong>　{md_text(record["answer"])}'
                f'<div class="zw-abstain-hint">{esc(NOT_ZERO)}</div></div>{notes}')
    known = {c["n"] for c in record["cites"]}
    return _markers(md_text(record["answer"]), record["turn"], known) + notes


DRAFT_LABEL = "草稿，未经核对 · 正在核对…"


def streaming_markdown(text: str) -> str:
    """A partial answer while it streams in: visibly a draft (greyed, labelled 正在核对…),
    since the model's text is checked against the sources only once it is complete;
    markers stay plain until then."""
    return (f'<div class="zw-draft"><div class="zw-draft-label">{esc(DRAFT_LABEL)}</div>'
            f'{md_text(text)}<span class="zw-typing">▍</span></div>')


def paragraph_around(text: str, start: int, end: int, width: int = CONTEXT_CHARS) -> tuple[str, str]:
    """The text before and after ``text[start:end]`` within its paragraph, trimmed to ``width``."""
    para_start = text.rfind("\n", 0, start) + 1
    para_end = text.find("\n", end)
    para_end = len(text) if para_end < 0 else para_end
    before = text[max(para_start, start - width) : start]
    after = text[end : min(para_end, end + width)]
    if start - width > para_start:
        before = "…" + before
    if end + width < para_end:
        after += "…"
    return before, after


def citation_view(c: Citation, doc_text: str) -> dict[str, Any]:
    """A citation with its surrounding paragraph, as plain data for the session state."""
    before, after = paragraph_around(doc_text, c.start, c.end)
    return {**c.to_dict(), "before": before, "after": after}


def turn_record(turn: int, answer: Answer, query: str, doc_text: dict[str, str]) -> dict[str, Any]:
    """One chat turn as plain data: what the chat, the sources panel and follow-ups need."""
    return {
        "turn": turn,
        "question": answer.question,
        "answer": answer.answer,
        "query": query,
        "abstained": answer.abstained,
        "mode": answer.mode,
        "notes": list(answer.notes),
        "cites": [citation_view(c, doc_text[c.doc_id]) for c in answer.citations],
    }


def chat_messages(turns: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    """The chatbot's messages for the finished turns."""
    out: list[dict[str, str]] = []
    for t in turns:
        out.append({"role": "user", "content": md_text(t["question"])})
        out.append({"role": "assistant", "content": answer_markdown(t)})
    return out


def _cite_card(turn: int, c: dict[str, Any]) -> str:
    meta = " · ".join(x for x in (c["date"] or "日期不详", c["source"], f"字符 {c['start']}–{c['end']}"))
    return (
        f'<div class="zw-cite" id="{cite_id(turn, c["n"])}">'
        f'<div class="zw-cite-head"><span class="zw-n">[{c["n"]}]</span> {esc(c["title"])}</div>'
        f'<div class="zw-meta">{esc(meta)}</div>'
        f'<p class="zw-para">{esc(c["before"])}<mark>{esc(c["quote"])}</mark>{esc(c["after"])}</p>'
        "</div>"
    )


def sources_html(turns: list[dict[str, Any]], empty_library: bool = False) -> str:
    """The sources panel: every turn's citations, newest turn first."""
    if empty_library:
        return f'<div class="zw-sources"><div class="zw-empty">{esc(EMPTY_LIBRARY)}</div></div>'
    if not turns:
        return ('<div class="zw-sources"><div class="zw-empty">提问后，这里列出答案引用的原文；'
                "点答案里的编号（如 [1]）可跳到对应出处。</div></div>")
    parts = []
    for t in reversed(turns):
        head = f'<div class="zw-q">第 {t["turn"]} 问：{esc(t["question"])}</div>'
        if t["abstained"]:
            body = f'<div class="zw-abstain">未找到答案。{esc(NOT_ZERO)}</div>'
        else:
            body = "".join(_cite_card(t["turn"], c) for c in t["cites"])
        parts.append(f'<div class="zw-turn" id="zw-turn-{t["turn"]}">{head}{body}</div>')
    return '<div class="zw-sources">' + "".join(parts) + "</div>"


def copy_text(record: dict[str, Any] | None) -> str:
    """The last answer followed by its numbered sources, ready to paste into a draft."""
    if record is None:
        return ""
    lines = [record["answer"]]
    if record["abstained"]:
        lines.append("（资料中未找到答案，不表示数值为零。）")
    if record["cites"]:
        lines += ["", "出处："]
    for c in record["cites"]:
        date = f"，{c['date']}" if c["date"] else ""
        lines.append(f"[{c['n']}] {c['title']}（{c['source']}{date}）：「{c['quote']}」")
    return "\n".join(lines)


def library_rows(docs: Iterable[Any]) -> list[list[Any]]:
    """Rows of the document table (title, date, source, chunks, ingested), newest first."""
    rows = [[d.title, d.date or "", d.source, d.n_chunks, d.ingested_at.replace("T", " ")] for d in docs]
    rows.sort(key=lambda r: (r[4], r[2]), reverse=True)
    return rows
