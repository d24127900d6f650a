"""The reader's candidates and features: one test per named function."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.normalize import search_form
from qa.absent import asked_missing, asked_word, missing_share
from qa.candidates import SPAN_KINDS, Span, Unit, clauses, spans, units
from qa.features import (
    SENTENCE_FEATURES,
    SPAN_FEATURES,
    idf_coverage,
    longest_common,
    max_missing_idf,
    pair_overlap,
    sentence_row,
    span_row,
    token_positions,
    view,
)
from qa.times import heading_years, period_conflict, period_ends, time_agreement, years_of
from text.numbers import find_quantities, parse_quantity
from zhiwen.records import Chunk, Hit


def flat_idf(_token: str) -> float:
    return 1.0


def make_unit(text: str, prev: str = "", nxt: str = "") -> Unit:
    chunk = Chunk("c1", "d1", 0, len(text), text, search_form(text), ((0, len(text)),))
    return Unit(text=text, form=search_form(text), chunk=chunk, hit_rank=1, doc_start=0,
                doc_end=len(text), ranks={"dense": 1, "bm25": 2}, prev=prev, next=nxt)


def test_view_finds_interrogative_context_and_times() -> None:
    q = view("2024年清溪镇社会捐赠一共多少万元？")
    assert q.wh == "多少" and q.wh_key == "多少万" and q.measure == "万"
    assert q.left.endswith("捐赠")
    assert q.times == ("2024年",)
    assert "捐赠" in q.tokens and "多少" not in q.tokens


def test_view_of_traditional_and_english_questions() -> None:
    assert view("今年社會捐贈一共多少？").tokens == view("今年社会捐赠一共多少？").tokens
    assert view("How much was donated this year?").wh == "how much"


def test_units_dedupe_overlapping_chunks() -> None:
    text = "甲句。乙句。丙句。"
    doc_chunks = [Chunk("a", "d", 0, 6, text[:6], text[:6], ((0, 3), (3, 6))),
                  Chunk("b", "d", 3, 9, text[3:9], text[3:9], ((0, 3), (3, 6)))]
    us = units([Hit(c, 1.0, {}) for c in doc_chunks])
    assert [u.text for u in us] == ["甲句。", "乙句。", "丙句。"]
    assert [u.hit_rank for u in us] == [1, 1, 2]
    assert us[1].prev == "甲句。" and us[1].next == ""


def test_a_sentence_of_punctuation_alone_is_no_unit() -> None:
    """A stray "。" the splitter leaves holds no candidate answer (spans() of it is empty,
    and a reader that chose it had nothing to score)."""
    text = "甲句。。乙句；　；"
    chunk = Chunk("a", "d", 0, len(text), text, text, ((0, 3), (3, 4), (4, 7), (7, 9)))
    us = units([Hit(chunk, 1.0, {})])
    assert [u.text for u in us] == ["甲句。", "乙句；"]
    assert all(spans(u) for u in us)
    assert spans(make_unit("。")) == []  # what such a unit would have had


def test_clauses_split_and_trim() -> None:
    text = "今年截至目前，社会捐赠折合共计约193万元。"
    assert [text[a:b] for a, b in clauses(text)] == ["今年截至目前", "社会捐赠折合共计约193万元"]


def test_spans_keep_qualifier_and_unit_of_figures() -> None:
    u = make_unit("捐赠图书15.6万册次，社会捐赠折合共计约193万元。")
    found = {u.text[s.start:s.end]: s.kind for s in spans(u)}
    assert found["15.6万册次"] == "number"
    assert found["约193万元"] == "number"
    assert "社会捐赠折合共计约193万元" in found  # the clause
    assert all(k in SPAN_KINDS for k in found.values())


def test_spans_figure_equals_source_figure() -> None:
    """Never drop a qualifier or unit: the span's figure parses to the source's figure."""
    for text in ("超800万元的物资已送达。", "近3万人次参加培训。", "明年6月前完成23万4千多人的登记。"):
        u = make_unit(text)
        source = {(q.start, q.end): q for q in find_quantities(text)}
        for s in spans(u):
            if s.kind == "number":
                parsed = parse_quantity(text[s.start:s.end])
                assert parsed is not None
                q = source[(s.start, s.end)]
                assert (parsed.value, parsed.unit, parsed.qualifier) == (q.value, q.unit, q.qualifier)


def test_phrases_stop_at_brackets_and_quotes() -> None:
    """A phrase candidate never runs into a bracket or quotation mark: the phone number is a
    candidate, "0769-87321458（工作日上午8" (what was shown for 联系电话是多少) is not."""
    u = make_unit("联系电话：0769-87321458（工作日上午8:30—12:00），监督电话“0769-87352208”。")
    phrases = [u.text[s.start:s.end] for s in spans(u) if s.kind == "phrase"]
    assert "0769-87321458" in phrases
    assert phrases and not any(c in p for p in phrases for c in "（）“”")


def test_spans_titles_and_quotes() -> None:
    u = make_unit("镇里印发《清溪镇乡村振兴实施方案》，提出“黔货出山”。")
    found = {u.text[s.start:s.end]: s.kind for s in spans(u)}
    assert found["《清溪镇乡村振兴实施方案》"] == "title"
    assert found["清溪镇乡村振兴实施方案"] == "title"
    assert found["黔货出山"] == "quote"


def test_idf_coverage_and_missing() -> None:
    q = view("德江县社会捐赠多少？")
    assert q.tokens == ("德江", "德江县", "社会", "捐赠")
    assert idf_coverage(q, "社会捐赠共计193万元", flat_idf) == pytest.approx(2 / 4)
    assert max_missing_idf(q, "社会捐赠共计193万元", lambda t: 5.0 if t == "德江县" else 1.0) == 5.0
    assert max_missing_idf(q, "德江县社会捐赠", flat_idf) == 0.0


def bm25_like(n: int, held: dict[str, int]) -> Callable[[str], float]:
    """An idf over ``n`` passages where ``held`` gives each word's document frequency."""
    from index.backends import bm25_idf

    return lambda t: bm25_idf(n, held.get(t, 0))


