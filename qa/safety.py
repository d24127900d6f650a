"""Injected instructions in source text: a passage that commands its reader.

Kept apart from :mod:`qa.llm` so that extractive answering can screen sentences without
importing the LLM client stack.
"""

from __future__ import annotations

import re

# Phrases by which a document tries to command the model; a passage holding one may not
# back an answer, since the model may have obeyed it rather than reported it.
_INJECTION = re.compile(
    r"(忽略|无视|無視|忘记|忘記|忘掉|不要理会|不要理會|不要遵守)[^，,。！？；\n]{0,8}"
    r"(指示|指令|提示|规则|規則|设定|設定|要求)"
    r"|ignore\s+(all\s+|any\s+)?(the\s+)?(previous|prior|above|earlier|preceding)\b"
    r"|disregard\s+(all\s+|any\s+)?(the\s+)?(previous|prior|above|earlier)\b"
    r"|system\s+prompt|系统提示|系統提示|你现在是|你現在是|<\|im_start\|>",
    re.IGNORECASE,
)


def suspicious_passages(passages: list[str]) -> list[int]:
    """Numbers (from 1) of the passages that contain injection phrases (``忽略以上指示`` …)."""
    return [i for i, p in enumerate(passages, start=1) if _INJECTION.search(p)]
