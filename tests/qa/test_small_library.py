"""A library of a few passages: what no passage mentions is refused, not answered with
whatever figure the one document has (BM25's idf is small in a small library; the reader
sees it as a share of the library's highest)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("question", ["德江班共免费招收了多少名学生？", "劳务协作输入了多少务工人员？",
                                      "今年社会捐赠一共多少？"])
def test_questions_about_what_the_library_never_mentions_are_refused(roads_session, question: str) -> None:  # type: ignore[no-untyped-def]
    a = roads_session.answer(question)
    assert a.abstained, a.answer
    assert a.answer.startswith("资料中没有找到答案")


@pytest.mark.parametrize(("question", "figure"), [("清河区2024年新建和改造道路多少公里？", "38公里"),
                                                  ("雨污分流改造惠及多少居民？", "5万人")])
def test_what_it_states_is_still_answered(roads_session, question: str, figure: str) -> None:  # type: ignore[no-untyped-def]
    a = roads_session.answer(question)
    assert not a.abstained and figure in a.answer, a.answer


def test_a_quoted_name_the_library_lacks_is_refused_and_named(roads_session) -> None:  # type: ignore[no-untyped-def]
    # 道路 and 分流 are both in the library, but not the programme the user quotes
    a = roads_session.answer("“道路分流”改造惠及多少居民？")
    assert a.abstained, a.answer
    assert "“道路分流”" in a.answer


@pytest.mark.parametrize("question", ["“雨污分流”改造惠及多少居民？", "「雨汙分流」改造惠及多少居民？"])
def test_a_quoted_name_the_library_holds_is_answered(roads_session, question: str) -> None:  # type: ignore[no-untyped-def]
    a = roads_session.answer(question)  # also in traditional script and corner quotes
    assert not a.abstained and "5万人" in a.answer, a.answer


def test_quote_absent_reads_the_retrieved_documents_and_skips_english() -> None:
    from qa.absent import quote_absent
    from qa.candidates import Unit
    from qa.features import view
    from zhiwen.records import Chunk

    text = "全年完成雨污分流改造12个片区。"
    u = Unit(text, text, Chunk("c1", "d1", 0, len(text), text, text, ((0, len(text)),)), 1, 0, len(text), {})
    docs = {"d1": "清河区道路建设工作总结 区交通运输局负责《道路养护办法》。" + text}
    assert quote_absent(view("“雨污分流”惠及多少人？"), [u], docs.__getitem__) == ""
    assert quote_absent(view("《道路养护办法》是谁制定的？"), [u], docs.__getitem__) == ""  # in the document
    assert quote_absent(view("《道路建设条例》是谁制定的？"), [u], docs.__getitem__) == "道路建设条例"
    assert quote_absent(view('How many residents did the "sponge city" plan reach?'), [u],
                        docs.__getitem__) == ""


@pytest.mark.parametrize("place", ["东湖镇", "东湖鎮", "南山县", "谢岗镇"])
def test_a_place_the_library_never_names_is_refused_and_named(roads_session, place: str) -> None:  # type: ignore[no-untyped-def]
    # the rest of the question is what the library states for 清河区 (38公里)
    a = roads_session.answer(f"{place}2024年新建和改造道路多少公里？")
    assert a.abstained, a.answer
    assert "38公里" not in a.answer
    assert "没有提到" in a.answer and place.replace("鎮", "镇") in a.answer


def test_absent_place_reads_the_whole_library_and_skips_english() -> None:
    from qa.absent import Mentions, absent_place
    from qa.features import view

    calls: list[int] = []

    def texts() -> list[str]:
        calls.append(1)
        return ["清溪镇向德江县捐赠帮扶资金132万元。", "白果坪村茶叶基地"]

    mentions = Mentions(texts)
    assert absent_place(view("清溪镇向德江县捐了多少钱？"), mentions) == ""
    assert absent_place(view("谢岗镇向德江县捐了多少钱？"), mentions) == "谢岗镇"
    assert absent_place(view("凤岗镇向德江县捐了多少钱？"), mentions) == "凤岗镇"
    assert absent_place(view("白果坪村的茶叶基地有多大？"), mentions) == ""
    assert absent_place(view("How much did Xiegang town donate?"), mentions) == ""
    assert absent_place(view("哪一个部队负责镇压运动？"), mentions) == ""  # 负责 is no place
    assert calls == [1]  # the library's texts are joined once


def test_an_amount_of_money_asked_is_refused_when_the_sentence_gives_none(roads_session) -> None:  # type: ignore[no-untyped-def]
    # the 雨污分流 sentence gives 12个片区 and 5万人, no amount of money
    a = roads_session.answer("雨污分流改造花了多少钱？")
    assert a.abstained, a.answer
    assert "金额" in a.answer and "5万人" not in a.answer
    # the roads sentence does give one
    b = roads_session.answer("新建和改造道路总投资多少钱？")
    assert not b.abstained and "4.6亿元" in b.answer, b.answer


def test_asks_money_and_states_money() -> None:
    from qa.absent import asks_money, states_money
    from qa.features import view
    from text.numbers import find_quantities

    assert asks_money(view("返岗包车一共花了多少钱？")) and asks_money(view("投資了多少錢？"))
    assert asks_money(view("投资了多少万元？")) and asks_money(view("人均GDP为多少美元？"))
    assert not asks_money(view("注册资本是多少？"))  # the question leaves the unit open
    assert not asks_money(view("惠及多少居民？")) and not asks_money(view("How much money?"))
    for text, money in [("接送务工人员1415人次。", False), ("投资3.2亿元建设", True),
                        ("票价100英镑", True), ("花了5000块钱", True), ("增长16.7%", False)]:
        assert states_money(text, find_quantities(text)) is money, text


def test_a_deputy_is_not_the_role_asked() -> None:
    import numpy as np

    from ingest.normalize import search_form
    from qa.absent import REFUSING, deputy_only, why_not
    from qa.candidates import Unit
    from qa.features import SENTENCE_FEATURES, view
    from zhiwen.records import Chunk

    deputy = "德江县委常委、副县长冉启明出席开幕式并致辞。"
    assert deputy_only(view("德江县县长是谁？"), deputy) == "县长"
    assert deputy_only(view("德江縣縣長是誰？"), deputy) == "县长"  # traditional script
    assert deputy_only(view("德江县副县长是谁？"), deputy) == ""  # a deputy asked for
    assert deputy_only(view("德江县县长是谁？"), "县长敖华、副县长冉启明出席。") == ""  # the role itself
    assert deputy_only(view("哪位局长出席了？"), "发展和改革局常务副局长林少华出席。") == "局长"
    assert deputy_only(view("副县长冉启明出席了什么活动？"), deputy) == ""  # no 谁: no role asked
    u = Unit(deputy, search_form(deputy), Chunk("c", "d", 0, len(deputy), deputy, search_form(deputy),
                                                ((0, len(deputy)),)), 1, 0, len(deputy), {})
    row = np.zeros(len(SENTENCE_FEATURES))
    row[SENTENCE_FEATURES.index("idf_cov_ctx")] = 1.0
    assert why_not(view("德江县县长是谁？"), u, row) == "deputy" and "deputy" in REFUSING


def test_a_figure_for_another_period_of_the_year_is_refused_saying_which(roads_session) -> None:  # type: ignore[no-untyped-def]
    # the library has the whole year's figure (全年修补路面1.2万平方米), not the first half's
    a = roads_session.answer("上半年修补了多少平方米路面？")
    assert a.abstained, a.answer
    assert "资料只有全年的数字，没有上半年的" in a.answer
    # the period it does state is answered
    b = roads_session.answer("全年修补了多少平方米路面？")
    assert not b.abstained and "1.2万平方米" in b.answer, b.answer
