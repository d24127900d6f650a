"""The 讲话要点 tab: a topic and a number of points in; bullets grouped by theme, each
with its source, out; downloads as .md and .docx."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import gradio as gr

from points.points import DEFAULT_N
from points.points_export import render_markdown
from ui import render
from ui.check_tab import export_dir
from ui.errors import Problem, chinese_errors, field_error
from ui.gongwen import points_docx
from ui.render_tools import points_html
from ui.state import AppState
from zhiwen.errors import ZhiwenError

MAX_POINTS = 20
MAX_TOPIC_CHARS = 100


def make_points_fn(state: AppState) -> Callable[..., tuple[Any, ...]]:
    """Handler of 生成要点: topic and count → bullets HTML and the two download files."""

    def points(topic: str | None, n: float | None) -> tuple[Any, ...]:
        if topic is not None and not isinstance(topic, str):
            raise Problem("讲话题目应为文字。")
        if len(topic or "") > 4 * MAX_TOPIC_CHARS:  # refused before any work on it
            raise Problem(f"题目太长（{len(topic or '')} 字），请控制在 {MAX_TOPIC_CHARS} 字以内。")
        session = state.session()
        if session is None:
            raise Problem(state.problem or render.EMPTY_LIBRARY)
        topic = (topic or "").strip()
        if not topic:
            return (gr.skip(), gr.skip(), gr.skip(),
                    field_error("请先输入讲话题目，例如：清溪镇与德江县东西部协作成效。"))
        if len(topic) > MAX_TOPIC_CHARS:
            raise Problem(f"题目太长（{len(topic)} 字），请控制在 {MAX_TOPIC_CHARS} 字以内。")
        count = int(n or DEFAULT_N)
        if not 1 <= count <= MAX_POINTS:
            raise Problem(f"要点条数应在 1 到 {MAX_POINTS} 之间。")
        try:
            result = session.points(topic, count)
        except ZhiwenError as exc:
            raise Problem(f"生成要点失败：{exc}") from exc
        if not result.points:
            return points_html(result), gr.update(visible=False), gr.update(visible=False), ""
        folder, stamp = export_dir(), time.strftime("%Y%m%d-%H%M%S")
        md, docx = folder / f"讲话要点-{stamp}.md", folder / f"讲话要点-{stamp}.docx"
        md.write_text(render_markdown(result), encoding="utf-8")
        try:
            points_docx(result, docx)  # 公文 layout, see ui.gongwen
        except ZhiwenError as exc:
            raise Problem(f"Word 文件生成失败：{exc}") from exc
        return (points_html(result), gr.update(value=str(md), visible=True),
                gr.update(value=str(docx), visible=True), "")

    return chinese_errors(points)


def build_points_tab(state: AppState) -> dict[str, Any]:
    """Lay out the talking-points tab inside the current ``gr.Blocks``; returns its components."""
    with gr.Row():
        topic = gr.Textbox(label="讲话题目", scale=4, elem_id="zw-topic", max_length=MAX_TOPIC_CHARS,
                           min_width=240,
                           placeholder="例如：清溪镇与德江县东西部协作成效")
        count = gr.Slider(1, MAX_POINTS, value=DEFAULT_N, step=1, label="要点条数", scale=2,
                          elem_id="zw-count",
                          min_width=200)
    hint = gr.HTML("", elem_id="zw-topic-hint")
    go = gr.Button("生成要点", variant="primary", elem_id="zw-points")
    out = gr.HTML('<div class="zw-empty">输入题目后生成要点：按主题分组，每条附原文出处。</div>',
                  elem_id="zw-points-html", label="讲话要点")
    with gr.Row():
        md_btn = gr.DownloadButton("下载 Markdown（.md）", visible=False, elem_id="zw-points-md")
        docx_btn = gr.DownloadButton("下载 Word（.docx）", visible=False, elem_id="zw-points-docx")
    go.click(make_points_fn(state), [topic, count], [out, md_btn, docx_btn, hint], api_name="points",
             concurrency_limit=2, concurrency_id="points")
    topic.submit(make_points_fn(state), [topic, count], [out, md_btn, docx_btn, hint],
                 api_visibility="private", concurrency_limit=2, concurrency_id="points")
    return {"topic": topic}
