"""The CI regression gate, on held-out questions only: the extractive engine over
eval/questions.jsonl (the seed article, never fitted on) and over the test documents of
eval/gov (the reader is fitted on the other documents) must meet the thresholds committed in
eval/thresholds.json, and every citation must quote its source exactly. Same runner as
``python -m eval``."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.columns import ZhiwenColumn
from eval.harness import load_thresholds
from eval.metrics import below_thresholds, summarize
from eval.runner import score
from eval.sets import GOV_DIR, load_gov_questions, load_questions
from qa.render import MAX_ANSWER


def _run(index_dir: Path, questions):  # type: ignore[no-untyped-def]
    from zhiwen.session import open as open_session

    session = open_session(index_dir, extractive=True)
    index = session.index
    col = ZhiwenColumn("d", "知问 抽取式", session)
    raws = col.run(questions)
    outcomes = [score(index, col, q, r, "expect", MAX_ANSWER)
                for q, r in zip(questions, raws, strict=True)]
    return index, (questions, raws, outcomes)


@pytest.fixture(scope="module")
def gov_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ingest.pipeline import ingest

    out: Path = tmp_path_factory.mktemp("gov-index")
    report = ingest([GOV_DIR / "docs"], out)
    assert not report.failed, report.failed
    return out


@pytest.fixture(scope="module")
def runs(seed_index_dir: Path, gov_index_dir: Path):  # type: ignore[no-untyped-def]
    return {"docs": _run(seed_index_dir, load_questions()),
            "gov": _run(gov_index_dir, load_gov_questions(split="test"))}


@pytest.mark.parametrize("name", ["docs", "gov"])
def test_every_citation_quotes_its_source_exactly(runs, name: str) -> None:  # type: ignore[no-untyped-def]
    index, (qs, raws, _) = runs[name]
    bad = [(q.id, c.start, c.end) for q, r in zip(qs, raws, strict=True) for c in r.citations
           if c.quote != index.doc(c.doc_id).text[c.start : c.end]]
    assert not bad, f"inexact citations: {bad}"


@pytest.mark.parametrize("name", ["docs", "gov"])
def test_held_out_accuracy_and_abstention_meet_the_committed_thresholds(runs, name: str) -> None:  # type: ignore[no-untyped-def]
    _, (qs, _, outcomes) = runs[name]
    problems = below_thresholds(summarize(outcomes), load_thresholds()[name])
    wrong = [f"{q.id} {q.question} -> {o.full!r}{' (abstained)' if o.abstained else ''}"
             for q, o in zip(qs, outcomes, strict=True) if not o.right]
    assert not problems, "; ".join(problems) + "\nwrong answers:\n" + "\n".join(wrong)
