"""Tests for ingest.repair (and the pinyin recogniser it relies on)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.pinyin import SYLLABLES, is_pinyin
from ingest.repair import HAN, repair_text

SEED = Path(__file__).parents[2] / "docs" / "000_3eb5a6fcadb296c6.txt"
TONE_MARKS = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü"
PINYIN_AFTER_HAN = re.compile(
    rf"[{HAN}]\s?[(（][a-zA-Z{TONE_MARKS}\d ]+[)）]"
)
DOUBLED = re.compile(r"[，,][，,、。；;]|[、。；][，,]|，，|、、|。。|；；")


@pytest.fixture(scope="module")
def seed() -> tuple[str, str]:
    raw = SEED.read_text(encoding="utf-8")
    return raw, repair_text(raw)


class TestSeed:
    def test_raw_seed_has_the_defects(self, seed: tuple[str, str]) -> None:
        raw, _ = seed
        assert PINYIN_AFTER_HAN.search(raw)
        assert DOUBLED.search(raw)

    def test_no_pinyin_annotation_left(self, seed: tuple[str, str]) -> None:
        _, text = seed
        assert PINYIN_AFTER_HAN.search(text) is None
        assert "鎮長沈志攀" in text and "協作" in text

    def test_no_doubled_punctuation(self, seed: tuple[str, str]) -> None:
        _, text = seed
        assert DOUBLED.search(text) is None, DOUBLED.search(text)

    def test_text_parentheses_and_quotes_intact(self, seed: tuple[str, str]) -> None:
        _, text = seed
        assert "明門(中國)幼童用品有限公司" in text
        assert "工商聯(商會)" in text
        assert "“832”" in text
        assert "“行百里者半九十。" in text

    def test_examples_from_the_brief(self, seed: tuple[str, str]) -> None:
        _, text = seed
        assert "不斷邁上新臺階、取得新成效。" in text
        assert "參加了本次活動。" in text
        assert "社會捐贈折合共計約193萬元" in text
        assert "捐贈10萬元" in text

    def test_commas_between_chinese_are_full_width(self, seed: tuple[str, str]) -> None:
        _, text = seed
        assert re.search(rf"[{HAN}],[{HAN}]", text) is None
        assert "共敘情誼，深化" in text

    def test_paragraph_count_kept(self, seed: tuple[str, str]) -> None:
        raw, text = seed
        paragraphs = [p for p in raw.splitlines() if p.strip()]
        assert text.split("\n") == [repair_text(p) for p in paragraphs]

    def test_idempotent(self, seed: tuple[str, str]) -> None:
        _, text = seed
        assert repair_text(text) == text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("鎮(zhèn)長", "鎮長"),
        ("協(xié)作", "協作"),
        ("協（xié）作", "協作"),
        ("鎮(Zhèn)長", "鎮長"),
        ("鎮(zhen4)長", "鎮長"),
        ("鎮長(zhèn zhǎng)到", "鎮長到"),
        ("鎮長(zhènzhǎng)到", "鎮長到"),
        ("鎮長(zhen4 zhang3)到", "鎮長到"),
        ("綠(lǜ)色", "綠色"),
        ("鎮 (zhèn) 長", "鎮長"),
        ("鎮(zhèn)(zhèn)長", "鎮長"),
    ],
)
def test_pinyin_annotation_removed(raw: str, expected: str) -> None:
    assert repair_text(raw) == expected


@pytest.mark.parametrize(
    "text",
    [
        "使用(AI)技術",
        "下載(app)",
        "中國(China)",
        "年份(2023)",
        "明門(中國)幼童用品有限公司",
        "工商聯(商會)",
        "(一)總體要求",
        "第（二）項",
        "拼音(zhen)沒有聲調",
        "Hello (nǐ hǎo)",
        "明門(中國)(zhèn)",
    ],
)
def test_parentheses_of_the_text_stay(text: str) -> None:
    assert repair_text(text) == text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("一，，二", "一，二"),
        ("一，、二", "一、二"),
        ("一，。", "一。"),
        ("一，；二", "一；二"),
        ("一,,二", "一，二"),
        ("一,、二", "一、二"),
        ("一,。", "一。"),
        ("一,;二", "一；二"),
        ("一、，二", "一、二"),
        ("一、。", "一。"),
        ("好！！", "好！"),
        ("好？？", "好？"),
        ("真的？！", "真的？！"),
        ("中 ， ， 文", "中，文"),
        ("“行百里者半九十,。", "“行百里者半九十。"),
        ("發力,。”沈志攀", "發力。”沈志攀"),
    ],
)
def test_doubled_punctuation(raw: str, expected: str) -> None:
    assert repair_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("今年,社會", "今年，社會"),
        ("鏈接:", "鏈接："),
        ("時間:10:30", "時間：10:30"),
        ("真的?好", "真的？好"),
        ("你好!Hello", "你好！Hello"),
        ("萬元;清溪", "萬元；清溪"),
    ],
)
def test_ascii_punctuation_in_chinese_becomes_full_width(raw: str, expected: str) -> None:
    assert repair_text(raw) == expected


@pytest.mark.parametrize(
    "text",
    [
        "價格1,000元",
        "約1.93億元",
        "10:30開會",
        "Hello, world; ok?",
        "http://example.com/a?x=1",
        "等等……然後",
        "破折號——這",
        "“832”線上平臺",
        "1,,2",
        "當?shù)亟逃?、產業",
    ],
)
def test_punctuation_left_alone(text: str) -> None:
    assert repair_text(text) == text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\u200bb\u200c\u200d\u2060\ufeffc", "abc"),
        ("中\u200e文\u200f\u202a\u202e\u2066\u2069", "中文"),
        ("協\u00ad作\x07", "協作"),
        ("中\t文", "中文"),
        ("a\t\u00a0\u3000 b", "a b"),
        ("捐贈 10萬元", "捐贈10萬元"),
        ("超800 萬元", "超800萬元"),
        ("中 文 English words 中", "中文 English words 中"),
        ("a\r\nb\rc", "a\nb\nc"),
        ("一\n\n\n\n二", "一\n\n二"),
        ("一\n\n二", "一\n\n二"),
        ("  x  \n  y  \n", "x\ny"),
        ("\ufeff\u3000\u3000正文", "正文"),
    ],
)
def test_invisible_characters_and_whitespace(raw: str, expected: str) -> None:
    assert repair_text(raw) == expected


class TestPinyin:
    def test_syllable_table(self) -> None:
        assert {"zhen", "zhang", "lü", "lv", "er", "xiang", "chuang"} <= SYLLABLES
        assert not {"app", "ch", "zhv", "bun"} & SYLLABLES
        assert 395 <= len(SYLLABLES) <= 440

    @pytest.mark.parametrize("text", ["zhèn", "Zhèn", "zhen4", "xī ān", "xi1'an1", "lǜ", "nv3"])
    def test_is_pinyin(self, text: str) -> None:
        assert is_pinyin(text)

    @pytest.mark.parametrize(
        "text", ["AI", "ai", "China", "app", "2023", "zhen", "zhèn4", "zhen6", "qü", ""]
    )
    def test_is_not_pinyin(self, text: str) -> None:
        assert not is_pinyin(text)


ALPHABET = st.sampled_from(
    list("中文鎮長協作明門國一二")
    + list("，、。；：！？,;:!?.…—“”()（）")
    + list("azAZèǎ0123456789")
    + [" ", "\t", "\n", "\r", "\u3000", "\u00a0", "\u200b", "\ufeff", "(zhèn)", "(AI)", "1,000"]
)


@settings(max_examples=500, deadline=None, database=None)
@given(st.lists(ALPHABET, max_size=40).map("".join))
def test_idempotent_on_generated_text(raw: str) -> None:
    once = repair_text(raw)
    assert repair_text(once) == once


def test_five_megabytes_repair_linearly() -> None:
    raw = SEED.read_text(encoding="utf-8")
    big = (raw + "\r\n") * (5_000_000 // len(raw))
    text = repair_text(big)
    assert text.count("\n") == big.count("\n") - 1
    assert PINYIN_AFTER_HAN.search(text) is None
