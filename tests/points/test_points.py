"""Talking points over the real seed index: selection, themes, time-scope labels,
citations, Markdown and Word export, the ``zhiwen points`` command and LLM rewording."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from check.check import Checker, ClaimSpan
from llm.client import make_llm
from llm.settings import LLMSettings
from points.points import PointsResult, talking_points
from points.points_export import number_sources, render_markdown, render_terminal, write_docx
from qa.engine import Engine
from qa.render import to_display
from text.compare import numbers_supported, same_value
from text.numbers import find_quantities

sys.path.insert(0, str(Path(__file__).parents[1] / "llm"))
from fake_openai import FakeOpenAI

TOPIC = "清溪镇与德江县东西部协作成效"
SOURCE_THEMES = {"结对协作", "教育协作", "劳务协作", "消费协作", "产业协作", "社会帮扶"}


@pytest.fixture(scope="module")
def engine(seed_index):  # type: ignore[no-untyped-def]
    return Engine(seed_index)


@pytest.fixture(scope="module")
def result(engine: Engine) -> PointsResult:
    return talking_points(engine, TOPIC)


def _amounts(text: str) -> list:  # type: ignore[type-arg]
    return [q for q in find_quantities(text) if q.kind in ("number", "percent")]


class TestSelection:
    def test_at_least_six_bullets_with_distinct_figures(self, result: PointsResult) -> None:
        quantified = [p for p in result.points if _amounts(p.text)]
        assert len(result.points) <= 8 and len(quantified) >= 6
        seen = []
        for p in quantified:
            for q in _amounts(p.text):
                assert not any(same_value(q, s) and q.qualifier == s.qualifier for s in seen), p.text
                seen.append(q)

    def test_each_citation_quotes_the_bullet_figures_exactly(self, engine: Engine,
                                                             result: PointsResult) -> None:
        for p in result.points:
            assert p.citations
            quotes = [c.quote for c in p.citations]
            assert numbers_supported(p.text, quotes) == [], p.text
            first = find_quantities(p.citations[0].quote)
            assert all(any(same_value(q, s) for s in first) for q in _amounts(p.text)), p.text
            for c in p.citations:
                assert c.quote == engine.index.doc(c.doc_id).text[c.start : c.end]

    def test_themes_come_from_the_source_headings(self, result: PointsResult) -> None:
        themes = set(result.themes())
        assert {"教育协作", "劳务协作", "消费协作", "产业协作", "社会帮扶"} <= themes
        assert themes <= SOURCE_THEMES | {"综合"}

    def test_this_year_and_cumulative_are_apart_and_labelled(self, result: PointsResult) -> None:
        by_figure = {q.text: p for p in result.points for q in _amounts(p.text)}
        assert by_figure["折合约193万元"].scope == "this_year" and "今年" in by_figure["折合约193万元"].text
        cumulative = by_figure["超800万元"]
        assert cumulative.scope == "cumulative" and cumulative.text.startswith("自2021年与德江县结对以来")
        assert "193" not in cumulative.text
        social = result.themes()["社会帮扶"]
        assert [p.scope for p in social] == sorted((p.scope for p in social),
                                                   key=["this_year", "none", "cumulative"].index)
        assert social[0].scope == "this_year"  # headline figures first

    def test_bullets_are_single_simplified_sentences(self, result: PointsResult) -> None:
        for p in result.points:
            assert p.text.endswith("。") and p.text.count("。") == 1, p.text
            assert "萬" not in p.text and "社會" not in p.text and not p.text.startswith("其中")

    def test_the_script_setting_is_followed(self, seed_index, result: PointsResult) -> None:  # type: ignore[no-untyped-def]
        original = talking_points(Engine(seed_index, script="original"), TOPIC)
        assert original.points == talking_points(Engine(seed_index), TOPIC, script="original").points
        assert [to_display(p.text, "simplified") for p in original.points] == [p.text for p in result.points]
        assert any("社會" in p.text or "萬" in p.text for p in original.points)  # the source's script

    def test_n_limits_the_bullets(self, engine: Engine) -> None:
        assert len(talking_points(engine, TOPIC, 3).points) == 3

    def test_off_topic_gives_no_points_and_says_so(self, engine: Engine) -> None:
        off = talking_points(engine, "量子计算机的发展前景")
        assert off.points == () and off.notes

    def test_bullets_pass_the_fact_checker(self, engine: Engine, result: PointsResult) -> None:
        checker = Checker(engine)
        for p in result.points:
            got = checker.check_claim(ClaimSpan(p.text, 0, len(p.text)))
            assert got.verdict == "supported", (p.text, got.mismatches, got.note)


class TestExport:
    def test_sources_are_numbered_once(self, result: PointsResult) -> None:
        sources, refs = number_sources(result)
        assert len({(c.doc_id, c.start, c.end) for c in sources}) == len(sources)
        assert sorted({n for r in refs for n in r}) == list(range(1, len(sources) + 1))

    def test_terminal_and_markdown(self, result: PointsResult) -> None:
        text = render_terminal(result)
        assert text.startswith(f"讲话要点：{TOPIC}") and "【教育协作】" in text and "资料来源：" in text
        md = render_markdown(result)
        assert "## 劳务协作" in md and "## 资料来源" in md
        assert all(f"- {p.text}" in md for p in result.points)

    def test_docx_opens_with_bullets_headings_and_sources(self, result: PointsResult, tmp_path: Path) -> None:
        import docx

        path = tmp_path / "要点.docx"
        write_docx(result, path)
        document = docx.Document(str(path))
        headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
        assert headings[0] == f"讲话要点：{TOPIC}" and "资料来源" in headings
        assert set(result.themes()) <= set(headings)
        bullets = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
        assert len(bullets) == len(result.points)
        assert all(b.startswith(p.text) for b, p in zip(bullets, result.points, strict=True))
        body = "\n".join(p.text for p in document.paragraphs)
        assert all(f"「{c.quote}」" in body for p in result.points for c in p.citations)

    def test_docx_to_a_missing_folder_is_a_clear_error(self, result: PointsResult, tmp_path: Path) -> None:
        from zhiwen.errors import InputError

        with pytest.raises(InputError, match="无法写入 Word 文件"):
            write_docx(result, tmp_path / "no" / "such" / "x.docx")


class TestCli:
    def test_points_json_md_and_docx(self, seed_index_dir: Path, tmp_path: Path) -> None:
        import docx

        from zhiwen.cli import cli

        md, word = tmp_path / "p.md", tmp_path / "p.docx"
        out = CliRunner().invoke(cli, ["points", TOPIC, "--n", "6", "--json", "--md", str(md),
                                       "--docx", str(word), "--index", str(seed_index_dir)])
        assert out.exit_code == 0, out.output
        data = json.loads(out.output)
        assert data["topic"] == TOPIC and len(data["points"]) == 6
        for p in data["points"]:
            assert set(p) >= {"theme", "text", "citations"}
            assert set(p["citations"][0]) == {"n", "doc_id", "source", "title", "date", "quote",
                                              "start", "end"}
        assert md.read_text(encoding="utf-8").startswith(f"# 讲话要点：{TOPIC}")
        assert len(docx.Document(str(word)).paragraphs) > 6

    def test_points_terminal(self, seed_index_dir: Path) -> None:
        from zhiwen.cli import cli

        out = CliRunner().invoke(cli, ["points", TOPIC, "--index", str(seed_index_dir)])
        assert out.exit_code == 0 and "【社会帮扶】" in out.output


class TestLLM:
    def test_reworded_bullets_are_checked_and_failures_dropped(self, engine: Engine) -> None:
        plain = talking_points(engine, TOPIC, 2)
        first, second = plain.points
        with FakeOpenAI() as fake:
            fake.queue("各位同志，" + first.text + "[1]")
            wrong = second.text.replace(_amounts(second.text)[0].text, "999万元")
            fake.queue(wrong + "[1]")
            llm = make_llm(LLMSettings(base_url=fake.base_url, model="fake-model", timeout=5))
            got = talking_points(engine, TOPIC, 2, llm=llm)
            assert "<资料" in fake.requests[0]["messages"][-1]["content"]
        assert got.mode == "llm" and got.dropped == 1
        assert [p.text for p in got.points] == ["各位同志，" + first.text]
        assert got.points[0].citations == first.citations
        assert "未通过引文核对" in render_terminal(got)

    def test_the_llm_writes_from_the_composed_point_and_each_figure_is_checked(self,
                                                                              engine: Engine) -> None:
        """Issue 14: the model writes, and its figures are checked as answers are (check_answer):
        a figure the cited passage does not state fails even when the point's own is kept."""
        plain = talking_points(engine, "社会捐赠", 8)
        headline = next(p for p in plain.points if "折合约193万元" in p.text)
        n = plain.points.index(headline)
        with FakeOpenAI() as fake:
            for i, p in enumerate(plain.points):
                if i == n:
                    fake.queue("今年以来，全镇社会捐赠折合约193万元，同比增长两成以上，达到20%[1]。")
                else:
                    marks = "".join(f"[{c.n}]" for c in p.citations)
                    fake.queue("同志们，" + p.text.rstrip("。") + marks + "。")
            llm = make_llm(LLMSettings(base_url=fake.base_url, model="fake-model", timeout=5))
            got = talking_points(engine, "社会捐赠", 8, llm=llm)
            asked = fake.requests[n]["messages"][-1]["content"]
        assert "要点：今年社会捐赠折合约193万元。" in asked
        assert got.mode == "llm" and got.dropped == 1
        assert not any("193" in p.text for p in got.points)
        for p in got.points:
            cited = [s for c in p.citations for s in find_quantities(c.quote)]
            assert all(any(_same(q, s) for s in cited) for q in find_quantities(p.text)), p.text

    def test_when_every_rewording_fails_the_extractive_points_stay_with_a_note(self, engine: Engine) -> None:
        """Issue 11: an empty list with no note was returned when every point failed."""
        plain = talking_points(engine, TOPIC, 2)
        with FakeOpenAI() as fake:
            for p in plain.points:
                fake.queue(p.text.replace(_amounts(p.text)[0].text, "999万元") + "[1]")
            llm = make_llm(LLMSettings(base_url=fake.base_url, model="fake-model", timeout=5))
            got = talking_points(engine, TOPIC, 2, llm=llm)
        assert got.mode == "extractive" and got.points == plain.points
        assert got.notes and "都没有通过引文核对" in got.notes[-1] and "原文措辞" in got.notes[-1]

    def test_dead_endpoint_keeps_extractive_bullets(self, engine: Engine) -> None:
        with FakeOpenAI() as fake:
            url = fake.base_url
        llm = make_llm(LLMSettings(base_url=url, model="fake-model", timeout=2))
        got = talking_points(engine, TOPIC, 2, llm=llm)
        assert got.mode == "extractive" and len(got.points) == 2 and "大模型不可用" in got.notes[-1]

    def test_check_asks_the_llm_only_about_claims_without_figures(self, engine: Engine) -> None:
        claim = "东西部协作需要长期坚持、持续用力。"
        assert Checker(engine).check_claim(ClaimSpan(claim, 0, len(claim))).verdict == "not_found"
        with FakeOpenAI() as fake:
            fake.queue("支持")
            llm = make_llm(LLMSettings(base_url=fake.base_url, model="fake-model", timeout=5))
            report = Checker(engine, llm=llm).check(claim + "今年社会捐赠800万元。")
            assert len(fake.requests) == 1 and claim in fake.requests[0]["messages"][-1]["content"]
        first, second = report.claims
        assert first.verdict == "supported" and first.evidence and "大模型" in first.note
        assert second.verdict == "contradicted" and report.mode == "llm"