def test_missing_share_is_the_same_in_a_small_and_a_large_corpus() -> None:
    q = view("清溪镇今年财政收入多少？")
    text = "清溪镇今年社会捐赠193万元"
    small, large = bm25_like(9, {"清溪镇": 9}), bm25_like(2087, {"清溪镇": 9})
    # the raw idf of a word no passage holds differs by corpus size; its share does not
    assert max_missing_idf(q, text, small) < max_missing_idf(q, text, large)
    assert missing_share(q, text, small) == pytest.approx(1.0)
    assert missing_share(q, text, large) == pytest.approx(1.0)
    assert missing_share(q, "清溪镇今年财政收入8亿元", large) == 0.0
    common = bm25_like(20, {"财政": 15, "收入": 15, "财政收入": 15})
    assert 0 < missing_share(q, text, common) < 0.5  # words most passages hold


def test_missing_share_skips_what_cannot_name_a_lack() -> None:
    idf = bm25_like(20, {"德江": 5, "农特产品": 3})
    # single characters and segmentation slips (no dictionary or passage has 帮销) say
    # nothing about what the sources lack; a dictionary word does
    assert missing_share(view("清溪帮德江卖了多少钱？"), "清溪镇助销德江农特产品", idf) == 0.0
    assert missing_share(view("清溪帮销德江多少？"), "清溪镇助销德江农特产品", idf) == 0.0
    assert missing_share(view("德江县有多少人口？"), "德江县农特产品", idf) == pytest.approx(1.0)


def test_asked_word_is_the_word_next_to_the_interrogative() -> None:
    assert asked_word(view("今年社会捐赠一共多少？")) == "捐赠"
    assert asked_word(view("德江县第七幼儿园的园长是谁？")) == "园长"  # the longest of 园长/长
    assert asked_word(view("谁是清溪镇的党委书记？")) == "党委书记"  # nothing before 谁: the last
    assert asked_word(view("明门公司的总经理是谁？")) == "总经理"
    assert asked_word(view("什么？")) == ""


def test_asked_missing() -> None:
    q = view("清溪镇今年财政收入多少？")
    idf = bm25_like(9, {"清溪镇": 9})
    assert asked_missing(q, "清溪镇今年社会捐赠193万元", idf) == pytest.approx(1.0)
    assert asked_missing(q, "清溪镇今年财政收入8亿元", idf) == 0.0
    assert asked_missing(view("什么？"), "清溪镇", idf) == 0.0


def test_pair_overlap() -> None:
    q = view("社会捐赠多少")
    assert pair_overlap(q, "社会捐赠") == pytest.approx(3 / 5)
    assert pair_overlap(q, "无关") == 0.0


