"""The 设置 tab: LLM endpoint, model and key (with a connection test) and the display script.

The stored key never travels to the page: the key box always starts empty, and leaving it
empty on save keeps the stored key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from qa.llm import LLMSettings
from ui.errors import chinese_errors
from ui.state import AppState
from zhiwen.errors import ZhiwenError
from zhiwen.settings import AppSettings, load_api_key, save_api_key, save_settings

SCRIPT_CHOICES = [("简体", "simplified"), ("保持原文字形", "original")]


def settings_view(state: AppState) -> tuple[Any, ...]:
    """Current values for the form: url, model, key box (always empty), script, status line."""
    s = state.settings()
    stored = "已保存一个 API 密钥（不显示）。" if load_api_key(state.index_dir) else "没有保存 API 密钥。"
    engine = state.engine()
    mode = "大模型" if engine is not None and engine.llm_settings is not None else "抽取式（直接引用原文）"
    status = f"当前回答方式：{mode}。{stored}"
    if state.problem:
        status += f"\n\n{state.problem}"
    return s.llm_base_url, s.llm_model, "", s.script, status


def _llm_from_form(state: AppState, url: str, model: str, key: str) -> LLMSettings | None:
    url, model = (url or "").strip(), (model or "").strip()
    if not url:
        return None
    return LLMSettings(base_url=url.rstrip("/"), model=model,
                       api_key=(key or "").strip() or load_api_key(state.index_dir))


def make_save_fn(state: AppState) -> Callable[..., tuple[Any, ...]]:
    """Handler of 保存设置: validate, persist (key apart, mode 0600), rebuild the engine."""

    def save(url: str, model: str, key: str, clear_key: bool, script: str) -> tuple[Any, ...]:
        try:
            _llm_from_form(state, url, model, key)  # validates; raises ConfigError in Chinese
            save_settings(state.index_dir, AppSettings((url or "").strip().rstrip("/"),
                                                       (model or "").strip(), script))
            if clear_key:
                save_api_key(state.index_dir, "")
            elif (key or "").strip():
                save_api_key(state.index_dir, key)
        except ZhiwenError as exc:
            raise gr.Error(f"设置没有保存：{exc}") from exc
        state.reload()
        gr.Info("设置已保存。")
        return (*settings_view(state), False)

    return chinese_errors(save)


def make_test_fn(state: AppState) -> Callable[[str, str, str], str]:
    """Handler of 测试连接: one tiny request to the endpoint in the form."""

    def test(url: str, model: str, key: str) -> str:
        from qa.llm import test_connection

        try:
            settings = _llm_from_form(state, url, model, key)
            if settings is None:
                return "没有填写接口地址：将使用抽取式回答（直接引用原文句子），无需大模型。"
            return "连接成功：" + test_connection(settings)
        except ZhiwenError as exc:
            return f"连接失败：{exc}"

    return test


def build_settings_tab(state: AppState) -> dict[str, Any]:
    """Lay out the settings tab inside the current ``gr.Blocks``; returns its components."""
    gr.Markdown("不设置大模型时，知问用抽取式回答：答案直接摘自原文，并给出出处。"
                "设置保存在索引文件夹中，密钥单独存放且不会显示在页面上。")
    url = gr.Textbox(label="大模型接口地址（OpenAI 兼容）", placeholder="例如 http://127.0.0.1:11434/v1",
                     elem_id="zw-llm-url")
    model = gr.Textbox(label="模型名", placeholder="例如 qwen2.5:7b", elem_id="zw-llm-model")
    key = gr.Textbox(label="API 密钥", type="password", elem_id="zw-llm-key",
                     placeholder="留空则保持已保存的密钥不变")
    clear_key = gr.Checkbox(label="清除已保存的密钥", value=False)
    script = gr.Radio(SCRIPT_CHOICES, label="答案显示字形（引文始终保持原文）", value="simplified",
                      elem_id="zw-script")
    with gr.Row():
        test_btn = gr.Button("测试连接", elem_id="zw-test-llm")
        save_btn = gr.Button("保存设置", variant="primary", elem_id="zw-save-settings")
    status = gr.Markdown(elem_id="zw-settings-status")
    form = [url, model, key, script, status]
    test_btn.click(make_test_fn(state), [url, model, key], status, api_visibility="private")
    save_btn.click(make_save_fn(state), [url, model, key, clear_key, script], [*form, clear_key],
                   api_visibility="private", concurrency_limit=1, concurrency_id="write")
    return {"form": form}
