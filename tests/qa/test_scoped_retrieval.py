"""A question that names a year reads first the passages whose documents may speak of it
(:meth:`qa.engine.Engine.retrieve`, :func:`qa.times.other_years_last`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.times import asked_years, named_years, other_years_last

RELEASE_2026 = ("2026年春风行动招聘会举行\n2026年2月10日\n"
                "2026年春风行动德江籍务工人员专场招聘会在清溪镇举行，现场达成就业意向520人。\n")
REPORT_2025 = ("清溪镇2025年上半年东西部协作工作汇报\n"
               "2月8日至9日，镇人力资源分局在人力资源市场举办春风行动专场招聘会2场，"
               "现场达成就业意向356人。\n")
QUESTION = "2025年春风行动德江籍务工人员专场招聘会现场达成就业意向多少人？"


def test_asked_and_named_years() -> None:
    assert asked_years("2025年春风行动招聘会") == {"2025"}
    assert asked_years("截至2025年6月底，两地结对以来") == {"2025"}
    assert asked_years("今年社会捐赠多少？") == frozenset()  # relative: each document's own
    assert asked_years("招聘会有2900个岗位") == frozenset()  # a figure, not a year
    assert asked_years("how many jobs in 2024?", english=True) == {"2024"}
    assert named_years("自2021年以来，2025年上半年，12025人") == {"2021", "2025"}


def test_other_years_last_keeps_order_within_each_group() -> None:
    years = {"a": frozenset({"2026"}), "b": frozenset({"2025", "2021"}), "c": frozenset(),
             "d": frozenset({"2024"})}
    in_2025 = other_years_last(["a", "b", "c", "d"], frozenset({"2025"}), years.__getitem__)
    assert in_2025 == ["b", "c", "a", "d"]
    assert other_years_last(["a", "b"], frozenset(), years.__getitem__) == ["a", "b"]


@pytest.fixture(scope="module")
def two_years(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from ingest.pipeline import ingest
    from zhiwen.session import open as open_session

    root: Path = tmp_path_factory.mktemp("years")
    (root / "docs").mkdir()
    (root / "docs" / "release_2026.txt").write_text(RELEASE_2026, encoding="utf-8")
    (root / "docs" / "report_2025.txt").write_text(REPORT_2025, encoding="utf-8")
    assert not ingest([root / "docs"], root / "index").failed
    return open_session(root / "index")


def test_a_question_naming_a_year_reads_that_years_document_first(two_years) -> None:  # type: ignore[no-untyped-def]
    engine = two_years.engine
    plain = engine.index.search(QUESTION, 1)
    assert "520人" in plain[0].chunk.text  # the premise: the 2026 release matches the words best
    scoped = engine.retrieve(QUESTION, 1)
    assert "356人" in scoped[0].chunk.text
    # no year asked: the order is the hybrid search's own
    assert [h.chunk.chunk_id for h in engine.retrieve("春风行动招聘会现场达成就业意向多少人？", 2)] == \
        [h.chunk.chunk_id for h in engine.index.search("春风行动招聘会现场达成就业意向多少人？", 2)]


def test_the_answer_is_the_asked_years_figure(two_years) -> None:  # type: ignore[no-untyped-def]
    from qa.engine import Engine

    # reading one passage: the best match alone (the 2026 release) would leave only a refusal
    a = Engine(two_years.index, k=1).answer(QUESTION)
    assert not a.abstained and "356人" in a.answer and "520" not in a.answer, a.answer
