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
    "资料库还是空的。请到「资料库」页上传文件（.txt、.md、.html、.pdf、.docx、.jsonl）；"
    "导入后即可提问。"
)
EMPTY_LIBRARY_HERE = ("资料库还是空的。请在下方「上传文件」处选择文件，再点「导入所选文件」；"
                      "导入后即可在「问答」页提问。")
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
                f'<div class="zw-abstain-hint">{esc(NOT_ZERO)}</div></div>{notes}{answer_tools(record)}')
    known = {c["n"] for c in record["cites"]}
    return _markers(md_text(record["answer"]), record["turn"], known) + notes + answer_tools(record)


def answer_tools(record: dict[str, Any]) -> str:
    """The copy button under an answer, and the text it copies (the answer with its cited
    sources) hidden beside it: the chat's sanitizer drops data- attributes."""
    text = md_text(copy_text(record)).replace("\n", "&#10;")
    return (f'<div class="zw-answer-tools"><button type="button" class="zw-copy-answer" '
            f'title="复制答案和出处，可直接粘贴到文稿">复制</button>'
            f'<span class="zw-copy-src">{text}</span></div>')


DRAFT_LABEL = "草稿，未经核对 · 正在核对…"


PENDING_LABEL = "正在检索…"


def pending_markdown(label: str = PENDING_LABEL) -> str:
    """The answer bubble between Enter and the first text: says that work is under way."""
    return f'<div class="zw-pending" role="status"><span class="zw-spinner"></span>{esc(label)}</div>'


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


def readable_name(source: str) -> str:
    """The file name a person recognises: ``uploads/老旧小区改造进展-20261201-233422-541b8861.txt``
    → ``老旧小区改造进展.txt``; ``""`` for a machine name such as ``000_3eb5a6fcadb296c6.txt``."""
    name = source.split("#", 1)[0].rsplit("/", 1)[-1]
    name = _GENERATED.sub("", name)
    stem = name.rsplit(".", 1)[0]
    return "" if _HASHED.fullmatch(stem) else name


_GENERATED = re.compile(r"-\d{8}-\d{6}-[0-9a-f]{8}(?=\.[^.]+$|$)")
_HASHED = re.compile(r"\d*_?[0-9a-f]{12,}")
READER_MAX_CHARS = 60_000  # longer documents travel to the reader as a window round the quotes


def display_text(text: str, script: str) -> str:
    """``text`` in the display script (see :func:`qa.render.to_display`)."""
    if script != "simplified" or not text:
        return text
    from qa.render import to_display

    return to_display(text, script)


def cited_numbers(answer_text: str) -> set[int]:
    """The citation numbers that the answer text actually uses (``[1]``, ``[2]`` …)."""
    return {int(n) for n in re.findall(r"\[(\d+)\]", answer_text)}


def citation_view(c: Citation, doc_text: str) -> dict[str, Any]:
    """A citation with its surrounding paragraph, as plain data for the session state."""
    before, after = paragraph_around(doc_text, c.start, c.end)
    return {**c.to_dict(), "before": before, "after": after}


