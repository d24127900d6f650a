"""English questions get Chinese terms: the packaged word list and pinyin names."""

from __future__ import annotations

from qa.features import english_view, view_for
from text.crosslingual import _glosses, bridge, find_pinyin, translations

PASSAGES = [
    "镇长沈志攀、德江县县长敖华出席会议并讲话。",
    "今年截至目前，社会捐赠折合共计约193万元。",
    "劳务协作输入铜仁籍务工人员908人。",
]


def test_translation_fields_are_split_into_chinese_words() -> None:
    assert _glosses("vt.领导,引导,致使vi.领导,(道路等)通向") == ("领导", "引导", "致使", "通向")
    assert _glosses("v.投(资),购买") == ("投资", "投", "购买")
    assert _glosses("n.产物,农产品vt.提出") == ("产物", "农产品", "提出")


def test_inflected_words_find_their_entry() -> None:
    assert "捐赠" in translations("donated")
    assert "捐赠" in translations("donates")
    assert "县" in translations("County")
    assert translations("qzxv") == ()


def test_pinyin_names_are_found_in_the_passages() -> None:
    text = "".join(PASSAGES)
    assert find_pinyin("Shen Zhipan", text) == "沈志攀"
    assert find_pinyin("Dejiang", text) == "德江"
    assert find_pinyin("Tongren", text) == "铜仁"
    assert find_pinyin("Beijing", text) == ""


def test_bridge_marks_what_the_passages_lack() -> None:
    got = {b.word: (b.term, b.found) for b in bridge("How many tourists visited Dejiang?", PASSAGES)}
    assert got["Dejiang"] == ("德江", True)
    assert got["tourists"][1] is False  # no translation of "tourists" is in the passages


def test_english_question_gets_chinese_terms_wh_and_time() -> None:
    q = english_view("How much was donated this year?", PASSAGES)
    assert q.tokens == ("捐赠",) and q.wh == "多少" and q.times == ("今年",)
    # Chinese questions are viewed as they are
    assert view_for("今年社会捐赠一共多少？", PASSAGES).wh == "多少"


def test_half_year_is_a_time_and_a_term_not_first_and_half() -> None:
    passages = ["上半年，通过“832”平台采购德江农特产品约210万元。"]
    q = english_view("How much did Qingxi buy through the 832 platform in the first half of 2025?", passages)
    assert q.times == ("上半年", "2025年")
    assert "上半年" in q.tokens and "一半" not in q.tokens and "首先" not in q.tokens
    assert english_view("What is planned for the second half?", passages).times == ("下半年",)


def test_who_question_bridges_the_name() -> None:
    q = english_view("What does Ao Hua hope?", [*PASSAGES, "敖华希望双方深化协作。"])
    assert "敖华" in q.tokens and "希望" in q.tokens


def test_glossary_phrases_come_before_single_words() -> None:
    got = bridge("Who is the county head of Dejiang?", ["德江县县长敖华"])
    assert [(b.word, b.term, b.found) for b in got] == [
        ("county head", "县长", True), ("Dejiang", "德江", True)]
    got = bridge("How many workers came through labour cooperation?", ["劳务协作输入务工人员908人"])
    assert {b.term for b in got} == {"务工人员", "劳务协作"}  # "through" frames, no term


def test_translations_cover_every_lemma() -> None:
    assert "工人" in translations("workers")  # "workers" has an entry of its own, "worker" too




def test_a_dictionary_phrase_bridges_as_one_term() -> None:
    # word by word, "brand" is 商标 and "name" 名字, neither in the passage; CC-CEDICT glosses
    # 品牌 as "brand name". "Under" frames the question: it is not 低于 of "不低于"
    got = bridge("Under what brand name will the tea be sold?", ["打造“青杠云雾”茶叶品牌，价格不低于市场价"])
    assert [(b.word, b.term, b.found) for b in got] == [("brand name", "品牌", True), ("tea", "茶叶", True)]
    got = bridge("Who hosted the opening ceremony of the fairs?", ["副县长出席开幕式，副镇长主持开幕式"])
    assert ("opening ceremony", "开幕式", True) in [(b.word, b.term, b.found) for b in got]
    # a phrase whose translations the passages lack is bridged word by word, as before
    got = bridge("What is the brand name of the tea?", ["茶叶的商标是青杠云雾"])
    assert ("brand", "商标", True) in [(b.word, b.term, b.found) for b in got]
