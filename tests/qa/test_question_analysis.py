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


@pytest.mark.parametrize(("question", "qtype"), [
    ("沈志攀引用了哪句古语来强调坚持？", "quote"),
    ("What old saying did Shen Zhipan quote?", "quote"),
    ("消费协作助推的口号是什么？", "other"),  # a slogan is a short quoted name, not a quotation
    ("谁是中国影史首个票房达到300亿元的演员？", "person"),  # 谁 wins over 票房
    ("Which province is Dejiang County in?", "place"),
])
def test_more_question_types(question: str, qtype: str) -> None:
    assert analyse(question).qtype == qtype


def test_framing_words_are_not_terms() -> None:
    assert analyse("沈志攀引用了哪句古语来强调坚持？").terms == ("沈志攀", "强调", "坚持")
    # the measure word after 几/多少 is not read into the noun ("家物管")
    assert analyse("有多少家物管公司参与推进消费协作？").terms[:2] == ("物管", "公司")
    assert "几所" not in analyse("结对帮扶协作涉及德江县几所学校？").terms
    assert "人口" in analyse("德江县有多少人口？").terms  # 人口 is a word, 人 no measure here
    # the category of "哪家企业" is named by its members in the sources
    assert "企业" not in analyse("代表团调研了德江的哪家企业？").terms
    assert "自" not in analyse("自2021年结对以来社会捐赠累计多少？").terms


def test_middle_dot_names_are_whole_terms() -> None:
    q = analyse("东莞清溪组团·德江县劳务协作联席会议是哪天召开的？")
    assert q.terms[0] == "东莞清溪组团·德江县劳务协作联席会议"


@pytest.mark.parametrize(("question", "attribute"), [
    ("谁是北京冬奥会第一棒火炬手", "火炬手"),  # 谁是 X: the last term of X
    ("兩地黨政聯席會議在幾月幾日舉行？", "联席会议"),  # 举行 only says it took place
    ("德江县属于哪个省哪个市？", "德江县"),
])
def test_attribute_of_more_questions(question: str, attribute: str) -> None:
    assert analyse(question).attribute == attribute


def test_a_rate_is_headed_by_its_stem_too() -> None:
    assert "增长" in analyse("2022年重庆的GDP增长率").heads


@pytest.mark.parametrize(("question", "noun"), [
    ("清溪镇今年财政收入多少？", "财政收入"),
    ("自2021年结对以来社会捐赠累计多少？", "捐赠"),  # 累计 is the scope, not the noun
    ("清溪镇工商联捐赠了多少钱？", ""),  # 钱 names no noun to look for
    ("兩地黨政聯席會議在幾月幾日舉行？", ""),  # 几月 asks a date, not a count of months
])
def test_more_asked_nouns(question: str, noun: str) -> None:
    assert asked_noun(analyse(question).form) == noun


def test_date_spans_asked() -> None:
    from qa.question import asks_day, asks_end, asks_range, asks_year

    assert asks_range("清溪镇党政代表团是哪几天在德江的？")
    assert asks_day(analyse("兩地黨政聯席會議在幾月幾日舉行？").form)
    assert not asks_day("是哪几天在德江的")
    assert asks_year("清溪镇从哪一年开始与德江县结对？")
    assert asks_end("清溪镇与德江县的结对帮扶将持续到哪一年？")
    assert not asks_end("清溪镇从哪一年开始与德江县结对？")


def test_category_members() -> None:
    from qa.question import category_in

    assert category_in("职务", "德江县县长敖华") and not category_in("职务", "清溪镇长期以来的关心")
    assert category_in("省", "赴贵州省铜仁市") and not category_in("省", "认真落实党中央、省、市的部署")
    assert category_in("企业", "德鑫袜业公司") and not category_in("酒店", "联席会议召开")
