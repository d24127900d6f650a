"""Turning failures into messages for a person: every handler error becomes a Chinese
``gr.Error``; unexpected ones are logged with their traceback and never shown."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

import gradio as gr

from zhiwen.errors import ZhiwenError

log = logging.getLogger("zhiwen.app")
F = TypeVar("F", bound=Callable[..., Any])
INTERNAL = "发生内部错误，请稍后再试；若反复出现，请把操作步骤和时间告诉管理员。"


# What the command line calls a setting, and what a person using the page calls it.
_FOR_USERS = (
    ("ZHIWEN_LLM_BASE_URL", "大模型接口地址"), ("ZHIWEN_LLM_MODEL", "模型名"),
    ("ZHIWEN_LLM_API_KEY", "API 密钥"), ("ZHIWEN_ADMINS", "管理员名单"),
    ("ZHIWEN_AUTH_FILE", "登录信息文件"), ("ZHIWEN_AUTH", "登录设置"), ("ZHIWEN_INDEX", "索引文件夹"),
    ("或使用 --llm-model", ""), ("环境变量 ", ""),
)


def for_users(text: str) -> str:
    """``text`` without the names of environment variables or command-line flags: a
    person using the page sets these in 设置, under the names the form uses."""
    for name, said in _FOR_USERS:
        text = text.replace(name, said)
    return text


_URL = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*://|www\.)[!-~]*?(?=[，。；、）)\]」'\"\s]|$|[^!-~])")


def quiet_urls(text: str) -> str:
    """``text`` for a Markdown box with each address in code marks: Markdown would make an
    address a link that runs on into the Chinese text after it (``…/v1，请检查``)."""
    return _URL.sub(lambda m: f"`{m.group(0)}`", text)


class Problem(gr.Error):
    """A Chinese error toast: titled 出错了, gone after a few seconds, and no traceback in
    the server's console (these are a user's mistakes, or already logged)."""

    def __init__(self, message: str, duration: float = 6) -> None:
        super().__init__(for_users(message), duration=duration, title="出错了", print_exception=False)


def info(message: str) -> None:
    """A short Chinese notice (提示), gone after 4 s."""
    gr.Info(for_users(message), duration=4, title="提示")


def warning(message: str) -> None:
    """A Chinese warning (注意), gone after 6 s."""
    gr.Warning(for_users(message), duration=6, title="注意")


def field_error(message: str) -> str:
    """A mistake said beside the field it concerns (HTML for a hint under the field)."""
    import html

    return f'<div class="zw-field-error" role="alert">{html.escape(for_users(message))}</div>'


def user_error(exc: BaseException) -> gr.Error:
    """The error to show for ``exc``: domain errors verbatim, anything else generic."""
    if isinstance(exc, Problem):
        return exc
    if isinstance(exc, gr.Error):
        return Problem(str(exc.message) if hasattr(exc, "message") else str(exc))
    if isinstance(exc, ZhiwenError):
        return Problem(f"出错了：{exc}")
    log.error("handler failed", exc_info=exc)
    return Problem(INTERNAL)


def chinese_errors(fn: F) -> F:
    """Wrap a (non-generator) handler so that it only ever raises a Chinese ``gr.Error``."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise user_error(exc) from exc

    return wrapper  # type: ignore[return-value]
