"""LLM mode: answers from any OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp, DeepSeek, Qwen).

The endpoint is reached through llama-index's ``OpenAILike``. Settings come from flags or
the environment variables ``ZHIWEN_LLM_BASE_URL``, ``ZHIWEN_LLM_MODEL`` and
``ZHIWEN_LLM_API_KEY``. Every failure of the endpoint surfaces as :class:`LLMError` with a
Chinese message naming the address; :func:`check_answer` then vets what the model wrote
(citations in range, at least one citation, every figure backed by a cited passage, no
reliance on a passage that carries injected instructions).
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

import httpx
import openai
from llama_index.core.llms import ChatMessage, MessageRole
from llama_index.llms.openai_like import OpenAILike

from qa.numbers import numbers_supported
from qa.prompts import (
    ABSTAIN_PHRASE,
    CONDENSE_SYSTEM,
    SYSTEM_PROMPT,
    condense_user_message,
    question_user_message,
)
from qa.safety import suspicious_passages
from zhiwen.errors import ConfigError, LLMError

__all__ = [
    "ABSTAIN_PHRASE", "LLMSettings", "build_messages", "check_answer", "cited_numbers",
    "condense_question", "is_abstention", "make_llm", "stream_chat", "suspicious_passages",
    "test_connection",
]  # fmt: skip

ENV_BASE_URL = "ZHIWEN_LLM_BASE_URL"
ENV_MODEL = "ZHIWEN_LLM_MODEL"
ENV_API_KEY = "ZHIWEN_LLM_API_KEY"

# Only used by llama-index for prompt budgeting; the server enforces the real limit.
CONTEXT_WINDOW = 8192
# The openai client refuses an empty key even when the server ignores keys (Ollama, vLLM).
_PLACEHOLDER_KEY = "sk-none"
_HISTORY_ANSWER_CHARS = 300


def _valid_url(url: str) -> bool:
    """Whether ``url`` is an absolute http(s) URL with a host and, if any, a numeric port."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 -- evaluated for the ValueError a malformed port raises
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


@dataclass(frozen=True, slots=True)
class LLMSettings:
    """Where and how to call the model; validated on construction (raises ConfigError).

    ``api_key`` is left out of ``repr()`` so it never reaches a log.
    """

    base_url: str
    model: str
    api_key: str = field(default="", repr=False)
    timeout: float = 60.0
    temperature: float = 0.0
    max_tokens: int = 512

    def __post_init__(self) -> None:
        if not _valid_url(self.base_url):
            raise ConfigError(
                f"{ENV_BASE_URL} 不是有效的网址：{self.base_url!r}（应形如 http://127.0.0.1:11434/v1）"
            )
        if not self.model.strip():
            raise ConfigError(
                f"已设置大模型地址 {self.base_url}，但没有指定模型名："
                f"请设置 {ENV_MODEL}（如 qwen2.5:7b）或使用 --llm-model"
            )
        if self.timeout <= 0:
            raise ConfigError(f"大模型超时时间必须大于 0 秒，现在是 {self.timeout}")
        if self.max_tokens <= 0:
            raise ConfigError(f"大模型最大生成长度必须大于 0，现在是 {self.max_tokens}")
        if not 0 <= self.temperature <= 2:
            raise ConfigError(f"大模型温度必须在 0 到 2 之间，现在是 {self.temperature}")

    @classmethod
    def from_env(
        cls, base_url: str | None = None, model: str | None = None, api_key: str | None = None
    ) -> LLMSettings | None:
        """Settings from the arguments, each falling back to its environment variable.

        An argument that is None or empty defers to the environment. Returns None when no
        base URL is given either way (LLM mode off). Raises ConfigError when a base URL is
        set but no model, or the URL is malformed. A trailing ``/`` of the URL is dropped.
        """
        url = (base_url or os.environ.get(ENV_BASE_URL, "")).strip()
        if not url:
            return None
        name = (model or os.environ.get(ENV_MODEL, "")).strip()
        key = (api_key or os.environ.get(ENV_API_KEY, "")).strip()
        return cls(base_url=url.rstrip("/"), model=name, api_key=key)


def make_llm(settings: LLMSettings) -> OpenAILike:
    """An ``OpenAILike`` chat model for ``settings`` that fails fast: no retries at all.

    The key goes only into the openai clients handed to it; the llama-index object, whose
    ``repr()`` lists its fields, holds a placeholder.
    """
    key, url, timeout = settings.api_key or _PLACEHOLDER_KEY, settings.base_url, settings.timeout
    # mypy derives OpenAILike's __init__ from its pydantic fields; the inherited OpenAI
    # __init__ that runs does accept the two client arguments.
    return OpenAILike(  # type: ignore[call-arg]
        model=settings.model,
        api_base=url,
        api_key=_PLACEHOLDER_KEY,
        openai_client=openai.OpenAI(api_key=key, base_url=url, timeout=timeout, max_retries=0),
        async_openai_client=openai.AsyncOpenAI(api_key=key, base_url=url, timeout=timeout, max_retries=0),
        is_chat_model=True,
        is_function_calling_model=False,
        context_window=CONTEXT_WINDOW,
        max_tokens=settings.max_tokens,
        temperature=settings.temperature,
        timeout=settings.timeout,
        max_retries=0,
    )


