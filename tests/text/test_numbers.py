"""Tests for text.numbers: finding, normalizing and comparing figures in Chinese text."""

from __future__ import annotations

import itertools
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from text._numerals import round_significant, significant_digits
from text.compare import compare, format_quantity, numbers_supported, same_value, units_compatible
from text.numbers import Quantity, find_quantities, parse_quantity

SEED = Path(__file__).resolve().parents[2] / "docs" / "000_3eb5a6fcadb296c6.txt"


def find(text: str) -> list[Quantity]:
    """find_quantities plus the invariants every result must keep."""
    found = find_quantities(text)
    for q in found:
        assert q.text == text[q.start : q.end]
        assert q.value >= 0
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))
    return found


def one(text: str) -> Quantity:
    found = find(text)
    assert len(found) == 1, found
    return found[0]


# --- a test-side renderer of Chinese numerals, the oracle of the property tests -----------

_CN = "零一二三四五六七八九"


def _group(n: int) -> str:
    """0 < n < 10000 in standard form, 零 for each gap: 1005 → 一千零五."""
    out, gap = "", False
    for place, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // place % 10
        if digit == 0:
            gap = bool(out)
            continue
        out += ("零" if gap else "") + _CN[digit] + unit
        gap = False
    return out


def to_chinese(n: int) -> str:
    if n == 0:
        return "零"
    out, gap = "", False
    if n >= 10**8:
        out = to_chinese(n // 10**8) + "亿"
    for value, suffix in ((n // 10**4 % 10**4, "万"), (n % 10**4, "")):
        if value == 0:
            gap = bool(out)
            continue
        out += ("零" if out and (gap or value < 1000) else "") + _group(value) + suffix
        gap = False
    return out[1:] if out.startswith("一十") else out


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "零"), (10, "十"), (15, "十五"), (115, "一百一十五"), (2003, "二千零三"),
     (10003, "一万零三"), (100000, "十万"), (1560000, "一百五十六万"), (1050, "一千零五十"),
     (100000003, "一亿零三"), (10030000, "一千零三万"), (10**12, "一万亿")],
)  # fmt: skip
def test_renderer_oracle(n: int, text: str) -> None:
    assert to_chinese(n) == text


# --- tables -------------------------------------------------------------------------------

EXAMPLES = [
    ("156万元", "1560000", "元", "exact", "number"),
    ("10 万元", "100000", "元", "exact", "number"),
    ("十万元", "100000", "元", "exact", "number"),
    ("一百五十六万元", "1560000", "元", "exact", "number"),
    ("1.93亿元", "193000000", "元", "exact", "number"),
    ("100,000元", "100000", "元", "exact", "number"),
    ("１９３万元", "1930000", "元", "exact", "number"),
    ("1万亿元", "1000000000000", "元", "exact", "number"),
    ("一亿五千万", "150000000", "", "exact", "number"),
    ("一万五", "15000", "", "exact", "number"),
    ("两千零三", "2003", "", "exact", "number"),
    ("一点五万元", "15000", "元", "exact", "number"),
    ("两千", "2000", "", "exact", "number"),
    ("两万", "20000", "", "exact", "number"),
    ("兩千", "2000", "", "exact", "number"),
    ("三十五", "35", "", "exact", "number"),
    ("一个", "1", "个", "exact", "number"),
    ("3.5倍", "3.5", "倍", "exact", "number"),
    ("3个月", "3", "月", "exact", "number"),
    ("3千克", "3", "公斤", "exact", "number"),
    ("百分之六", "6", "%", "exact", "percent"),
    ("百分之六点五", "6.5", "%", "exact", "percent"),
    ("6%", "6", "%", "exact", "percent"),
    ("6％", "6", "%", "exact", "percent"),
    ("千分之三", "3", "‰", "exact", "percent"),
    ("6个百分点", "6", "百分点", "exact", "percent"),
    ("2021年", "2021", "年", "exact", "year"),
    ("二〇二一年", "2021", "年", "exact", "year"),
    ("近800万元", "8000000", "元", "under", "number"),
    ("将近800万元", "8000000", "元", "under", "number"),
    ("接近800万元", "8000000", "元", "under", "number"),
    ("不足8人", "8", "人", "under", "number"),
    ("超800 万元", "8000000", "元", "over", "number"),
    ("超过800万元", "8000000", "元", "over", "number"),
    ("逾800万元", "8000000", "元", "over", "number"),
    ("800余万", "8000000", "", "over", "number"),
    ("800多万", "8000000", "", "over", "number"),
    ("1万多元", "10000", "元", "over", "number"),
    ("三十多名", "30", "名", "over", "number"),
    ("约193万元", "1930000", "元", "approx", "number"),
    ("大约10万元", "100000", "元", "approx", "number"),
    ("折合约360万元", "3600000", "元", "approx", "number"),
    ("100人左右", "100", "人", "approx", "number"),
    ("至少3人", "3", "人", "at_least", "number"),
    ("不少于3人", "3", "人", "at_least", "number"),
    ("60岁以上", "60", "岁", "at_least", "number"),
    ("最多3人", "3", "人", "at_most", "number"),
    ("不超过3人", "3", "人", "at_most", "number"),
]