TOPICS = [TOPIC, "社会捐赠", "教育协作", "劳务协作和消费帮扶", "德江县结对帮扶"]


def _same(q, s) -> bool:  # type: ignore[no-untyped-def]
    return (q.kind, q.value, q.unit, q.qualifier, q.date_key) == (s.kind, s.value, s.unit, s.qualifier,
                                                                    s.date_key)


class TestComposedPoints:
    """Points without an LLM are composed (lead + figure + scope) from verbatim pieces."""

    @pytest.mark.parametrize("topic", TOPICS)
    def test_every_figure_of_every_point_equals_a_cited_figure(self, engine: Engine, topic: str) -> None:
        for n in (3, 8, 12):
            for p in talking_points(engine, topic, n).points:
                cited = [s for c in p.citations for s in find_quantities(c.quote)]
                for q in find_quantities(p.text):
                    assert any(_same(q, s) for s in cited), (topic, p.text, q.text)

    def test_headline_figures_come_first_and_read_as_speech(self, result: PointsResult) -> None:
        texts = [p.text for p in result.points]
        assert "今年社会捐赠折合约193万元。" in texts  # the brief's example, verbatim pieces
        i193 = next(i for i, t in enumerate(texts) if "约193万元" in t)
        i156 = next(i for i, t in enumerate(texts) if "156万元" in t)
        i800 = next(i for i, t in enumerate(texts) if "超800万元" in t)
        assert i193 < i156 < i800
        assert all(len(t) <= 60 for t in texts), texts
        assert not any(t.startswith(("其中", "今年截至目前", "今年以来，")) for t in texts)
