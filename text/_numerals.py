"""Low-level readers behind :mod:`text.numbers`: the word lists and the one pattern,
Chinese numerals, date keys, significant-digit rounding.

Pure functions on strings and numbers; :mod:`text.numbers` is the public interface.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Literal

Qualifier = Literal["exact", "approx", "under", "over", "at_least", "at_most"]

CN_DIGITS = "〇零一二两三四五六七八九"
_TRAD = (
    "０１２３４５６７８９％．～－萬億兩個約將過於餘鎮鄉縣戶項場屆張輛臺"
    "條門處類種節隻頭組隊輪噸畝歲點週塊間棟時鐘裡冊簽預違隱號幾數"
)
_SIMP = (
    "0123456789%.~-万亿两个约将过于余镇乡县户项场届张辆台"
    "条门处类种节只头组队轮吨亩岁点周块间栋时钟里册签预违隐号几数"
)
# One character for one, so offsets in the folded text are offsets in the original.
FOLD = str.maketrans(dict(zip(_TRAD, _SIMP, strict=True)))

PREFIXES: dict[str, Qualifier] = {
    "折合约": "approx", "约合": "approx", "大约": "approx", "近似": "approx", "大概": "approx",
    "约": "approx", "将近": "under", "接近": "under", "不到": "under", "不足": "under",
    "低于": "under", "少于": "under", "小于": "under", "近": "under", "超过": "over",
    "超出": "over", "高于": "over", "多于": "over", "大于": "over", "逾": "over", "超": "over",
    "不少于": "at_least", "不低于": "at_least", "至少": "at_least", "不超过": "at_most",
    "不多于": "at_most", "不高于": "at_most", "最多": "at_most", "至多": "at_most",
}  # fmt: skip
SUFFIXES: dict[str, Qualifier] = {
    "左右": "approx", "以上": "at_least", "以下": "at_most", "以内": "at_most",
}  # fmt: skip
UNITS = [
    "个百分点", "百分点", "个小时", "个月", "平方公里", "平方米", "立方米", "公里", "千米",
    "公斤", "千克", "千瓦", "人次", "册次", "户次", "车次", "架次", "台次", "场次", "班次",
    "美元", "港元", "欧元", "元", "块", "%", "‰", "人", "名",
    "位", "个", "户", "家", "所", "村", "镇", "乡", "县", "项", "次", "件", "批", "座", "条",
    "台", "辆", "张", "本", "份", "支", "只", "头", "株", "棵", "篇", "节", "门", "类", "种",
    "处", "套", "场", "届", "期", "栋", "间", "班", "组", "队", "轮", "例", "趟", "册", "年",
    "天", "周", "小时", "分钟", "岁", "吨", "斤", "亩", "米", "倍",
]  # fmt: skip
# Measure words that make a lone Chinese digit a quantity (一名, 两个). 条 门 种 场 张 …
# are left out: 一条龙, 一门心思, 一种, 一场硬仗, 一张蓝图 are not figures.
GATE = {
    "个百分点", "百分点", "个小时", "个月", "平方米", "公里", "公斤", "人次", "美元", "元",
    "%", "人", "名", "位", "个", "户", "家", "所", "项", "次", "件", "批", "座", "台", "辆",
    "份", "只", "株", "棵", "篇", "套", "届", "栋", "间", "例", "趟", "册", "年", "天", "周",
    "小时", "分钟", "岁", "吨", "斤", "亩", "倍",
}  # fmt: skip
UNIT_ALIASES = {"个月": "月", "个小时": "小时", "个百分点": "百分点", "块": "元",
                "千克": "公斤", "千米": "公里"}  # fmt: skip
PERCENT_UNITS = {"%", "‰", "百分点"}
MULT = {"百": 100, "千": 1000, "万": 10**4, "亿": 10**8}


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _build_pattern() -> re.Pattern[str]:
    """One pattern, three alternatives tried in order at each position: a date, an
    ordinal, a number with its qualifiers, 万/亿 and unit. Run it on ``text.translate(FOLD)``."""
    sp = "[ \u3000\u00a0]"
    no_ascii = r"(?<![A-Za-z0-9.])"
    ar = no_ascii + r"(?:[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])|[0-9]+)(?:\.[0-9]+)?"
    # 千克/千米/千瓦 and 百分之 are units, not multipliers.
    big = r"千(?![克米瓦])|百(?!分)"
    cn_run = rf"(?<![{CN_DIGITS}十百千万亿几数])[{CN_DIGITS}十](?:[{CN_DIGITS}十万亿]|{big})*"
    cn_num = cn_run + "(?:点[〇零一二三四五六七八九]+)?"
    prefix = _alternation(PREFIXES)
    # 签约, 合约, 最近, 附近 … are words, not qualifiers.
    prefix = prefix.replace("|约|", "|(?<![签节制契公条合预邀履违解特隐])约|")
    prefix = prefix.replace("|近|", "|(?<![最附邻靠亲])近|")
    units = _alternation(UNITS)
    sep = rf"{sp}?[-~—–至到]{sp}?"
    day = "[0-9]{1,2}|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九]"
    date = (
        rf"(?:(?P<y1>(?<![0-9])[0-9]{{4}}|[〇零一二三四五六七八九]{{4}})年)?"
        rf"(?P<m1>{no_ascii}[0-9]{{1,2}}|(?<![{CN_DIGITS}十])(?:十[一二]?|[一二三四五六七八九]))"
        rf"月(?:份)?(?:(?P<d1>{day})(?:{sep}(?P<e1>{day}))?[日号])?"
        rf"|{no_ascii}(?P<d2>[0-9]{{1,2}})(?:{sep}(?P<e2>[0-9]{{1,2}}))?日"
        rf"|{no_ascii}(?P<y3>[0-9]{{4}})(?P<isep>[-/.])(?P<m3>[0-9]{{1,2}})(?P=isep)"
        rf"(?P<d3>[0-9]{{1,2}})(?![0-9])"
    )
    number = (
        rf"(?:(?P<pre>{prefix}){sp}?)?"
        rf"(?:百分之(?P<pct>{ar}|{cn_num})|千分之(?P<pml>{ar}|{cn_num})"
        rf"|(?P<ar>{ar})|(?P<cn>{cn_num}))"
        rf"(?P<mid>多|余)?(?:{sp}?(?P<mult>[百千]?[万亿]{{1,2}}|{big}))?(?P<mid2>多|余)?"
        rf"(?:{sp}?(?P<unit>{units}))?(?P<suf>{_alternation(SUFFIXES)})?"
    )
    ordinal = rf"第{sp}?(?P<on>{ar}|{cn_run})(?:{sp}?(?P<ounit>{units}))?"
    return re.compile(rf"(?P<date>{date})|(?P<ord>{ordinal})|(?P<num>{number})")


PATTERN = _build_pattern()
_DIGIT = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_SMALL = {"十": 10, "百": 100, "千": 1000}

DatePoint = tuple[int | None, int | None, int | None]


def cn_int(s: str) -> int | None:
    """The value of a positional Chinese numeral, or None when ``s`` is not well formed.

    Reads ``十五`` (15), ``一百五十六万`` (1560000), ``两千零三`` (2003), ``一亿五千万``,
    ``一万亿`` (10**12) and the colloquial tail ``一万五`` (15000), ``三百五`` (350).
    Rejects two digits in a row (``十四五``, ``一一``), units out of order (``一百一千``) and
    a bare ``百``/``千``/``万`` without a digit before it.
    """
    total = block = section = 0  # finished 亿 part, finished 万 part, part below 万
    digit: int | None = None
    last = 0  # the positional value just before ``digit``: 一万五 means 5 × 1000
    cap = 10_000  # a small unit must be below the one before it in the same section
    for ch in s:
        if ch in _DIGIT:
            if digit is not None:
                return None
            if _DIGIT[ch] == 0:
                last = 0
            else:
                digit = _DIGIT[ch]
        elif ch in _SMALL:
            unit = _SMALL[ch]
            if unit >= cap or (digit is None and ch != "十"):
                return None
            section += (1 if digit is None else digit) * unit
            digit, last, cap = None, unit, unit
        elif ch in ("万", "亿"):
            section += digit or 0
            if ch == "万":
                if block or not section:
                    return None
                block = section * 10_000
            else:
                if total or not (section or block):
                    return None
                total, block = (block + section) * 10**8, 0
            digit, section, last, cap = None, 0, 10_000 if ch == "万" else 10**8, 10_000
        else:
            return None
    if digit is not None:
        section += digit * (last // 10 if last >= 10 else 1)
    return total + block + section


def cn_value(s: str) -> Decimal | None:
    """:func:`cn_int` extended with a decimal part: ``一点五`` → 1.5, ``六点零五`` → 6.05."""
    head, dot, frac = s.partition("点")
    whole = cn_int(head)
    if whole is None or (dot and not frac):
        return None
    if not frac:
        return Decimal(whole)
    if any(c not in _DIGIT or c == "两" for c in frac):
        return None
    return Decimal(f"{whole}.{''.join(str(_DIGIT[c]) for c in frac)}")


def digit_by_digit(s: str) -> int | None:
    """A numeral read digit by digit, as years are written: ``二〇二一`` → 2021."""
    if not s or any(c not in _DIGIT or c == "两" for c in s):
        return None
    return int("".join(str(_DIGIT[c]) for c in s))


def date_number(s: str) -> int | None:
    """A year, month or day as written in a date: ``2023``, ``二〇二三``, ``十二``, ``21``."""
    if s.isascii():
        return int(s)
    if len(s) == 4:
        return digit_by_digit(s)
    return cn_int(s)


def date_key(y: int | None, m: int | None, d: int | None, d2: int | None) -> str | None:
    """ISO-like key: ``2023-06-21``, ``2023-06``, ``--06-21``, ``--06``, ``---21``; a day
    range ``d``–``d2`` gives ``start/end``. None when a part is out of range."""
    if m is not None and not 1 <= m <= 12:
        return None
    if any(x is not None and not 1 <= x <= 31 for x in (d, d2)):
        return None
    if d2 is not None and (d is None or d2 <= d):
        return None

    def point(day: int | None) -> str:
        tail = f"-{day:02d}" if day else ""
        if y is not None:
            return f"{y:04d}" + (f"-{m:02d}" if m else "") + tail
        return f"--{m:02d}{tail}" if m else f"---{day:02d}"

    return point(d) + (f"/{point(d2)}" if d2 else "")


def date_points(key: str) -> list[DatePoint]:
    """The (year, month, day) of each end of a date key; unknown parts are None."""
    points: list[DatePoint] = []
    for part in key.split("/"):
        if part.startswith("---"):
            points.append((None, None, int(part[3:])))
            continue
        year: int | None = None
        if part.startswith("--"):
            fields = part[2:].split("-")
        else:
            first, *fields = part.split("-")
            year = int(first)
        nums = [int(x) for x in fields] + [0, 0]
        points.append((year, nums[0] or None, nums[1] or None))
    return points


def date_matches(claim_key: str, source_key: str) -> bool:
    """True when every end of the claim date states only parts the source states the same.

    ``--06-21`` matches ``2023-06-21`` and ``--06-21/--06-23``; ``2023-06-21`` does not
    match ``--06-21`` (the source does not say the year); ``--06-22`` does not match
    ``--06-21/--06-23`` (a day inside a range is not stated).
    """
    sources = date_points(source_key)
    return all(
        any(all(c is None or c == s for c, s in zip(cp, sp, strict=True)) for sp in sources)
        for cp in date_points(claim_key)
    )


def render_date(key: str) -> str:
    """Chinese rendering of a date key: ``2023年6月21日``, ``6月21-23日``, ``2021年``."""
    points = date_points(key)

    def one(p: DatePoint, day: bool = True) -> str:
        y, m, d = p
        return (f"{y}年" if y else "") + (f"{m}月" if m else "") + (f"{d}日" if d and day else "")

    if len(points) == 2 and points[0][:2] == points[1][:2]:
        return f"{one(points[0], day=False)}{points[0][2]}-{points[1][2]}日"
    return "至".join(one(p) for p in points)


def significant_digits(d: Decimal) -> int:
    """Significant digits of a value, trailing zeros not counted: 1930000 → 3, 1900000 → 2."""
    digits = "".join(map(str, d.as_tuple().digits)).strip("0")
    return max(1, len(digits))


def round_significant(d: Decimal, n: int) -> Decimal:
    """``d`` rounded half up to ``n`` significant digits: (1930000, 2) → 1900000."""
    if d == 0:
        return d
    exponent = Decimal(1).scaleb(d.adjusted() - n + 1)
    return d.quantize(exponent, rounding=ROUND_HALF_UP, context=Context(prec=n + 2))
