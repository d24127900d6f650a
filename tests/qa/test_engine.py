"""Extractive answers over the real seed index: figures, time scope, abstention, citations."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from qa.engine import Engine, Turn


@pytest.fixture(scope="module")
def engine(seed_index):  # type: ignore[no-untyped-def]
    return Engine(seed_index)


def _assert_citations_exact(engine: Engine, ans) -> None:  # type: ignore[no-untyped-def]
    for c in ans.citations:
        doc = engine.index.doc(c.doc_id)
        assert c.quote == doc.text[c.start : c.end]
        assert c.source == doc.source and c.title == doc.title


@pytest.mark.parametrize(("question", "want", "not_want"), [
    ("今年社会捐赠一共多少？", "193万", "800万"),
    ("今年以来社会捐赠折合多少？", "193万", "800万"),
    ("自2021年结对以来社会捐赠累计多少？", "800万", "193万"),
    ("结对以来累计社会捐赠有多少？", "800万", "193万"),
    ("今年帮助销售铜仁农副产品多少？", "80万", "800万"),
    ("累计助销铜仁农副产品多少？", "近800万", "80万元（今年"),
    ("今年社會捐贈一共多少？", "193万", "800万"),
    ("How much was donated this year?", "193万", "800万"),
    ("How much has been donated in total since the pairing with Dejiang began in 2021?", "800万",
     "193万"),
])
def test_time_scope_selects_the_right_figure(engine: Engine, question: str, want: str,
                                             not_want: str) -> None:
    ans = engine.answer(question)
    assert not ans.abstained
    assert want in ans.answer and not_want not in ans.answer
    assert ans.citations and want.replace("万", "萬") in ans.citations[0].quote
    _assert_citations_exact(engine, ans)


def test_this_year_answer_says_the_source_has_no_date(engine: Engine) -> None:
    ans = engine.answer("今年社会捐赠一共多少？")
    assert any("未注明" in n for n in ans.notes)


@pytest.mark.parametrize("question", [
    "德江县2023年GDP是多少？", "明门公司的总经理是谁？", "德江县有多少人口？",
])
def test_unanswerable_questions_abstain_in_chinese(engine: Engine, question: str) -> None:
    ans = engine.answer(question)
    assert ans.abstained and not ans.citations
    assert ans.answer.startswith("资料中没有找到答案")


def test_a_quantity_question_no_sentence_states_a_figure_for_abstains(engine: Engine) -> None:
    # the training is named in the article, but nothing says how many took part
    ans = engine.answer("首次莞铜劳务协作跨省技能提升培训有多少人参加？")
    assert ans.abstained and "技能" in ans.answer


@pytest.mark.parametrize(("question", "want"), [
    ("Who chairs the Qingxi federation of industry and commerce?", "曾敬峰"),
    ("When did Qingxi start its pairing with Dejiang?", "2021"),
    ("How many students from Dejiang were enrolled for free?", "87"),
    ("清溪镇党政代表团是哪几天在德江的？", "6月21-23日"),
    ("德余高速乌江特大桥主桥多长？", None),  # not in the article: abstain
])
def test_more_question_kinds(engine: Engine, question: str, want: str | None) -> None:
    ans = engine.answer(question)
    if want is None:
        assert ans.abstained
    else:
        assert not ans.abstained and want in ans.answer
        _assert_citations_exact(engine, ans)


@pytest.mark.parametrize(("question", "want"), [
    ("沈志攀引用了哪句古语来强调坚持？", "“行百里者半九十。"),  # the quotation, whole
    ("What old saying did Shen Zhipan quote about the cooperation?", "行百里者半九十"),
    ("敖华担任什么职务？", "县长"),  # a title, not the sentence that merely names her
    ("代表团调研了德江的哪家企业？", "德鑫袜业公司"),  # a member, not "3家涉农企业"
    ("德江县属于哪个省哪个市？", "贵州省铜仁市"),
    ("Which province is Dejiang County in?", "贵州省"),
    ("Who is the county head of Dejiang?", "敖华"),
    ("兩地黨政聯席會議在幾月幾日舉行？", "6月21日"),  # one day, not the 21st–23rd
    ("What does Ao Hua hope the two sides will jointly build?", "新样板"),
])
def test_kinds_of_answer(engine: Engine, question: str, want: str) -> None:
    ans = engine.answer(question)
    assert not ans.abstained and want in ans.answer, ans.answer
    _assert_citations_exact(engine, ans)


@pytest.mark.parametrize("question", [
    "联席会议在哪个酒店召开？",  # no passage names a hotel
    "清溪镇与德江县的结对帮扶将持续到哪一年？",  # "自2021年…以来" is the start, not the end
    "东莞清溪组团·德江县劳务协作联席会议是哪天召开的？",  # that meeting has no date
    "2022年帮助销售了多少铜仁农副产品？",  # no passage states 2022
])
def test_what_the_article_does_not_say_is_not_answered(engine: Engine, question: str) -> None:
    assert engine.answer(question).abstained


def test_an_abstention_names_what_no_passage_mentions(engine: Engine) -> None:
    assert "没有提到所问的“酒店”" in engine.answer("联席会议在哪个酒店召开？").answer
    assert "没有提到所问的“医生”" in engine.answer("清溪镇今年向德江县派出了多少名医生？").answer
    # the training is mentioned; only its head count is missing
    assert "没有句子能回答" in engine.answer("首次莞铜劳务协作跨省技能提升培训有多少人参加？").answer


def test_followups_carry_the_subject(engine: Engine) -> None:
    first = engine.answer("今年社会捐赠一共多少？")
    turn = Turn("今年社会捐赠一共多少？", first.answer)
    assert first.query == "今年社会捐赠一共多少？"
    ans = engine.answer("那累计呢？", [turn])
    assert "800万" in ans.answer and "193" not in ans.answer
    assert ans.query == "累计社会捐赠一共多少？" and ans.to_dict()["query"] == ans.query
    assert not any("检索用的问题" in n for n in ans.notes)
    ans = engine.answer("这笔钱用于什么？", [Turn("清溪镇工商联向德江县人民政府捐赠了多少钱？", "")])
    assert "村企结对" in ans.answer
    assert ans.query == "清溪镇工商联向德江县人民政府捐赠的钱用于什么？"


def test_a_question_naming_its_own_subject_is_not_merged(engine: Engine) -> None:
    """The issue's failure: a new short question after an unrelated one was glued onto it."""
    alone = engine.answer("敖华担任什么职务？")
    after = engine.answer("敖华担任什么职务？", [Turn("今年社会捐赠一共多少？", "约193万元[1]")])
    assert after.query == "敖华担任什么职务？"
    assert after.answer == alone.answer and "县长" in after.answer


def test_cli_ask_json_has_the_documented_shape(seed_index_dir) -> None:  # type: ignore[no-untyped-def]
    from qa.cli import cli

    out = CliRunner().invoke(cli, ["ask", "今年社会捐赠一共多少？", "--json",
                                   "--index", str(seed_index_dir)])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert set(data) >= {"question", "answer", "abstained", "mode", "citations", "timings"}
    assert data["mode"] == "extractive" and "193" in data["answer"]
    assert set(data["citations"][0]) == {"n", "doc_id", "source", "title", "date", "quote",
                                         "start", "end"}
    assert set(data["timings"]) >= {"retrieve_ms", "answer_ms"}
