"""What the ``zhiwen`` commands share: the index and LLM options, opening the session, and
writing JSON and report files."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from zhiwen.errors import InputError
from zhiwen.session import Session

F = TypeVar("F", bound=Callable[..., Any])

INDEX_HELP = ("索引位置：文件夹（默认 $ZHIWEN_INDEX 或 ./.zhiwen/index）、milvus-lite:<文件>.db "
              "或 milvus://<主机>:<端口>/<集合名>")
EMBEDDER_HELP = "嵌入模型（须与建索引时一致）"
SCRIPT = click.Choice(["simplified", "original"])
SCRIPT_HELP = "（默认取「设置」页保存的字形，否则 simplified）"


def index_folder(value: str | None) -> Any:
    """The index location (a folder ``Path`` or an ``index.milvus.MilvusLocation``, which
    stands in for a folder wherever a front end keeps its own files beside the index)."""
    from index.store import index_location

    return index_location(value)


def embedder_name(value: str | None) -> str | None:
    """The ``--embedder`` flag, else ``$ZHIWEN_EMBEDDER``, else ``None`` (the index's own)."""
    return value or os.environ.get("ZHIWEN_EMBEDDER") or None


def open_session(index: str | None, embedder: str | None, **overrides: Any) -> Session:
    """The session of a query command (see :func:`zhiwen.session.open` for the order in
    which flags, saved settings and the environment are read)."""
    from zhiwen.session import open as open_index

    return open_index(index_folder(index), embedder=embedder_name(embedder), **overrides)


def echo_json(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2))


class EngineK(click.Option):
    """``--k`` of the answer commands: its help names the engine's ``DEFAULT_K``, read only
    when the help is shown (importing ``qa.engine`` takes a second)."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        from qa.engine import DEFAULT_K

        self.help = f"读取的段落数（默认 {DEFAULT_K}）"
        return super().get_help_record(ctx)


def llm_options(f: F) -> F:
    """The --llm-* flags; each wins over the settings saved by the app, then over its
    ZHIWEN_LLM_* environment variable."""
    f = click.option("--llm-api-key", default=None,
                     help="API 密钥（否则取「设置」页为该地址保存的密钥，或 ZHIWEN_LLM_API_KEY）")(f)
    f = click.option("--llm-model", default=None,
                     help="模型名（否则取「设置」页保存的，或 ZHIWEN_LLM_MODEL）")(f)
    f = click.option("--llm-base-url", default=None,
                     help="OpenAI 兼容服务地址，如 http://127.0.0.1:11434/v1（否则取「设置」页保存的，"
                          "或 ZHIWEN_LLM_BASE_URL）；都没有则用离线抽取式答案")(f)
    return f


def write_text(path: Path, text: str) -> None:
    """Write a report file, or say in Chinese why it cannot be written."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        reason = "权限不足" if isinstance(exc, PermissionError) else (exc.strerror or str(exc))
        raise InputError(str(path), f"无法写入报告：{reason}") from exc
