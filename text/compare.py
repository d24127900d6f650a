"""Comparing figures: whether two quantities state the same value, how a claimed figure
compares with a source's (match, mismatch, rounding, a qualifier conflict), formatting a
quantity, and which figures of an answer no quote backs. The figures come from
:func:`text.numbers.find_quantities`."""

from __future__ import annotations

import re
from decimal import Decimal

from text._numerals import date_matches, render_date, round_significant, significant_digits
from text.numbers import Comparison, Quantity, find_quantities

_LOWER = {"over", "at_least"}  # the figure is a lower bound
_UPPER = {"under", "at_most"}  # the figure is an upper bound
_POINT = {"exact", "approx"}
_FAMILIES = {"名": "人", "位": "人"}
_NOT_COUNTS = {
    "元", "美元", "港元", "欧元", "%", "‰", "百分点", "年", "月", "天", "周", "小时", "分钟",
    "岁", "吨", "斤", "公斤", "亩", "米", "公里", "平方米", "平方公里", "立方米", "千瓦", "倍",
}  # fmt: skip


def units_compatible(a: str, b: str) -> bool:
    """Whether two normalized units can measure the same thing.

    ``''`` is compatible with every unit (``193万`` vs ``193万元``); 人/名/位 are one
    family; the generic measure word 个 goes with any count (村, 所, 家 …) but not with
    money, percentages, time or physical measures.
    """
    if not a or not b:
        return True
    a, b = _FAMILIES.get(a, a), _FAMILIES.get(b, b)
    if a == b:
        return True
    if "个" in (a, b):
        return (b if a == "个" else a) not in _NOT_COUNTS
    return False


def _comparable(a: Quantity, b: Quantity) -> bool:
    if (a.kind == "ordinal") != (b.kind == "ordinal"):
        return False
    if "date" in (a.kind, b.kind):
        return {a.kind, b.kind} <= {"date", "year"}
    return units_compatible(a.unit, b.unit)


def _states(claim: Quantity, source: Quantity) -> bool:
    """Whether ``source`` states the claim's figure (qualifiers aside)."""
    if not _comparable(claim, source):
        return False
    if "date" in (claim.kind, source.kind):
        return date_matches(claim.date_key, source.date_key)
    return claim.value == source.value


def same_measure(a: Quantity, b: Quantity) -> bool:
    """Two figures that can state the same fact: both counts or amounts (not years, dates or
    ordinals), in the same unit; a figure without a unit is never compared."""
    return (a.kind == b.kind and a.kind in ("number", "percent") and bool(a.unit)
            and a.unit == b.unit)


def same_value(a: Quantity, b: Quantity) -> bool:
    """Whether ``a`` and ``b`` are the same figure, ignoring qualifiers.

    Values are compared scaled (``十万元`` = ``10万元`` = ``100,000元``) and units must be
    :func:`units_compatible`; ordinals only equal ordinals; dates are equal when one
    states only parts the other states the same (``6月21日`` ~ ``2023年6月21日``,
    ``6月21日`` ~ ``6月21-23日``); a year equals a bare number of the same value.
    """
    return _states(a, b) or _states(b, a)


def compare(claim: Quantity, source: Quantity) -> Comparison:
    """Judge a claim's figure against the source's.

    * Same figure (see :func:`same_value`): ``match`` when the qualifiers agree — equal,
      both exact-or-approximate (``193万元`` vs ``约193万元``), or both bounds on the same
      side (超 vs 逾); ``qualifier_conflict`` when they point opposite ways (``超过800万``
      vs ``近800万``); otherwise ``rounding``, e.g. an exact ``800万`` for ``近800万``.
    * Different numbers (not dates, years or ordinals, which must be equal):
      a claimed bound (超/近/至少/最多 X) is ``rounding`` when the source value satisfies
      it and lies within 10% of X; a claimed point value is ``rounding`` only when it is
      the source rounded to fewer significant digits and either differs by at most 2% or
      is marked approximate and differs by at most 5% (``约190万`` vs ``约193万``).
      Everything else is ``mismatch`` (``200万元`` vs ``约193万元``: 3.6% off and not
      marked approximate).
    """
    if _states(claim, source):
        if claim.kind in ("date", "ordinal") or source.kind in ("date", "ordinal"):
            return "match"
        return _qualifier_verdict(claim.qualifier, source.qualifier)
    kinds = {claim.kind, source.kind}
    if not _comparable(claim, source) or kinds & {"date", "year", "ordinal"}:
        return "mismatch"
    return _near_verdict(claim, source)


