"""The direct answer cut from a sentence: which figure or date, which names, which clause.

The sentences are real ones (the seed article and RGB-style news snippets); each case is
one a simpler rule got wrong.
"""

from __future__ import annotations

import pytest

from ingest.normalize import search_form
from qa.answer_text import MAX_ANSWER, best_window, direct_answer, pick_value
from qa.question import analyse


def _answer(question: str, sentence: str) -> str:
    return direct_answer(analyse(question), sentence, search_form(sentence))


def _value(question: str, sentence: str) -> str:
    span = pick_value(analyse(question), sentence, search_form(sentence))
    assert span is not None
    return sentence[span[0] : span[1]]


@pytest.mark.parametrize(("question", "sentence", "want"), [
    # the figure bound to the asked attribute, not the last one near a shared word
    ("2021年中国城镇新增就业了多少人",
     "2021年全年城镇新增就业1269万人，545万城镇失业人员实现再就业，困难人员就业183万人。", "1269万人"),
    # the attribute's head counts (粮食产量 → 产量); a clause boundary separates
    ("2021年全国粮食产量是多少？",
     "国家统计局6日发布数据，2021年全国粮食总产量达13657亿斤，比上年增加267亿斤，增长2.0%，"
     "全年粮食产量再创新高。", "13657亿斤"),
    # the asked measure word and noun (多少支队伍)
    ("浙江省第二届国际龙舟公开赛有多少支队伍参赛",
     "2022浙江省第二届国际龙舟公开赛共有32支队伍参赛，比赛分为4个组别，分别是公开组22人龙舟8支队伍。",
     "32支"),
    # a rate question takes the percentage
    ("长安汽车2021年销量同比增长多少？",
     "长安汽车集团2021销量出炉：230万辆，同比增长14.8%。", "14.8%"),
    # a snippet's English date is page debris, not a figure
    ("2022年高考报名人数", "Jun 6, 2022 ... 2022年全国高考报名人数已于日前公布，全国高考人数1193万！",
     "1193万"),
    # "下午5点" is a clock time, not the magnitude
    ("2022年芦山地震是的震级",
     "首次地震于2022年6月1日下午5点在四川省雅安市芦山县发生，震级6.1级，震源深度17公里。", "6.1"),
    # 图2 is a label
    ("2022年重庆的GDP增长率是多少", "图2 2022年重庆GDP同比增长2.6%。", "2.6%"),
])
def test_quantity_questions_take_the_figure_they_ask_for(question: str, sentence: str,
                                                        want: str) -> None:
    assert _value(question, sentence).startswith(want)
    answer = _answer(question, sentence)
    assert answer.startswith(want) and len(answer) <= MAX_ANSWER


@pytest.mark.parametrize(("question", "sentence", "want"), [
    # the event's own date, not the date the report was published
    ("新修订的妇女权益保障法何时开始施行？",
     "10月30日，新修订的妇女权益保障法经十三届全国人大常委会第三十七次会议表决通过，"
     "自2023年1月1日起施行。", "2023年1月1日"),
    # a metadata label's date loses to the event's
    ("二十大开幕时间",
     "科研部党支部组织集中收看党的二十大开幕会. 来源：科研部发布时间：2022-10-17浏览次数：58. "
     "10月16日上午，中国共产党第二十次全国代表大会在人民大会堂隆重开幕。", "10月16日"),
    # a range stays whole
    ("2022年G20峰会的时间？",
     "2022年二十国集团峰会于2022年11月15日至16日在印度尼西亚巴厘省努沙杜瓦举行。",
     "2022年11月15日至16日"),
])
def test_date_questions_take_the_event_date(question: str, sentence: str, want: str) -> None:
    assert analyse(question).qtype == "date"
    assert _value(question, sentence) == want
    assert _answer(question, sentence).startswith(want)


def test_a_date_standing_alone_is_followed_by_what_happened() -> None:
    sentence = "6月21日，清溪鎮·德江縣東西部協作工作黨政聯席會議召開。"
    answer = _answer("兩地黨政聯席會議在幾月幾日舉行？", sentence)
    assert answer.startswith("6月21日（") and "聯席會議召開" in answer


def test_this_year_figure_keeps_its_scope_words() -> None:
    answer = _answer("今年社会捐赠一共多少？", "今年截至目前，社會捐贈折合共計約193萬元。")
    assert answer == "約193萬元（今年截至目前，社會捐贈折合共計約193萬元）"


@pytest.mark.parametrize(("question", "sentence", "names"), [
    ("《心居》的主演有哪些",
     "心居演员表主演海清(饰演冯晓琴)，主演童瑶(饰演顾清俞)，主演张颂文(饰演展翔)，主演冯绍峰(饰演施源)，"
     "主演姚一奇(饰演顾磊)等，电视猫网站提供全部60位心居演员表介绍。", ["海清", "童瑶", "张颂文"]),
    ("德江县哪些领导参加了联席会议？",
     "清溪鎮領導盧泰強、蔡運洪，德江縣領導黃柱梁、陳彪、張觀光參加會議。", ["黃柱梁", "陳彪", "張觀光"]),
    ("2023年澳网男单冠军是谁？",
     "最终塞尔维亚选手诺瓦克·德约科维奇赢得男子单打冠军，这是他第10个澳网男单冠军，继续推高该奖项记录，"
     "成为第二个在单一大满贯赛事上获得10个以上冠军的网球选手。", ["诺瓦克·德约科维奇"]),
])
def test_person_questions_keep_the_names(question: str, sentence: str, names: list[str]) -> None:
    answer = _answer(question, sentence)
    assert all(n in answer for n in names), answer
    assert len(answer) <= MAX_ANSWER


def test_a_list_question_keeps_the_enumeration() -> None:
    sentence = ("敖華希望雙方能夠繼續在更廣范圍、更深層次、更高水平深化協作，進一步聚焦東西部協作重點任務，"
                "結合兩地優勢、發展所需，持續推進產業合作、勞務協作、消費協作和鄉村建設，共同打造東西部協作新樣板。")
    answer = _answer("敖華希望雙方持續推進哪些方面的協作？", sentence)
    assert "產業合作、勞務協作、消費協作和鄉村建設" in answer


def test_windows_are_whole_clauses_within_the_budget() -> None:
    sentence = "甲" * 50 + "，" + "乙" * 50 + "。"
    q = analyse("甲是什么？")
    a, b = best_window(q, sentence, search_form(sentence))
    assert (a, b) in ((0, 51), (51, 102))  # one whole clause: both together exceed the budget


def test_no_value_of_the_asked_kind_gives_none() -> None:
    q = analyse("多少人参加了培训？")
    text = "组织开展了首次莞铜劳务协作跨省技能提升培训。"
    assert pick_value(q, text, search_form(text)) is None
