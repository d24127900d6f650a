"""Numbers in Chinese text: find them, normalize them, compare a claim's with a source's.

One parser serves the answer engine (every figure of an answer must appear in a cited
quote: :func:`numbers_supported`) and the fact-checker (a draft's figures against the
source's, number for number: :func:`compare`).

What :func:`find_quantities` reads:

* Arabic, full-width and Chinese numerals and their mixtures: ``156万元``, ``１９３万元``,
  ``100,000元``, ``1.93亿``, ``一百五十六万``, ``两千零三``, ``一点五``, ``百分之六``, ``6％``;
  traditional ``萬 億 兩 個 …``; one space before 万/亿 or the unit (``超800 萬元``).
  Values are :class:`~decimal.Decimal` in base units: ``十万元`` → 100000 元. The unit is
  the measure word right after the figure: ``14个村`` → 个, ``1鎮`` → 镇, ``7人次`` → 人次.
* A Chinese numeral counts when it has two characters or more (``十五``, ``二百``, ``一万``)
  or when a single one (``一``, ``两`` …) is followed by a measure word from a short list
  (``一名``, ``两个``, ``一次`` but not ``一次性``). So ``统一``, ``一起``, ``一些``, ``一心五城``,
  ``两新`` yield nothing, nor do malformed runs such as ``十四五`` or ``三三两两``, nor
  ``几十万``/``数十万``. Known limit: an idiom made of numerals (``半九十``) reads as a number.
* Qualifiers before or after the figure, kept in its span: 约/大约/约合/折合约/近似/左右
  (approx), 近/将近/接近/不到/不足 (under), 超/超过/逾 and 多/余 as in ``800余万``
  (over), 至少/不少于/以上 (at_least), 最多/不超过/以下/以内 (at_most). 以上/以下/以内
  include the number itself (Civil Code art. 1259), hence at_least/at_most.
* ``年`` after a four-digit number from 1000 to 2999 makes a year; ``6月21日``,
  ``2023年6月21日``, ``6月21-23日``, ``2023-06-21`` are dates with a ``date_key``
  (``--06-21``, ``2023-06-21``, ``--06-21/--06-23``); ``第七`` is an ordinal.
* ``-`` ``~`` ``至`` ``到`` between two numbers is a range, never a minus sign: the first end
  borrows the second's unit and 万/亿 (``10-20万元`` → 10万元 and 20万元).

Every quantity satisfies ``q.text == text[q.start:q.end]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Context, Decimal, InvalidOperation
from typing import Literal

from text._numerals import (
    CN_DIGITS,
    FOLD,
    GATE,
    MULT,
    PATTERN,
    PERCENT_UNITS,
    PREFIXES,
    SUFFIXES,
    UNIT_ALIASES,
    Qualifier,
    cn_value,
    date_key,
    date_number,
    digit_by_digit,
)

__all__ = ["Comparison", "Kind", "Qualifier", "Quantity", "find_quantities", "parse_quantity"]

Kind = Literal["number", "percent", "year", "date", "ordinal"]
Comparison = Literal["match", "mismatch", "rounding", "qualifier_conflict"]


@dataclass(frozen=True, slots=True)
class Quantity:
    """One figure found in a text.

    Attributes:
        value: the value in base units (``1.93亿元`` → 193000000). For a date it only orders
            dates (``YYYYMMDD``, unknown parts 0); dates compare by ``date_key``.
        unit: normalized, simplified unit (``元``, ``人``, ``个``, ``%`` …), ``''`` when none.
        qualifier: ``exact``, ``approx``, ``under``, ``over``, ``at_least`` or ``at_most``.
        text: the surface text, qualifier words included; ``text == source[start:end]``.
        start, end: offsets in the string that was searched.
        kind: ``number``, ``percent``, ``year``, ``date`` or ``ordinal``.
        date_key: for dates and years, ``2023-06-21``, ``--06-21``, ``2021``, and
            ``start/end`` for a range; ``''`` otherwise.
    """

    value: Decimal
    unit: str
    qualifier: Qualifier
    text: str
    start: int
    end: int
    kind: Kind
    date_key: str = ""




# Wide enough that an id-like digit string keeps every digit (the default keeps 28).
_EXACT = Context(prec=64)


def _scaled(value: Decimal, scale: Decimal) -> Decimal:
    """``value × scale`` as ``Decimal('193000000')``, not ``193000000.00`` or ``1.93E+8``."""
    value = _EXACT.multiply(value, scale)
    try:
        if value == value.to_integral_value():
            return value.quantize(Decimal(1), context=_EXACT)
        return value.normalize(_EXACT)
    except InvalidOperation:  # more than 64 digits: keep it as computed
        return value


def _number(s: str) -> Decimal | None:
    return Decimal(s.replace(",", "")) if s.isascii() else cn_value(s)


def _date_from(m: re.Match[str], text: str) -> Quantity | None:
    y, mo, d, e = (m["y1"] or m["y3"], m["m1"] or m["m3"], m["d1"] or m["d2"] or m["d3"],
                   m["e1"] or m["e2"])  # fmt: skip
    nums = [None if p is None else date_number(p) for p in (y, mo, d, e)]
    if any(n is None and p is not None for n, p in zip(nums, (y, mo, d, e), strict=True)):
        return None
    key = date_key(*nums)
    if key is None:
        return None
    order = (nums[0] or 0) * 10000 + (nums[1] or 0) * 100 + (nums[2] or 0)
    return Quantity(Decimal(order), "", "exact", text[m.start():m.end()], m.start(), m.end(),
                    "date", key)  # fmt: skip


def _ordinal_from(m: re.Match[str], text: str) -> Quantity | None:
    value = _number(m["on"])
    if value is None:
        return None
    unit = UNIT_ALIASES.get(m["ounit"] or "", m["ounit"] or "")
    return Quantity(value, unit, "exact", text[m.start():m.end()], m.start(), m.end(), "ordinal")


def _qualifier(m: re.Match[str]) -> Qualifier:
    if m["pre"]:
        return PREFIXES[m["pre"]]
    if m["mid"] or m["mid2"]:
        return "over"
    return SUFFIXES.get(m["suf"] or "", "exact")


def _is_year(digits: str, qualifier: str) -> bool:
    return (qualifier == "exact" and len(digits) == 4 and digits.isascii() and digits.isdigit()
            and 1000 <= int(digits) <= 2999)  # fmt: skip


def _number_from(m: re.Match[str], folded: str, text: str) -> tuple[Quantity, Decimal] | None:
    """The quantity of a number match and its 万/亿 scale, or None when the rules drop it."""
    unit_raw, mult = m["unit"] or "", m["mult"] or ""
    digits = m["pct"] or m["pml"] or m["ar"] or m["cn"]
    base = _number(digits)
    kind: Kind = "number"
    if base is None and unit_raw == "年" and not mult and digit_by_digit(digits):
        base, kind = Decimal(digit_by_digit(digits) or 0), "year"  # 二〇二一年
    if base is None:
        return None
    if m["cn"] and len(digits) == 1 and not mult:
        after = folded[m.end("unit"):m.end("unit") + 1] if unit_raw else ""
        if unit_raw not in GATE or after in ("性", "化", "体"):
            return None
    scale = Decimal(1)
    for ch in mult:
        scale *= MULT[ch]
    unit = "%" if m["pct"] else "‰" if m["pml"] else UNIT_ALIASES.get(unit_raw, unit_raw)
    qualifier = _qualifier(m)
    if unit in PERCENT_UNITS:
        kind = "percent"
    elif unit == "年" and not mult and _is_year(digits, qualifier):
        kind = "year"
    value = _scaled(base, scale)
    key = str(value) if kind == "year" else ""
    return Quantity(value, unit, qualifier, text[m.start():m.end()], m.start(), m.end(), kind,
                    key), scale  # fmt: skip


def is_figure(q: Quantity) -> bool:
    """Whether ``q`` is a figure (a number or a percentage), not a year, a date or an
    ordinal: what the reader offers as a "number" span (:func:`qa.candidates.spans`)."""
    return q.kind in ("number", "percent")


def has_figure(text: str) -> bool:
    """Whether ``text`` states a figure (:func:`is_figure`)."""
    return any(is_figure(q) for q in find_quantities(text))


def find_quantities(text: str) -> list[Quantity]:
    """Every quantity, year, date and ordinal in ``text``, in order of position.

    Never raises; returns ``[]`` when there is none. The module docstring lists what is
    read and what is deliberately left out. Takes about a millisecond per 1,000 characters.
    """
    folded = text.translate(FOLD)
    found: list[tuple[Quantity, Decimal | None]] = []
    for m in PATTERN.finditer(folded):
        item: tuple[Quantity, Decimal | None] | None
        if m["date"]:
            q = _date_from(m, text)
            item = None if q is None else (q, None)
        elif m["ord"]:
            q = _ordinal_from(m, text)
            item = None if q is None else (q, None)
        else:
            item = _number_from(m, folded, text)
        if item is not None:
            found.append(item)
    return _join_mixed(_join_ranges(found, folded))


def _join_mixed(found: list[Quantity]) -> list[Quantity]:
    """Join a figure written in two parts: ``23万4千多人`` is one figure, 234000-odd people,
    not 23万 and 4千多人. The first part is a bare 万/亿 figure; the second follows at once and
    is smaller than the first part's 万 or 亿."""
    out: list[Quantity] = []
    for q in found:
        prev = out[-1] if out else None
        if (prev is not None and prev.kind == "number" and q.kind == "number" and not prev.unit
                and prev.end == q.start and prev.text[-1:] in ("万", "萬", "亿", "億")
                and q.qualifier in ("exact", "over") and q.text[:1].isdigit()
                and 0 < q.value < (Decimal(10**8) if prev.text[-1:] in ("亿", "億") else Decimal(10**4))):
            qualifier = prev.qualifier if prev.qualifier != "exact" else q.qualifier
            out[-1] = replace(prev, value=prev.value + q.value, unit=q.unit, qualifier=qualifier,
                              text=prev.text + q.text, end=q.end)
            continue
        out.append(q)
    return out