SEED_FIGURES = [
    ("156萬元", "1560000", "元", "exact"), ("27萬元", "270000", "元", "exact"),
    ("10萬元", "100000", "元", "exact"), ("近800萬元", "8000000", "元", "under"),
    ("908人", "908", "人", "exact"), ("超800 萬元", "8000000", "元", "over"),
    ("87名", "87", "名", "exact"), ("約360萬元", "3600000", "元", "approx"),
    ("超80萬元", "800000", "元", "over"), ("192個", "192", "个", "exact"),
    ("22個", "22", "个", "exact"), ("約193萬元", "1930000", "元", "approx"),
    ("1鎮", "1", "镇", "exact"), ("14個", "14", "个", "exact"), ("2所", "2", "所", "exact"),
    ("1所", "1", "所", "exact"), ("7人次", "7", "人次", "exact"), ("1名", "1", "名", "exact"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "value", "unit", "qualifier", "kind"), EXAMPLES)
def test_examples(text: str, value: str, unit: str, qualifier: str, kind: str) -> None:
    q = one(f"据统计，{text}。")
    assert (q.text, q.value, q.unit, q.qualifier, q.kind) == (
        text, Decimal(value), unit, qualifier, kind)  # fmt: skip


@pytest.mark.parametrize(("text", "value", "unit", "qualifier"), SEED_FIGURES)
def test_seed_figures_in_traditional_script(
    text: str, value: str, unit: str, qualifier: str
) -> None:
    q = one(text)
    assert (q.value, q.unit, q.qualifier, q.kind) == (Decimal(value), unit, qualifier, "number")


def test_seed_document_reads_as_expected() -> None:
    text = SEED.read_text(encoding="utf-8")
    got = [(q.text, q.kind) for q in find(text)]
    # 九十 (行百里者半九十) is the documented idiom limit; 一項 is a real "one item".
    expected_head = [
        ("6月21-23日", "date"), ("6月21日", "date"), ("2021年", "year"), ("九十", "number"),
        ("一項", "number"), ("156萬元", "number"), ("27萬元", "number"), ("10萬元", "number"),
        ("第七", "ordinal"), ("2021年", "year"), ("近800萬元", "number"), ("908人", "number"),
        ("超800 萬元", "number"), ("1鎮", "number"), ("14個", "number"),
    ]  # fmt: skip
    assert got[: len(expected_head)] == expected_head
    assert ("“832”", "number") not in got and ("832", "number") in got
    for text_ in ("一心五城", "兩新", "一縣一園"):
        assert not any(text_ in t for t, _ in got)


@pytest.mark.parametrize(
    "text",
    ["一心五城", "统一", "一起", "一些", "一是", "进一步", "一条龙", "两新组织", "一县一园",
     "一次性", "十四五规划", "几十万", "数十万人", "千万不要", "万一", "三三两两", "G20峰会"],
)  # fmt: skip
def test_words_with_numeral_characters_are_not_quantities(text: str) -> None:
    assert find(text) == []


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [("一名干部", "1", "名"), ("1名干部", "1", "名"), ("两个村", "2", "个"), ("一次", "1", "次")],
)
def test_lone_chinese_digit_before_a_measure_word(text: str, value: str, unit: str) -> None:
    q = one(text)
    assert (q.value, q.unit) == (Decimal(value), unit)


@pytest.mark.parametrize(
    ("text", "key"),
    [("6月21日", "--06-21"), ("6月21-23日", "--06-21/--06-23"), ("2023年6月21日", "2023-06-21"),
     ("2023-06-21", "2023-06-21"), ("二〇二三年六月二十一日", "2023-06-21"), ("6月份", "--06"),
     ("2023年6月", "2023-06"), ("21-23日", "---21/---23"), ("十二月一日", "--12-01")],
)  # fmt: skip
def test_dates(text: str, key: str) -> None:
    q = one(f"于{text}召开")
    assert (q.kind, q.date_key, q.text) == ("date", key, text)


@pytest.mark.parametrize("text", ["13月5日", "6月32日", "6月23-21日", "0月1日"])
def test_impossible_dates_yield_no_date(text: str) -> None:
    assert [q for q in find(text) if q.kind == "date"] == []


