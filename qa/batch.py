"""Batch asking: many questions from a file, one engine, one answer per line.

Input is JSON Lines (``{"question": ..., "id": ...}``; ``id`` optional and echoed back) or
plain text with one question per line. In a ``.jsonl`` file every line must be a JSON
object; elsewhere a line starting with ``{`` is read as JSON and any other line as a
question. Blank lines are skipped. A bad line becomes an error record naming its line
number, never a crash.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zhiwen.errors import InputError, ZhiwenError


@dataclass(frozen=True, slots=True)
class Item:
    """One input line: a question to ask, or why the line cannot be asked."""

    line: int
    question: str = ""
    id: Any = None
    error: str = ""


def read_lines(path: Path) -> list[str]:
    """The file's lines (UTF-8, a BOM allowed), or an :class:`InputError` in Chinese."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(str(path), "找不到问题文件") from exc
    except IsADirectoryError as exc:
        raise InputError(str(path), "这是文件夹，请给出问题文件") from exc
    except OSError as exc:
        raise InputError(str(path), f"无法读取问题文件：{exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(str(path), f"不是 UTF-8 编码（第 {line} 行）") from exc
    return text.splitlines()


def parse(lines: Iterable[str], *, jsonl: bool) -> list[Item]:
    """The items of the input's non-blank lines (numbered from 1)."""
    items: list[Item] = []
    for n, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            continue
        if not jsonl and not line.startswith("{"):
            items.append(Item(n, question=line))
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            items.append(Item(n, error=f"第 {n} 行不是合法的 JSON（第 {exc.colno} 列：{exc.msg}）"))
            continue
        if not isinstance(obj, dict):
            items.append(Item(n, error=f"第 {n} 行应为 JSON 对象，如 {{\"question\": \"…\"}}"))
            continue
        qid = obj.get("id")
        question = obj.get("question")
        if not isinstance(question, str) or not question.strip():
            items.append(Item(n, id=qid, error=f"第 {n} 行缺少非空的 \"question\" 字段"))
            continue
        items.append(Item(n, question=question.strip(), id=qid))
    return items


def read_items(path: Path) -> list[Item]:
    """Read and parse a question file (JSON Lines when it ends in ``.jsonl``)."""
    return parse(read_lines(path), jsonl=path.suffix.lower() == ".jsonl")


def answer_all(answer: Callable[[str], Any], items: Iterable[Item],
               progress: Callable[[], None] | None = None) -> Iterator[dict[str, Any]]:
    """One record per item, in order: the answer's fields (``Answer.to_dict``) with
    ``line`` and, when given, ``id``; or ``{"line", "id", "error"}``."""
    for item in items:
        head: dict[str, Any] = {"line": item.line}
        if item.id is not None:
            head["id"] = item.id
        if item.error:
            yield {**head, "error": item.error}
        else:
            try:
                yield {**head, **answer(item.question).to_dict()}
            except ZhiwenError as exc:  # one failed question does not stop the batch
                yield {**head, "question": item.question, "error": str(exc)}
        if progress is not None:
            progress()


def json_line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False)


def display_width(text: str) -> int:
    """Columns a terminal gives ``text``: two for wide (CJK) characters."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fit(text: str, width: int) -> str:
    """``text`` on one line, cut to ``width`` display columns (with …), padded to it."""
    text = " ".join(text.split())
    if display_width(text) > width:
        out, used = "", 0
        for ch in text:
            if used + display_width(ch) > width - 1:
                break
            out += ch
            used += display_width(ch)
        text = out + "…"
    return text + " " * (width - display_width(text))


def table(records: Iterable[dict[str, Any]], *, question_width: int = 30, answer_width: int = 36) -> str:
    """A readable table: line (or id), question, answer, first source."""
    rows = [("编号", "问题", "答案", "出处")]
    for r in records:
        label = str(r.get("id", r["line"]))
        if "error" in r:
            rows.append((label, r.get("question", ""), "错误：" + r["error"], ""))
            continue
        answer = ("未找到：" if r["abstained"] else "") + r["answer"]
        cite = r["citations"][0] if r["citations"] else None
        source = f"{cite['source']}（字符 {cite['start']}–{cite['end']}）" if cite else "—"
        rows.append((label, r["question"], answer, source))
    label_width = max(display_width(row[0]) for row in rows)
    lines = [" │ ".join((_fit(a, label_width), _fit(b, question_width), _fit(c, answer_width), d)).rstrip()
             for a, b, c, d in rows]
    lines.insert(1, "─" * (label_width + question_width + answer_width + 20))
    return "\n".join(lines)
