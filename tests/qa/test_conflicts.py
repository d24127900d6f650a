"""Sources that disagree: a planted document with another figure for the same attribute and
scope must not silently replace the answer; both are shown and cited (issue 11, item 9)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from index.retrievers import SearchIndex
from qa.engine import Engine

SEED = Path(__file__).resolve().parents[2] / "docs" / "000_3eb5a6fcadb296c6.txt"

PLANTED = ("清溪镇对口帮扶简报\n"
           "今年截至目前，清溪镇向德江县的社会捐赠折合共计约999万元，主要用于村企结对帮扶。\n")


@pytest.fixture(scope="module")
def planted_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ingest.pipeline import ingest

    root = tmp_path_factory.mktemp("planted")
    docs = root / "docs"
    docs.mkdir()
    shutil.copy(SEED, docs / SEED.name)
    (docs / "planted.txt").write_text(PLANTED, encoding="utf-8")
    report = ingest([docs], root / "index")
    assert not report.failed
    return root / "index"


def test_disagreeing_sources_are_both_shown_and_cited(planted_index: Path) -> None:
    engine = Engine(SearchIndex.open(planted_index))
    ans = engine.answer("今年社会捐赠一共多少？")
    assert not ans.abstained
    assert "资料之间不一致" in ans.answer
    assert "193" in ans.answer and "999" in ans.answer
    values = {c.value for c in ans.conflicts}
    assert any("999" in v or "193" in v for v in values)
    sources = {c.source for c in ans.citations}
    assert any(s.endswith("planted.txt") for s in sources)
    assert any(s.endswith(SEED.name) for s in sources)
    for c in ans.citations:
        assert c.quote == engine.index.doc(c.doc_id).text[c.start:c.end]


def test_json_lists_the_conflicts(planted_index: Path) -> None:
    from zhiwen.cli import cli

    out = CliRunner().invoke(cli, ["ask", "今年社会捐赠一共多少？", "--json", "--index", str(planted_index)])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["conflicts"], data
    assert {"value", "citation"} <= set(data["conflicts"][0])


def test_one_source_means_no_conflict(seed_index) -> None:  # type: ignore[no-untyped-def]
    ans = Engine(seed_index).answer("今年社会捐赠一共多少？")
    assert not ans.conflicts and "不一致" not in ans.answer


def test_only_figures_of_the_same_measure_can_disagree() -> None:
    from text.compare import same_measure
    from text.numbers import parse_quantity

    def q(text: str):  # type: ignore[no-untyped-def]
        got = parse_quantity(text)
        assert got is not None
        return got

    assert same_measure(q("约193万元"), q("999万元"))
    assert not same_measure(q("193万元"), q("13.4亿人次"))  # another unit: another fact
    assert not same_measure(q("2022年"), q("2023年"))  # years are not amounts
    assert not same_measure(q("15"), q("16"))  # no unit: never compared



def _two_reports(root: Path, years: tuple[str, str]) -> Engine:
    """An index of two dated briefs giving 今年's donations as 193万 and 999万."""
    from ingest.pipeline import ingest

    docs = root / "docs"
    docs.mkdir(parents=True)
    for name, year, amount in (("a.txt", years[0], "193"), ("b.txt", years[1], "999")):
        (docs / name).write_text(f"清溪镇对口帮扶简报\n{year}年12月20日\n今年截至目前，清溪镇向德江县"
                                 f"的社会捐赠折合共计约{amount}万元，主要用于村企结对帮扶。\n",
                                 encoding="utf-8")
    assert not ingest([docs], root / "index").failed
    return Engine(SearchIndex.open(root / "index"))


def test_figures_for_different_years_are_not_a_conflict(tmp_path: Path) -> None:
    """The same attribute in the reports of two years (each one's 今年 its own year) gives
    figures of two times, not a contradiction; in two reports of one year it does."""
    q = "今年社会捐赠一共多少？"
    engine = _two_reports(tmp_path / "apart", ("2019", "2025"))
    ans = engine.answer(q)
    assert not ans.abstained and ("193" in ans.answer or "999" in ans.answer)
    assert not ans.conflicts and "不一致" not in ans.answer
    assert sorted(set().union(*(engine.when(u) for u, _s in engine.read(q).ranked))) == ["2019", "2025"]
    same = _two_reports(tmp_path / "same", ("2025", "2025")).answer(q)
    assert same.conflicts and "资料之间不一致" in same.answer
