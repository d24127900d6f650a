"""The ``zhiwen`` commands that read the library: ask, chat, check (核稿) and points (讲话要点)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from zhiwen.cli_options import (
    EMBEDDER_HELP,
    INDEX_HELP,
    SCRIPT,
    SCRIPT_HELP,
    EngineK,
    echo_json,
    llm_options,
    open_session,
    write_text,
)
from zhiwen.session import CHECK_K, Session

if TYPE_CHECKING:
    from qa.batch import Item
    from qa.engine import Turn
    from zhiwen.records import Answer

BATCH_PROGRESS_MIN = 5  # fewer questions than this: no progress bar


def render_answer(ans: Answer) -> str:
    """An answer, its notes and its numbered sources, for a terminal."""
    lines = [("未找到：" if ans.abstained else "答：") + ans.answer]
    if ans.query and ans.query != ans.question:  # a follow-up, read against the previous turn
        lines.append(f"（按上文理解为：{ans.query}）")
    lines += [f"注：{n}" for n in ans.notes]
    if ans.citations:
        lines.append("出处：")
    for c in ans.citations:
        date = f"，{c.date}" if c.date else ""
        lines.append(f"[{c.n}] {c.title}（{c.source}，字符 {c.start}–{c.end}{date}）")
        lines.append(f"    「{c.quote}」")
    return "\n".join(lines)


def _ask_streaming(session: Session, question: str, history: list[Turn] | tuple[()] = ()) -> Answer:
    """Answer, streaming an LLM draft to the terminal; the checked answer follows it."""
    streamed: list[str] = []

    def show(token: str) -> None:
        if not streamed:
            click.echo("（大模型草稿，未经核对；核对后给出最终答案）", err=True)
        streamed.append(token)
        click.echo(token, nl=False, err=True)

    ans = session.answer(question, history, show if session.llm_settings else None)
    if streamed:
        click.echo("", err=True)
    return ans


@click.command()
@click.argument("question", required=False)
@click.option("--batch", "batch_file", default=None, type=click.Path(path_type=Path),
              help="批量提问：每行一个问题的文件（JSON Lines 如 {\"id\": 1, \"question\": \"…\"}，或纯文本）")
@click.option("--out", "out_file", default=None, type=click.Path(path_type=Path),
              help="批量结果写入此文件（默认标准输出）")
@click.option("--k", default=None, type=click.IntRange(1, 50), cls=EngineK)
@click.option("--index", "index_dir", default=None, help=INDEX_HELP)
@click.option("--embedder", default=None, help=EMBEDDER_HELP)
@click.option("--script", type=SCRIPT, default=None,
              help="答案的字形：simplified（简体）或 original（保持原文）；引文始终为原文" + SCRIPT_HELP)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（批量时每行一个答案，即 JSON Lines）")
@llm_options
def ask(question: str | None, batch_file: Path | None, out_file: Path | None, k: int | None,
        index_dir: str | None, embedder: str | None, script: str | None, as_json: bool,
        llm_base_url: str | None, llm_model: str | None, llm_api_key: str | None) -> None:
    """提问：给出简短答案与原文出处；资料中没有时明确说没有。

    批量：zhiwen ask --batch 问题.jsonl --json > 答案.jsonl（索引只加载一次）。"""
    if (question is None) == (batch_file is None):
        raise click.UsageError("请给出一个问题，或用 --batch 给出问题文件（二者选一）")
    if out_file is not None and batch_file is None:
        raise click.UsageError("--out 只用于 --batch 批量提问")
    items = None
    if batch_file is not None:
        from qa.batch import read_items

        items = read_items(batch_file)  # a bad file fails before the index loads
    session = open_session(index_dir, embedder, k=k, script=script, llm_base_url=llm_base_url,
                           llm_model=llm_model, llm_api_key=llm_api_key)
    if items is not None:
        _ask_batch(session, items, out_file, as_json)
        return
    assert question is not None
    if as_json:
        ans, timing = session.timed_answer(question)
        out = ans.to_dict()
        out["timings"] = {**out.get("timings", {}), **timing}
        echo_json(out)
        return
    click.echo(render_answer(_ask_streaming(session, question)))


def _ask_batch(session: Session, items: list[Item], out_file: Path | None, as_json: bool) -> None:
    """Answer every item in one session; JSON Lines (or a table) to ``out_file`` or stdout."""
    from tqdm import tqdm

    from qa.batch import answer_all, json_line, table

    bar = tqdm(total=len(items), desc="批量提问", unit="题", file=sys.stderr, dynamic_ncols=True,
               disable=len(items) < BATCH_PROGRESS_MIN)
    out = None
    errors = 0
    try:
        if out_file is not None:
            try:
                out = out_file.open("w", encoding="utf-8")
            except OSError as exc:
                from zhiwen.errors import InputError

                raise InputError(str(out_file), f"无法写入结果：{exc.strerror or exc}") from exc
        records = answer_all(session.answer, items, progress=bar.update)
        if as_json:  # written as each answer is ready
            for record in records:
                errors += "error" in record
                line = json_line(record)
                if out is not None:
                    out.write(line + "\n")
                    out.flush()
                else:
                    click.echo(line)
        else:
            done = list(records)
            errors = sum("error" in r for r in done)
            text = table(done)
            if out is not None:
                out.write(text + "\n")
            else:
                click.echo(text)
    finally:
        bar.close()
        if out is not None:
            out.close()
    if out_file is not None:
        flawed = f"（其中 {errors} 条出错）" if errors else ""
        click.echo(f"已写入 {len(items)} 条结果到 {out_file}{flawed}", err=True)


@click.command()
@click.option("--k", default=None, type=click.IntRange(1, 50), cls=EngineK)
@click.option("--index", "index_dir", default=None, help=INDEX_HELP)
@click.option("--embedder", default=None, help=EMBEDDER_HELP)
@click.option("--script", type=SCRIPT, default=None, help="答案的字形" + SCRIPT_HELP)
@llm_options
def chat(k: int | None, index_dir: str | None, embedder: str | None, script: str | None,
         llm_base_url: str | None, llm_model: str | None, llm_api_key: str | None) -> None:
    """多轮对话：追问（如“那累计呢？”“这笔钱用于什么？”）会结合上文理解。输入空行或 Ctrl-D 结束。"""
    from qa.engine import Turn

    session = open_session(index_dir, embedder, k=k, script=script, llm_base_url=llm_base_url,
                           llm_model=llm_model, llm_api_key=llm_api_key)
    history: list[Turn] = []
    click.echo("知问 · 多轮问答。直接输入问题；空行或 Ctrl-D 退出。")
    while True:
        try:
            question = input("问> ").strip()
        except EOFError:
            break
        if not question:
            break
        ans = _ask_streaming(session, question, history)
        click.echo(render_answer(ans))
        click.echo()
        history.append(Turn(question, ans.answer, ans.query or question))


@click.command()
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("--text", "text", default=None, help="直接给出要核对的文稿文字")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（含每条陈述在文稿中的位置）")
@click.option("--md", "md_path", default=None, type=click.Path(path_type=Path),
              help="另存一份 Markdown 核稿报告")
@click.option("--k", default=CHECK_K, show_default=True, type=click.IntRange(1, 50),
              help="每条陈述读取的段落数")
@click.option("--index", "index_dir", default=None, help=INDEX_HELP)
@click.option("--embedder", default=None, help=EMBEDDER_HELP)
@llm_options
def check(file: Path | None, text: str | None, as_json: bool, md_path: Path | None, k: int,
          index_dir: str | None, embedder: str | None, llm_base_url: str | None,
          llm_model: str | None, llm_api_key: str | None) -> None:
    """核稿：逐条核对文稿中的数字、年份、人名地名，给出原文依据。

    文稿可以是 .txt/.md/.docx 文件、--text 文字或标准输入。每条陈述标出 ✓ 相符、✗ 不符、
    ！需人工判断（如取整）、？资料未提及。"""
    from check.check_render import render_markdown, render_terminal
    from check.drafts import draft_bytes, draft_text, read_draft

    if file is not None and text is not None:
        raise click.UsageError("请只给出文稿文件或 --text 其中之一")
    if text is not None:
        draft = draft_text(text, "--text")
    elif file is not None:
        draft = read_draft(file)
    elif sys.stdin.isatty():
        raise click.UsageError("请给出文稿文件、--text，或从标准输入提供文稿")
    else:
        draft = draft_bytes(sys.stdin.buffer.read(), "标准输入")
    session = open_session(index_dir, embedder, llm_base_url=llm_base_url, llm_model=llm_model,
                           llm_api_key=llm_api_key)
    report = session.check(draft, k)
    if md_path is not None:
        write_text(md_path, render_markdown(report, f"核稿报告：{file.name if file else '文稿'}"))
    if as_json:
        echo_json(report.to_dict())
    else:
        click.echo(render_terminal(report))


@click.command()
@click.argument("topic")
@click.option("--n", "n", default=8, show_default=True, type=click.IntRange(1, 50), help="要点条数上限")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 {topic, points}")
@click.option("--md", "md_path", default=None, type=click.Path(path_type=Path), help="另存为 Markdown")
@click.option("--docx", "docx_path", default=None, type=click.Path(path_type=Path),
              help="另存为 Word 文档（按主题分节、附资料来源）")
@click.option("--index", "index_dir", default=None, help=INDEX_HELP)
@click.option("--embedder", default=None, help=EMBEDDER_HELP)
@click.option("--script", type=SCRIPT, default=None,
              help="要点的字形：simplified（简体）或 original（保持原文）；引文始终为原文" + SCRIPT_HELP)
@llm_options
def points(topic: str, n: int, as_json: bool, md_path: Path | None, docx_path: Path | None,
           index_dir: str | None, embedder: str | None, script: str | None, llm_base_url: str | None,
           llm_model: str | None, llm_api_key: str | None) -> None:
    """讲话要点：按资料中的主题列出带数字的要点，每条附原文出处。

    主题取自资料本身（教育协作、劳务协作、消费协作……）；“今年”与“累计”的数字分开并标明。"""
    from points.points_export import render_markdown, render_terminal, write_docx

    if not topic.strip():
        raise click.UsageError("请给出讲话题目，例如：zhiwen points \"清溪镇与德江县东西部协作成效\"")
    session = open_session(index_dir, embedder, script=script, llm_base_url=llm_base_url,
                           llm_model=llm_model, llm_api_key=llm_api_key)
    result = session.points(topic, n)
    if md_path is not None:
        write_text(md_path, render_markdown(result))
    if docx_path is not None:
        write_docx(result, docx_path)
    if as_json:
        echo_json(result.to_dict())
    else:
        click.echo(render_terminal(result))


COMMANDS: tuple[Any, ...] = (ask, chat, check, points)
