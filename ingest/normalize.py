"""The search form of a text: what retrieval matches on, aligned 1:1 with the original.

:func:`search_form` converts traditional to simplified script (OpenCC ``t2s``), full-width
letters, digits and symbols to ASCII, the ideographic space to a space, and lower-cases.
It never changes the length, so ``search_form(text)[i:j]`` is the search form of
``text[i:j]`` and a match found in the search form is cited from the original at the same
offsets.

Full-width Chinese punctuation that is the normal form in Chinese text — ``！（），：；？``
(U+FF01, U+FF08, U+FF09, U+FF0C, U+FF1A, U+FF1B, U+FF1F) — is kept as it is, so sentence
and clause boundaries look the same in both forms; the other characters of U+FF01–U+FF5E
(``０-９ Ａ-Ｚ ａ-ｚ ％ ． ＋`` …) map to their ASCII counterparts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

import opencc

_KEPT_FULLWIDTH = "！（），：；？"
_HALF_WIDTH = {
    cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F) if chr(cp) not in _KEPT_FULLWIDTH
}
_HALF_WIDTH[0x3000] = 0x20
# Where a line whose conversion changed length is cut for a second, finer attempt: after
# clause and sentence punctuation, so that OpenCC still sees whole phrases.
_CLAUSE = re.compile(r"[^，、。；：！？,;:!?…]*(?:[，、。；：！？,;:!?…]+|$)")
_WHITESPACE = re.compile(r"\s+")


@cache
def _converter() -> Callable[[str], str]:
    """The OpenCC traditional→simplified converter, built on first use."""
    return opencc.OpenCC("t2s").convert


def search_form(text: str) -> str:
    """Return the normalized form of ``text``: same length, simplified, half-width, lower case.

    ``今年社會捐贈`` and ``今年社会捐赠`` have the same search form. Guarantees
    ``len(search_form(text)) == len(text)``.
    """
    out = _to_simplified(text.translate(_HALF_WIDTH))
    lowered = out.lower()
    if len(lowered) != len(out):
        # A few characters lower-case to two (``İ`` → ``i̇``); those keep their case.
        lowered = "".join(low if len(low := ch.lower()) == 1 else ch for ch in out)
    return lowered


def query_form(text: str) -> str:
    """The search form of a user's query, with whitespace runs collapsed and the ends stripped."""
    return _WHITESPACE.sub(" ", search_form(text)).strip()


def _to_simplified(text: str) -> str:
    """OpenCC ``t2s`` of ``text``, length-preserving.

    OpenCC converts phrases, and a phrase may (rarely) convert to a different length. The
    text is converted a line at a time; a line whose length changes is converted a clause at
    a time, and a clause whose length still changes a character at a time.
    """
    convert = _converter()
    if "\n" not in text:
        return _convert_piece(text, convert, 0)
    return "".join(_convert_piece(line, convert, 0) for line in text.splitlines(keepends=True))


def _convert_piece(piece: str, convert: Callable[[str], str], level: int) -> str:
    """Convert ``piece``; if its length changes, retry finer (clauses, then characters)."""
    converted = convert(piece)
    if len(converted) == len(piece):
        return converted
    if level == 0:
        parts = [m.group() for m in _CLAUSE.finditer(piece) if m.group()]
        return "".join(_convert_piece(part, convert, 1) for part in parts)
    return "".join(_convert_char(ch, convert) for ch in piece)


def _convert_char(ch: str, convert: Callable[[str], str]) -> str:
    converted = convert(ch)
    return converted if len(converted) == 1 else ch