# --- prompts --------------------------------------------------------------------------------

_CITATION = re.compile(r"[\[【［]\s*([0-9０-９]+(?:\s*[,，、]\s*[0-9０-９]+)*)\s*[\]】］]")


def _without_markers(text: str) -> str:
    return _CITATION.sub("", text)


def build_messages(
    question: str, passages: list[str], history: Sequence[tuple[str, str]] = ()
) -> list[ChatMessage]:
    """The chat for one answer: system rules, earlier turns, then passages and question.

    Passages are numbered from 1 in the order given and wrapped as data (see
    :mod:`qa.prompts`). Citation markers are removed from earlier answers because their
    numbers referred to earlier passages.
    """
    messages = [ChatMessage(role=MessageRole.SYSTEM, content=SYSTEM_PROMPT)]
    for asked, answered in history:
        messages.append(ChatMessage(role=MessageRole.USER, content=asked))
        messages.append(ChatMessage(role=MessageRole.ASSISTANT, content=_without_markers(answered)))
    messages.append(ChatMessage(role=MessageRole.USER, content=question_user_message(question, passages)))
    return messages


# --- calling the endpoint -------------------------------------------------------------------


def _reason(exc: BaseException) -> str:
    """A Chinese reason for a connection failure, from the innermost cause that names one."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return "连接被拒绝（服务没有启动或端口不对）"
        if isinstance(seen, socket.gaierror):
            return "找不到该主机"
        if isinstance(seen, TimeoutError | httpx.TimeoutException):
            return "连接超时"
        seen = seen.__cause__ or seen.__context__
    return str(exc) or type(exc).__name__


def _translate(exc: Exception, llm: OpenAILike) -> LLMError:
    url, model = llm.api_base, llm.model
    if isinstance(exc, openai.APITimeoutError):
        return LLMError(f"大模型服务 {url} 在 {llm.timeout:g} 秒内没有响应")
    if isinstance(exc, openai.APIConnectionError):
        return LLMError(f"无法连接大模型服务 {url}：{_reason(exc)}")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        body = exc.body if isinstance(exc.body, dict) else {}
        said = str(body.get("message") or exc.message)[:200]
        if status in (401, 403):
            hint = f"API 密钥无效或缺失（请检查 {ENV_API_KEY}）：{said}"
        elif status == 404:
            hint = f"找不到模型 {model} 或接口地址有误（地址通常以 /v1 结尾）：{said}"
        elif status == 429:
            hint = f"请求过于频繁或额度已用完：{said}"
        else:
            hint = said
        return LLMError(f"大模型服务 {url} 返回 HTTP {status}：{hint}")
    return LLMError(f"大模型服务 {url} 返回了无法解析的应答（{type(exc).__name__}: {str(exc)[:200]}）")


# Malformed replies surface from the openai client and llama-index as plain Python errors
# (a JSON decode error, a None where a list of choices belongs), hence the broad tuple.
_MALFORMED = (ValueError, TypeError, KeyError, IndexError, AttributeError)


@contextmanager
def _calling(llm: OpenAILike) -> Iterator[None]:
    """Turn every failure of a request to ``llm`` into an LLMError naming its address."""
    try:
        yield
    except LLMError:
        raise
    except (openai.OpenAIError, httpx.HTTPError, *_MALFORMED) as exc:
        raise _translate(exc, llm) from exc


_THINK_OPEN, _THINK_CLOSE = "<think>", "</think>"


def _visible(text: str, final: bool) -> str:
    """``text`` without a leading ``<think>…</think>`` block (reasoning models put one there).

    While streaming (``final`` False) an unfinished block, or a start that may still become
    ``<think>``, shows nothing yet.
    """
    head = text.lstrip()
    if head.startswith(_THINK_OPEN):
        _, closed, rest = head.partition(_THINK_CLOSE)
        return rest.lstrip() if closed else ""
    if not final and _THINK_OPEN.startswith(head):
        return ""
    return text


def stream_chat(
    llm: OpenAILike, messages: list[ChatMessage], on_token: Callable[[str], None] | None = None
) -> str:
    """Stream the model's reply, calling ``on_token`` with each new piece of visible text.

    Returns the whole reply, stripped, without any leading ``<think>`` block. Raises
    LLMError (in Chinese, naming the base URL) when the endpoint is unreachable, times out,
    answers with an HTTP error or a malformed stream, or returns nothing.
    """
    full, shown = "", 0
    with _calling(llm):
        chunks = llm.stream_chat(messages)
    while True:
        # Only the reading is guarded: an error raised by on_token is the caller's own.
        with _calling(llm):
            chunk = next(chunks, None)
        if chunk is None:
            break
        full += chunk.delta or ""
        visible = _visible(full, final=False)
        if on_token is not None and len(visible) > shown:
            on_token(visible[shown:])
            shown = len(visible)
    text = _visible(full, final=True)
    if on_token is not None and len(text) > shown:
        on_token(text[shown:])
    if not text.strip():
        raise LLMError(f"大模型服务 {llm.api_base} 返回了空回答（模型 {llm.model}）")
    return text.strip()


def _chat_text(llm: OpenAILike, messages: list[ChatMessage]) -> str:
    with _calling(llm):
        response = llm.chat(messages)
        return _visible(response.message.content or "", final=True).strip()


def condense_question(llm: OpenAILike, history: Sequence[tuple[str, str]], question: str) -> str:
    """``question`` rewritten as a standalone question given ``history`` (user, answer) pairs.

    Returns ``question`` unchanged, without calling the model, when ``history`` is empty,
    and also when the model returns nothing usable. Raises LLMError on endpoint failure.
    """
    if not history:
        return question
    trimmed = [(q, _without_markers(a)[:_HISTORY_ANSWER_CHARS]) for q, a in history]
    messages = [
        ChatMessage(role=MessageRole.SYSTEM, content=CONDENSE_SYSTEM),
        ChatMessage(role=MessageRole.USER, content=condense_user_message(trimmed, question)),
    ]
    lines = [ln.strip() for ln in _chat_text(llm, messages).splitlines() if ln.strip()]
    if not lines:
        return question
    rewrite = re.sub(r"^(改写后的)?(独立)?问题[:：]\s*", "", lines[0]).strip("\"'“”‘’「」 ")
    return rewrite or question


def test_connection(settings: LLMSettings) -> str:
    """Send one tiny chat request; a Chinese OK message naming the model, or LLMError."""
    llm = make_llm(replace(settings, max_tokens=16))
    _chat_text(llm, [ChatMessage(role=MessageRole.USER, content="请回复：好")])
    return f"大模型服务 {settings.base_url} 连接正常，模型 {settings.model} 可以应答"


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


# --- checking an answer ---------------------------------------------------------------------

_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")

def cited_numbers(text: str) -> list[int]:
    """The passage numbers cited in ``text`` (``[1]``, ``【2】``, ``[1,2]``, ``[1][2]``, ``［３］``),
    each once, in order of first appearance."""
    found: list[int] = []
    for m in _CITATION.finditer(text):
        for part in re.split(r"\s*[,，、]\s*", m.group(1).strip()):
            n = int(part.translate(_DIGITS))
            if n not in found:
                found.append(n)
    return found


def is_abstention(text: str) -> bool:
    """Whether ``text`` is the abstention phrase alone (punctuation and citations aside)."""
    core = re.sub(r"[\s。．.！!，,、；;：:“”\"'‘’「」]", "", _without_markers(text))
    return core == ABSTAIN_PHRASE


def check_answer(text: str, passages: list[str]) -> list[str]:
    """Problems of a model's answer, in Chinese; an empty list means it passes.

    Checks that (a) every cited number names a passage that was given, (b) an answer other
    than :data:`ABSTAIN_PHRASE` cites at least one passage, (c) every figure and date of the
    answer is stated by a cited passage (numerals normalized: ``193万元`` is backed by
    ``约193萬元``, ``200万元`` is not), and (d) no cited passage contains injected
    instructions (see :func:`suspicious_passages`): text that commands the model cannot
    vouch for the answer the model gave, even when its figures match.
    """
    problems: list[str] = []
    cited = cited_numbers(text)
    valid = [n for n in cited if 1 <= n <= len(passages)]
    for n in cited:
        if n not in valid:
            problems.append(f"引用编号 [{n}] 不存在：只提供了 {len(passages)} 段资料")
    if not valid and not is_abstention(text):
        problems.append("回答没有引用任何资料")
    for n in sorted(set(valid) & set(suspicious_passages(passages))):
        problems.append(f"所引资料 [{n}] 含有疑似注入的指令文字，不能作为回答的依据")
    seen: set[str] = set()
    for q in numbers_supported(text, [passages[n - 1] for n in valid]):
        if q.text not in seen:
            seen.add(q.text)
            problems.append(f"数字 {q.text} 在所引资料中找不到")
    return problems
