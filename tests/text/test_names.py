"""Person names: family-name-led words, transliterations, and what is not a name."""

from __future__ import annotations

import pytest

from ingest.normalize import search_form
from text.names import person_names


def _names(text: str) -> list[str]:
    return [text[a:b] for a, b in person_names(text, search_form(text))]


@pytest.mark.parametrize(("text", "want"), [
    ("鎮長沈志攀、德江縣縣長敖華出席會議并講話。", {"沈志攀", "敖華"}),
    ("清溪鎮領導盧泰強、蔡運洪，德江縣領導黃柱梁、陳彪、張觀光參加會議。",
     {"盧泰強", "蔡運洪", "陳彪", "張觀光"}),
    ("俄罗斯选手安娜·谢尔巴科娃包揽了项目的金牌。", {"安娜·谢尔巴科娃"}),
    ("遭逮捕的埃文．格什科维奇(Evan Gershkovich)被不当拘留。", {"埃文．格什科维奇", "Evan Gershkovich"}),
])
def test_names_are_found(text: str, want: set[str]) -> None:
    assert want <= set(_names(text))


@pytest.mark.parametrize("text", [
    "成为第二个在单一大满贯赛事上获得10个以上冠军的网球选手。",
    "原北京人民艺术剧院院长担任专家顾问团团长。",
    "今年截至目前，社會捐贈折合共計約193萬元。",
])
def test_words_that_are_not_names(text: str) -> None:
    assert _names(text) == []


def test_spans_index_the_original_text() -> None:
    text = "鎮長沈志攀出席。"
    (a, b), = person_names(text, search_form(text))
    assert text[a:b] == "沈志攀"
