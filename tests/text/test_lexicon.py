"""The shared lexicon: time scope, question types, word lists as data, the CJK range.

The patterns that moved to data files or to the shared constants are checked against the
literals they replaced, so the reader's features and the checker's readings stay the same.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.normalize import search_form
from qa import features, question_parts
from qa.qtype import QType, question_type, topic_of
from text import facts, lexicon
from text.facts import fact_figures, role_facts
from text.lexicon import CJK, is_cjk, role_titles, scope_words, surnames
from text.scope import Scope, last_scope, marker_regex, scope_at, scope_label, states

ROOT = Path(__file__).resolve().parents[2]


# -- time scope -----------------------------------------------------------------------------

def _scope_of_figure(sentence: str, value_text: str) -> Scope:
    form = search_form(sentence)
    fig = next(f for f in fact_figures(sentence, form) if value_text in f.q.text)
    return fig.scope


def test_this_years_donations_and_the_cumulative_total_are_told_apart() -> None:
    assert _scope_of_figure("今年截至目前，社会捐赠折合共计约193万元。", "193") == Scope.THIS_YEAR
    assert _scope_of_figure("自2021年结对以来，清溪镇累计向德江县捐赠超800万元。", "800") == Scope.CUMULATIVE


@pytest.mark.parametrize("text, scope", [
    ("截至目前，社会捐赠约193万元。", Scope.NONE),  # "to date", from no stated start
    ("截止目前共培训1200人次。", Scope.NONE),
    ("今年截至目前，社会捐赠约193万元。", Scope.THIS_YEAR),
    ("截至目前，累计捐赠超800万元。", Scope.CUMULATIVE),
    ("至今已建成3个基地。", Scope.NONE),
    ("2021年至今共建成3个基地。", Scope.CUMULATIVE),
    ("今年以来共组织招聘会5场。", Scope.THIS_YEAR),  # 今年以来 is this year, not 以来
    ("今年新增就业300人，累计就业2000人。", Scope.CUMULATIVE),  # the last marker wins
])
def test_jiezhi_muqian_alone_states_no_scope(text: str, scope: Scope) -> None:
    assert last_scope(search_form(text)) == scope


def test_scope_of_a_figure_falls_back_to_the_sentence_then_the_paragraph() -> None:
    form = search_form("捐赠约193万元，其中物资折合50万元。")
    assert scope_at(form, (0, 8), "今年以来，") == Scope.THIS_YEAR
    assert scope_at(form, (0, 8), "") == Scope.NONE


def test_scope_is_a_string_for_json_and_comparisons() -> None:
    assert Scope.THIS_YEAR == "this_year" and Scope.NONE == "none"
    assert json.dumps({"scope": Scope.CUMULATIVE}) == '{"scope": "cumulative"}'
    assert scope_label(Scope.THIS_YEAR) == "今年" and scope_label(Scope.NONE) == "未注明时段"


def test_markers_from_the_data_file_make_the_same_regex_as_before() -> None:
    before = (r"(?P<this>今年以来|今年截至目前|今年截止目前|今年|本年度|本年)"
              r"|(?P<cum>累计|累积|自\d{4}年|\d{4}年以来|\d{4}年至今|以来|历年)")
    assert marker_regex().pattern == before


_SCOPE_CHARS = "今年本度以来累计积自2021至截止目前历其中，。"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_SCOPE_CHARS, max_size=16))
def test_the_answers_this_year_note_fires_as_before(form: str) -> None:
    """The engine's 今年 note (qa/engine.py) asked ``re.search("今年|本年")``; it asks the
    shared classifier now, which finds a this-year marker exactly where that did."""
    assert states(form, Scope.THIS_YEAR) == bool(re.search(r"今年|本年", form))


# -- question types -------------------------------------------------------------------------

@pytest.mark.parametrize("question, qtype", [
    ("今年社会捐赠一共多少？", QType.FACT),
    ("清溪镇领导有哪些人参加了会议？", QType.LIST),
    ("哪几家企业捐了款？", QType.LIST),
    ("总结一下东西部协作的成效", QType.SUMMARY),
    ("please summarize the cooperation", QType.SUMMARY),
    ("what are the projects?", QType.LIST),
])
def test_question_types(question: str, qtype: QType) -> None:
    assert question_type(search_form(question)) == qtype
    assert qtype == qtype.value  # a str: JSON and string comparisons see the value


def test_topic_drops_the_instruction() -> None:
    assert topic_of("总结一下东西部协作的成效") == "东西部协作的成效"
    assert topic_of("总结") == "总结"
    assert topic_of("简要概括一下清溪上半年产业协作的成效") == "清溪上半年产业协作的成效"
    assert topic_of("簡單總結一下這次展銷會的成果") == "這次展銷會的成果"
    assert topic_of("Briefly summarize the fair") == "the fair"


# -- word lists as data ---------------------------------------------------------------------

def test_one_surname_list_for_names_and_role_facts() -> None:
    names = surnames()
    assert {"王", "沈", "敖", "劉", "陳"} <= names and len(names) == 297
    assert "明" in names  # a surname for jieba's names (text/names.py) ...
    assert role_facts(search_form("县长明确要求加快进度。")) == []  # ... but not after a role word


def test_role_facts_read_names_after_role_titles() -> None:
    got = role_facts(search_form("镇长沈志攀、德江县县长敖华出席会议并讲话。"))
    assert [(r.org, r.role, r.name) for r in got] == [("", "镇长", "沈志攀"), ("德江县", "县长", "敖华")]
    assert role_facts(search_form("德江县长堡镇与清溪镇长期以来合作。")) == []


def test_role_titles_and_scope_words_are_the_lists_they_were() -> None:
    assert role_titles() == ("镇长", "县长", "市长", "省长", "区长", "乡长", "村长", "书记", "主席",
                             "主任", "会长", "董事长", "总经理", "局长", "部长", "校长", "院长", "领导")
    assert scope_words() == frozenset("今年 本年 本年度 累计 累积 以来 截至 截止 目前 至今 历年 其中".split())
    assert facts._role_regex().pattern.startswith("副?(?:董事长|总经理|")


def test_word_lists_ship_in_the_wheel() -> None:
    """Every data file beside text/lexicon.py matches the package-data globs of pyproject."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["text"]
    data = [p for p in (ROOT / "text").iterdir() if p.suffix in (".txt", ".tsv")]
    assert {p.name for p in data} >= {"surnames.txt", "role_titles.txt", "scope_words.txt",
                                      "time_scope.tsv", "glossary.tsv"}
    for p in data:
        assert any(p.match(g) for g in globs), p.name
    for p in data:  # read with the same loader, so a comment or blank line never becomes a word
        assert all(line and not line.startswith("#") for line in lexicon.data_lines(p.name))


