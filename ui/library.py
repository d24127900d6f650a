"""The 资料库 tab: list documents, upload and ingest files with a progress bar, remove files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from ingest.loaders import SUPPORTED_SUFFIXES
from ui import render
from ui.errors import chinese_errors
from ui.state import AppState
from ui.uploads import MAX_UPLOAD_MB, discard_temporary
from zhiwen.errors import ZhiwenError

HEADERS = ["标题", "日期", "来源", "分块数", "导入时间"]
FAILED_HEADERS = ["文件", "原因"]
MAX_FILES_PER_IMPORT = 200
MAX_SOURCE_CHARS = 1000


def library_view(state: AppState) -> tuple[Any, ...]:
    """Summary, document rows, failed rows and the removal choices, for the current index."""
    session = state.session()
    if session is None:
        summary = state.problem or render.EMPTY_LIBRARY
        return summary, [], [list(f) for f in state.last_failed], gr.update(choices=[], value=None)
    docs, files = session.documents(), session.files()
    summary = f"共 {len(docs)} 篇文档、{session.chunk_count()} 个分块，来自 {len(files)} 个文件。"
    if state.problem:
        summary += f"\n\n{state.problem}"
    return (summary, render.library_rows(docs.values()), [list(f) for f in state.last_failed],
            gr.update(choices=sorted(files), value=None))


def make_upload_fn(state: AppState) -> Callable[..., tuple[Any, ...]]:
    """Handler of the import button: store, ingest with a progress bar, refresh the list."""

    def upload(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        if not files:
            raise gr.Error("请先选择要上传的文件。")
        if len(files) > MAX_FILES_PER_IMPORT:
            raise gr.Error(f"一次最多导入 {MAX_FILES_PER_IMPORT} 个文件，"
                           f"现在选了 {len(files)} 个，请分批导入。")
        progress(0, desc="保存并读取文件…")

        def embedding(done: int, total: int) -> None:
            progress((done, total), desc="计算向量", unit="块")

        try:
            result = state.upload([Path(f) for f in files], embedding)
        except ZhiwenError as exc:
            raise gr.Error(f"导入失败：{exc}") from exc
        finally:
            discard_temporary(files)  # stored under uploads/ (or refused): the copy goes
        report = result.report
        assert report is not None
        ok = len(result.stored) - sum(1 for p, _ in report.failed if p.startswith("uploads/"))
        status = f"已保存 {len(result.stored)} 个文件，导入成功 {max(ok, 0)} 个。\n\n" + report.summary()
        if report.failed:
            gr.Warning(f"{len(report.failed)} 个文件没有导入，原因见下方列表。")
        return (f"```\n{status}\n```", None, *library_view(state))

    return chinese_errors(upload)


def make_remove_fn(state: AppState) -> Callable[..., tuple[Any, ...]]:
    """Handler of the remove button."""

    def remove(source: str | None) -> tuple[Any, ...]:
        if not source:
            raise gr.Error("请先在列表中选择要移除的文件。")
        if not isinstance(source, str) or len(source) > MAX_SOURCE_CHARS:
            raise gr.Error("资料库里没有这个文件，请刷新列表后再选。")
        try:
            message = state.remove_file(source)
        except ZhiwenError as exc:
            raise gr.Error(f"移除失败：{exc}") from exc
        gr.Info(message)
        return (message, *library_view(state))

    return chinese_errors(remove)


def build_library_tab(state: AppState) -> dict[str, Any]:
    """Lay out the library tab inside the current ``gr.Blocks``; returns its components."""
    summary = gr.Markdown(label="概况", elem_id="zw-lib-summary")
    table = gr.Dataframe(headers=HEADERS, datatype=["str", "str", "str", "number", "str"],
                         interactive=False, wrap=True, label="文档列表", elem_id="zw-docs",
                         max_height=420)
    suffixes = sorted(SUPPORTED_SUFFIXES)
    gr.Markdown(f"#### 上传文件\n支持 {'、'.join(suffixes)}，单个文件不超过 {MAX_UPLOAD_MB} MB。"
                "上传的文件保存在资料文件夹的 uploads/ 下，文件名由系统生成。")
    files = gr.File(label="选择文件", file_count="multiple", file_types=suffixes, elem_id="zw-upload")
    import_btn = gr.Button("导入所选文件", variant="primary", elem_id="zw-import")
    status = gr.Markdown(label="导入结果", elem_id="zw-import-status")
    failed = gr.Dataframe(headers=FAILED_HEADERS, datatype=["str", "str"], interactive=False, wrap=True,
                          label="未能导入的文件", elem_id="zw-failed")
    with gr.Row():
        pick = gr.Dropdown(label="移除文件（其全部文档一并移除）", choices=[], elem_id="zw-remove-pick",
                           allow_custom_value=True,
                           scale=4)
        remove_btn = gr.Button("移除", variant="stop", scale=1, elem_id="zw-remove")
    view = [summary, table, failed, pick]
    import_btn.click(make_upload_fn(state), files, [status, files, *view], api_name="ingest_files",
                     concurrency_limit=1, concurrency_id="write")
    remove_btn.click(make_remove_fn(state), pick, [status, *view], api_name="remove_file",
                     concurrency_limit=1, concurrency_id="write")
    return {"view": view}
