"""The abstention cut that ``python -m eval.fit_reader`` ships."""

from __future__ import annotations

from eval.fit_reader import Item, Outcome, abstention_cut, answers


def outcome(name: str, answerable: bool, p: float, why: str = "") -> Outcome:
    item = Item(name, f"{name}-{p}", "doc", "问题？", ["答"] if answerable else [], answerable, "fit")
    return Outcome(item, "答", p, "答。", 0.5, why=why)


def test_answers_needs_the_cut_and_an_agreeing_time() -> None:
    assert answers(outcome("a", True, 0.6), 0.5)
    assert not answers(outcome("a", True, 0.4), 0.5)
    assert not answers(outcome("a", True, 0.9, why="time_conflict"), 0.5)


def test_cut_abstains_on_at_most_the_given_share_of_answerable_questions() -> None:
    # set a: answerable at 0.1 … 1.0; set b: answerable at 0.5 … 0.95; negatives low
    outs = [outcome("a", True, i / 10) for i in range(1, 11)]
    outs += [outcome("b", True, 0.5 + i / 20) for i in range(10)]
    outs += [outcome("a", False, 0.05), outcome("b", False, 0.3)]
    cut = abstention_cut(outs, 0.05)
    # each set weighs alike: a abstains 1/10 at cut 0.2, b none → mean 0.05
    assert cut == 0.2
    shares = [sum(not answers(o, cut) for o in outs if o.item.set == s and o.item.answerable) / 10
              for s in "ab"]
    assert sum(shares) / 2 <= 0.05
    assert abstention_cut(outs, 0.0) == 0.1


def test_time_mismatches_count_as_abstentions_when_choosing_the_cut() -> None:
    outs = [outcome("a", True, 0.9, why="time_conflict")]
    outs += [outcome("a", True, 0.5 + i / 100) for i in range(19)]
    # one answerable question in 20 is already abstained by the time rule: no room left
    assert abstention_cut(outs, 0.05) == 0.5


def test_a_sentence_that_states_no_time_is_left_to_the_model() -> None:
    assert answers(outcome("a", True, 0.9, why="time_missing"), 0.5)


def test_balance_weights_small_sets_up_and_zero_power_leaves_all_alike() -> None:
    from eval.fit_reader import balance

    items = [outcome("big", True, 0.5).item for _ in range(100)]
    items += [outcome("small", True, 0.5).item for _ in range(4)]
    items += [outcome("small", False, 0.5).item]  # negatives don't count towards a set's size
    balance(items, 0.5)
    assert items[0].weight == 1.0
    assert items[100].weight == 5.0 and items[-1].weight == 5.0  # (100 / 4) ** 0.5
    balance(items, 0.0)
    assert {it.weight for it in items} == {1.0}


def test_summary_reports_each_kind_of_unanswerable_question_apart() -> None:
    from eval.fit_reader import summarize

    outs = [outcome("a", True, 0.9)]
    time_neg = outcome("a", False, 0.9)
    time_neg.item.extra["neg"] = "time"
    outs += [time_neg, outcome("a", False, 0.1), outcome("a", False, 0.9)]  # two written traps
    res = summarize(outs, 0.5)
    assert res["unanswerable_answered"] == round(2 / 3, 4)
    assert res["unanswerable_answered_time"] == 1.0
    assert res["unanswerable_answered_written"] == 0.5


def test_an_absent_negative_keeps_no_passage_that_states_the_answer(index_copy) -> None:  # type: ignore[no-untyped-def]
    # RGB's questions name no source document: only the answer tells which passages go
    import random

    from eval.fit_reader import collect, negatives
    from index.retrievers import SearchIndex

    index = SearchIndex.open(index_copy)
    rgb_like = Item("rgb", "q1", "q1", "德江班共免费招收了多少名德江籍学生？", ["87名"], True, "fit",
                    extra={"answer": [["87名", "八十七名"]]})
    kept = Item("rgb", "q1", "q1", rgb_like.question, [], False, "fit", extra={"neg": "absent"})
    neg = next(n for seed in range(40) for n in negatives([rgb_like], index, random.Random(seed))
               if n.extra["neg"] == "absent")
    assert neg.extra["held_answers"] == ["87名", "八十七名"]
    collect(index, [neg, kept], "test", frozenset())
    assert kept.units and any("87名" in u.text for u in kept.units)
    assert not any("87名" in u.text for u in neg.units)


