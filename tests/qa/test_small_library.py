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
