"""Small rules of the ranker and the engine's eligibility, on plain strings."""

from __future__ import annotations

from qa.ranker import (
    _attribution,
    _month_day,
    _typed_values,
    date_ranges,
    single_day,
    starts_only,
    states_year,
)


def test_date_ranges() -> None:
    text = "6月21-23日，镇长带队；11月15日至16日举行；6月21日召开。"
    spans = [text[a:b] for a, b in date_ranges(text)]
    assert spans == ["6月21-23日", "11月15日至16日"]
    assert single_day("6月21日，联席会议召开。") and not single_day("6月21-23日，赴德江。")


def test_dates_agree_by_month_and_day() -> None:
    assert _month_day("2023-05-28") == _month_day("--05-28") == "05-28"
    assert _typed_values("date", "2023年5月28日首飞") == _typed_values("date", "5月28日首飞")


def test_a_start_does_not_answer_until_when() -> None:
    assert starts_only("自2021年与德江县结对以来，协作取得成效。")
    assert not starts_only("结对帮扶将持续到2025年。")
    assert states_year("2022年12月9日交付") and not states_year("6月21日召开")


def test_a_quotation_keeps_its_speaker() -> None:
    doc = "“行百里者半九十。协作是长期工程。”沈志攀表示，接下来将坚持推动。下一句。"
    end = doc.index("”") + 1
    assert _attribution(doc, end) == "沈志攀表示，接下来将坚持推动"
    assert _attribution(doc, doc.index("。") + 1) == ""  # not after a closing quote
