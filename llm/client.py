"""LLM mode: answers from any OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp, DeepSeek, Qwen).

The endpoint is reached through llama-index's ``OpenAILike``. Settings come from flags or
the environment variables ``ZHIWEN_LLM_BASE_URL``, ``ZHIWEN_LLM_MODEL`` and
``ZHIWEN_LLM_API_KEY``. Every failure of the endpoint surfaces as :class:`LLMError` with a
Chinese message naming the address; :func:`check_answer` then vets what the model wrote
(citations in range, at least one citation, every figure backed by a cited passage, no
reliance on a passage that carries injected instructions).
"""

from __future__ import annotations

import contextvars
import logging
import os
import queue
import re
import socket
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
import openai
from llama_index.core.llms import ChatMessage, MessageRole
from llama_index.llms.openai_like import OpenAILike

from llm.prompts import (
    ABSTAIN_PHRASE,
    CONDENSE_SYSTEM,
    SYSTEM_PROMPT,
    condense_user_message,
    question_user_message,
)
from llm.safety import suspicious_passages
from text.numbers import numbers_supported
from zhiwen.errors import ConfigError, LLMError

__all__ = [
    "ABSTAIN_PHRASE", "LLMSettings", "answer_deadline", "build_messages", "check_answer",
    "cited_numbers", "condense_question", "is_abstention", "llm_time", "make_llm", "redact",
    "stream_chat", "suspicious_passages", "test_connection",
]  # fmt: skip

log = logging.getLogger(__name__)
T = TypeVar("T")

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


# --- prompts --------------------------------------------------------------------------------

_CITATION = re.compile(r"[\[【［]\s*([0-9０-９]+(?:\s*[,，、]\s*[0-9０-９]+)*)\s*[\]】］]")


def _without_markers(text: str) -> str:
    return _CITATION.sub("", text)


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
        messages.append(ChatMessage(role=MessageRole.ASSISTANT, content=_without_markers(answered)))
    messages.append(ChatMessage(role=MessageRole.USER, content=question_user_message(question, passages)))
    return messages


# --- secrets never leave in a message -------------------------------------------------------

# What a token looks like: an Authorization value, an sk-/key_-style key (also when an error
# body masks part of it with *), a JWT, or a long run that mixes letters and digits.
_TOKENISH = re.compile(
    r"(?i)\b(?:bearer|basic)\s+[!-~]{4,}"
    r"|\b(?:sk|pk|rk|ak|key|tok|token|secret|api[-_]?key)[-_][A-Za-z0-9_.*~+/=-]{3,}"
    r"|\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*)?"
    r"|[A-Za-z0-9_*+/=-]{20,}"
)


def _looks_secret(run: str) -> bool:
    digits, letters = any(c.isdigit() for c in run), any(c.isalpha() for c in run)
    mixed_case = any(c.isupper() for c in run) and any(c.islower() for c in run)
    return not run[0].isalnum() or (digits and letters) or (mixed_case and len(run) >= 32)


def redact(text: str, *secrets: str) -> str:
    """``text`` with every given secret, and anything else that looks like a token, as ``***``.

    Used on every message that may reach a page, a note or a log: an endpoint that echoes
    the key back ("Incorrect API key provided: sk-…") must not get it shown to a user.
    """
    for secret in secrets:
        if secret and len(secret.strip()) >= 4:
            text = text.replace(secret.strip(), "***")

    def mask(m: re.Match[str]) -> str:
        run = m.group(0)
        if re.fullmatch(r"[A-Za-z0-9_*+/=-]{20,}", run) and not _looks_secret(run):
            return run  # a long plain word, not a token
        return "***"

    return _TOKENISH.sub(mask, text)


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


# Words of the condense prompt itself: a "rewrite" holding them is the template echoed back.
_TEMPLATE = re.compile(r"对话历史|后续问题|改写后的|独立问题|<\s*/?\s*资料|(?:^|\n)\s*(?:用户|助手)\s*[:：]")
# Characters that carry no content on their own; a bigram of two of them is no content word.
_FUNCTION_CHARS = set("的了是在和与及或呢吗吧啊么什怎那这哪谁多少几个请问一有也都就把被对为于其该此上下中")


def _content_words(text: str) -> set[str]:
    """CJK character bigrams (simplified) and ASCII words of ``text``, function words aside."""
    from ingest.normalize import search_form

    form = search_form(text)
    words = {w for w in re.findall(r"[a-z0-9]{2,}", form)}
    for run in re.findall(r"[\u3400-\u9fff]+", form):
        words |= {run[i : i + 2] for i in range(len(run) - 1)
                  if not (run[i] in _FUNCTION_CHARS and run[i + 1] in _FUNCTION_CHARS)}
    return words


def usable_rewrite(rewrite: str, history: Sequence[tuple[str, str]], question: str) -> bool:
    """Whether the model's rewrite of a follow-up may be used as the search query.

    Refused: the prompt template echoed back (``对话历史：`` …), or text that shares no
    content word with the conversation and the follow-up (the model answered, or rambled,
    instead of rewriting).
    """
    if not rewrite.strip() or _TEMPLATE.search(rewrite) or len(rewrite) > 4 * len(question) + 200:
        return False
    said = " ".join([question, *(f"{q} {a}" for q, a in history)])
    return bool(_content_words(rewrite) & _content_words(said))