def test_longest_common() -> None:
    assert longest_common("今年社会捐赠", "截至目前社会捐赠折合") == 4
    assert longest_common("abc", "xyz") == 0
    assert longest_common("", "abc") == longest_common("abc", "") == 0


def _longest_common_by_table(a: str, b: str) -> int:
    """The textbook dynamic programme (what longest_common replaced), as the reference."""
    best, prev = 0, [0] * (len(b) + 1)
    for ch in a:
        cur = [0] * (len(b) + 1)
        for j, bj in enumerate(b, 1):
            if ch == bj:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab德江清", max_size=14), st.text(alphabet="ab德江清", max_size=40))
def test_longest_common_equals_the_dynamic_programme(a: str, b: str) -> None:
    assert longest_common(a, b) == _longest_common_by_table(a, b)


def test_years_of_resolves_relative_years_with_the_document_year() -> None:
    assert years_of("2023年以来") == {"2023", "cum"}
    assert years_of("今年捐赠", 2025) == {"今年", "2025"}
    assert years_of("去年", 2025) == {"去年", "2024"}


def test_time_agreement_flags_a_shifted_time() -> None:
    u = make_unit("今年截至目前，社会捐赠折合共计约193万元。")
    assert time_agreement(view("今年社会捐赠多少？"), u, None) == (0.0, 0.0)
    assert time_agreement(view("去年社会捐赠多少？"), u, None) == (1.0, 1.0)
    assert time_agreement(view("2025年社会捐赠多少？"), u, 2025) == (0.0, 0.0)
    assert time_agreement(view("社会捐赠多少？"), u, None) == (0.0, 0.0)


REPORT = ("2025年清溪镇人民政府工作报告\n"
          "2025年清溪镇人民政府工作报告\n（2025年2月12日在镇人民代表大会上）\n\n"
          "一、2024年工作回顾\n\n民生保障持续加强。新增公办学位2700个。\n\n"
          "二、2025年工作安排\n\n全年引进项目50个以上。")


def test_heading_years_are_the_nearest_heading_above_the_sentence() -> None:
    text = REPORT.split("\n", 1)[1]  # the document's text; REPORT is title_and_text of it
    assert heading_years(REPORT, text.index("新增公办学位")) == {"2024"}
    assert heading_years(REPORT, text.index("全年引进项目")) == {"2025"}
    # the line that dates a report is no heading: a 2024 summary dated January 2025 speaks of 2024
    assert heading_years("2024年工作总结\n2025年1月10日\n全年新增就业1286人。", 10) == {"2024"}
    assert heading_years("无年份的标题\n正文一句。", 0) == frozenset()
    # a sentence ending as sentences do is no heading, however short
    assert heading_years("标题\n2023年完成了。\n今年又完成了。", 12) == frozenset()


def test_time_agreement_reads_a_heading_only_when_the_sentence_states_no_year() -> None:
    u = make_unit("新增公办学位2700个。")
    assert time_agreement(view("2024年新增公办学位多少？"), u, 2025) == (1.0, 0.0)
    assert time_agreement(view("2024年新增公办学位多少？"), u, 2025, frozenset({"2024"})) == (0.0, 0.0)
    assert time_agreement(view("2023年新增公办学位多少？"), u, 2025, frozenset({"2024"})) == (1.0, 0.0)
    stated = make_unit("2023年新增公办学位2500个。")
    assert time_agreement(view("2024年新增公办学位多少？"), stated, 2025, frozenset({"2024"})) == (1.0, 1.0)


def test_token_positions() -> None:
    assert token_positions("捐赠了，又捐赠", ("捐赠",)) == (0, 5)


def test_sentence_row_shape_and_values() -> None:
    q = view("今年社会捐赠一共多少？")
    row = sentence_row(q, make_unit("今年截至目前，社会捐赠折合共计约193万元。"), flat_idf, None)
    assert len(row) == len(SENTENCE_FEATURES)
    named = dict(zip(SENTENCE_FEATURES, row, strict=True))
    assert named["idf_cov"] == 1.0 and named["has_number"] == 1.0 and named["time_missing"] == 0.0
    other = dict(zip(SENTENCE_FEATURES, sentence_row(q, make_unit("会议在德江召开。"), flat_idf, None),
                     strict=True))
    assert other["idf_cov"] == 0.0 and other["has_number"] == 0.0 and other["time_missing"] == 1.0


