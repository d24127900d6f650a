"""Metric functions of the harness on small hand-made inputs, and scoring of one answer."""

from __future__ import annotations

import pytest

from eval.columns import Column, Raw
from eval.metrics import (
    Outcome,
    abstention_pr,
    below_thresholds,
    budget,
    first_hit_rank,
    hit_at,
    mrr,
    percentile,
    ratio,
    strip_markers,
    summarize,
)
from eval.runner import citation_valid, is_evidence, score
from eval.sets import Question
from zhiwen.records import Citation


def test_first_hit_rank_is_one_based_and_none_without_a_hit() -> None:
    assert first_hit_rank(["x", "ab", "b"], lambda t: "b" in t) == 2
    assert first_hit_rank(["x", "y"], lambda t: "b" in t) is None
    assert first_hit_rank([], lambda t: True) is None


def test_hit_at_k_and_mrr() -> None:
    ranks = [1, 3, None, 6]
    assert hit_at(ranks, 1) == 0.25
    assert hit_at(ranks, 5) == 0.5
    assert hit_at(ranks, 10) == 0.75
    assert mrr([1, 2, None, 4]) == pytest.approx((1 + 0.5 + 0 + 0.25) / 4)
    assert hit_at([], 1) is None and mrr([]) is None


def test_abstention_precision_and_recall() -> None:
    # (abstained, answerable)
    pairs = [(True, False), (True, True), (False, False), (False, True), (True, False)]
    precision, recall = abstention_pr(pairs)
    assert precision == pytest.approx(2 / 3)
    assert recall == pytest.approx(2 / 3)
    assert abstention_pr([(False, True)]) == (None, None)
    assert abstention_pr([(True, True)]) == (0.0, None)
    assert abstention_pr([(False, False)]) == (None, 0.0)


def test_percentile_ratio_markers_and_budget() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([], 95) is None
    assert ratio(3.0, 2.0) == 1.5 and ratio(1.0, 0.0) is None and ratio(None, 1.0) is None
    assert strip_markers("约193万元（今年）[1][2]") == "约193万元（今年）"
    assert strip_markers("见[12] 原文") == "见 原文"
    assert budget("一二三四五", 3) == "一二三" and budget("一二", 3) == "一二"


def _o(qid: str, answerable: bool, abstained: bool, correct: bool, rank: int | None,
       answer: str = "答", ms: float = 10.0, kind: str = "quantity") -> Outcome:
    return Outcome(qid, kind, answerable, answer, answer + "……", abstained, correct, correct, rank,
                   ms, ms / 10, citation_valid=correct if answerable and not abstained else None)


def test_summarize_counts_accuracy_over_answerable_and_lengths_over_answers() -> None:
    outs = [
        _o("1", True, False, True, 1, "一二三四"),
        _o("2", True, False, False, 3, "一二"),
        _o("3", True, True, False, None, "资料中没有找到答案"),
        _o("4", False, True, False, None, "资料中没有找到答案"),
        _o("5", False, False, False, None, "乱答一个"),
    ]
    s = summarize(outs)
    assert s["n"] == 5 and s["answerable"] == 3
    assert s["accuracy"] == pytest.approx(1 / 3)
    assert s["right"] == pytest.approx(2 / 5)  # q1 right, q4 abstained correctly
    assert s["hit@1"] == pytest.approx(1 / 3) and s["hit@5"] == pytest.approx(2 / 3)
    assert s["abstain_precision"] == 0.5 and s["abstain_recall"] == 0.5
    assert s["citation_valid"] == 0.5
    assert s["mean_len"] == pytest.approx((4 + 2 + 4) / 3)  # abstentions not counted
    assert s["mean_len_full"] == pytest.approx((6 + 4 + 6) / 3)


def test_below_thresholds_names_each_failing_figure() -> None:
    assert below_thresholds({"accuracy": 0.95, "abstain_recall": 0.9},
                            {"accuracy": 0.9, "abstain_recall": 0.85}) == []
    problems = below_thresholds({"accuracy": 0.5, "abstain_recall": None},
                                {"accuracy": 0.9, "abstain_recall": 0.85})
    assert len(problems) == 2 and "accuracy" in problems[0] and "无法计算" in problems[1]


class _Cited(Column):
    key, name, cites = "d", "测试", True


def test_score_applies_the_budget_and_checks_citations(seed_index) -> None:  # type: ignore[no-untyped-def]
    chunk = next(c for c in seed_index.chunks if "193萬" in c.text)
    doc = seed_index.doc(chunk.doc_id)
    start = doc.text.index("193萬")
    good = Citation(1, doc.doc_id, doc.source, doc.title, doc.text[start - 10 : start + 5],
                    start - 10, start + 5)
    q = Question("q1", "今年社会捐赠一共多少？", ("193万",), ("800万",),
                 evidence=doc.text[start - 5 : start + 5])
    long_answer = "甲" * 70 + "约193万元[1]"
    raw = Raw(long_answer, False, [seed_index.chunks[0], chunk], 5.0, 1.0, (good,))
    out = score(seed_index, _Cited(), q, raw, "expect", 60)
    assert out.answer == "甲" * 60 and not out.correct and out.correct_full
    assert out.hit_rank == (1 if seed_index.chunks[0] is chunk else 2)
    assert out.citation_valid is True and out.top3  # wrong, so its top hits are kept

    short = score(seed_index, _Cited(), q, Raw("约193万元[1]", False, [chunk], 5.0, 1.0, (good,)),
                  "expect", 60)
    assert short.correct and short.hit_rank == 1 and short.top3 == []
    forbidden = score(seed_index, _Cited(), q, Raw("193万，累计800万", False, [chunk], 1, 1, (good,)),
                      "expect", 60)
    assert not forbidden.correct

    moved = Citation(1, doc.doc_id, doc.source, doc.title, good.quote, start - 9, start + 6)
    assert not citation_valid(seed_index, q, Raw("约193万元", False, [], 0, 0, (moved,)))
    elsewhere = Citation(1, doc.doc_id, doc.source, doc.title, doc.text[0:10], 0, 10)
    assert not citation_valid(seed_index, q, Raw("约193万元", False, [], 0, 0, (elsewhere,)))


def test_abstaining_on_an_answerable_question_is_never_correct(seed_index) -> None:  # type: ignore[no-untyped-def]
    q = Question("q2", "今年社会捐赠一共多少？", ("资料",))
    out = score(seed_index, _Cited(), q, Raw("资料中没有找到答案", True, [], 1, 1), "expect", 60)
    assert not out.correct and not out.right and out.citation_valid is None


def test_hits_use_evidence_for_our_sets_and_the_answer_for_rgb() -> None:
    q = Question("q3", "问", ("193万",), evidence="社會捐贈折合")
    assert is_evidence(q, "今年社會捐贈折合共計約193萬元", "expect")
    assert not is_evidence(q, "约193万元", "expect")  # our sets need the evidence string
    assert is_evidence(q, "约193万元", "rgb")
    assert not is_evidence(Question("q4", "问", ()), "任何文字", "rgb")
