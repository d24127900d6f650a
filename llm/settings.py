"""Where and how to call the model: :class:`LLMSettings`, validated on construction.

Kept apart from :mod:`llm.client` so that resolving the settings (see :mod:`zhiwen.session`)
does not import the OpenAI client stack; extractive mode never loads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from zhiwen.errors import ConfigError

ENV_BASE_URL = "ZHIWEN_LLM_BASE_URL"
ENV_MODEL = "ZHIWEN_LLM_MODEL"
ENV_API_KEY = "ZHIWEN_LLM_API_KEY"


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