def test_ordinal_is_not_a_count() -> None:
    q = one("德江县第七幼儿园")
    assert (q.kind, q.value, q.text) == ("ordinal", Decimal(7), "第七")
    seven = one("7人")
    assert not same_value(q, seven) and compare(q, seven) == "mismatch"
    assert compare(q, one("第7")) == "match"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("10-20万元", [("100000", "元", "number"), ("200000", "元", "number")]),
     ("3至5人", [("3", "人", "number"), ("5", "人", "number")]),
     ("2021-2025年", [("2021", "年", "year"), ("2025", "年", "year")]),
     ("6%-8%", [("6", "%", "percent"), ("8", "%", "percent")]),
     ("0769-87301234", [("769", "", "number"), ("87301234", "", "number")]),
     ("“832”平台", [("832", "", "number")])],
)  # fmt: skip
def test_ranges_and_bare_numbers(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert [(str(q.value), q.unit, q.kind) for q in find(text)] == expected


# --- comparison ---------------------------------------------------------------------------

COMPARISONS = [
    ("十万元", "10万元", "match"), ("10万元", "100,000元", "match"),
    ("27万元", "270000元", "match"),
    ("193万元", "约193万元", "match"), ("约193万元", "193万元", "match"),
    ("近800万", "近800万", "match"), ("超800万", "超800万", "match"),
    ("超过800万元", "逾800万元", "match"), ("6%", "百分之六", "match"), ("87人", "87名", "match"),
    ("超过800万", "近800万", "qualifier_conflict"), ("至少800万", "近800万", "qualifier_conflict"),
    ("800万", "近800万", "rounding"), ("约190万", "约193万", "rounding"),
    ("约200万元", "约193万元", "rounding"), ("1.9亿元", "1.93亿元", "rounding"),
    ("近800万元", "793万元", "rounding"), ("超过800万元", "856万元", "rounding"),
    ("800万", "193万", "mismatch"), ("200万元", "约193万元", "mismatch"),
    ("195万元", "193万元", "mismatch"), ("超过900万元", "856万元", "mismatch"),
    ("87元", "87名", "mismatch"), ("2020年", "2021年", "mismatch"), ("2021年", "2021年", "match"),
    ("6月21日", "6月21-23日", "match"), ("6月22日", "6月21-23日", "mismatch"),
    ("6月21日", "2023年6月21日", "match"), ("2023年6月21日", "6月21日", "mismatch"),
]  # fmt: skip


@pytest.mark.parametrize(("claim", "source", "verdict"), COMPARISONS)
def test_compare(claim: str, source: str, verdict: str) -> None:
    assert compare(one(claim), one(source)) == verdict


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [("十万元", "100,000元", True), ("193万", "193万元", True), ("超过800万", "近800万", True),
     ("14个村", "14村", True), ("87名", "87人", True), ("2021年", "2021", True),
     ("2021年", "2023年6月21日", False), ("6%", "6个百分点", False), ("14个", "14元", False),
     ("6月21日", "2023年6月21日", True), ("908人", "907人", False)],
)  # fmt: skip
def test_same_value_is_symmetric(a: str, b: str, same: bool) -> None:
    qa, qb = one(a), one(b)
    assert same_value(qa, qb) is same and same_value(qb, qa) is same


@pytest.mark.parametrize(
    ("a", "b", "ok"),
    [("元", "", True), ("人", "名", True), ("个", "村", True), ("个", "元", False),
     ("人", "人次", False), ("%", "百分点", False), ("所", "家", False)],
)
def test_units_compatible(a: str, b: str, ok: bool) -> None:
    assert units_compatible(a, b) is ok and units_compatible(b, a) is ok


@pytest.mark.parametrize(
    ("text", "rendered"),
    [("约193万元", "约193万元"), ("100,000元", "10万元"), ("1.93亿元", "1.93亿元"), ("6％", "6%"),
     ("超800 萬元", "超过800万元"), ("908人", "908人"), ("2021年", "2021年"), ("第七", "第7"),
     ("6月21-23日", "6月21-23日"), ("2023年6月21日", "2023年6月21日"), ("15000人", "1.5万人")],
)  # fmt: skip
def test_format_quantity(text: str, rendered: str) -> None:
    assert format_quantity(one(text)) == rendered


@pytest.mark.parametrize(
    ("value", "digits"), [("1930000", 3), ("1900000", 2), ("1.50", 2), ("0.05", 1), ("0", 1)]
)
def test_significant_digits(value: str, digits: int) -> None:
    assert significant_digits(Decimal(value)) == digits