def test_the_verifier_is_fitted_only_where_the_neural_reader_never_read() -> None:
    from eval.fit_reader import fold_of
    from eval.fit_verify import neural_held_out, verify_fold

    groups = [f"doc{i}" for i in range(200)]
    drcd = [Item("drcd", g, g, "问？", ["答"], True, "fit") for g in groups]
    assert [neural_held_out(it) for it in drcd] == [fold_of(g) == 0 for g in groups]
    # the shipped reader was fitted also on RGB's and gov's fit halves (--genre)
    assert not any(neural_held_out(Item(s, "q", "g", "问？", ["答"], True, "fit")) for s in ("rgb", "gov"))
    assert all(neural_held_out(Item(s, "q", "g", "问？", ["答"], True, "test")) for s in ("rgb", "gov"))
    # the verifier's own folds split fit_reader's fold 0 (else all of it would be one fold)
    assert len({verify_fold(g) for g in groups if fold_of(g) == 0}) == 5


def test_the_neural_reader_fits_on_the_negatives_of_the_kinds_asked_only() -> None:
    from eval.fit_neural import training_items
    from eval.fit_reader import NEGATIVE_KINDS, fold_of

    groups = [f"doc{i}" for i in range(40)]
    items = [Item("drcd", g, g, "问？", ["答"], True, "fit") for g in groups]
    items += [Item("drcd", g + k, g, "问？", [], False, "fit", extra={"neg": k})
              for g in groups for k in NEGATIVE_KINDS]
    outside = {g for g in groups if fold_of(g) != 0}
    plain = training_items(items)
    assert {it.group for it in plain} == outside and all(it.answerable for it in plain)
    no_time = training_items(items, frozenset({"absent", "attribute", "entity"}))
    assert {it.extra.get("neg") for it in no_time} == {None, "absent", "attribute", "entity"}
    assert all(it.group in outside for it in no_time)
    assert len(no_time) == 4 * len(outside)


def test_gold_null_counts_no_answer_on_gold_sentences_by_the_time_asked() -> None:
    from eval.fit_neural import gold_null
    from eval.sets import Question
    from qa.neural import Found

    class Reader:  # "no answer" exactly on sentences that lack a year
        def best(self, _question: str, sentences: list[str], _before: list[str] | None = None
                 ) -> list[Found]:
            return [Found(0, 1, 0.1, 0.0 if "20" in s else 0.9) for s in sentences]

    qs = [Question("a", "2024年新增了多少公办学位？", ("3000个",), evidence="新增公办学位3000个。"),
          Question("b", "2024年新增了多少公办学位？", ("3000个",), evidence="2024年新增公办学位3000个。"),
          Question("c", "新增了多少公办学位？", ("3000个",), evidence="新增公办学位3000个。"),
          Question("d", "新增了多少公办学位？", ("3000个",), evidence="2024年新增公办学位3000个。"),
          Question("e", "今年新增了多少学位？", ("3000个",), evidence="新增学位3000个。"),
          Question("f", "新增了多少学位？", (), answerable=False, evidence="新增学位3000个。")]
    assert gold_null(Reader(), qs) == {"year_not_in_sentence": {"n": 1, "null_ge_0.5": 1},
                                       "no_time": {"n": 2, "null_ge_0.5": 1},
                                       "other": {"n": 2, "null_ge_0.5": 1}}


