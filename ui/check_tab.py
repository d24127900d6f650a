"""The 核稿 tab: paste a draft or upload .txt/.md/.docx; claims come back coloured by
verdict beside a table of claim, verdict, values and evidence; the Markdown report downloads."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from check.check_render import render_markdown
from check.drafts import draft_text, read_draft
from ui import render
from ui.errors import Problem, chinese_errors, field_error
from ui.gongwen import check_docx
from ui.render_tools import CHECK_HEADERS, claim_rows, claims_html, legend_html
from ui.state import AppState
from ui.uploads import discard_temporary
from zhiwen.errors import ZhiwenError

MAX_DRAFT_CHARS = 20_000


EXPORT_MAX_AGE_S = 86400


def export_dir() -> Path:
    """A fresh private temporary folder for one generated download; folders of earlier
    downloads older than a day are removed first (Gradio serves its own copy)."""
    import shutil

    cutoff = time.time() - EXPORT_MAX_AGE_S
    for old in Path(tempfile.gettempdir()).glob("zhiwen-*"):
        try:
            if old.is_dir() and not old.is_symlink() and old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass
    return Path(tempfile.mkdtemp(prefix="zhiwen-"))


def load_draft(path: str | None) -> Any:
    """Handler of the draft upload: the file's text, put into the draft box."""
    if not path:
        return gr.skip()
    try:
        text = read_draft(Path(path))
    except ZhiwenError as exc:  # named by the file's own name, never the server's path
        raise Problem(f"文稿无法读取：{Path(path).name}：{getattr(exc, 'problem', exc)}") from exc
    finally:
        discard_temporary([path])  # the text is in the box now; the copy goes
    if len(text) > MAX_DRAFT_CHARS:
        raise Problem(f"文稿太长（{len(text)} 字），请分段核对，每次不超过 {MAX_DRAFT_CHARS} 字。")
    return text


def make_check_fn(state: AppState) -> Callable[..., tuple[Any, ...]]:
    """Handler of 核对: draft text → coloured draft, table rows, Markdown report file, and
    the hint under the draft box (an empty draft is said there, not as an error)."""

    def check(draft: str | None) -> tuple[Any, ...]:
        if draft is not None and not isinstance(draft, str):
            raise Problem("文稿应为文字。")
        if len(draft or "") > 2 * MAX_DRAFT_CHARS:  # refused before any work on it
            raise Problem(f"文稿太长（{len(draft or '')} 字），"
                           f"请分段核对，每次不超过 {MAX_DRAFT_CHARS} 字。")
        session = state.session()
        if session is None:
            raise Problem(state.problem or render.EMPTY_LIBRARY)
        try:
            text = draft_text(draft or "", "文稿框")
        except ZhiwenError:
            return (gr.skip(), gr.skip(), gr.skip(), gr.skip(),
                    field_error("请先粘贴文稿，或在下方上传 .txt / .md / .docx 文件。"))
        if len(text) > MAX_DRAFT_CHARS:
            raise Problem(f"文稿太长（{len(text)} 字），请分段核对，每次不超过 {MAX_DRAFT_CHARS} 字。")
        try:
            report = session.check(text)
        except ZhiwenError as exc:
            raise Problem(f"核稿失败：{exc}") from exc
        folder, stamp = export_dir(), time.strftime("%Y%m%d-%H%M%S")
        path = folder / f"核稿报告-{stamp}.md"
        path.write_text(render_markdown(report), encoding="utf-8")
        word = check_docx(text, report, folder / f"核稿报告-{stamp}.docx")
        return (claims_html(text, report), claim_rows(report), gr.update(value=str(path), visible=True),
                gr.update(value=str(word), visible=True), "")

    return chinese_errors(check)


def build_check_tab(state: AppState) -> dict[str, Any]:
    """Lay out the fact-check tab inside the current ``gr.Blocks``; returns its components."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=2):
            draft = gr.Textbox(label="文稿", lines=14, max_lines=30, elem_id="zw-draft",
                               placeholder="把要发布的稿子粘贴到这里，或在下方上传 .txt / .docx 文件")
            hint = gr.HTML("", elem_id="zw-draft-hint")
            # no file_types: the browser's refusal would be English; read_draft refuses in Chinese
            upload = gr.File(label="上传文稿（.txt、.md、.docx）", elem_id="zw-draft-file", height=170)
            check_btn = gr.Button("核对", variant="primary", elem_id="zw-check")
        with gr.Column(scale=3):
            marked = gr.HTML(f'<div class="zw-empty">核对后，稿中每条陈述按结论着色：</div>{legend_html()}',
                             elem_id="zw-check-out", label="核对结果")
            with gr.Row():
                word_btn = gr.DownloadButton("下载 Word 核稿报告", visible=False, elem_id="zw-check-docx",
                                             variant="primary", min_width=120)
                report_btn = gr.DownloadButton("下载 Markdown", visible=False, elem_id="zw-check-md",
                                               min_width=120)
    table = gr.Dataframe(headers=CHECK_HEADERS, datatype=["number", "str", "str", "str", "str"],
                         interactive=False, wrap=True, label="逐条核对", elem_id="zw-check-table",
                         column_widths=["44px", "300px", "110px", "250px", "430px"])
    upload.upload(chinese_errors(load_draft), upload, draft, api_visibility="private")
    check_btn.click(make_check_fn(state), draft, [marked, table, report_btn, word_btn, hint],
                    api_name="check",
                    concurrency_limit=2, concurrency_id="check")
    return {"draft": draft}
