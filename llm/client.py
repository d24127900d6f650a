"""LLM mode: the client of any OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp, DeepSeek, Qwen).

The endpoint is reached through llama-index's ``OpenAILike``, built from
:class:`llm.settings.LLMSettings`. Every failure of the endpoint surfaces as
:class:`LLMError` with a Chinese message naming the address; :mod:`llm.validate` then vets
what the model wrote (citations in range, at least one citation, every figure backed by a
cited passage, no reliance on a passage that carries injected instructions).
"""

from __future__ import annotations

import contextvars
import logging
import queue
import re
import socket
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, TypeVar

import httpx
import openai
from llama_index.core.llms import ChatMessage, MessageRole
from llama_index.llms.openai_like import OpenAILike

from llm.prompts import CONDENSE_SYSTEM, SYSTEM_PROMPT, condense_user_message, question_user_message
from llm.safety import redact
from llm.settings import ENV_API_KEY, LLMSettings
from llm.validate import usable_rewrite, without_markers
from zhiwen.errors import LLMError

log = logging.getLogger(__name__)
T = TypeVar("T")


# Only used by llama-index for prompt budgeting; the server enforces the real limit.
CONTEXT_WINDOW = 8192
# The openai client refuses an empty key even when the server ignores keys (Ollama, vLLM).
_PLACEHOLDER_KEY = "sk-none"
_HISTORY_ANSWER_CHARS = 300


def make_llm(settings: LLMSettings) -> OpenAILike:
    """An ``OpenAILike`` chat model for ``settings`` that fails fast: no retries at all.

    The key goes only into the openai clients handed to it; the llama-index object, whose
    ``repr()`` lists its fields, holds a placeholder.
    """
    key, url, timeout = settings.api_key or _PLACEHOLDER_KEY, settings.base_url, settings.timeout
    clients: dict[str, Any] = {"api_key": key, "base_url": url, "timeout": timeout, "max_retries": 0}
    sync_http = async_http = None
    if not settings.api_key:
        # Without a key no Authorization header goes out at all: not even a placeholder
        # travels to an endpoint that was given no key.
        def strip(request: httpx.Request) -> None:
            request.headers.pop("Authorization", None)

        async def astrip(request: httpx.Request) -> None:
            strip(request)

        sync_http = openai.DefaultHttpxClient(event_hooks={"request": [strip]})
        async_http = openai.DefaultAsyncHttpxClient(event_hooks={"request": [astrip]})
    # mypy derives OpenAILike's __init__ from its pydantic fields; the inherited OpenAI
    # __init__ that runs does accept the two client arguments.
    return OpenAILike(  # type: ignore[call-arg]
        model=settings.model,
        api_base=url,
        api_key=_PLACEHOLDER_KEY,
        openai_client=openai.OpenAI(**clients, http_client=sync_http),
        async_openai_client=openai.AsyncOpenAI(**clients, http_client=async_http),
        is_chat_model=True,
        is_function_calling_model=False,
        context_window=CONTEXT_WINDOW,
        max_tokens=settings.max_tokens,
        temperature=settings.temperature,
        timeout=settings.timeout,
        max_retries=0,
    )



def build_messages(
    question: str, passages: list[str], history: Sequence[tuple[str, str]] = ()
) -> list[ChatMessage]:
    """The chat for one answer: system rules, earlier turns, then passages and question.

    Passages are numbered from 1 in the order given and wrapped as data (see
    :mod:`llm.prompts`). Citation markers are removed from earlier answers because their
    numbers referred to earlier passages.
    """
    messages = [ChatMessage(role=MessageRole.SYSTEM, content=SYSTEM_PROMPT)]
    for asked, answered in history:
        messages.append(ChatMessage(role=MessageRole.USER, content=asked))
        messages.append(ChatMessage(role=MessageRole.ASSISTANT, content=without_markers(answered)))
    messages.append(ChatMessage(role=MessageRole.USER, content=question_user_message(question, passages)))
    return messages


# --- one overall deadline per answer --------------------------------------------------------

# (monotonic deadline, its length in seconds) set by answer_deadline for everything the
# model is asked within one answer; None outside.
_DEADLINE: contextvars.ContextVar[tuple[float, float] | None] = contextvars.ContextVar(
    "zhiwen_llm_deadline", default=None)