_RANGE_GAP = re.compile(r"[ \u3000]?[-~—–至到]{1,2}[ \u3000]?")


def _join_ranges(found: list[tuple[Quantity, Decimal | None]], folded: str) -> list[Quantity]:
    """Give the first end of a range (``10-20万元``, ``2021-2025年``) the second's unit."""
    out = []
    for i, (q, scale) in enumerate(found):
        second, second_scale = found[i + 1] if i + 1 < len(found) else (q, None)
        bare = q.kind == "number" and not q.unit and scale == 1
        if (
            bare
            and second_scale is not None
            and second.unit
            and _RANGE_GAP.fullmatch(folded, q.end, second.start)
        ):
            kind = second.kind
            if kind == "year" and not _is_year(folded[q.start:q.end], q.qualifier):
                kind = "number"
            value = _scaled(q.value, second_scale)
            key = str(value) if kind == "year" else ""
            q = replace(q, value=value, unit=second.unit, kind=kind, date_key=key)
        out.append(q)
    return out


def parse_quantity(text: str) -> Quantity | None:
    """The one quantity in a short string (``'十万元'``, ``'约193万元'``, ``'七'``).

    Returns None when the string holds none or more than one. A lone Chinese digit
    (``'七'``), which :func:`find_quantities` skips in running text, is accepted here.
    """
    found = find_quantities(text)
    if len(found) == 1:
        return found[0]
    stripped = text.strip()
    folded = stripped.translate(FOLD)
    if found or len(folded) != 1 or folded not in CN_DIGITS + "十":
        return None
    value = cn_value(folded)
    if value is None:
        return None
    start = text.index(stripped)
    return Quantity(value, "", "exact", stripped, start, start + 1, "number")
