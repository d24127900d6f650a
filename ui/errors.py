"""Turning failures into messages for a person: every handler error becomes a Chinese
``gr.Error``; unexpected ones are logged with their traceback and never shown."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import gradio as gr

from zhiwen.errors import ZhiwenError

log = logging.getLogger("zhiwen.app")
F = TypeVar("F", bound=Callable[..., Any])
INTERNAL = "发生内部错误，请稍后再试；若反复出现，请把操作步骤和时间告诉管理员。"


def user_error(exc: BaseException) -> gr.Error:
    """The ``gr.Error`` to show for ``exc``: domain errors verbatim, anything else generic."""
    if isinstance(exc, gr.Error):
        return exc
    if isinstance(exc, ZhiwenError):
        return gr.Error(f"出错了：{exc}")
    log.error("handler failed", exc_info=exc)
    return gr.Error(INTERNAL)


def chinese_errors(fn: F) -> F:
    """Wrap a (non-generator) handler so that it only ever raises a Chinese ``gr.Error``."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise user_error(exc) from exc

    return wrapper  # type: ignore[return-value]