_SPENT: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar(
    "zhiwen_llm_spent", default=None)


@contextmanager
def answer_deadline(seconds: float) -> Iterator[None]:
    """Every model request inside the block must finish ``seconds`` from now, all together.

    A read timeout alone is no deadline: a server that sends a piece, or an SSE ping, every
    few seconds resets it forever. Nested blocks keep the earlier deadline.
    """
    mine = (time.monotonic() + seconds, seconds)
    outer = _DEADLINE.get()
    token = _DEADLINE.set(mine if outer is None or mine[0] < outer[0] else outer)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


@contextmanager
def llm_time() -> Iterator[list[float]]:
    """Seconds spent waiting for the model within the block, summed into ``spent[0]``."""
    spent = [0.0]
    token = _SPENT.set(spent)
    try:
        yield spent
    finally:
        _SPENT.reset(token)


def _deadline(llm: OpenAILike) -> tuple[float, float]:
    own = (time.monotonic() + float(llm.timeout), float(llm.timeout))
    outer = _DEADLINE.get()
    return outer if outer is not None and outer[0] < own[0] else own


def _spend(seconds: float) -> None:
    spent = _SPENT.get()
    if spent is not None:
        spent[0] += seconds


def _pump(produce: Callable[[], Iterator[T]], deadline: tuple[float, float]) -> Generator[T, None, None]:
    """The items of ``produce()``, read in a worker thread, until ``deadline`` passes.

    Blocking reads cannot be interrupted from outside, so they happen in a daemon thread;
    the caller waits for each item only until the deadline and then raises LLMError. The
    worker stops and closes the stream at its next item (or when the server gives up).
    """
    items: queue.Queue[tuple[bool, Any]] = queue.Queue()
    stop = threading.Event()

    def work() -> None:
        stream: Any = None
        try:
            stream = produce()
            for item in stream:
                items.put((True, item))
                if stop.is_set():
                    break
            items.put((False, None))
        except BaseException as exc:  # handed to the caller, who translates it
            items.put((False, exc))
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:
                    pass

    threading.Thread(target=work, name="zhiwen-llm-read", daemon=True).start()
    try:
        while True:
            remaining = deadline[0] - time.monotonic()
            if remaining <= 0:
                raise LLMError(f"大模型服务在 {deadline[1]:g} 秒内没有响应完（超时）")
            try:
                more, value = items.get(timeout=remaining)
            except queue.Empty:
                raise LLMError(f"大模型服务在 {deadline[1]:g} 秒内没有响应完（超时）") from None
            if not more:
                if value is not None:
                    raise value
                return
            yield value
    finally:
        stop.set()


# --- calling the endpoint -------------------------------------------------------------------


def _reason(exc: BaseException) -> str:
    """A Chinese reason for a connection failure, from the innermost cause that names one.

    Never the exception's own text: it may name hosts and ports of the server's network.
    """
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return "连接被拒绝（服务没有启动或端口不对）"
        if isinstance(seen, socket.gaierror):
            return "找不到该主机"
        if isinstance(seen, TimeoutError | httpx.TimeoutException):
            return "连接超时"
        seen = seen.__cause__ or seen.__context__
    return "连接失败"


def _translate(exc: Exception, llm: OpenAILike) -> LLMError:
    """A Chinese LLMError for ``exc``: what failed, never the response body or an address.

    Messages reach answer notes and the settings page, which any user sees; a body may
    echo the key, and an address or a socket error is a port scanner's answer. The body
    goes to the server log, redacted.
    """
    if isinstance(exc, openai.APITimeoutError):
        return LLMError(f"大模型服务在 {llm.timeout:g} 秒内没有响应（超时）")
    if isinstance(exc, openai.APIConnectionError):
        return LLMError(f"无法连接大模型服务：{_reason(exc)}")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        log.warning("LLM endpoint answered HTTP %s: %s", status, redact(str(exc.body or exc.message)[:300]))
        if status in (401, 403):
            hint = f"API 密钥无效或缺失（请在「设置」中检查密钥，或 {ENV_API_KEY}）"
        elif status == 404:
            hint = f"找不到模型 {redact(llm.model)} 或接口地址有误（地址通常以 /v1 结尾）"
        elif status == 429:
            hint = "请求过于频繁或额度已用完"
        else:
            hint = "服务出错"
        return LLMError(f"大模型服务返回 HTTP {status}：{hint}")
    log.warning("LLM endpoint reply unreadable: %s", redact(repr(exc)[:300]))
    return LLMError(f"大模型服务返回了无法解析的应答（{type(exc).__name__}）")