def test_span_row_alignment_prefers_the_slot_after_the_question_context() -> None:
    q = view("生命数耗完即算为什么？")
    u = make_unit("每次泡封会减少生命数，生命数耗完即算为踢爆。")
    at = u.text.index("踢爆")
    good = dict(zip(SPAN_FEATURES, span_row(q, u, Span(at, at + 2, "noun"), flat_idf, 0.9, 1),
                    strict=True))
    at2 = u.text.index("泡封")
    bad = dict(zip(SPAN_FEATURES, span_row(q, u, Span(at2, at2 + 2, "noun"), flat_idf, 0.9, 1),
                   strict=True))
    assert good["left_align"] > bad["left_align"]
    assert good["kind_noun"] == 1.0 and good["q_char_overlap"] == 0.0


def test_span_row_flags_a_number_the_question_gives() -> None:
    q = view("193万元用于什么？")
    u = make_unit("社会捐赠约193万元，用于村企结对。")
    s = next(s for s in spans(u) if s.kind == "number")
    row = dict(zip(SPAN_FEATURES, span_row(q, u, s, flat_idf, 0.5, 1), strict=True))
    assert row["q_number"] == 1.0


def test_date_spans_keep_the_relative_year_and_the_bound() -> None:
    u = make_unit("项目计划明年6月前完工。")
    found = {u.text[s.start:s.end]: s.kind for s in spans(u)}
    assert found.get("明年6月前") == "date"
    assert "6月" not in found


def test_figures_written_in_two_parts_are_one_span() -> None:
    u = make_unit("全县户籍人口23万4千多人。")
    found = {u.text[s.start:s.end]: s.kind for s in spans(u)}
    assert found.get("23万4千多人") == "number"
    assert "4千多人" not in found


def test_view_drops_interrogative_words_and_learned_frame_words() -> None:
    q = view("清溪镇从哪一年开始与德江县结对？")
    assert "一年" not in q.tokens and "哪一年" not in q.tokens and "结对" in q.tokens
    assert "企业" in view("代表团调研了德江的哪家企业？").tokens
    assert "属于" in view("德江县属于哪个省？").tokens
    assert "属于" not in view("德江县属于哪个省？", frozenset({"属于"})).tokens


def test_frame_words_are_question_words_their_paragraphs_lack() -> None:
    from eval.fit_reader import frame_words

    pairs = [(f"X{i}公司担任什么角色？", f"X{i}公司是供应商。") for i in range(6)]
    learned = frame_words(pairs, min_count=5, share=0.5)
    assert "担任" in learned and "角色" in learned
    assert "公司" not in learned  # the paragraphs say it


def test_phrases_keep_modifiers_and_offer_the_head_tail() -> None:
    u = make_unit("电视剧常常以浪漫喜剧的方式呈现，后由教宗保禄六世选为枢机。")
    found = {u.text[s.start:s.end]: s.kind for s in spans(u)}
    assert found["浪漫喜剧"] == "phrase"  # adjective + noun, where the noun alone is 喜剧
    assert found["喜剧"] == "noun"
    assert "保禄六世" in found  # the tail of 教宗保禄六世: a phrase ends in its head
    phrases = [t for t, k in found.items() if k == "phrase"]
    assert all("，" not in t and "。" not in t for t in phrases)


def test_reading_answers_only_when_confident_and_the_time_agrees() -> None:
    from qa.reader import Reading

    u = make_unit("今年社会捐赠约193万元。")
    sure = Reading(u, Span(0, 3, "number"), "约193万元", 0.9, 0.9, 0.8, ())
    assert sure.answers(0.5)
    assert not sure.answers(0.85)  # not confident enough
    other_year = Reading(u, Span(0, 3, "number"), "约193万元", 0.9, 0.9, 0.99, (), why="time_conflict")
    assert not other_year.answers(0.5)  # the sentence states another time than asked
    assert not Reading(None, None, "", 0.0, 0.0, 0.99, ()).answers(0.5)


