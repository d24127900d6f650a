"""Time in the reader's features: the years a text states, the years a document's headings
set for the sentences under them, and whether a sentence speaks of the time a question asks.

The lexicon is a general one of the language (years, 今年/去年/明年, 累计/以来); nothing here
names the words of a particular question.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ingest.normalize import search_form

if TYPE_CHECKING:
    from qa.candidates import Unit
    from qa.features import QView

TIME_WORDS = re.compile(r"(?:19|20)\d\d年|今年|去年|明年|前年|后年|本年|上年|当年|上半年|下半年|"
                        r"累计|累積|以来|至今|截至目前|截止目前")
T = TypeVar("T")
_RELATIVE = {"今年": 0, "本年": 0, "当年": 0, "去年": -1, "上年": -1, "前年": -2, "明年": 1, "后年": 2}


@functools.lru_cache(maxsize=16384)
def years_of(form: str, doc_year: int | None = None) -> frozenset[str]:
    """The years and scopes ``form`` states: ``2024年`` → 2024; with the document's year,
    今年 → that year too; 累计/以来 → ``cum``."""
    out: set[str] = set()
    for t in TIME_WORDS.findall(form):
        if t[:2] in ("19", "20"):
            out.add(t[:4])
        elif t in _RELATIVE:
            out.add(t)
            if doc_year is not None:
                out.add(str(doc_year + _RELATIVE[t]))
        elif t in ("累计", "累積", "以来", "至今"):
            out.add("cum")
        else:
            out.add(t)
    return frozenset(out)


def title_and_text(doc: Any) -> str:
    """The text :func:`doc_years` reads of a document entry: its title, then its text."""
    return f"{doc.title or ''}\n{doc.text}"


@functools.lru_cache(maxsize=256)
def doc_form(text: str) -> str:
    """The search form of a whole document's title and text, remembered per document."""
    return search_form(text)


@functools.lru_cache(maxsize=1024)
def doc_years(text: str, doc_year: int | None = None) -> frozenset[str]:
    """:func:`years_of` a whole document (its title and text), remembered per document."""
    return years_of.__wrapped__(search_form(text), doc_year)


# a full date (the report's own date, 2025年1月10日): it dates the line, it is not a heading's year
_FULL_DATE = re.compile(r"(?:19|20)\d\d年\d{1,2}月\d{1,2}日")
_HEADING_MAX = 40


@functools.lru_cache(maxsize=256)
def _headings(text: str) -> tuple[tuple[int, frozenset[str]], ...]:
    """``(offset, years)`` of each heading of ``text`` that states a year: a line of at most
    :data:`_HEADING_MAX` characters that does not end as a sentence does (the title,
    "一、2024年工作回顾", "三、2025年工作计划"); a full date in it (the line that dates the
    document) is not read as its year."""
    out, at = [], 0
    for line in text.split("\n"):
        bare = line.strip()
        if bare and len(bare) <= _HEADING_MAX and bare[-1] not in "。；;，,：:！!？?…":
            years = frozenset(y for y in years_of(search_form(_FULL_DATE.sub("", bare))) if y.isdigit())
            if years:
                out.append((at, years))
        at += len(line) + 1
    return tuple(out)


def heading_years(doc_text: str, doc_start: int) -> frozenset[str]:
    """The years of the nearest heading before offset ``doc_start`` of a document's text
    (:func:`_headings`), read in ``doc_text`` as :func:`title_and_text` builds it (the title's
    line, then the text): a report states its year in its title or a section's heading
    ("清溪镇2025年上半年…汇报", "一、2024年工作回顾") and its sentences don't repeat it."""
    at = doc_text.find("\n") + 1 + doc_start
    return next((y for start, y in reversed(_headings(doc_text)) if start < at), frozenset())


