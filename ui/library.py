"""The 资料库 tab: list documents, upload and ingest files with a progress bar, remove files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from ingest.loaders import SUPPORTED_SUFFIXES
from ui import render
from ui.errors import Problem, chinese_errors, for_users, info, quiet_urls
from ui.state import AppState
from ui.uploads import MAX_UPLOAD_MB, discard_temporary
from zhiwen.errors import ZhiwenError

HEADERS = render.LIBRARY_HEADERS
FAILED_HEADERS = ["文件", "原因"]
MAX_FILES_PER_IMPORT = 200
MAX_SOURCE_CHARS = 1000


def library_view(state: AppState) -> tuple[Any, ...]:
    """Summary, document rows, failed rows, the removal choices and the documents whose
    date can be corrected, for the current index."""
    engine = state.engine()
    failed = [[render.readable_name(p) or p, why] for p, why in state.last_failed]
    if engine is None:
        summary = quiet_urls(for_users(state.problem)) or render.EMPTY_LIBRARY_HERE
        return (summary, [], failed, gr.update(choices=[], value=None),
                gr.update(choices=[], value=None))
    index = engine.index
    docs, files = index.documents(), index.files()
    summary = f"共 {len(docs)} 篇文档，来自 {len(files)} 个文件。"
    if state.problem:
        summary += f"\n\n{quiet_urls(for_users(state.problem))}"
    removable = sorted((render.readable_name(f) or f, f) for f in files)
    return (summary, render.library_rows(docs.values()), failed,
            gr.update(choices=removable, value=None),
            gr.update(choices=render.doc_choices(docs.values()), value=None))


def make_date_fns(state: AppState) -> tuple[Callable[..., Any], Callable[..., tuple[Any, ...]]]:
    """Handlers of the date correction: picking a document fills in its date; saving stores
    the corrected date. Mistakes are said beside the date box, in Chinese."""

    def picked(doc_id: str | None) -> Any:
        engine = state.engine()
        if not doc_id or engine is None or not isinstance(doc_id, str):
            return gr.update(value="")
        doc = engine.index.documents().get(doc_id)
        return gr.update(value=(doc.date or "") if doc is not None else "")

    def save(doc_id: str | None, value: str | None) -> tuple[Any, ...]:
        if not doc_id:
            return ("<span class='zw-field-error'>请先选择要更正日期的文档。</span>", *[gr.skip()] * 5)
        if not isinstance(doc_id, str) or not isinstance(value, str | None) or len(value or "") > 40:
            return ("<span class='zw-field-error'>日期格式不对，请写成 2025-11-03。</span>", *[gr.skip()] * 5)
        try:
            stored = state.set_date(doc_id, (value or "").strip() or None)
        except ZhiwenError as exc:
            problem = getattr(exc, "problem", str(exc))
            return (f"<span class='zw-field-error'>{render.esc(problem)}</span>", *[gr.skip()] * 5)
        said = f"发布日期已改为 {stored}" if stored else "已清除发布日期"
        *view, docs = library_view(state)
        docs["value"] = doc_id  # the corrected document stays picked
        return (f"<span class='zw-field-ok'>{said}，回答中的“今年”将按此解释。</span>", *view, docs)

    return picked, chinese_errors(save)


def make_upload_fn(state: AppState) -> Callable[..., tuple[Any, ...]]:
    """Handler of the import button: store, ingest with a progress bar, refresh the list."""

    def upload(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        if not files:
            raise Problem("请先选择要上传的文件。")
        if len(files) > MAX_FILES_PER_IMPORT:
            raise Problem(f"一次最多导入 {MAX_FILES_PER_IMPORT} 个文件，"
                           f"现在选了 {len(files)} 个，请分批导入。")
        progress(0, desc="保存并读取文件…")

        def embedding(done: int, total: int) -> None:
            progress((done, total), desc="计算向量", unit="块")

        try:
            result = state.upload([Path(f) for f in files], embedding)
        except ZhiwenError as exc:
            raise Problem(f"导入失败：{exc}") from exc
        finally:
            discard_temporary(files)  # stored under uploads/ (or refused): the copy goes
        report = result.report
        assert report is not None
        ok = len(result.stored) - sum(1 for p, _ in report.failed if p.startswith("uploads/"))
        status = f"导入成功 {max(ok, 0)} 个文件（新增文档 {report.documents_new} 篇）。"
        if report.failed:
            status += f"\n\n{len(report.failed)} 个文件没有导入，原因见下方「未能导入的文件」。"
        return (status, None, *library_view(state))

    return chinese_errors(upload)


def make_remove_fn(state: AppState) -> Callable[..., tuple[Any, ...]]:
    """Handler of the remove button."""

    def remove(source: str | None) -> tuple[Any, ...]:
        if not source:
            raise Problem("请先在列表中选择要移除的文件。")
        if not isinstance(source, str) or len(source) > MAX_SOURCE_CHARS:
            raise Problem("资料库里没有这个文件，请刷新列表后再选。")
        try:
            message = state.remove_file(source)
        except ZhiwenError as exc:
            raise Problem(f"移除失败：{exc}") from exc
        info(message)
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
    # no file_types: the browser's refusal would be English; the import refuses in Chinese
    files = gr.File(label="选择文件", file_count="multiple", elem_id="zw-upload")
    import_btn = gr.Button("导入所选文件", variant="primary", elem_id="zw-import")
    status = gr.Markdown(label="导入结果", elem_id="zw-import-status")
    failed = gr.Dataframe(headers=FAILED_HEADERS, datatype=["str", "str"], interactive=False, wrap=True,
                          label="未能导入的文件", elem_id="zw-failed")
    gr.Markdown("#### 更正发布日期\n回答里的“今年”按文档的发布日期解释；日期没识别出或不对时，可在这里更正。")
    with gr.Row(equal_height=True):
        date_pick = gr.Dropdown(label="文档", choices=[], elem_id="zw-date-pick", scale=4)
        date_value = gr.Textbox(label="发布日期", placeholder="例如 2025-11-03", elem_id="zw-date-value",
                                max_lines=1, scale=2)
        date_btn = gr.Button("保存日期", elem_id="zw-date-save", scale=1)
    date_status = gr.HTML("", elem_id="zw-date-status")
    with gr.Row():
        pick = gr.Dropdown(label="移除文件（其全部文档一并移除）", choices=[], elem_id="zw-remove-pick",
                           allow_custom_value=True,
                           scale=4)
        remove_btn = gr.Button("移除", variant="stop", scale=1, elem_id="zw-remove")
    view = [summary, table, failed, pick, date_pick]
    picked, save_date = make_date_fns(state)
    date_pick.input(picked, date_pick, date_value, api_visibility="private", show_progress="hidden")
    date_btn.click(save_date, [date_pick, date_value], [date_status, *view], api_visibility="private",
                   concurrency_limit=1, concurrency_id="write")
    date_value.submit(save_date, [date_pick, date_value], [date_status, *view], api_visibility="private",
                      concurrency_limit=1, concurrency_id="write")
    import_btn.click(make_upload_fn(state), files, [status, files, *view], api_name="ingest_files",
                     concurrency_limit=1, concurrency_id="write")
    remove_btn.click(make_remove_fn(state), pick, [status, *view], api_name="remove_file",
                     concurrency_limit=1, concurrency_id="write")
    return {"view": view}
