"""End-to-end runs of the harness on small real inputs: the docs set over the seed index,
and an RGB-format corpus and question file of a few lines; plus the ``zhiwen eval`` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from eval.harness import EvalOptions, gate, load_set, load_thresholds, run_eval, summary_json
from zhiwen.errors import InputError

PASSAGES = [
    "2022年特斯拉全球总交付量131万辆，相比2021年增长40%。",
    "北京时间3月9日凌晨，苹果召开了2022春季新品发布会。",
    "2021年全年城镇新增就业1269万人，545万城镇失业人员实现再就业。",
    "2020年全年城镇新增就业1186万人。",
    "第七届香港立法会共有90个议席。",
]
QUERIES = [
    {"id": 0, "query": "2022年特斯拉交付量", "answer": [["1313851", "131万"]]},
    {"id": 2, "query": "2021年中国城镇新增就业了多少人", "answer": ["1269万人"]},
    {"id": 4, "query": "香港第七届立法会选举有多少个议席？", "answer": ["90"]},
]


def _jsonl(path: Path, rows: list[dict]) -> Path:  # type: ignore[type-arg]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_docs_run_has_every_column_and_writes_reports(seed_index_dir: Path, tmp_path: Path) -> None:
    run = run_eval(EvalOptions(index=seed_index_dir, limit=6, reports=tmp_path, save=True))
    assert [c["key"] for c in run["columns"]] == ["a", "b", "c", "d"]
    assert run["summary"]["d"]["n"] == 6 and run["benchmark"] == "docs"
    assert run["gate"] is None  # a sample of the set is not held to the set's thresholds
    assert run["meta"]["machine"]["cores"] and run["meta"]["commit"]
    for s in run["summary"].values():
        assert s["mean_len"] is None or s["mean_len"] <= 60
    assert json.loads(summary_json(run))["benchmark"] == "docs"
    assert not (tmp_path / "latest.md").exists()  # a sample never replaces the latest report
    dated = list(tmp_path.glob("*-docs.md"))
    assert len(dated) == 1 and "| 检索 hit@1 |" in dated[0].read_text(encoding="utf-8")


def test_rgb_format_files_are_scored_by_rgb_rule(tmp_path: Path) -> None:
    corpus = _jsonl(tmp_path / "corpus.jsonl",
                    [{"id": f"p{i}", "text": t} for i, t in enumerate(PASSAGES)])
    questions = _jsonl(tmp_path / "questions.jsonl", QUERIES)
    run = run_eval(EvalOptions(benchmark="rgb", corpus=corpus, questions=questions,
                               index=tmp_path / "index", reports=tmp_path / "reports"))
    assert run["rule"] == "rgb" and run["summary"]["d"]["n"] == 3
    assert run["summary"]["d"]["hit@5"] == 1.0  # every answer is in the tiny corpus
    assert run["meta"]["chunks"] == len(PASSAGES)
    first = run["questions"][0]
    assert first["expect"] == [["1313851", "131万"]] and "d" in first["results"]


def test_bad_question_files_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "q.jsonl"
    bad.write_text('{"id": 1, "query": "缺答案"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"q\.jsonl"):
        load_set(bad, "rgb")
    bad.write_text("不是 JSON\n", encoding="utf-8")
    with pytest.raises(InputError, match="格式不对"):
        load_set(bad, "docs")
    with pytest.raises(InputError, match="不存在"):
        load_set(tmp_path / "none.jsonl", "docs")


def test_zhiwen_eval_command_runs_python_m_eval_in_the_checkout(
        tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from zhiwen.cli import cli

    out = CliRunner().invoke(cli, ["eval", "--help"])
    assert out.exit_code == 0 and "--benchmark" in out.output and "--compare" in out.output
    monkeypatch.chdir(Path(__file__).resolve().parents[2] / "eval")  # inside the checkout
    out = CliRunner().invoke(cli, ["eval", "--compare", str(tmp_path / "old.json")])
    assert out.exit_code == 1
    assert "old.json" in capfd.readouterr().err  # the error of python -m eval, in Chinese


def test_gate_compares_column_d_with_the_committed_thresholds() -> None:
    floors = load_thresholds()["docs"]
    passing = {key: value + 0.01 for key, value in floors.items()}
    failing = {**passing, "accuracy": floors["accuracy"] - 0.2}
    assert gate({"benchmark": "docs", "summary": {"d": passing}})["problems"] == []
    problems = gate({"benchmark": "docs", "summary": {"d": failing}})["problems"]
    assert len(problems) == 1 and problems[0].startswith("accuracy")
    assert gate({"benchmark": "rgb", "summary": {"d": failing}}) is None  # no RGB thresholds


def test_thresholds_file_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "thresholds.json"
    bad.write_text('{"docs": {"accuracy": "高"}}', encoding="utf-8")
    with pytest.raises(InputError, match="thresholds"):
        load_thresholds(bad)


def test_llm_column_joins_when_an_endpoint_is_configured(seed_index_dir: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1] / "llm"))
    from fake_openai import FakeOpenAI

    from llm.prompts import ABSTAIN_PHRASE

    with FakeOpenAI() as fake:
        for _ in range(3):  # one warm-up call, then two questions
            fake.queue(ABSTAIN_PHRASE + "。")
        monkeypatch.setenv("ZHIWEN_LLM_BASE_URL", fake.base_url)
        monkeypatch.setenv("ZHIWEN_LLM_MODEL", "fake-model")
        run = run_eval(EvalOptions(index=seed_index_dir, limit=2, reports=tmp_path))
        assert len(fake.requests) == 3
    assert [c["key"] for c in run["columns"]][-1] == "e"
    assert any("fake-model" in n for n in run["notes"])
    e = run["summary"]["e"]
    assert e["n"] == 2 and e["accuracy"] == 0.0  # the model abstained on answerable questions
    assert all(q["results"]["e"]["abstained"] for q in run["questions"])
