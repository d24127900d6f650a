"""What must not pass between sources, model and user: injected instructions in source text
(a passage that commands its reader), and secrets in a message that may be shown.

Kept apart from :mod:`llm.client` so that extractive answering can screen sentences without
importing the LLM client stack.

This screen is one layer only: no pattern list recognises every phrasing, so the model's
output is checked on its own terms as well (:func:`llm.validate.check_answer`: citations exist,
each figure, link and quotation stands in a cited passage, the wording comes from them).
"""

from __future__ import annotations

import re

# Verbs by which text tells its reader to drop what came before, and the words naming
# what is to be dropped; matched within a short distance in either language.
_DROP = (r"(?:忽略|忽視|忽视|无视|無視|忘记|忘記|忘掉|不要理会|不要理會|不用理会|不要管|别管|別管|"
         r"不要遵守|抛开|拋開)")
_WHAT = (r"(?:指示|指令|提示|规则|規則|设定|設定|要求|以上|上面|上述|之前|此前|先前|前面|前文|前述|"
         r"所有内容|全部内容|所有的话|一切)")
_INJECTION = re.compile(
    rf"{_DROP}[^。！？；\n]{{0,10}}{_WHAT}"
    rf"|{_WHAT}[^。！？；\n]{{0,6}}(?:都|全部|一律)?(?:作废|無效|无效|不算数|不算數)"
    r"|\b(?:ignore|disregard|forget|skip|override|bypass)\s+(?:\w+\s+){0,3}?"
    r"(?:previous|prior|above|earlier|preceding|instructions?|rules|prompts?|everything|all)\b"
    r"|\bnew\s+instructions?\s*:"
    r"|system\s+prompt|系统提示|系統提示|你现在是|你現在是|从现在开始你|從現在開始你|你的新任务|你的新任務"
    r"|<\|im_start\|>|<\|im_end\|>|\[/?INST\]",
    re.IGNORECASE,
)


def suspicious_passages(passages: list[str]) -> list[int]:
    """Numbers (from 1) of the passages that contain injection phrases (``忽略以上指示`` …)."""
    return [i for i, p in enumerate(passages, start=1) if _INJECTION.search(p)]


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