def _qualifier_verdict(cq: str, sq: str) -> Comparison:
    if cq == sq or {cq, sq} <= _POINT or {cq, sq} <= _LOWER or {cq, sq} <= _UPPER:
        return "match"
    if (cq in _LOWER and sq in _UPPER) or (cq in _UPPER and sq in _LOWER):
        return "qualifier_conflict"
    return "rounding"


def _near_verdict(claim: Quantity, source: Quantity) -> Comparison:
    c, s, q = claim.value, source.value, claim.qualifier
    if s == 0:
        return "mismatch"
    rel = abs(c - s) / abs(s)
    if q in _LOWER or q in _UPPER:
        holds = {"over": s > c, "at_least": s >= c, "under": s < c, "at_most": s <= c}[q]
        return "rounding" if holds and rel <= Decimal("0.10") else "mismatch"
    digits = significant_digits(c)
    rounded = digits < significant_digits(s) and round_significant(s, digits) == c
    if rounded and (rel <= Decimal("0.02") or (q == "approx" and rel <= Decimal("0.05"))):
        return "rounding"
    return "mismatch"


_QUALIFIER_WORDS = {"exact": "", "approx": "约", "under": "近", "over": "超过",
                    "at_least": "至少", "at_most": "最多"}  # fmt: skip


def _plain(d: Decimal) -> str:
    return format(d.normalize(), "f")


def format_quantity(q: Quantity) -> str:
    """A canonical human rendering: ``约193万元``, ``超过800万元``, ``6%``, ``2021年``,
    ``6月21-23日``, ``第7``; the qualifier comes first as a word (约, 近, 超过, 至少, 最多)."""
    if q.date_key:
        return _QUALIFIER_WORDS[q.qualifier] + render_date(q.date_key)
    if q.kind == "ordinal":
        return f"第{_plain(q.value)}{q.unit}"
    v, body = q.value, _plain(q.value)
    if q.kind == "number" and abs(v) >= 10**8:
        body = _plain(v / 10**8) + "亿"
    elif q.kind == "number" and abs(v) >= 10**4:
        body = _plain(v / 10**4) + "万"
    return f"{_QUALIFIER_WORDS[q.qualifier]}{body}{q.unit}"


# Citation markers ([1], 【2】), list numbers at a line start (1. 2、) and 第一， are
# structure, not figures, so an answer need not find them in a quote.
_MARKERS = re.compile(
    r"[\[【［]\s*[0-9０-９]+(?:\s*[,，、]\s*[0-9０-９]+)*\s*[\]】］]"
    r"|^[ \t]*[0-9０-９]{1,2}[.、)）]|第[一二三四五六七八九十]+[，、：:]",
    re.MULTILINE,
)


def numbers_supported(answer: str, quotes: list[str]) -> list[Quantity]:
    """The figures of ``answer`` that no quote states; ``[]`` means every one is backed.

    A figure is backed when some quantity of some quote is the same figure (see
    :func:`same_value`, with a claimed date needing only the parts it states) without a
    :func:`compare` verdict of ``qualifier_conflict``: ``193万元`` is backed by
    ``约193万元``, ``超过800万元`` is not backed by ``近800万元``. Years, dates and ordinals
    count; citation markers (``[1]``) and list numbers (``1.``, ``第一，``) do not.
    """
    sources = [s for quote in quotes for s in find_quantities(quote)]
    markers = [m.span() for m in _MARKERS.finditer(answer)]
    return [
        q
        for q in find_quantities(answer)
        if not any(a <= q.start and q.end <= b for a, b in markers)
        and not any(_states(q, s) and compare(q, s) != "qualifier_conflict" for s in sources)
    ]
