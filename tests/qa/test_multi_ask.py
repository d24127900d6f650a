"""Questions that ask two things at once show both answers, cut verbatim from the cited
sentence (qa/multi_ask.py)."""

from __future__ import annotations

import shutil

import pytest

from eval.sets import GOV_DIR
from index.retrievers import SearchIndex
from ingest.normalize import search_form
from qa.engine import Engine
from qa.multi_ask import asks


@pytest.mark.parametrize(("question", "parts"), [
    ("现场签约了几个项目，总投资多少？", ["现场签约了几个项目", "总投资多少"]),
    ("辦了幾期培訓班？培訓了多少人？", ["办了几期培训班", "培训了多少人"]),
    ("今年社会捐赠一共多少？", []),  # one ask
    ("清溪镇与德江县结对以来，累计投入了多少资金？", []),  # a comma, one ask
    ("有哪些企业参加，签约了多少项目？", []),  # 哪些 asks a list, not a second fact
])
def test_asks_splits_a_question_with_two_interrogatives(question: str, parts: list[str]) -> None:
    assert asks(question) == parts


@pytest.fixture(scope="module")
def park_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    from ingest.pipeline import ingest

    root = tmp_path_factory.mktemp("park")
    (root / "docs").mkdir()
    shutil.copy(GOV_DIR / "docs" / "g03_chanyeyuan_erqi_kaigong.txt", root / "docs")
    assert not ingest([root / "docs"], root / "index").failed
    return Engine(SearchIndex.open(root / "index"))


def test_both_figures_of_a_two_part_question_are_shown(park_engine: Engine) -> None:
    ans = park_engine.answer("现场签约了几个项目，总投资多少？")
    assert not ans.abstained
    form = search_form(ans.answer)
    assert "8个" in form and "12.6亿元" in form, ans.answer  # the reader alone showed "8个"
    quote = ans.citations[0].quote
    assert quote == park_engine.index.doc(ans.citations[0].doc_id).text[ans.citations[0].start:
                                                                       ans.citations[0].end]
    assert ans.answer.split("[1]")[0] in quote  # cut verbatim from the cited sentence
    one = park_engine.answer("现场签约了几个项目？")
    assert "8个" in search_form(one.answer) and "12.6亿" not in one.answer  # one ask: one figure