def test_why_not_a_figure_asked_of_a_sentence_without_one() -> None:
    from qa.absent import why_not

    row = np.zeros(len(SENTENCE_FEATURES))
    row[SENTENCE_FEATURES.index("idf_cov_ctx")] = 0.5  # the sentences share words with the question
    no_figure = make_unit("推动宏德鞋业等项目建设。")
    with_figure = make_unit("宏德鞋业项目总投资3亿元。")
    q = view("宏德鞋业项目总投资是多少？")
    assert why_not(q, no_figure, row) == "no_figure"
    assert why_not(q, with_figure, row) == ""
    assert why_not(view("宏德鞋业项目在几月开工？"), with_figure, row) == ""  # a date is asked, not a figure
    assert why_not(view("谁负责宏德鞋业项目？"), no_figure, row) == ""
    conflict = row.copy()
    conflict[SENTENCE_FEATURES.index("time_conflict")] = 1.0
    assert why_not(q, with_figure, conflict) == "time_conflict"


@pytest.mark.parametrize(("question", "want"), [
    ("劳务协作联席会议是哪天召开的？", "no_date"), ("劳务协作联席会议是什么时候召开的？", "no_date"),
    ("劳务协作联席会议在哪一年召开？", "no_date"),
    ("When was the labour cooperation meeting held?", "no_date"),
    ("劳务协作联席会议在哪里召开？", ""),  # a place is asked
    ("劳务协作联席会议开了多久？", ""),  # a duration is asked
])
def test_why_not_a_time_asked_of_a_sentence_that_states_none(question: str, want: str) -> None:
    from qa.absent import REFUSING, why_not
    from qa.features import view_for

    row = np.zeros(len(SENTENCE_FEATURES))
    row[SENTENCE_FEATURES.index("idf_cov_ctx")] = 0.5
    timeless = make_unit("召开了劳务协作联席会议，签订劳务协作协议，部署相关工作。")
    q = view_for(question, [timeless.text])
    assert why_not(q, timeless, row) == want
    assert want == "" or "no_date" in REFUSING
    for dated in ("3月18日，召开了劳务协作联席会议。", "上周召开了劳务协作联席会议。",
                  "2025年召开了劳务协作联席会议。", "当天上午召开了劳务协作联席会议。"):
        assert why_not(q, make_unit(dated), row) == ""


def test_why_not_a_sentence_that_shares_no_word_with_the_question() -> None:
    from qa.absent import REFUSING, why_not

    q = view("德江班共免费招收了多少名学生？")
    u = make_unit("全年完成雨污分流改造12个片区，惠及居民约5万人。")
    row = np.zeros(len(SENTENCE_FEATURES))
    row[SENTENCE_FEATURES.index("idf_cov_ctx")] = idf_coverage(q, u.prev + u.form + u.next, flat_idf)
    assert why_not(q, u, row) == "unrelated" and "unrelated" in REFUSING
    row[SENTENCE_FEATURES.index("idf_cov_ctx")] = 0.2  # one word of the question, in a neighbour
    assert why_not(q, u, row) == ""


def test_fill_similarity_sets_cosine_gap_and_rank() -> None:
    from qa.features import SENTENCE_FEATURES, fill_similarity

    rows = np.zeros((3, len(SENTENCE_FEATURES)))
    fill_similarity(rows, np.array([0.2, 0.9, 0.5]))
    col = SENTENCE_FEATURES.index
    assert rows[:, col("cos")].tolist() == [0.2, 0.9, 0.5]
    assert np.allclose(rows[:, col("cos_gap")], [-0.7, 0.0, -0.4])
    assert rows[:, col("cos_rank")].tolist() == [3.0, 1.0, 2.0]
    untouched = np.full((2, len(SENTENCE_FEATURES)), np.nan)
    fill_similarity(untouched, None)
    assert np.isnan(untouched).all()


def test_choose_falls_back_to_the_clause_and_widens_it_within_the_budget() -> None:
    from qa.answer_span import choose

    text = ("2023年，清溪镇组织企业赴德江县考察，签订合作协议5份，新增投资额约3亿元，"
            "带动当地就业1200人，其中脱贫人口300人，这些项目已全部开工建设。")
    u = make_unit(text)
    at = text.index("约3亿元")
    figure = Span(at, at + len("约3亿元"), "number")
    other = Span(text.index("1200人"), text.index("1200人") + 5, "number")
    scored = [(u, figure, 0.4), (u, other, 0.3)]
    _unit, sp = choose(scored, 0.5, max_len=40, window=False)  # unsure, too long: a clause
    assert text[sp.start:sp.end] == "新增投资额约3亿元" and sp.kind == "clause"
    _unit, wide = choose(scored, 0.5, max_len=40, window=True)
    piece = text[wide.start:wide.end]
    assert "新增投资额约3亿元" in piece and len(piece) <= 40
    assert "带动当地就业1200人" in piece  # the neighbour holding the next most likely span
    assert choose(scored, 0.3, max_len=40)[1] == figure  # confident: the span itself



