"""Question analysis: type, terms, the attribute asked about and the noun asked for."""

from __future__ import annotations

import pytest

from qa.question import analyse, asked_noun, which_noun


@pytest.mark.parametrize(("question", "qtype"), [
    ("清溪镇党政代表团是哪几天在德江的？", "date"),
    ("兩地黨政聯席會議在幾月幾日舉行？", "date"),
    ("清溪镇从哪一年开始与德江县结对？", "date"),
    ("德江县哪些领导参加了联席会议？", "person"),
    ("2021赛季中超冠军", "other"),  # a champion may be a team
    ("今年社会捐赠一共多少？", "quantity"),
    ("德余高速乌江特大桥主桥多长", "quantity"),
])
def test_question_types(question: str, qtype: str) -> None:
    assert analyse(question).qtype == qtype


@pytest.mark.parametrize(("question", "attribute"), [
    ("2021年中国城镇新增就业了多少人", "就业"),
    ("新修订的妇女权益保障法何时开始施行？", "施行"),
    ("德余高速乌江特大桥主桥多长", "主桥"),
    ("我国2021年人口出生率", "出生率"),
])
def test_attribute_is_what_the_question_asks_about(question: str, attribute: str) -> None:
    assert analyse(question).attribute == attribute


def test_question_words_are_not_terms() -> None:
    terms = analyse("清溪镇从哪一年开始与德江县结对？").terms
    assert "一年" not in terms and "结对" in terms
    assert "多长" not in analyse("德余高速乌江特大桥主桥多长").terms
    assert analyse("截至目前，今年的社会捐赠总额是多少？").terms == ("社会", "捐赠")


def test_quoted_names_are_whole_terms() -> None:
    q = analyse("“德江班”有什么特别之处？")
    assert q.terms[0] == "德江班" and "特别之处" not in q.terms


def test_heads_of_the_attribute() -> None:
    assert analyse("2021年全国粮食产量是多少？").heads == ("粮食产量", "产量")


@pytest.mark.parametrize(("question", "noun"), [
    ("清溪镇今年向德江县派出了多少名医生？", "医生"),
    ("今年已经派了几名干部去德江？", "干部"),
    ("德江县第七幼儿园的园长是谁？", "园长"),
    ("宏德鞋业项目总投资是多少？", "投资"),
    ("今年社會捐贈合計有多少？", "捐赠"),  # 合计 frames the question; the asked noun is 捐赠
])
def test_asked_noun(question: str, noun: str) -> None:
    assert asked_noun(analyse(question).form) == noun


def test_which_noun() -> None:
    assert which_noun(analyse("联席会议在哪个酒店召开？").form) == "酒店"
    assert which_noun(analyse("今年社会捐赠一共多少？").form) == ""
