"""The word lists of the language that answering, fact-checking and talking points share,
kept as data files beside this module (shipped in the wheel: ``pyproject.toml``
package-data), each read once:

- ``surnames.txt``: common family names, simplified and traditional (:func:`surnames`);
- ``role_titles.txt``: role titles written before a person's name (:func:`role_titles`);
- ``scope_words.txt``: words that only state a time scope (:func:`scope_words`);
- ``time_scope.tsv``: the time-scope markers, read by :mod:`text.scope`;
- ``glossary.tsv``: the English glossary, read by :mod:`text.crosslingual`.

And the one range of CJK unified ideographs that the text code means by "a Chinese
character" (:data:`CJK`, :func:`is_cjk`).
"""

from __future__ import annotations

import functools
from pathlib import Path

HERE = Path(__file__).resolve().parent

# The CJK Unified Ideographs block, U+4E00–U+9FFF: in a regex character class as
# f"[{CJK}]" (written as escapes, so a pattern built with it is the same string as one
# written out by hand), and as its two ends for comparisons (:func:`is_cjk`).
CJK = r"\u4e00-\u9fff"
CJK_FIRST, CJK_LAST = "\u4e00", "\u9fff"
# The same block with Extension A before it (U+3400–U+9FFF), for code that also counts rare
# characters as Chinese (:mod:`llm.validate`).
CJK_EXT_A = r"\u3400-\u9fff"
CJK_EXT_A_FIRST = "\u3400"


def is_cjk(ch: str, *, ext_a: bool = False) -> bool:
    """Whether ``ch`` is a CJK unified ideograph (U+4E00–U+9FFF; with ``ext_a`` also
    Extension A and the block between, from U+3400)."""
    return (CJK_EXT_A_FIRST if ext_a else CJK_FIRST) <= ch <= CJK_LAST


def data_lines(name: str) -> tuple[str, ...]:
    """The lines of the data file ``name`` beside this module, stripped, without blank lines
    and ``#`` comments."""
    text = (HERE / name).read_text(encoding="utf-8")
    return tuple(s for line in text.splitlines() if (s := line.strip()) and not s.startswith("#"))


@functools.cache
def surnames() -> frozenset[str]:
    """Common family names (each one character), simplified and traditional."""
    return frozenset(ch for line in data_lines("surnames.txt") for ch in line if not ch.isspace())


@functools.cache
def role_titles() -> tuple[str, ...]:
    """Role titles written before a person's name (镇长, 县长, 书记, 领导…), in file order."""
    return data_lines("role_titles.txt")


@functools.cache
def scope_words() -> frozenset[str]:
    """Words that only state a time scope (今年, 累计, 截至, 目前…), never a topic."""
    return frozenset(data_lines("scope_words.txt"))