def test_reader_refuses_models_fitted_on_other_features(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json
    import shutil

    from qa.reader import MODELS, Reader

    Reader()  # the shipped models match the code's features
    for f in MODELS.iterdir():
        if f.is_file():
            shutil.copy(f, tmp_path / f.name)
    meta = json.loads((tmp_path / "reader.json").read_text(encoding="utf-8"))
    meta["features"]["sentence"] = meta["features"]["sentence"][:-2]
    (tmp_path / "reader.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(RuntimeError, match="重新拟合"):
        Reader(tmp_path)


def test_an_abstention_on_a_sentence_without_the_asked_year_says_so_not_that_the_sources_lack_it() -> None:
    """A report's sentence that states no year ("截至6月底…") may well be of the asked year
    (its document's): the message says what was not found, not that the sources say nothing."""
    from qa.reader import Reading
    from qa.render import abstain_message

    q = view("截至2025年6月底在清溪就业的德江籍务工人员有多少？")
    u = make_unit("截至6月底，在清溪镇稳定就业的德江籍务工人员4356人。")
    msg = abstain_message(q.text, Reading(u, Span(0, 3, "number"), "4356人", 0.9, 0.9, 0.01, (),
                                          why="time_missing", question=q))
    assert "找到的相关句子都没有写明是2025年的情况" in msg and "资料没有说明" not in msg
    other = make_unit("2024年底，在清溪镇稳定就业的德江籍务工人员4120人。")
    msg = abstain_message(q.text, Reading(other, Span(0, 3, "number"), "4120人", 0.9, 0.9, 0.01, (),
                                          why="time_conflict", question=q))
    assert "资料只有2024年的数字，没有2025年的" in msg


def test_reading_order_puts_the_best_document_first_and_keeps_each_in_text_order() -> None:
    from dataclasses import replace

    from qa.candidates import reading_order

    def at(doc: str, start: int, text: str) -> tuple[Unit, str]:
        u = make_unit(text)
        return replace(u, chunk=replace(u.chunk, doc_id=doc), doc_start=start), text

    best, later_in_b, other, earlier_in_b = at("b", 50, "展销会两天销售额超86万元。"), \
        at("b", 90, "参展企业62家。"), at("a", 10, "四是11月举办展销会。"), at("b", 5, "11月15日开幕。")
    order = reading_order([best, later_in_b, other, earlier_in_b])  # best first, as chosen
    assert [t for _u, t in order] == ["11月15日开幕。", "展销会两天销售额超86万元。", "参展企业62家。",
                                      "四是11月举办展销会。"]


@pytest.mark.parametrize(("text", "ends"), [
    ("截至2024年底，全镇累计4120人", {12: "年底"}), ("截至6月底在清溪就业", {6: "6月底"}),
    ("上半年开展技能培训13期，完成全年目标的52%", {6: "上半年", 12: "全年"}),
    ("2026年1至5月到位投资", {5: "1至5月"}), ("1—5月到位投资", {5: "1—5月"}),
    ("一至五月投资", {5: "一至五月"}), ("前三季度产值", {9: "前三季度"}), ("第二季度产值", {6: "第二季度"}),
    ("十二月末的库存", {12: "十二月末"}), ("下半年新增", {12: "下半年"}), ("4月正式投产，2025年新增", {}),
])
def test_period_ends_reads_the_month_a_period_of_the_year_ends_in(text: str, ends: dict[int, str]) -> None:
    assert period_ends(text) == ends


def test_period_conflict_compares_end_months_only_and_needs_both_sides() -> None:
    assert period_conflict("2024年6月底有多少人", "截至2024年底达4120人") == ("6月底", "年底")
    assert period_conflict("3月底有多少人", "截至6月底达4873人") == ("3月底", "6月底")
    # 上半年 ends where 截至6月底 does; a sentence with both periods holds the asked one
    assert period_conflict("截至6月底有几个", "上半年新认定2个，达到9个") == ("", "")
    assert period_conflict("上半年办了几期", "上半年开展培训13期，完成全年目标") == ("", "")
    # no period on either side: nothing to compare
    assert period_conflict("2024年新增多少人", "截至年底达4120人") == ("", "")
    assert period_conflict("截至6月底有多少人", "2024年达4120人") == ("", "")
