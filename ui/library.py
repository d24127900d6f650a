"""The 资料库 tab: list documents, upload and ingest files with a progress bar, remove files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from ingest.loaders import SUPPORTED_SUFFIXES
from ui import render
from ui.errors import Problem, chinese_errors, field_error, for_users, quiet_urls
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
    session = state.session()
    failed = [[render.readable_name(p) or p, why] for p, why in state.last_failed]
    removed = gr.update(choices=[(render.readable_name(f) or f, f) for f in state.removed_files()],
                        value=None)
    if session is None:
        summary = quiet_urls(for_users(state.problem)) or render.EMPTY_LIBRARY_HERE
        return (summary, [], failed, gr.update(choices=[], value=None),
                gr.update(choices=[], value=None), removed)
    docs, files = session.documents(), session.files()
    summary = f"共 {len(docs)} 篇文档，来自 {len(files)} 个文件。"
    if state.problem:
        summary += f"\n\n{quiet_urls(for_users(state.problem))}"
    removable = sorted((render.readable_name(f) or f, f) for f in files)
    return (summary, render.library_rows(docs.values()), failed,
            gr.update(choices=removable, value=None),
            gr.update(choices=render.doc_choices(docs.values()), value=None, allow_custom_value=True),
            removed)


N_VIEW = 6  # the outputs of library_view


def make_date_fns(state: AppState) -> tuple[Callable[..., Any], Callable[..., tuple[Any, ...]]]:
    """Handlers of the date correction: picking a document fills in its date; saving stores
    the corrected date. Mistakes are said beside the date box, in Chinese."""

    def picked(doc_id: str | None) -> Any:
        session = state.session()
        if not doc_id or session is None or not isinstance(doc_id, str):
            return gr.update(value="")
        doc = session.documents().get(doc_id)
        return gr.update(value=(doc.date or "") if doc is not None else "")

    def save(doc_id: str | None, value: str | None) -> tuple[Any, ...]:
        if not doc_id:
            return (field_error("请先选择要更正日期的文档。"), *[gr.skip()] * N_VIEW)
        if not isinstance(doc_id, str) or not isinstance(value, str | None) or len(value or "") > 40:
            return (field_error("日期格式不对，请写成 2025-11-03。"), *[gr.skip()] * N_VIEW)
        try:
            stored = state.set_date(doc_id, (value or "").strip() or None)
        except ZhiwenError as exc:
            problem = getattr(exc, "problem", str(exc))
            return (field_error(problem), *[gr.skip()] * N_VIEW)
        said = f"发布日期已改为 {stored}" if stored else "已清除发布日期"
        summary, rows, failed, pick, docs, removed = library_view(state)
        docs["value"] = doc_id  # the corrected document stays picked
        return (f"<span class='zw-field-ok'>{said}，回答中的“今年”将按此解释。</span>",
                summary, rows, failed, pick, docs, removed)

    return picked, chinese_errors(save)


def make_upload_fn(state: AppState) -> Callable[..., tuple[Any, ...]]:
    """Handler of the import button: store, ingest with a progress bar, refresh the list."""

    def upload(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        if not files:
            return (field_error("请先在上方选择要上传的文件，再点「导入所选文件」。"), gr.skip(),
                    *[gr.skip()] * N_VIEW)
        if len(files) > MAX_FILES_PER_IMPORT:
            raise Problem(f"一次最多导入 {MAX_FILES_PER_IMPORT} 个文件，"
                           f"现在选了 {len(files)} 个，请分批导入。")
        progress(0, desc="保存并读取文件…")

        def embedding(done: int, total: int) -> None:
            progress((done, total), desc="计算向量", unit="句")

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


def make_remove_fns(state: AppState) -> dict[str, Callable[..., tuple[Any, ...]]]:
    """Handlers of removing and restoring: a row of the table picks its file; 移除 asks for
    confirmation; 确定移除 removes (the file goes to .removed/); 恢复 brings it back."""

    def chosen(evt: gr.SelectData) -> Any:
        session = state.session()
        if session is None:
            return gr.skip()
        docs = session.documents().values()
        sources = [d.path for d in sorted(docs, key=lambda d: (d.ingested_at.replace("T", " "),
                                                            render.readable_name(d.source) or d.source),
                                          reverse=True)]
        row = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        if not isinstance(row, int) or not 0 <= row < len(sources):
            return gr.skip()
        return gr.update(value=sources[row])

    def ask(source: str | None) -> tuple[Any, ...]:
        if not source or not isinstance(source, str) or len(source) > MAX_SOURCE_CHARS:
            return (field_error("请先在表格中点选一行，或在下拉框中选择要移除的文件。"),
                    gr.update(visible=False))
        name = render.readable_name(source) or source
        return (f'<div class="zw-confirm">确定移除「{render.esc(name)}」吗？它的文档将不再用于回答；'
                "移除后可在下方恢复。</div>", gr.update(visible=True))

    def remove(source: str | None) -> tuple[Any, ...]:
        if not source or not isinstance(source, str) or len(source) > MAX_SOURCE_CHARS:
            return (field_error("请先选择要移除的文件。"), gr.update(visible=False), *[gr.skip()] * N_VIEW)
        try:
            message = state.remove_file(source)
        except ZhiwenError as exc:
            return (field_error(f"移除失败：{getattr(exc, 'problem', exc)}"), gr.update(visible=False),
                    *[gr.skip()] * N_VIEW)
        message = message.replace(source, render.readable_name(source) or source)
        return (f'<div class="zw-field-ok">{render.esc(message)}。</div>', gr.update(visible=False),
                *library_view(state))

    def cancel() -> tuple[Any, ...]:
        return "", gr.update(visible=False)

    def restore(source: str | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        if not source or not isinstance(source, str) or len(source) > MAX_SOURCE_CHARS:
            return (field_error("请先选择要恢复的文件。"), *[gr.skip()] * N_VIEW)
        try:
            state.restore_file(source, lambda done, total: progress((done, total), desc="计算向量",
                                                                    unit="句"))
        except ZhiwenError as exc:
            return (field_error(f"恢复失败：{getattr(exc, 'problem', exc)}"), *[gr.skip()] * N_VIEW)
        name = render.readable_name(source) or source
        return (f'<div class="zw-field-ok">已恢复「{render.esc(name)}」，它的文档重新用于回答。</div>',
                *library_view(state))

    return {"chosen": chosen, "ask": chinese_errors(ask), "remove": chinese_errors(remove),
            "cancel": cancel, "restore": chinese_errors(restore)}


def build_library_tab(state: AppState) -> dict[str, Any]:
    """Lay out the library tab inside the current ``gr.Blocks``; returns its components."""
    summary = gr.Markdown(label="概况", elem_id="zw-lib-summary")
    table = gr.Dataframe(headers=HEADERS, datatype=["str", "str", "str", "str", "number", "str"],
                         interactive=False, wrap=True, label="文档列表（点一行可选中它的文件）",
                         elem_id="zw-docs", max_height=420,
                         column_widths=["220px", "100px", "80px", "190px", "64px", "150px"])
    suffixes = sorted(SUPPORTED_SUFFIXES)
    gr.Markdown(f"#### 上传文件\n支持 {'、'.join(suffixes)}，单个文件不超过 {MAX_UPLOAD_MB} MB。")
    # no file_types: the browser's refusal would be English; the import refuses in Chinese
    files = gr.File(label="选择文件", file_count="multiple", elem_id="zw-upload")
    import_btn = gr.Button("导入所选文件", variant="primary", elem_id="zw-import")
    status = gr.Markdown(label="导入结果", elem_id="zw-import-status")
    failed = gr.Dataframe(headers=FAILED_HEADERS, datatype=["str", "str"], interactive=False, wrap=True,
                          label="未能导入的文件", elem_id="zw-failed")
    gr.Markdown("#### 更正发布日期\n回答里的“今年”按文档的发布日期解释；日期没识别出或不对时，可在这里更正。")
    with gr.Row(equal_height=True):
        date_pick = gr.Dropdown(label="文档", choices=[], elem_id="zw-date-pick", scale=4, min_width=240,
                                allow_custom_value=True)  # choices change; the handler checks the id
        date_value = gr.Textbox(label="发布日期", placeholder="例如 2025-11-03", elem_id="zw-date-value",
                                max_lines=1, scale=2, min_width=160)
        date_btn = gr.Button("保存日期", elem_id="zw-date-save", scale=1, min_width=100)
    date_status = gr.HTML("", elem_id="zw-date-status")
    gr.Markdown("#### 移除文件")
    with gr.Row(equal_height=True):
        pick = gr.Dropdown(label="要移除的文件（其全部文档一并移除）", choices=[], elem_id="zw-remove-pick",
                           allow_custom_value=True, scale=4, min_width=240)
        remove_btn = gr.Button("移除…", variant="stop", scale=1, elem_id="zw-remove", min_width=100)
    with gr.Group(visible=False, elem_id="zw-remove-confirm") as confirm, gr.Row():
        confirm_btn = gr.Button("确定移除", variant="stop", elem_id="zw-remove-yes", min_width=100)
        cancel_btn = gr.Button("取消", elem_id="zw-remove-no", min_width=100)
    remove_status = gr.HTML("", elem_id="zw-remove-status")
    with gr.Row(equal_height=True):
        restore_pick = gr.Dropdown(label="恢复已移除的文件", choices=[], elem_id="zw-restore-pick",
                                   scale=4, min_width=240)
        restore_btn = gr.Button("恢复", scale=1, elem_id="zw-restore", min_width=100)
    view = [summary, table, failed, pick, date_pick, restore_pick]
    picked, save_date = make_date_fns(state)
    date_pick.input(picked, date_pick, date_value, api_visibility="private", show_progress="hidden")
    date_btn.click(save_date, [date_pick, date_value], [date_status, *view], api_visibility="private",
                   concurrency_limit=1, concurrency_id="write", show_progress_on=[date_status])
    date_value.submit(save_date, [date_pick, date_value], [date_status, *view], api_visibility="private",
                      concurrency_limit=1, concurrency_id="write", show_progress_on=[date_status])
    import_btn.click(make_upload_fn(state), files, [status, files, *view], api_name="ingest_files",
                     concurrency_limit=1, concurrency_id="write", show_progress_on=[status])
    fns = make_remove_fns(state)
    table.select(fns["chosen"], None, pick, api_visibility="private", show_progress="hidden")
    remove_btn.click(fns["ask"], pick, [remove_status, confirm], api_visibility="private",
                     show_progress="hidden")
    cancel_btn.click(fns["cancel"], None, [remove_status, confirm], api_visibility="private",
                     show_progress="hidden")
    confirm_btn.click(fns["remove"], pick, [remove_status, confirm, *view], api_visibility="private",
                      concurrency_limit=1, concurrency_id="write", show_progress_on=[remove_status])
    gr.api(make_remove_api(state), api_name="remove_file", concurrency_limit=1, concurrency_id="write")
    restore_btn.click(fns["restore"], restore_pick, [remove_status, *view], api_visibility="private",
                      concurrency_limit=1, concurrency_id="write", show_progress_on=[remove_status])
    return {"view": view}


def make_remove_api(state: AppState) -> Callable[[str], str]:
    """The ``/remove_file`` API for programs: remove one file of the library (no confirmation)."""

    def remove_file(source: str) -> str:
        """Remove a file (its path as listed by the library) and its documents."""
        if not source or not isinstance(source, str):
            raise Problem("请先选择要移除的文件。")
        if len(source) > MAX_SOURCE_CHARS:
            raise Problem("资料库里没有这个文件，请刷新列表后再选。")
        try:
            return state.remove_file(source)
        except ZhiwenError as exc:
            raise Problem(f"移除失败：{getattr(exc, 'problem', exc)}") from exc

    return chinese_errors(remove_file)
