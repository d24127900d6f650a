"""The CI regression gate: the extractive engine over eval/questions.jsonl must meet the
thresholds committed in eval/thresholds.json, and every citation must quote its source
exactly. Uses the real seed index (docs/) and the same runner as ``python -m eval``."""

from __future__ import annotations

import pytest

from eval.columns import ZhiwenColumn
from eval.harness import load_thresholds
from eval.metrics import below_thresholds, summarize
from eval.runner import score
from eval.sets import load_questions
from qa.engine import Engine
from qa.render import MAX_ANSWER


@pytest.fixture(scope="module")
def gate_run(seed_index):  # type: ignore[no-untyped-def]
    engine = Engine(seed_index)
    col = ZhiwenColumn("d", "知问 抽取式", engine)
    qs = load_questions()
    raws = col.run(qs)
    outcomes = [score(seed_index, col, q, r, "expect", MAX_ANSWER)
                for q, r in zip(qs, raws, strict=True)]
    return qs, raws, outcomes


def test_every_citation_quotes_its_source_exactly(gate_run, seed_index) -> None:  # type: ignore[no-untyped-def]
    qs, raws, _ = gate_run
    bad = [(q.id, c.start, c.end) for q, r in zip(qs, raws, strict=True) for c in r.citations
           if c.quote != seed_index.doc(c.doc_id).text[c.start : c.end]]
    assert not bad, f"inexact citations: {bad}"


def test_accuracy_and_abstention_meet_the_committed_thresholds(gate_run) -> None:  # type: ignore[no-untyped-def]
    qs, _, outcomes = gate_run
    problems = below_thresholds(summarize(outcomes), load_thresholds()["docs"])
    wrong = [f"{q.id} {q.question} -> {o.full!r}{' (abstained)' if o.abstained else ''}"
             for q, o in zip(qs, outcomes, strict=True) if not o.right]
    assert not problems, "; ".join(problems) + "\nwrong answers:\n" + "\n".join(wrong)
