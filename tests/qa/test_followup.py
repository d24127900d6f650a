"""Follow-ups decided on evidence (qa.followup, qa.question_parts): the 40 turn pairs and each helper."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa import followup as fu
from qa import question_parts as qp
from qa.engine import Turn

PAIRS_FILE = Path(__file__).resolve().parents[2] / "eval" / "followups.jsonl"
PAIRS = [json.loads(line) for line in PAIRS_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_set_has_20_followups_and_20_new_questions() -> None:
    assert len(PAIRS) == 40 and len({p["id"] for p in PAIRS}) == 40
    assert sum(p["followup"] for p in PAIRS) == 20
    assert sum(p["split"] == "heldout" for p in PAIRS) == 20


@pytest.mark.parametrize("pair", PAIRS, ids=[p["id"] for p in PAIRS])
def test_turn_pair(pair: dict) -> None:  # type: ignore[type-arg]
    res = fu.resolve(pair["question"], pair["previous"])
    if not pair["followup"]:
        assert not res.followup and res.query == pair["question"], res
        return
    assert res.followup, res
    for part in pair["resolved_contains"]:
        assert part in res.query, (part, res.query)
    # carried over, never glued: one question, not the old one followed by the new one
    assert res.query.count("？") + res.query.count("?") <= 1, res.query
    assert not res.query.startswith(pair["previous"].rstrip("？?")), res.query


# -- helpers --------------------------------------------------------------------------------


def test_tokens_carry_offsets_into_the_original_script() -> None:
    toks = qp.tokens("今年社會捐贈")
    assert "".join(t.word for t in toks) == "今年社会捐赠"  # simplified search form
    assert [t.start for t in toks] == [0, 2, 4][: len(toks)] and toks[-1].end == 6


def test_time_words_are_found_and_removed() -> None:
    assert qp.without_time("今年社会捐赠一共多少？") == "社会捐赠一共多少？"
    assert qp.without_time("自2021年结对以来社会捐赠累计多少？") == "社会捐赠多少？"
    assert qp.time_spans("How much was donated this year?") == [(21, 30)]
    assert qp.time_spans("德江县有多少人口？") == []


def test_anaphors_are_pointers_not_parts_of_words() -> None:
    assert [m.group() for m in qp.anaphors("这笔钱用于什么？")] == ["这笔"]
    assert [m.group() for m in qp.anaphors("它们都是什么企业？")] == ["它们"]
    assert qp.anaphors("其中明门公司捐了多少？") == []  # 其中 is not 其
    assert qp.anaphors("德江县有多少人口？") == []


def test_subject_words() -> None:
    assert qp.subject_words("这笔钱用于什么？") == ([], [])  # 钱 is bound to 这笔
    proper, _ = qp.subject_words("那3家涉农企业入驻了哪里？")
    assert "3" in proper
    proper, _ = qp.subject_words("敖华担任什么职务？")
    assert proper == ["敖华"]  # 职务 only frames the question
    assert qp.subject_words("一共捐了多少？") == ([], [])
    assert qp.subject_words("资金用于什么？") == ([], ["资金"])
    assert qp.subject_words("Who is the county head of Dejiang?")[0] == ["Dejiang"]


def test_names_subject() -> None:
    assert qp.names_subject("明门公司的总经理是谁？")  # two nouns
    assert qp.names_subject("“德江班”开设在哪所学校？")  # a quoted name
    assert not qp.names_subject("用途是什么？")
    assert not qp.names_subject("他担任什么职务？")


def test_is_elliptical() -> None:
    for q in ("那累计呢？", "明门公司呢？", "几所学校呢？", "今年呢？", "What about since 2021?"):
        assert qp.is_elliptical(q), q
    for q in ("那3家涉农企业入驻了哪里？", "还有哪些领导参加了呢？", "德江县有多少人口？",
              "What about the donations was unusual?"):
        assert not qp.is_elliptical(q), q


def test_shares_content() -> None:
    assert qp.shares_content("资金用于什么？", "明门公司捐赠了多少资金？")
    assert not qp.shares_content("口号是什么？", "敖华担任什么职务？")


def test_decide() -> None:
    assert fu.decide("那累计呢？", "今年社会捐赠一共多少？") == "ellipsis"
    assert fu.decide("这笔钱用于什么？", "清溪镇捐了多少钱？") == "anaphora"
    assert fu.decide("用途是什么？", "清溪镇捐了多少钱？") == "no_subject"
    assert fu.decide("资金用于什么？", "明门公司捐赠了多少资金？") == "no_subject"
    assert fu.decide("口号是什么？", "敖华担任什么职务？") == "none"  # a bare noun, unrelated turn
    assert fu.decide("敖华担任什么职务？", "今年社会捐赠一共多少？") == "none"
    assert fu.decide("那累计呢？", "") == "none"


def test_asked_phrase() -> None:
    q = "清溪镇与德江县几个镇建立了结对帮扶协作？"
    start, word_end, end = qp.asked_phrase(q)  # type: ignore[misc]
    assert (q[start:word_end], q[word_end:end]) == ("几个", "镇")
    q = "明门公司捐赠了多少资金？"
    start, word_end, end = qp.asked_phrase(q)  # type: ignore[misc]
    assert q[start:end] == "多少资金"
    assert qp.asked_phrase("德江县属于贵州省。") is None


def test_topic_drops_only_the_question_phrase() -> None:
    assert fu.topic("明门公司在联席会议上向德江县捐赠了多少资金？") == "明门公司在联席会议上向德江县捐赠"
    assert fu.topic("清溪镇协助几家涉农企业入驻德江共建园区？") == "清溪镇协助涉农企业入驻德江共建园区"
    assert fu.topic("今年社会捐赠一共多少？", keep_time=False) == "社会捐赠"


def test_phrase_and_noun_phrase_kinds() -> None:
    assert qp.phrase_kind("累计") == "time"
    assert qp.phrase_kind("明门公司") == "org"
    assert qp.phrase_kind("清溪镇镇长") == "place"
    assert qp.phrase_kind("敖华") == "person"
    q = "清溪镇政府向德江县人民政府捐了多少钱？"
    assert [q[a:b] for a, b, k in qp.noun_phrases(q) if k == "org"] == ["清溪镇政府", "德江县人民政府"]


def test_fill_ellipsis_swaps_the_part_of_the_same_kind() -> None:
    assert fu.fill_ellipsis("那累计呢？", "今年社会捐赠一共多少？") == "累计社会捐赠一共多少？"
    assert fu.fill_ellipsis("那清溪镇镇长呢？", "德江县县长叫什么名字？") == "清溪镇镇长叫什么名字？"
    assert fu.fill_ellipsis("几所学校呢？", "清溪镇与德江县几个镇建立了结对帮扶协作？") \
        == "清溪镇与德江县几所学校建立了结对帮扶协作？"
    assert fu.fill_ellipsis("What about since 2021?", "How much was donated this year?") \
        == "How much was donated since 2021?"


def test_fill_anaphora_carries_the_subject_in() -> None:
    assert fu.fill_anaphora("这笔钱用于什么？", "清溪镇工商联向德江县人民政府捐赠了多少钱？") \
        == "清溪镇工商联向德江县人民政府捐赠的钱用于什么？"
    assert fu.fill_anaphora("她在会上讲了什么？", "德江县县长叫什么名字？") == "德江县县长在会上讲了什么？"
    assert fu.fill_anaphora("用途是什么？", "清溪镇捐了多少钱？") == "清溪镇捐的用途是什么？"
    assert fu.fill_anaphora("一共捐了多少？", "明门公司捐赠的资金用于哪些方面？") \
        == "明门公司捐赠的资金一共捐了多少？"


def test_resolve_keeps_a_standalone_question_verbatim() -> None:
    res = fu.resolve("今年社會捐贈合計有多少？", "敖华担任什么职务？")
    assert res == fu.Resolution("今年社會捐贈合計有多少？") and not res.followup
    assert fu.resolve("那累计呢？", None).query == "那累计呢？"


def test_resolve_followup_reads_the_last_resolved_query_once() -> None:
    history = [Turn("今年社会捐赠一共多少？", "约193万元[1]"),
               Turn("那累计呢？", "超800万元[1]", "累计社会捐赠一共多少？")]
    # against the resolved "累计…", not the raw "那累计呢？", and not the whole history
    assert fu.resolve_followup("那今年呢？", history) == "今年社会捐赠一共多少？"
    assert fu.resolve_followup("那今年呢？", []) == "那今年呢？"
    # a turn recorded without a query falls back to its question
    assert fu.resolve_followup("那累计呢？", [Turn("今年社会捐赠一共多少？", "")]) == "累计社会捐赠一共多少？"


def test_content_verbs_leave_out_links() -> None:
    assert qp.content_verbs("今年社会捐赠一共多少？") == ["捐赠"]
    assert qp.content_verbs("资金用于什么？") == []
    assert qp.content_verbs("一共捐了多少？") == []  # one character: too weak to name an event


def test_a_time_phrase_is_not_a_pointer_and_a_language_switch_starts_anew() -> None:
    assert qp.anaphors("How much was donated this year?") == []
    assert fu.decide("How much was donated this year?", "大利等村共捐了多少？") == "none"
    assert fu.decide("what about 2022?", "今年社会捐赠一共多少？") == "none"


QUESTIONS = [json.loads(line) for line in
             (PAIRS_FILE.parent / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("offset", [1, 7, 29, 53])
def test_no_question_of_the_eval_set_is_merged_after_an_unrelated_one(offset: int) -> None:
    """Every question of eval/questions.jsonl names its own subject: asked after a question
    about other evidence it is never read against it (the issue's 6/17 failure)."""
    merged = []
    for i, q in enumerate(QUESTIONS):
        prev = QUESTIONS[(i + offset) % len(QUESTIONS)]
        if prev["evidence"] != q["evidence"]:
            res = fu.resolve(q["question"], prev["question"])
            if res.followup:
                merged.append((prev["question"], q["question"], res.query))
    assert merged == []