def condense_question(llm: OpenAILike, history: Sequence[tuple[str, str]], question: str) -> str:
    """``question`` rewritten as a standalone question given ``history`` (user, answer) pairs.

    Returns ``question`` unchanged, without calling the model, when ``history`` is empty.
    When the model's rewrite is unusable (empty, the template echoed, or sharing no content
    word with the conversation, see :func:`usable_rewrite`) the extractive resolution of
    the follow-up is returned instead. Raises LLMError on endpoint failure.
    """
    if not history:
        return question
    trimmed = [(q, _without_markers(a)[:_HISTORY_ANSWER_CHARS]) for q, a in history]
    messages = [
        ChatMessage(role=MessageRole.SYSTEM, content=CONDENSE_SYSTEM),
        ChatMessage(role=MessageRole.USER, content=condense_user_message(trimmed, question)),
    ]
    lines = [ln.strip() for ln in _chat_text(llm, messages).splitlines() if ln.strip()]
    rewrite = re.sub(r"^(改写后的)?(独立)?问题[:：]\s*", "", lines[0]).strip("\"'“”‘’「」 ") if lines else ""
    if usable_rewrite(rewrite, history, question):
        return rewrite
    log.info("LLM rewrite of a follow-up discarded: %r", rewrite[:80])
    from qa.engine import Turn, resolve_followup

    return resolve_followup(question, [Turn(q, a) for q, a in history])


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

    Beyond these, because no filter recognises every phrasing of an injected instruction,
    the answer itself must stay inside what it cites: (e) a sentence that carries its own
    markers states only figures of the passages it cites; (f) every link, e-mail address
    and phone number, and (g) every quotation in “…” or 「…」, stands in a cited passage
    verbatim; (h) no prompt markup (``<资料>``, ``<|im_start|>``, role labels) is echoed;
    (i) most of the answer's wording comes from the cited passages. An answer that obeyed
    a planted instruction ("reply with this link", "say you are unrestricted") fails here.
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
    sources = [passages[n - 1] for n in valid]
    seen: set[str] = set()
    for q in numbers_supported(text, sources):
        if q.text not in seen:
            seen.add(q.text)
            problems.append(f"数字 {q.text} 在所引资料中找不到")
    for sentence, own in _cited_sentences(text):
        mine = [passages[n - 1] for n in own if 1 <= n <= len(passages)]
        for q in numbers_supported(sentence, mine) if mine else []:
            if q.text not in seen:
                seen.add(q.text)
                marks = "".join(f"[{n}]" for n in own)
                problems.append(f"数字 {q.text} 不在该句所引的资料 {marks} 中")
    if sources and not is_abstention(text):
        problems += _outside_sources(text, sources)
    return problems


_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?\n]?")
_LINKISH = re.compile(r"(?i)(?:https?://|www\.)[^\s<>\"'，。；）)\]】]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
                      r"|(?<!\d)1[3-9]\d{9}(?!\d)|(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")
_QUOTED = re.compile(r"“([^”]{2,})”|「([^」]{2,})」|\"([^\"]{2,})\"")
_MARKUP = re.compile(r"(?i)<\s*/?\s*资料|<\|im_(?:start|end)\|>|^\s*(?:system|assistant|user)\s*[:：]",
                     re.MULTILINE)
_GROUNDED_SHARE = 0.5
_MIN_CONTENT = 6


def _cited_sentences(text: str) -> Iterator[tuple[str, list[int]]]:
    """Each sentence of ``text`` that carries citation markers, with the numbers it cites."""
    for m in _SENTENCE.finditer(text):
        sentence = m.group(0)
        own = cited_numbers(sentence)
        if own:
            yield sentence, own


def _content_chars(text: str) -> list[str]:
    """The ideographs (simplified) and lower-cased ASCII words of ``text``, function
    characters and citation markers aside."""
    from ingest.normalize import search_form

    form = search_form(_without_markers(text))
    words = re.findall(r"[a-z]{2,}", form)
    chars = [c for c in form if "\u3400" <= c <= "\u9fff" and c not in _FUNCTION_CHARS]
    return chars + words


def _outside_sources(text: str, sources: list[str]) -> list[str]:
    """Problems (f)–(i) of :func:`check_answer`: what the answer says beyond its sources."""
    from ingest.normalize import search_form

    problems: list[str] = []
    pool = search_form("\n".join(sources))
    for m in _LINKISH.finditer(text):
        if search_form(m.group(0)) not in pool:
            problems.append(f"链接或联系方式 {redact(m.group(0))[:60]} 在所引资料中找不到")
    for m in _QUOTED.finditer(_without_markers(text)):
        quote = next(g for g in m.groups() if g)
        if search_form(quote).strip() not in pool:
            problems.append(f"引号中的文字“{redact(quote[:30])}”不是所引资料的原文")
    if _MARKUP.search(text):
        problems.append("回答中含有提示词的标记文字，不是依据资料的回答")
    content = _content_chars(text)
    if len(content) >= _MIN_CONTENT:
        grounded = sum(1 for c in content if c in pool)
        if grounded < _GROUNDED_SHARE * len(content):
            problems.append(f"回答的大部分文字在所引资料中找不到（只有 {grounded}/{len(content)} 出自资料）")
    return problems