# Malformed replies surface from the openai client and llama-index as plain Python errors
# (a JSON decode error, a None where a list of choices belongs), hence the broad tuple.
_MALFORMED = (ValueError, TypeError, KeyError, IndexError, AttributeError)


@contextmanager
def _calling(llm: OpenAILike) -> Iterator[None]:
    """Turn every failure of a request to ``llm`` into a Chinese LLMError without secrets."""
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
    LLMError (in Chinese) when the endpoint is unreachable, answers with an HTTP error or a
    malformed stream, returns nothing, or has not finished by the deadline: the model's
    timeout, or the answer's overall deadline (:func:`answer_deadline`) if that is sooner.
    """
    full, shown = "", 0
    started = time.monotonic()
    chunks = _pump(lambda: llm.stream_chat(messages), _deadline(llm))
    try:
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
    finally:
        chunks.close()
        _spend(time.monotonic() - started)
    text = _visible(full, final=True)
    if on_token is not None and len(text) > shown:
        on_token(text[shown:])
    if not text.strip():
        raise LLMError(f"大模型服务返回了空回答（模型 {redact(llm.model)}）")
    return text.strip()


def _chat_text(llm: OpenAILike, messages: list[ChatMessage]) -> str:
    started = time.monotonic()
    try:
        with _calling(llm):
            replies = _pump(lambda: iter([llm.chat(messages)]), _deadline(llm))
            response = next(replies)
            replies.close()
            return _visible(response.message.content or "", final=True).strip()
    finally:
        _spend(time.monotonic() - started)


def condense_question(llm: OpenAILike, history: Sequence[tuple[str, str]], question: str) -> str | None:
    """``question`` rewritten as a standalone question given ``history`` (user, answer) pairs.

    Returns ``question`` unchanged, without calling the model, when ``history`` is empty,
    and ``None`` when the model's rewrite is unusable (empty, the template echoed, or
    sharing no content word with the conversation, see :func:`llm.validate.usable_rewrite`):
    the caller then resolves the follow-up itself. Raises LLMError on endpoint failure.
    """
    if not history:
        return question
    trimmed = [(q, without_markers(a)[:_HISTORY_ANSWER_CHARS]) for q, a in history]
    messages = [
        ChatMessage(role=MessageRole.SYSTEM, content=CONDENSE_SYSTEM),
        ChatMessage(role=MessageRole.USER, content=condense_user_message(trimmed, question)),
    ]
    lines = [ln.strip() for ln in _chat_text(llm, messages).splitlines() if ln.strip()]
    rewrite = re.sub(r"^(改写后的)?(独立)?问题[:：]\s*", "", lines[0]).strip("\"'“”‘’「」 ") if lines else ""
    if usable_rewrite(rewrite, history, question):
        return rewrite
    log.info("LLM rewrite of a follow-up discarded: %r", rewrite[:80])
    return None


def test_connection(settings: LLMSettings) -> str:
    """Send one tiny chat request; a Chinese OK message naming the model, or LLMError."""
    llm = make_llm(replace(settings, max_tokens=16))
    try:
        _chat_text(llm, [ChatMessage(role=MessageRole.USER, content="请回复：好")])
    except LLMError as exc:
        raise LLMError(_coarse(exc)) from exc
    return f"大模型服务连接正常，模型 {settings.model} 可以应答"


def _coarse(exc: LLMError) -> str:
    """Only 无法连接 / 超时 / the HTTP status: the form's address may be anyone's choice, and
    finer detail (refused, unknown host, filtered) would map the server's network."""
    cause = exc.__cause__
    if isinstance(cause, openai.APIStatusError):
        hint = {401: "（密钥无效或缺失）", 403: "（密钥无效或缺失）", 404: "（地址或模型名有误）"}
        return f"HTTP {cause.status_code}{hint.get(cause.status_code, '')}"
    if isinstance(cause, openai.APITimeoutError) or "超时" in str(exc):
        return "超时"
    if isinstance(cause, openai.APIConnectionError):
        return "无法连接"
    return "应答无法解析"


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
