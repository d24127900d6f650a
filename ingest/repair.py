"""Repair scraped Chinese text into the citable text of a document.

What is repaired (in this order):

1. Invisible characters: format and control characters (zero-width spaces and joiners,
   BOM, bidi controls, soft hyphens; categories Cf, Cc, Cs) are removed, except ``\\n`` and
   ``\\t``; CRLF, CR, form feed, vertical tab, NEL and U+2028/9 become ``\\n``.
2. Whitespace inside a line: runs of spaces, tabs, NBSP, ideographic and other Unicode
   spaces become one space.
3. Pinyin annotations that follow a Han character are removed (``鎮(zhèn)長`` → ``鎮長``);
   see :mod:`ingest.pinyin` for what counts as pinyin. Parentheses that belong to the text
   (``明門(中國)``, ``(商會)``, ``(一)``, ``(AI)``) stay, in their original (ASCII) form.
4. Punctuation runs in Chinese context: ASCII ``, ; : ? !`` become full-width, a comma next
   to a stronger mark gives way to it (``,、`` → ``、``, ``，。`` → ``。``), ``、`` gives way to
   ``。；：？！``, and repeated identical marks collapse (``，，`` → ``，``, ``！！`` → ``！``).
   ``……`` and ``——`` are not touched, nor is ``.`` (``1.93``, URLs), nor a run between
   non-Chinese characters (``1,000``, ``10:30``, ``Hello, world``).
5. Spaces between two Chinese characters, or between a Chinese character and a digit, are
   removed (``捐贈 10萬元`` → ``捐贈10萬元``); spaces between Latin words stay.
6. Lines are stripped, three or more newlines become one blank line, and the text is
   stripped. Paragraphs stay separated as in the source (``\\n`` or ``\\n\\n``).

:func:`repair_text` is idempotent and works with precompiled regexes only (no per-character
Python loop), so megabytes repair in a fraction of a second.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import cache, lru_cache

from ingest.pinyin import is_pinyin

# Han ideographs (URO, extension A, compatibility, supplementary planes) and 〇.
HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# Characters that make a neighbourhood "Chinese": Han, kana, CJK punctuation (。、《》「」…),
# full-width forms, and curly double quotes, which Chinese text uses as its quotation marks.
WIDE = HAN + "\u3001-\u303f\u3040-\u30ff\uff01-\uffee\u201c\u201d\u2026\u2014"

_ODD_NEWLINES = "\r\x0b\x0c\x85\u2028\u2029"
_NEWLINES = re.compile(rf"\r\n|[{_ODD_NEWLINES}]")
# Runs of Unicode spaces other than \n (tab included) that are not already one plain space.
_HSPACE = re.compile(r"[^\S\n ][^\S\n]*|[ ][^\S\n]+")
_LINE_EDGES = re.compile(r"[ ]*\n[ ]*")
_BLANK_LINES = re.compile(r"\n{3,}")

# One or more parenthesised groups (ASCII or full-width parentheses, either mixed), each
# after an optional space. Only groups right after a Han character are candidates, and only
# the leading groups that are pinyin are removed (see _drop_pinyin). The patterns below
# start with a character class rather than a lookbehind, so that the regex engine can skip
# ahead quickly; the lookbehinds then re-check the first character.
_GROUP_BODY = r"[^()（）\n]{1,60}[)）]"
_ANNOTATION = re.compile(
    rf"[ (（](?:(?<=[(（])|(?<=[ ])[(（]){_GROUP_BODY}(?:[ ]?[(（]{_GROUP_BODY})*"
)
_GROUP = re.compile(r"[ ]?[(（]([^()（）\n]{1,60})[)）]")
_HAN_CHAR = re.compile(rf"[{HAN}]")

# One punctuation mark of a run. An ASCII "?" followed by a letter or a comma is not a
# question mark: it stands for a byte the scraper could not decode (``當?shù)``).
_MARK = r"(?:[，、。；：！？,;:!]|\?(?![A-Za-z、，,]))"
_RUN = re.compile(
    r"[ ，、。；：！？,;:!?]"
    rf"(?:(?<=[ ]){_MARK}|(?<=[，、。；：！？,;:!])|(?<=\?)(?![A-Za-z、，,]))"
    rf"(?:[ ]?{_MARK})*[ ]?"
)
_WIDE_CHAR = re.compile(rf"[{WIDE}]")
_TO_FULL = str.maketrans({",": "，", ";": "；", ":": "：", "?": "？", "!": "！"})
_STRONG = frozenset("。；：！？")
_FULL_MARKS = frozenset("，、。；：！？")

_SPACE_CJK = re.compile(
    rf"[ ](?:(?<=[{WIDE}][ ])(?=[{WIDE}0-9“‘])|(?<=[{WIDE}0-9”’][ ])(?=[{WIDE}]))"
)


def repair_text(raw: str) -> str:
    """Return the repaired, citable form of ``raw`` (see the module docstring for the rules).

    Guarantees: the result has no pinyin annotation after a Han character, no doubled
    punctuation in Chinese text, no invisible format characters, ``\\n`` line ends, no
    leading or trailing whitespace on any line; and ``repair_text(repair_text(x)) ==
    repair_text(x)``.
    """
    text = _NEWLINES.sub("\n", raw) if _has_any(raw, _ODD_NEWLINES) else raw
    text = _invisible_re().sub("", text)
    text = _HSPACE.sub(" ", text)
    text = _ANNOTATION.sub(_drop_pinyin, text)
    text = _RUN.sub(_fix_run, text)
    text = _SPACE_CJK.sub("", text)
    if " \n" in text or "\n " in text:
        text = _LINE_EDGES.sub("\n", text)
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def _has_any(text: str, chars: str) -> bool:
    """Whether any of ``chars`` occurs in ``text`` (``in`` is much faster than a regex scan)."""
    return any(ch in text for ch in chars)


@cache
def _invisible_re() -> re.Pattern[str]:
    """A regex for runs of Cf, Cc and Cs code points other than ``\\n`` and ``\\t``."""
    ranges: list[str] = []
    start = prev = -2
    for cp in range(sys.maxunicode + 1):
        if 0x30000 <= cp < 0xE0000:  # no format or control characters are assigned here
            continue
        if cp in (0x09, 0x0A) or unicodedata.category(chr(cp)) not in ("Cf", "Cc", "Cs"):
            continue
        if cp != prev + 1:
            if start >= 0:
                ranges.append(_range(start, prev))
            start = cp
        prev = cp
    ranges.append(_range(start, prev))
    return re.compile("[" + "".join(ranges) + "]+")


def _range(lo: int, hi: int) -> str:
    return f"\\U{lo:08x}" if lo == hi else f"\\U{lo:08x}-\\U{hi:08x}"


def _drop_pinyin(match: re.Match[str]) -> str:
    """The parenthesised groups of ``match`` without their leading pinyin, if after Han."""
    start = match.start()
    if start == 0 or not _HAN_CHAR.fullmatch(match.string[start - 1]):
        return match.group()
    return _strip_annotations(match.group())


@lru_cache(maxsize=8192)
def _strip_annotations(groups_text: str) -> str:
    """Remove the leading pinyin groups of a run of parenthesised groups after a Han char."""
    for group in _GROUP.finditer(groups_text):
        if not is_pinyin(group.group(1)):
            return groups_text[group.start() :]
    return ""


def _fix_run(match: re.Match[str]) -> str:
    """Normalise one run of punctuation marks (with the single spaces around and inside it)."""
    run = match.group()
    start = match.start()
    if start > 0 and match.string[start - 1] == "?":
        # Right after a "?" that is not a mark (see _MARK): repairing this run could turn
        # that "?" into a mark on the next pass, so the run is left as the scraper made it.
        return run
    if _FULL_MARKS.isdisjoint(run) and not _chinese_neighbour(match):
        return run
    return _fix_marks(run)


@lru_cache(maxsize=8192)
def _fix_marks(run: str) -> str:
    """The repaired form of a run of marks in Chinese text (spaces dropped)."""
    marks = run.replace(" ", "").translate(_TO_FULL)
    kinds = set(marks)
    if kinds - {"，"}:
        marks = marks.replace("，", "")
    if kinds & _STRONG:
        marks = marks.replace("、", "")
    return "".join(ch for i, ch in enumerate(marks) if i == 0 or ch != marks[i - 1])


def _chinese_neighbour(match: re.Match[str]) -> bool:
    """Whether the character just before or just after the run is Chinese."""
    text, start, end = match.string, match.start(), match.end()
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    return bool(_WIDE_CHAR.fullmatch(before) or _WIDE_CHAR.fullmatch(after))