# -- the CJK range --------------------------------------------------------------------------

def test_cjk_range() -> None:
    assert re.fullmatch(f"[{CJK}]+", "知问\u4e00\u9fff")
    assert not re.search(f"[{CJK}]", "abc123，。\u3400")
    assert is_cjk("知") and not is_cjk("a") and not is_cjk("\u3400")
    assert is_cjk("\u3400", ext_a=True) and not is_cjk("\ua000", ext_a=True)


def test_patterns_built_with_the_constant_are_the_patterns_written_before() -> None:
    """The reader's features and the follow-up time words: same pattern strings as the
    literals they replaced, so the fitted models see identical feature values."""
    assert features._HAN_PAIR.pattern == r"(?=([\u4e00-\u9fff0-9a-z]{2}))"
    assert question_parts.TIME.pattern.startswith(
        r"(?:自|从)[^，,。？?]{0,12}?以来|[\u4e00-\u9fff]{0,2}以来|(?:自|从)?\d{4}年(?:起|至今|以来)?|今年|")
    assert facts._PLACE.pattern == r"(?=([\u4e00-\u9fff]{2}[村镇县市省乡]))"
    assert facts._ORG_TAIL.pattern == (r"[\u4e00-\u9fff]{2,6}?"
                                       r"(?:镇|县|市|省|乡|区|村|工商联|商会|公司|党委|政府)$")
