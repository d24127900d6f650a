"""The 设置 tab: LLM endpoint, model and key (with a connection test) and the display script.

The stored key never travels to the page: the key box always starts empty, and leaving it
empty on save keeps the stored key. Nor does it travel to any other address: the key
belongs to the address it was saved with (see :func:`zhiwen.settings.api_key_for`), so a
test or a save naming another address goes without it, and saving another address
forgets it unless a new key is typed in the same save.

Both handlers are hidden from the API page but reachable through the queue, so they check
the caller themselves (:func:`admin_problem`): with a login only an admin, without one only
a request from this machine that names it as loopback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from llm.settings import LLMSettings
from ui.errors import Problem, chinese_errors, for_users, info, quiet_urls
from ui.guard import is_loopback_host, is_loopback_ip
from ui.state import AppState
from zhiwen.errors import ZhiwenError
from zhiwen.settings import AppSettings, api_key_for, load_api_key, save_api_key, save_settings

SCRIPT_CHOICES = [("简体", "simplified"), ("保持原文字形", "original")]
MAX_URL_CHARS = 300
MAX_MODEL_CHARS = 200
MAX_KEY_CHARS = 500


def admin_problem(state: AppState, request: gr.Request | None) -> str:
    """Why the caller may not change or test the settings; ``""`` when they may.

    With a login: only the admins (``ZHIWEN_ADMINS``, else the first user). Without one,
    anyone who can reach the page could otherwise redirect every question, passages and
    key included, to their own server: so only a request from loopback that also names a
    loopback Host (a DNS-rebound page names its own domain) may.
    """
    if request is None:
        return "无法确认请求来源，设置没有改动。"
    if state.admins is not None:
        if (request.username or "") in state.admins:
            return ""
        return "只有管理员可以修改或测试大模型设置，请联系管理员。"
    client = request.client.host if request.client is not None else ""
    if is_loopback_ip(client) and is_loopback_host(request.headers.get("host", "")):
        return ""
    return ("没有设置登录时，只能在运行知问的这台电脑上（用 127.0.0.1 或 localhost 打开）修改设置；"
            "多人使用时，请管理员设置登录和管理员名单（见说明文档）。")


def _check_lengths(url: str, model: str, key: str) -> None:
    for value, limit, name in ((url, MAX_URL_CHARS, "接口地址"), (model, MAX_MODEL_CHARS, "模型名"),
                               (key, MAX_KEY_CHARS, "API 密钥")):
        if len(value or "") > limit:
            raise Problem(f"{name}太长（{len(value)} 字符），上限 {limit}。")


def settings_view(state: AppState) -> tuple[Any, ...]:
    """Current values for the form: url, model, key box (always empty), script, status line."""
    s = state.settings()
    stored = "已保存一个 API 密钥（不显示）。" if load_api_key(state.index_dir) else "没有保存 API 密钥。"
    session = state.session()
    mode = "大模型" if session is not None and session.llm_settings is not None else "抽取式（直接引用原文）"
    status = f"当前回答方式：{mode}。{stored}"
    if state.problem:
        status += f"\n\n{for_users(state.problem)}"
    return s.llm_base_url, s.llm_model, "", s.script, quiet_urls(status)


def _llm_from_form(state: AppState, url: str, model: str, key: str) -> LLMSettings | None:
    """The settings the form names; the stored key comes along only for its own address."""
    url, model = (url or "").strip().rstrip("/"), (model or "").strip()
    if not url:
        return None
    return LLMSettings(base_url=url, model=model,
                       api_key=(key or "").strip() or api_key_for(state.index_dir, url))


def make_save_fn(state: AppState) -> Callable[..., tuple[Any, ...]]:
    """Handler of 保存设置: check the caller, validate, persist (key apart, mode 0600),
    reopen the session."""

    def save(url: str, model: str, key: str, clear_key: bool, script: str,
             request: gr.Request = None) -> tuple[Any, ...]:  # type: ignore[assignment]
        if problem := admin_problem(state, request):
            raise Problem(problem)
        _check_lengths(url, model, key)
        url = (url or "").strip().rstrip("/")
        note = ""
        try:
            _llm_from_form(state, url, model, key)  # validates; raises ConfigError in Chinese
            before = state.settings().llm_base_url
            save_settings(state.index_dir, AppSettings(url, (model or "").strip(), script))
            if clear_key:
                save_api_key(state.index_dir, "")
            elif (key or "").strip():
                save_api_key(state.index_dir, key, url)
            elif load_api_key(state.index_dir) and not api_key_for(state.index_dir, url):
                # a new address without a new key: the old key stays with the old address
                save_api_key(state.index_dir, "")
                if before.rstrip("/") != url:
                    note = "接口地址已更改，原来保存的密钥已清除（密钥只发送给保存它时的地址）。"
        except ZhiwenError as exc:
            raise Problem(f"设置没有保存：{exc}") from exc
        state.reload()
        info("设置已保存。" + note)
        return (*settings_view(state), False)

    return chinese_errors(save)


def make_test_fn(state: AppState) -> Callable[..., str]:
    """Handler of 测试连接: check the caller, then one tiny request to the form's endpoint.

    The outcome is only 连接成功 / 连接失败 / 超时 / HTTP status: nothing of the reply's body
    and no socket detail, so the test cannot serve as a port scanner of the server's network.
    """

    def test(url: str, model: str, key: str, request: gr.Request = None) -> str:  # type: ignore[assignment]
        from llm.client import test_connection

        if problem := admin_problem(state, request):
            return problem
        _check_lengths(url, model, key)
        try:
            settings = _llm_from_form(state, url, model, key)
            if settings is None:
                return "没有填写接口地址：将使用抽取式回答（直接引用原文句子），无需大模型。"
            return quiet_urls("连接成功：" + test_connection(settings))
        except ZhiwenError as exc:
            return quiet_urls(for_users(f"连接失败：{exc}"))

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
    script = gr.Radio(SCRIPT_CHOICES, label="显示字形（答案和引文；引文原文在出处栏一键可看）",
                      value="simplified",
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
