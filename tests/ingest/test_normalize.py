"""Tests for ingest.normalize: the length-preserving search form."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest import normalize
from ingest.normalize import query_form, search_form
from ingest.repair import repair_text

SEED = Path(__file__).parents[2] / "docs" / "000_3eb5a6fcadb296c6.txt"


def test_traditional_and_simplified_meet() -> None:
    assert search_form("今年社會捐贈") == search_form("今年社会捐赠") == "今年社会捐赠"
    assert search_form("鎮長沈志攀") == "镇长沈志攀"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ＡＢＣｘｙｚ０１２３", "abcxyz0123"),
        ("３．５％", "3.5%"),
        ("中\u3000文", "中 文"),
        ("ABC Hello", "abc hello"),
        ("共156萬元，用於（一）；是嗎？好！注：", "共156万元，用于（一）；是吗？好！注："),
    ],
)
def test_width_case_and_kept_punctuation(text: str, expected: str) -> None:
    assert search_form(text) == expected


def test_length_guard_for_lower_case_expansion() -> None:
    # "İ".lower() is two characters; it must keep its case to keep the length.
    text = "İstanbul ABC"
    assert "İ".lower() != "İ" and len("İ".lower()) == 2
    assert search_form(text) == "İstanbul abc"


def test_nul_character_does_not_shorten() -> None:
    text = "a\x00b中國"
    assert search_form(text) == "a\x00b中国"


def test_seed_is_length_preserving_and_aligned() -> None:
    text = repair_text(SEED.read_text(encoding="utf-8"))
    form = search_form(text)
    assert len(form) == len(text)
    start = text.index("社會捐贈折合共計約193萬元")
    assert form[start : start + 14] == "社会捐赠折合共计约193万元"


def test_fallback_when_opencc_changes_length(monkeypatch: pytest.MonkeyPatch) -> None:
    real = normalize._converter()

    def stretching(text: str) -> str:
        # Pretends a phrase converts to a longer one, as OpenCC can do for a few phrases.
        return real(text).replace("干部", "干部们")

    fake: Callable[[], Callable[[str], str]] = lambda: stretching  # noqa: E731
    monkeypatch.setattr(normalize, "_converter", fake)
    text = "援派幹部，社會捐贈\n鎮領導幹部和支教人員。"
    form = search_form(text)
    assert len(form) == len(text)
    assert form == "援派干部，社会捐赠\n镇领导干部和支教人员。"


def test_query_form_collapses_whitespace() -> None:
    assert query_form("  今年\u3000 社會\t捐贈 \n") == "今年 社会 捐赠"


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_length_preserved_on_any_text(text: str) -> None:
    assert len(search_form(text)) == len(text)