def time_agreement(q: QView, unit: Unit, doc_year: int | None,
                   heading: frozenset[str] = frozenset()) -> tuple[float, float]:
    """``(missing, conflict)``: the question states a time that neither the sentence nor its
    neighbours state (nor, when they state no year, the ``heading`` it sits under:
    :func:`heading_years`); the time the sentence speaks of (:func:`stated_time`) is not one
    the question asks."""
    if not q.times:
        return 0.0, 0.0
    asked = years_of(" ".join(q.times), doc_year)
    here = years_of(unit.form, doc_year)
    near = here | years_of(unit.prev + unit.next, doc_year)
    if not any(y.isdigit() for y in near):
        near |= heading
    missing = float(not (asked & near))
    scope = years_of(stated_time(unit), doc_year)
    conflict = float(bool(scope) and not (asked & scope))
    return missing, conflict


def stated_time(unit: Unit) -> str:
    """The text that sets the time a sentence speaks of: the sentence itself when it states
    one, else the sentence before it. A report sets the time once and goes on in it: after
    "自2021年结对以来，…累计…。" the figures of "其中，…908人。" are cumulative, not this
    year's."""
    return unit.form if years_of(unit.form) else unit.prev


_NUMERAL = {c: i for i, c in enumerate("一二三四五六七八九十", 1)} | {"十一": 11, "十二": 12}
_M = r"(\d{1,2}|十[一二]|[一二三四五六七八九十])"
# a period of the year that a figure counts up to: 6月底, 年底, 全年, 上半年, 三季度, 1至5月
PERIOD = re.compile(rf"{_M}(?:至|到|[-—–~～]){_M}月|{_M}月(?:底|末)|年底|年末|全年|上半年|下半年|前三季度|"
                    r"第?([一二三四1-4])季度")
_FIXED = {"年底": 12, "年末": 12, "全年": 12, "上半年": 6, "下半年": 12, "前三季度": 9}


def _month(text: str) -> int:
    return int(text) if text.isdigit() else _NUMERAL[text]


def period_ends(form: str) -> dict[int, str]:
    """The month each period of the year that ``form`` states ends in, with its words:
    截至6月底, 上半年 and 1至6月 all end in 6, 年底 and 全年 in 12, 三季度 in 9."""
    out: dict[int, str] = {}
    for m in PERIOD.finditer(form):
        word = m.group(0)
        if m.group(2):
            end = _month(m.group(2))
        elif m.group(3):
            end = _month(m.group(3))
        elif m.group(4):
            end = 3 * _month(m.group(4))
        else:
            end = _FIXED[word]
        if 1 <= end <= 12:
            out.setdefault(end, word)
    return out


def period_conflict(asked: str, stated: str) -> tuple[str, str]:
    """``(asked period, stated periods)`` when the question's form ``asked`` names a period of
    the year and the sentence's form ``stated`` names periods of which none ends in the same
    month (a figure up to 年底 is not the one up to 6月底); ``("", "")`` otherwise. Lenient
    by design: only the end month is compared, so 上半年 is 截至6月底 and 下半年 ends as 年底."""
    want, have = period_ends(asked), period_ends(stated)
    if not want or not have or want.keys() & have.keys():
        return "", ""
    return "、".join(want.values()), "、".join(have.values())


_YEAR_ASKED = re.compile(r"(?<!\d)((?:19|20)\d\d)年")
_YEAR_ANY = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")


def asked_years(form: str, english: bool = False) -> frozenset[str]:
    """The calendar years a question's search form names (2025年; in an English question,
    any 19xx/20xx). Relative ones (今年) are left out: what they mean depends on each
    document's date."""
    return frozenset((_YEAR_ANY if english else _YEAR_ASKED).findall(form))


def named_years(form: str) -> frozenset[str]:
    """Every calendar year a text names, with or without 年 (2021, 2025年)."""
    return frozenset(_YEAR_ANY.findall(form))


def other_years_last(items: list[T], asked: frozenset[str],
                     years: Callable[[T], frozenset[str]]) -> list[T]:
    """``items`` (retrieved passages, best first) with those that can only speak of other
    years than the ``asked`` ones moved behind the rest, each group in its order: those
    whose ``years(item)`` (the years their document names, and its date) hold no asked
    year, only others (a 2026 release, for a question about 2025). One that names no year
    at all stays where it is: it may speak of any."""
    if not asked:
        return items
    kept: list[T] = []
    later: list[T] = []
    for item in items:
        ys = years(item)
        (later if ys and not (ys & asked) else kept).append(item)
    return kept + later
