"""Fact-checking drafts over the real seed index: claim splitting, verdicts, the claim set,
reports, file input and the ``zhiwen check`` command."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from check.check import Checker, ClaimSpan, split_claims
from check.check_render import render_markdown, render_terminal
from check.drafts import read_draft
from eval.claims import claim_correct, load_claims, score_claims
from qa.engine import Engine
from zhiwen.errors import InputError

DRAFT = (
    "# 清溪镇东西部协作情况\n"
    "一、总体情况\n"
    "今年截至目前，社会捐赠折合共计约193万元；今年社会捐赠800万元。\n"
    "- 德江县县长沈志攀出席会议并讲话。清溪镇今年为德江县修建了5条公路。\n"
    "今年社会捐赠约190万元。"
)


@pytest.fixture(scope="module")
def engine(seed_index):  # type: ignore[no-untyped-def]
    return Engine(seed_index)


@pytest.fixture(scope="module")
def checker(engine: Engine) -> Checker:
    return Checker(engine)


def _check(checker: Checker, claim: str):  # type: ignore[no-untyped-def]
    return checker.check_claim(ClaimSpan(claim, 0, len(claim)))


class TestSplitClaims:
    def test_sentences_and_clauses_keep_their_offsets(self) -> None:
        claims = split_claims(DRAFT)
        assert [c.text for c in claims] == [
            "今年截至目前，社会捐赠折合共计约193万元；", "今年社会捐赠800万元。",
            "德江县县长沈志攀出席会议并讲话。", "清溪镇今年为德江县修建了5条公路。",
            "今年社会捐赠约190万元。",
        ]  # fmt: skip
        assert all(DRAFT[c.start : c.end] == c.text for c in claims)

    def test_headings_and_markers_are_not_claims(self) -> None:
        texts = [c.text for c in split_claims(DRAFT)]
        assert not any("总体情况" in t or t.startswith(("#", "-")) for t in texts)

    def test_blank_draft_has_no_claims(self) -> None:
        assert split_claims(" \n\n") == []


@pytest.mark.parametrize("case", load_claims(), ids=lambda c: f"{c.id}-{c.kind}")
def test_claim_set_verdicts(checker: Checker, case) -> None:  # type: ignore[no-untyped-def]
    got = _check(checker, case.claim)
    assert got.verdict == case.verdict, (got.mismatches, got.note)
    assert claim_correct(case, got), got.mismatches
    if case.verdict in ("supported", "contradicted", "needs_review"):
        assert got.evidence


def test_score_claims_reports_accuracy_by_kind(seed_index_dir: Path) -> None:
    from zhiwen.session import open as open_session

    result = score_claims(open_session(seed_index_dir, extractive=True))
    assert result["total"] >= 24 and result["failures"] == []
    assert result["accuracy"] == 1.0
    assert {"number", "count", "year", "date", "name", "time_scope", "qualifier",
            "numeral_variant", "not_addressed"} <= set(result["by_kind"])  # fmt: skip


class TestVerdicts:
    def test_contradiction_names_both_values_and_quotes_the_source(self, checker: Checker) -> None:
        got = _check(checker, "今年社会捐赠200万元。")
        assert got.verdict == "contradicted"
        assert [(m.claim_value, m.source_value) for m in got.mismatches] == [("200万元", "约193万元")]
        assert "193萬元" in got.evidence[0].quote

    def test_time_scope_trap_explains_the_other_figure(self, checker: Checker) -> None:
        got = _check(checker, "今年以来帮助销售铜仁农副产品近800万元。")
        assert got.verdict == "contradicted"
        assert got.mismatches[0].source_value == "超过80万元" and "累计" in got.note

    def test_claim_without_scope_gets_both_scopes(self, checker: Checker) -> None:
        got = _check(checker, "社会捐赠500万元。")
        assert got.verdict == "contradicted"
        value = got.mismatches[0].source_value
        assert "约193万元（今年）" in value and "超过800万元（累计）" in value
        assert len(got.evidence) == 2

    def test_backed_figure_with_unbacked_words_is_reviewed(self, checker: Checker) -> None:
        got = _check(checker, "今年社会捐赠约193万元，全部用于修建学校。")
        assert got.verdict == "needs_review" and "修建" in got.note

    def test_speaker_swap_is_contradicted(self, checker: Checker) -> None:
        got = _check(checker, "敖华表示，清溪镇将打造更高水平的清德协作新模式。")
        assert got.verdict == "contradicted" and got.mismatches[0].source_value == "沈志攀"

    def test_traditional_script_claim(self, checker: Checker) -> None:
        assert _check(checker, "今年截至目前，社會捐贈折合共計約193萬元。").verdict == "supported"

    def test_every_quote_is_the_exact_source_span(self, engine: Engine, checker: Checker) -> None:
        report = checker.check(DRAFT)
        assert report.claims
        for claim in report.claims:
            for e in claim.evidence:
                assert e.quote == engine.index.doc(e.doc_id).text[e.start : e.end]


class TestReports:
    def test_json_shape(self, checker: Checker) -> None:
        data = checker.check(DRAFT).to_dict()
        assert [c["verdict"] for c in data["claims"]] == [
            "supported", "contradicted", "contradicted", "not_found", "needs_review"]
        for c in data["claims"]:
            assert set(c) >= {"claim", "start", "end", "verdict", "evidence", "mismatches"}
            assert DRAFT[c["start"] : c["end"]] == c["claim"]
        assert data["claims"][1]["mismatches"] == [{"claim_value": "800万元", "source_value": "约193万元"}]
        assert data["summary"] == {"supported": 1, "contradicted": 2, "needs_review": 1, "not_found": 1}

    def test_terminal_and_markdown(self, checker: Checker) -> None:
        report = checker.check(DRAFT)
        text = render_terminal(report)
        assert "✓ [1]" in text and "✗ [2]" in text and "？ [4]" in text and "！ [5]" in text
        assert "稿件 800万元 ≠ 资料 约193万元" in text
        assert "「今年截至目前，社會捐贈折合共計約193萬元。」" in text
        md = render_markdown(report)
        assert md.startswith("# 核稿报告") and "| 2 | ✗ 不符 | 今年社会捐赠800万元。 |" in md
        assert "> 今年截至目前，社會捐贈折合共計約193萬元。" in md


class TestDraftFiles:
    def test_txt_in_gbk_keeps_the_text(self, tmp_path: Path) -> None:
        path = tmp_path / "稿件.txt"
        path.write_bytes(DRAFT.encode("gb18030"))
        assert read_draft(path) == DRAFT

    def test_docx_paragraphs_joined_by_newlines(self, tmp_path: Path) -> None:
        import docx

        path = tmp_path / "稿件.docx"
        document = docx.Document()
        for line in ("今年社会捐赠800万元。", "", "德江县县长敖华出席会议并讲话。"):
            document.add_paragraph(line)
        document.save(str(path))
        assert read_draft(path) == "今年社会捐赠800万元。\n德江县县长敖华出席会议并讲话。"

    @pytest.mark.parametrize(("name", "content", "problem"), [
        ("missing.txt", None, "文件不存在"),
        ("image.txt", b"\x89PNG\r\n\x1a\n" + bytes(64), "PNG 图片"),
        ("nul.md", b"abc\x00\x01\x02def", "空字节"),
        ("empty.txt", b"", "文件为空"),
        ("broken.docx", b"not a zip at all", "不是有效的 .docx"),
        ("draft.pdf", b"%PDF-1.4", "不支持的文稿类型"),
    ])
    def test_bad_files_name_the_problem(self, tmp_path: Path, name: str, content: bytes | None,
                                        problem: str) -> None:
        path = tmp_path / name
        if content is not None:
            path.write_bytes(content)
        with pytest.raises(InputError) as err:
            read_draft(path)
        assert problem in str(err.value) and name in str(err.value)


class TestCli:
    def test_check_text_json(self, seed_index_dir: Path) -> None:
        from zhiwen.cli import cli

        out = CliRunner().invoke(cli, ["check", "--text", "今年社会捐赠800万元。", "--json",
                                       "--index", str(seed_index_dir)])
        assert out.exit_code == 0, out.output
        data = json.loads(out.output)
        assert data["claims"][0]["verdict"] == "contradicted" and data["mode"] == "extractive"

    def test_check_file_writes_markdown(self, seed_index_dir: Path, tmp_path: Path) -> None:
        from zhiwen.cli import cli

        draft = tmp_path / "draft.txt"
        draft.write_text(DRAFT, encoding="utf-8")
        md = tmp_path / "report.md"
        out = CliRunner().invoke(cli, ["check", str(draft), "--md", str(md),
                                       "--index", str(seed_index_dir)])
        assert out.exit_code == 0, out.output
        assert "✗ [2] 今年社会捐赠800万元。" in out.output
        assert md.read_text(encoding="utf-8").startswith("# 核稿报告：draft.txt")

    def test_check_docx_and_stdin(self, seed_index_dir: Path, tmp_path: Path) -> None:
        import docx

        from zhiwen.cli import cli

        path = tmp_path / "draft.docx"
        document = docx.Document()
        document.add_paragraph("德江县县长沈志攀出席会议并讲话。")
        document.save(str(path))
        out = CliRunner().invoke(cli, ["check", str(path), "--json", "--index", str(seed_index_dir)])
        assert out.exit_code == 0, out.output
        assert json.loads(out.output)["claims"][0]["mismatches"][0]["source_value"] == "敖华"
        out = CliRunner().invoke(cli, ["check", "--json", "--index", str(seed_index_dir)],
                                 input="今年社会捐赠约193万元。")
        assert json.loads(out.output)["claims"][0]["verdict"] == "supported"

    @pytest.mark.parametrize(("make", "message"), [
        (lambda d: d / "nope.txt", "nope.txt: 文件不存在"),
        (lambda d: (d / "bin.txt", (d / "bin.txt").write_bytes(b"\x7fELF" + bytes(40)))[0], "ELF"),
    ])
    def test_bad_file_is_one_chinese_line(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str], make, message: str) -> None:  # type: ignore[no-untyped-def]
        from zhiwen.cli import main

        monkeypatch.setattr(sys, "argv", ["zhiwen", "check", str(make(tmp_path))])
        with pytest.raises(SystemExit) as exit_info:
            main()
        err = capsys.readouterr().err
        assert exit_info.value.code == 1
        assert err.startswith("错误：") and message in err and "Traceback" not in err

    def test_file_and_text_together_is_a_usage_error(self, tmp_path: Path) -> None:
        from zhiwen.cli import cli

        out = CliRunner().invoke(cli, ["check", str(tmp_path / "a.txt"), "--text", "x"])
        assert out.exit_code == 2 and "其中之一" in out.output
