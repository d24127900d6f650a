"""LLM mode against servers that misbehave (issue 11, items 6, 7 and 11): one overall
deadline that neither a dripping stream nor SSE pings can extend, no key or token in any
message, and follow-up rewrites that are discarded when they are not rewrites."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from llm.client import answer_deadline, build_messages, condense_question, llm_time, make_llm, stream_chat
from llm.settings import LLMSettings
from qa.engine import Turn, resolve_followup
from zhiwen.errors import LLMError

sys.path.insert(0, str(Path(__file__).parent))
from fake_openai import FakeOpenAI

PASSAGES = ["今年截至目前，社會捐贈折合共計約193萬元。"]
HISTORY = [("清溪镇今年社会捐赠多少？", "今年截至目前共计约193万元[1]。")]


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(model="qwen-fake") as server:
        yield server


def test_a_dripping_stream_cannot_outlast_the_timeout(fake: FakeOpenAI) -> None:
    # one piece every 0.3 s keeps a 1 s read timeout from ever firing; 20 pieces take 6 s
    fake.queue(["约"] * 19 + ["193万元[1]。"], interval=0.3)
    llm = make_llm(LLMSettings(fake.base_url, "qwen-fake", timeout=1.0))
    shown: list[str] = []
    with pytest.raises(LLMError, match="没有响应完"):
        stream_chat(llm, build_messages("问？", PASSAGES), shown.append)
    assert 0 < len(shown) < 20  # it was cut off mid-stream, not after the last piece


def test_sse_pings_cannot_outlast_the_timeout(fake: FakeOpenAI) -> None:
    # llama.cpp's server pings every 15 s while it reads a long prompt: scaled down here
    fake.queue("约193万元[1]。", pings=5.0, interval=0.2)
    llm = make_llm(LLMSettings(fake.base_url, "qwen-fake", timeout=1.0))
    with pytest.raises(LLMError, match="没有响应完"):
        stream_chat(llm, build_messages("问？", PASSAGES))


def test_one_deadline_spans_every_request_of_an_answer(fake: FakeOpenAI) -> None:
    fake.queue("清溪镇累计社会捐赠多少？", delay=0.6)  # the condense step, within its own timeout
    fake.queue(["约"] * 10 + ["193万元[1]。"], interval=0.15)  # also within its own timeout alone
    llm = make_llm(LLMSettings(fake.base_url, "qwen-fake", timeout=5.0))
    with answer_deadline(1.0), pytest.raises(LLMError, match=r"1 秒内没有响应完"):
        condense_question(llm, HISTORY, "那累计呢？")
        stream_chat(llm, build_messages("问？", PASSAGES))


def test_time_spent_on_the_model_is_measured(fake: FakeOpenAI) -> None:
    fake.queue("约193万元[1]。", delay=0.3)
    llm = make_llm(LLMSettings(fake.base_url, "qwen-fake", timeout=5.0))
    with llm_time() as spent:
        stream_chat(llm, build_messages("问？", PASSAGES))
    assert spent[0] >= 0.3


def test_a_401_that_echoes_the_key_never_reaches_the_message(fake: FakeOpenAI) -> None:
    key = "sk-proj-Zx81kQ0aLm2Nc7Rt5Yv9"
    fake.queue_error(401, f"Incorrect API key provided: {key}. Also token tok_9a8b7c6d5e4f3a2b1c0d.")
    llm = make_llm(LLMSettings(fake.base_url, "qwen-fake", api_key=key))
    with pytest.raises(LLMError) as info:
        stream_chat(llm, build_messages("问？", PASSAGES))
    message = str(info.value)
    assert "密钥" in message
    assert key not in message and "sk-" not in message and "tok_" not in message
    assert "Incorrect" not in message  # no raw body at all


@pytest.mark.parametrize("reply", ["对话历史：", "对话历史：\n用户：清溪镇今年社会捐赠多少？",
                                   "北京明天的天气怎么样？", "后续问题：那累计呢？"])
def test_a_rewrite_that_is_no_rewrite_is_refused_for_the_extractive_resolution(
        fake: FakeOpenAI, reply: str) -> None:
    fake.queue(reply)
    llm = make_llm(LLMSettings(fake.base_url, "qwen-fake", timeout=5.0))
    assert condense_question(llm, HISTORY, "那累计呢？") is None  # the engine resolves it itself
    assert "社会捐赠" in resolve_followup("那累计呢？", [Turn(*HISTORY[0])])


def test_a_real_rewrite_is_kept(fake: FakeOpenAI) -> None:
    fake.queue("清溪镇累计社会捐赠多少资金？")
    llm = make_llm(LLMSettings(fake.base_url, "qwen-fake", timeout=5.0))
    assert condense_question(llm, HISTORY, "那累计呢？") == "清溪镇累计社会捐赠多少资金？"