def test_long_digit_strings_keep_every_digit() -> None:
    long, longer = one("1" * 30 + "元"), one("1" * 40 + "元")
    assert long.value == int("1" * 30) and significant_digits(longer.value) == 40
    assert compare(long, longer) == "mismatch" and compare(longer, longer) == "match"
    assert round_significant(Decimal("1" * 40), 30) == Decimal("1" * 30 + "0" * 10)


def test_parse_quantity() -> None:
    q = parse_quantity("  约193万元 ")
    assert q is not None
    assert (q.value, q.qualifier, q.start, q.end) == (Decimal(1930000), "approx", 2, 8)
    seven = parse_quantity("七")
    assert seven is not None and seven.value == 7
    assert parse_quantity("") is None
    assert parse_quantity("没有数字") is None
    assert parse_quantity("156万元和27万元") is None


# --- numbers_supported ----------------------------------------------------------------------


def test_answer_figures_backed_by_the_seed_document() -> None:
    quote = SEED.read_text(encoding="utf-8")
    answer = (
        "1. 清溪镇向德江县捐赠27万元[1]，社会捐赠超800万元【2】。\n"
        "第一，6月21日召开联席会议；自2021年起结对，走访了德江县第七幼儿园，"
        "免除费用约360万元，共招收87名学生。"
    )
    assert numbers_supported(answer, [quote]) == []


@pytest.mark.parametrize(
    ("answer", "quote", "unsupported"),
    [("捐赠200万元", "捐赠约193万元", ["200万元"]), ("捐赠193万元", "捐赠约193万元", []),
     ("社会捐赠超过800万元", "社会捐赠近800万元", ["超过800万元"]),
     ("2022年结对", "自2021年结对", ["2022年"]), ("6月22日", "6月21-23日", ["6月22日"]),
     ("第八幼儿园", "第七幼儿园", ["第八"]), ("7人", "第七", ["7人"]),
     ("共908人", "", ["908人"])],
)  # fmt: skip
def test_numbers_supported_flags(answer: str, quote: str, unsupported: list[str]) -> None:
    assert [q.text for q in numbers_supported(answer, [quote])] == unsupported


# --- properties ---------------------------------------------------------------------------

_FULL_WIDTH = str.maketrans("0123456789,", "０１２３４５６７８９,")
integers = st.integers(min_value=0, max_value=10**12)


@given(integers, st.sampled_from(["{}", "{:,}", "{} ", "full"]))
def test_arabic_roundtrip(n: int, form: str) -> None:
    rendered = str(n).translate(_FULL_WIDTH) if form == "full" else form.format(n)
    q = one(f"共{rendered}元，")
    assert (q.value, q.unit) == (Decimal(n), "元")


@given(integers, st.booleans())
def test_chinese_roundtrip(n: int, liang: bool) -> None:
    cn = to_chinese(n)
    if liang:
        cn = re.sub("二(?=[百千万亿])", "两", cn)
    q = one(f"共{cn}元，")
    assert (q.value, q.unit, q.text) == (Decimal(n), "元", f"{cn}元")
    bare = parse_quantity(cn)
    assert bare is not None and bare.value == n


@given(st.integers(1, 10**6), st.integers(0, 3), st.sampled_from(["万", "亿", "萬", "億"]))
def test_mixed_arabic_and_multiplier(mantissa: int, decimals: int, mult: str) -> None:
    number = Decimal(mantissa).scaleb(-decimals)
    scale = 10**4 if mult in "万萬" else 10**8
    q = one(f"约{number}{mult}元")
    assert (q.value, q.qualifier) == (number * scale, "approx")


_ALPHABET = (
    "0123456789０１.,-~至年月日第百分之十百千万亿萬億一二两三四五六七八九零〇"
    "个名元人%近约超余多左右以上性 ，、【】[]"
)


@settings(max_examples=300)
@given(st.text(alphabet=_ALPHABET, max_size=40))
def test_any_text_keeps_the_invariants(text: str) -> None:
    for q in find(text):
        assert compare(q, q) == "match" and same_value(q, q)
        assert format_quantity(q)
    parse_quantity(text)


def test_has_figure_is_true_only_for_what_the_reader_offers_as_a_figure() -> None:
    from qa.candidates import Unit, spans
    from text.numbers import has_figure

    for text, want in (("社会捐赠约193万元。", True), ("增长12.5%。", True), ("二十三人参加。", True),
                       ("2024年召开。", False), ("3月5日召开。", False), ("第三批干部到岗。", False),
                       ("双方签订协议。", False)):
        assert has_figure(text) is want, text
        # the engine skips a sentence without one when it looks for conflicting figures: it
        # must hold no "number" candidate
        unit = Unit(text, text, None, 1, 0, len(text), {})  # type: ignore[arg-type]
        assert any(sp.kind == "number" for sp in spans(unit)) is want, text