def test_shared_batches_keep_each_question_whole_and_pack_up_to_the_size() -> None:
    from eval.fit_neural import _batches
    from qa.neural import Pair

    data = [(Pair([0] * n, 1, []), 0, 0) for n in (5, 9, 7, 3, 4, 8)]
    groups = [[0, 1], [2], [3, 4, 5]]
    chunks = _batches(data, 4, groups)
    assert sorted(i for c in chunks for i in c) == list(range(6))
    for g in groups:  # a question never split across batches
        assert sum(set(g) <= set(c) for c in chunks) == 1
    assert all(len(c) <= 4 for c in chunks)
    assert len(_batches(data, 16, groups)) == 1


def test_shared_loss_normalises_across_a_questions_sentences() -> None:
    import torch

    from eval.fit_neural import _shared
    from qa.neural import Pair

    # two questions: the first with its answer at token 2 of its first sentence and a null
    # sentence, the second with no answer anywhere (no shared term)
    rows = [(Pair([0, 1, 2, 3, 4], 1, [(0, 1)] * 3), 2, 3), (Pair([0, 5, 6, 7, 8], 1, [(0, 1)] * 3), 0, 0),
            (Pair([0, 9, 9, 9, 9], 1, [(0, 1)] * 3), 0, 0)]
    s = torch.zeros(3, 5)
    e = torch.zeros(3, 5)
    flat = _shared(s, e, rows, [0, 0, 1])
    assert abs(float(flat) - torch.log(torch.tensor(6.0))) < 1e-5  # uniform over 6 tokens
    s[1, 2] = 10.0  # the null sentence claims the start: the loss grows
    assert float(_shared(s, e, rows, [0, 0, 1])) > float(flat) + 4
    s[1, 2], s[0, 2], e[0, 3] = 0.0, 10.0, 10.0  # the gold tokens claim it: near zero
    assert float(_shared(s, e, rows, [0, 0, 1])) < 1e-3
    alone = _shared(torch.zeros(3, 5), torch.zeros(3, 5), rows, [0, 1, 2])  # per question, not batch
    assert abs(float(alone) - torch.log(torch.tensor(3.0))) < 1e-5


def test_question_groups_hold_a_questions_gold_and_its_nearest_null_sentences() -> None:
    import random
    from types import SimpleNamespace

    import numpy as np

    from eval.fit_neural import _COS, examples, question_groups
    from qa import e5_file
    from qa.features import SENTENCE_FEATURES
    from qa.neural import pair

    _f, tokens = e5_file.cached()

    def item(q: str, forms: list[str], gold: str, cos: list[float], label: list[int]) -> Item:
        rows = np.zeros((len(forms), len(SENTENCE_FEATURES)))
        rows[:, _COS] = cos
        units = [SimpleNamespace(form=f, prev="") for f in forms]
        return Item("drcd", q, q, q, [gold], True, "fit", units=units, s_rows=rows,  # type: ignore[arg-type]
                    s_label=np.asarray(label, dtype=bool))

    forms = ["沈志攀是清溪镇镇长。", "清溪镇位于东莞。", "德江县在贵州。", "今天天气很好。"]
    a = item("清溪镇镇长是谁？", forms, "沈志攀", [0.9, 0.8, 0.3, 0.5], [1, 0, 0, 0])
    b = item("一共捐了多少？", ["共捐赠约193万元。"], "约193万元", [0.9], [1])
    groups = question_groups([a, b], tokens, negatives=2)
    assert [len(g) for g in groups] == [3, 1]
    (p, s, e), *nulls = groups[0]
    assert (p.offsets[s - p.first][0], p.offsets[e - p.first][1]) == (0, 3)  # 沈志攀
    # the two nearest sentences without the answer teach "no answer here"
    assert all(st == en == 0 for _p, st, en in nulls)
    assert sorted(n.ids for n, _s, _e in nulls) == sorted(
        pair(tokens, a.question, f).ids for f in ("清溪镇位于东莞。", "今天天气很好。"))
    # examples are the same pairs, shuffled apart
    flat = examples([a, b], tokens, 2, random.Random(0))
    assert sorted((x.ids, st, en) for x, st, en in flat) == sorted(
        (x.ids, st, en) for g in groups for x, st, en in g)