def _doc_view(doc_id: str, text: str, cites: list[dict[str, Any]], script: str,
              info: dict[str, Any] | None) -> dict[str, Any]:
    """What the reader view needs of one document: its text (or a window round the quotes
    when it is long), that text in the display script, and its title, date and name."""
    offset, partial = 0, False
    if len(text) > READER_MAX_CHARS:
        lo = min(c["start"] for c in cites)
        hi = max(c["end"] for c in cites)
        half = max(0, (READER_MAX_CHARS - (hi - lo)) // 2)
        offset, text, partial = max(0, lo - half), text[max(0, lo - half): hi + half], True
    shown = display_text(text, script)
    info = info or {}
    return {"doc_id": doc_id, "text": text, "offset": offset, "partial": partial,
            # the display form is offered only when it keeps every offset in place
            "display": shown if shown != text and len(shown) == len(text) else None,
            "title": info.get("title") or (cites[0]["title"] if cites else ""),
            "date": info.get("date", cites[0]["date"] if cites else None),
            "name": readable_name(cites[0]["source"]) if cites else ""}


def turn_record(turn: int, answer: Answer, query: str, doc_text: dict[str, str],
                script: str = "original", doc_info: dict[str, dict[str, Any]] | None = None
                ) -> dict[str, Any]:
    """One chat turn as plain data: what the chat, the sources panel and follow-ups need.

    ``script`` is the display script of quotes (``simplified`` converts, verbatim stays one
    click away); ``doc_info`` may give a document's title and (corrected) date by id."""
    cites = [citation_view(c, doc_text[c.doc_id]) for c in answer.citations]
    used = cited_numbers(answer.answer) | {x.citation.n for x in answer.conflicts}
    for c in cites:
        c["cited"] = c["n"] in used
        if doc_info and c["doc_id"] in doc_info and "date" in doc_info[c["doc_id"]]:
            c["date"] = doc_info[c["doc_id"]]["date"]
    by_doc: dict[str, list[dict[str, Any]]] = {}
    for c in cites:
        by_doc.setdefault(c["doc_id"], []).append(c)
    return {
        "turn": turn,
        "question": answer.question,
        "answer": answer.answer,
        "query": query,
        "abstained": answer.abstained,
        "mode": answer.mode,
        "notes": list(answer.notes),
        "script": script,
        "cites": cites,
        "docs": {d: _doc_view(d, doc_text[d], cs, script, (doc_info or {}).get(d))
                 for d, cs in by_doc.items()},
    }


def chat_messages(turns: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    """The chatbot's messages for the finished turns."""
    out: list[dict[str, str]] = []
    for t in turns:
        out.append({"role": "user", "content": md_text(t["question"])})
        out.append({"role": "assistant", "content": answer_markdown(t)})
    return out


def merge_passages(cites: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Citations grouped into cards: those of one document whose shown paragraphs overlap
    (or touch) share a card, so the same paragraph is never shown twice."""
    groups: list[list[dict[str, Any]]] = []
    spans: list[tuple[str, int, int]] = []
    for c in sorted(cites, key=lambda c: (c["doc_id"], c["start"])):
        lo = c["start"] - len(c["before"].lstrip("…"))
        hi = c["end"] + len(c["after"].rstrip("…"))
        if spans and spans[-1][0] == c["doc_id"] and lo <= spans[-1][2]:
            groups[-1].append(c)
            spans[-1] = (c["doc_id"], spans[-1][1], max(hi, spans[-1][2]))
        else:
            groups.append([c])
            spans.append((c["doc_id"], lo, hi))
    groups.sort(key=lambda g: min(c["n"] for c in g))
    return groups


def _passage(turn: int, group: list[dict[str, Any]], text: str, offset: int, script: str) -> tuple[str, str]:
    """The card paragraph of a group, verbatim and in the display script, quotes marked."""
    first, last = group[0], max(group, key=lambda c: c["end"])
    lo = first["start"] - len(first["before"].lstrip("…"))
    hi = last["end"] + len(last["after"].rstrip("…"))
    pieces: list[tuple[str, dict[str, Any] | None, list[str]]] = []
    pos = lo
    marks: list[tuple[int, int, list[str]]] = []
    for c in group:  # overlapping quotes become one mark naming every citation
        cid = cite_id(turn, c["n"])
        if marks and c["start"] < marks[-1][1]:
            s, e, ids = marks[-1]
            marks[-1] = (s, max(e, c["end"]), [*ids, cid])
        else:
            marks.append((c["start"], c["end"], [cid]))
    for s, e, ids in marks:
        pieces.append((text[pos - offset: s - offset], None, []))
        pieces.append((text[s - offset: e - offset], {"start": s, "end": e}, ids))
        pos = e
    pieces.append((text[pos - offset: hi - offset], None, []))
    lead = "…" if first["before"].startswith("…") else ""
    tail = "…" if last["after"].endswith("…") else ""

    def render(convert: bool) -> str:
        out = []
        for chunk, span, ids in pieces:
            shown = esc(display_text(chunk, script) if convert else chunk)
            if span is None:
                out.append(shown)
            else:
                out.append(f'<mark data-cite="{ids[0]}" data-cites="{" ".join(ids)}" '
                           f'data-start="{span["start"]}" data-end="{span["end"]}">{shown}</mark>')
        return lead + "".join(out) + tail

    return render(False), render(True)


def _cite_card(t: dict[str, Any], group: list[dict[str, Any]]) -> str:
    turn = t["turn"]
    doc = t["docs"][group[0]["doc_id"]]
    script = t.get("script", "original")
    text = doc["text"]
    verbatim, shown = _passage(turn, group, text, doc["offset"], script)
    numbers = "".join(f'<span class="zw-n">[{c["n"]}]</span>' for c in sorted(group, key=lambda c: c["n"]))
    anchors = "".join(f'<span class="zw-anchor" id="{cite_id(turn, c["n"])}"></span>'
                      for c in sorted(group, key=lambda c: c["n"]))
    meta = " · ".join(x for x in (doc["date"] or "日期不详", doc["name"]) if x)
    title = display_text(doc["title"], script)
    if shown != verbatim:
        para = (f'<p class="zw-para zw-q-display">{shown}</p>'
                f'<p class="zw-para zw-q-verbatim">{verbatim}</p>')
    else:
        para = f'<p class="zw-para">{verbatim}</p>'
    return (
        f'<div class="zw-cite" data-doc="{esc(doc["doc_id"])}" data-title="{esc(title)}" '
        f'title="点击打开全文">{anchors}'
        f'<div class="zw-cite-head">{numbers} {esc(title)}</div>'
        f'<div class="zw-meta">{esc(meta)}</div>{para}'
        '<button type="button" class="zw-open">查看全文</button></div>'
    )


def _doc_blocks(turns: list[dict[str, Any]]) -> str:
    """The hidden full texts that the reader view opens, one per document."""
    seen: dict[str, dict[str, Any]] = {}
    for t in turns:
        for d, doc in t.get("docs", {}).items():
            seen.setdefault(d, doc)
    out = []
    for d, doc in seen.items():
        attrs = f' data-offset="{doc["offset"]}"' if doc["offset"] else ""
        if doc["partial"]:
            attrs += ' data-partial=""'
        if doc["display"] is not None:
            attrs += f' data-display="{esc(doc["display"])}"'
        out.append(f'<div class="zw-doc-text" hidden data-doc="{esc(d)}"{attrs}>{esc(doc["text"])}</div>')
    return "".join(out)


SCRIPT_BAR = (
    '<div class="zw-script-bar"><span class="zw-script-state zw-q-display">引文已转为简体显示'
    '（原文为繁体）</span><span class="zw-script-state zw-q-verbatim">引文按原文显示（繁体）</span>'
    '<button type="button" class="zw-script-toggle"><span class="zw-q-display">显示原文</span>'
    '<span class="zw-q-verbatim">显示简体</span></button></div>'
)


def sources_html(turns: list[dict[str, Any]], empty_library: bool = False) -> str:
    """The sources panel, newest turn first: the passages each answer cites, merged where
    they overlap; the other retrieved passages behind a 其他相关段落 fold."""
    if empty_library:
        return f'<div class="zw-sources"><div class="zw-empty">{esc(EMPTY_LIBRARY)}</div></div>'
    if not turns:
        return ('<div class="zw-sources"><div class="zw-empty">提问后，这里列出答案引用的原文；'
                "点答案里的编号（如 [1]）可跳到对应出处，点出处可打开全文。</div></div>")
    parts = []
    converted = False
    for t in reversed(turns):
        head = f'<div class="zw-q">第 {t["turn"]} 问：{esc(t["question"])}</div>'
        if t["abstained"]:
            body = f'<div class="zw-abstain">未找到答案。{esc(NOT_ZERO)}</div>'
        else:
            used = [c for c in t["cites"] if c.get("cited", True)]
            other = [c for c in t["cites"] if not c.get("cited", True)]
            cards = [_cite_card(t, g) for g in merge_passages(used)]
            body = "".join(cards)
            if other:
                more = "".join(_cite_card(t, g) for g in merge_passages(other))
                body += (f'<details class="zw-more"><summary>其他相关段落（{len(other)}，答案未引用）'
                         f"</summary>{more}</details>")
            converted = converted or any("zw-q-display" in c for c in cards) or "zw-q-display" in body
        parts.append(f'<div class="zw-turn" id="zw-turn-{t["turn"]}">{head}{body}</div>')
    bar = SCRIPT_BAR if converted else ""
    return f'<div class="zw-sources">{bar}{"".join(parts)}{_doc_blocks(turns)}</div>'


def copy_text(record: dict[str, Any] | None) -> str:
    """An answer followed by the sources it cites, ready to paste into a draft. Quotes are
    in the same script as the answer, and the text says so when they were converted."""
    if record is None:
        return ""
    lines = [record["answer"]]
    if record["abstained"]:
        lines.append("（资料中未找到答案，不表示数值为零。）")
    cites = [c for c in record["cites"] if c.get("cited", True)]
    script = record.get("script", "original")
    if cites:
        lines += ["", "出处："]
    converted = False
    for c in cites:
        date = f"，{c['date']}" if c["date"] else ""
        name = readable_name(c["source"]) or c["source"]
        quote = display_text(c["quote"], script)
        converted = converted or quote != c["quote"]
        lines.append(f"[{c['n']}] {display_text(c['title'], script)}（{name}{date}）：「{quote}」")
    if converted:
        lines.append("（引文已由繁体转为简体，原文字形见知问出处栏。）")
    return "\n".join(lines)


LIBRARY_HEADERS = ["标题", "发布日期", "日期来源", "文件", "分块数", "导入时间"]


def library_rows(docs: Iterable[Any]) -> list[list[Any]]:
    """Rows of the document table (title, date, where the date came from, readable file
    name, chunks, ingested), newest first."""
    rows = [[d.title, d.date or "未识别", d.meta.get("date_from", "") if d.date else "",
             readable_name(d.source) or d.source, d.n_chunks, d.ingested_at.replace("T", " ")]
            for d in docs]
    rows.sort(key=lambda r: (r[5], r[3]), reverse=True)
    return rows


def doc_choices(docs: Iterable[Any]) -> list[tuple[str, str]]:
    """``(label, doc_id)`` of each document for a picker: title, readable name and date."""
    out = []
    for d in docs:
        name = readable_name(d.source)
        label = d.title + (f"（{name}）" if name and name not in d.title else "")
        out.append((f"{label} · {d.date or '日期未识别'}", d.doc_id))
    return sorted(out)
