"""One evaluation run from start to finish, shared by ``python -m eval`` and ``zhiwen eval``.

:func:`run_eval` opens (building when needed) the index of the chosen benchmark, runs every
column over its questions, adds the fact-check set when it exists, writes the reports and
returns the run. Printing is left to the callers.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.sets import CLAIMS, GOV_QUESTIONS, QUESTIONS, RGB_CORPUS, RGB_QUESTIONS, ROOT, Question
from qa.render import MAX_ANSWER
from zhiwen.errors import InputError
from zhiwen.session import Session

BENCHMARKS = ("docs", "rgb", "gov", "drcd", "cmrc")
SPLITS = ("test", "fit", "all")
# What each benchmark's figures are: the reader is fitted on RGB's and gov's fit halves and on
# all of DRCD and CMRC (``python -m eval.fit_reader``); docs/ is never fitted on.
HELD_OUT = {"docs": "留出集（阅读模型从未在其上拟合）",
            "rgb": "留出集：RGB 的 test 一半（按问题划分）",
            "gov": "留出集：gov 集的 test 文档",
            "drcd": "样本内：阅读模型在这些问题上拟合（交叉验证数字见 python -m eval.fit_reader）",
            "cmrc": "样本内：阅读模型在这些问题上拟合（交叉验证数字见 python -m eval.fit_reader）"}
THRESHOLDS = ROOT / "eval" / "thresholds.json"


@dataclass(frozen=True, slots=True)
class EvalOptions:
    """What to run. ``questions``/``corpus``/``index`` default per benchmark."""

    benchmark: str = "docs"
    corpus: Path | None = None
    questions: Path | None = None
    index: Path | None = None
    limit: int | None = None
    budget: int = MAX_ANSWER
    reports: Path | None = None
    save: bool = False
    all_failures: bool = False
    split: str = "test"


def load_set(path: Path, benchmark: str, split: str = "all") -> list[Question]:
    """The questions of a benchmark (RGB and gov: the given split); a malformed file
    raises InputError naming it."""
    from eval.sets import load_gov_questions, load_mrc_questions, load_questions, load_rgb_questions

    if benchmark in ("drcd", "cmrc"):
        return load_mrc_questions(benchmark)
    if not path.exists():
        raise InputError(str(path), "问题文件不存在")
    try:
        if benchmark == "rgb":
            qs = load_rgb_questions(path, split)
        elif benchmark == "gov":
            qs = load_gov_questions(path, split)
        else:
            qs = load_questions(path)
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(str(path), f"问题文件格式不对（{type(exc).__name__}: {exc}），"
                         "每行应为一个 JSON 对象") from exc
    if not qs:
        raise InputError(str(path), "问题文件是空的")
    return qs


def _rgb_index_for(corpus: Path) -> Path:
    from eval.indexes import RGB_INDEX

    if corpus.resolve() == RGB_CORPUS.resolve():
        return RGB_INDEX
    tag = hashlib.sha256(str(corpus.resolve()).encode()).hexdigest()[:10]
    return ROOT / ".zhiwen" / f"bench-{tag}"


def open_session(opts: EvalOptions) -> Session:
    """The extractive session over the benchmark's index (built or updated first)."""
    from eval import indexes

    if opts.benchmark == "rgb":
        corpus = opts.corpus or RGB_CORPUS
        if not corpus.exists():
            raise InputError(str(corpus), "找不到语料文件（RGB 默认位于 ../shared/benchmarks/rgb/）")
        return indexes.rgb_session(corpus, opts.index or _rgb_index_for(corpus))
    if opts.benchmark == "gov":
        return indexes.gov_session(*([opts.index] if opts.index else []))
    if opts.benchmark in ("drcd", "cmrc"):
        return indexes.mrc_session(opts.benchmark, opts.index)
    return indexes.docs_session(opts.index or indexes.DOCS_INDEX)


def llm_session(session: Session) -> tuple[Session | None, str]:
    """The LLM-mode session over the same index when an LLM is configured (the index's saved
    settings, else ZHIWEN_LLM_*), else a note why not."""
    from zhiwen.session import open as open_index
    from zhiwen.session import resolve_llm

    settings = resolve_llm(session.index_dir)  # checked first: no second index load without one
    if settings is None:
        return None, "(e) 未配置大模型，本列略去：设置 ZHIWEN_LLM_BASE_URL 与 ZHIWEN_LLM_MODEL 后加入。"
    return open_index(session.index_dir), f"(e) 大模型：{settings.model} @ {settings.base_url}"


def score_claims_if_present(session: Session, path: Path = CLAIMS) -> tuple[dict[str, Any] | None, str]:
    """The fact-check set's scores when ``eval/claims.jsonl`` and ``eval/claims.py`` exist."""
    if not path.exists():
        return None, f"事实核查集未评测：{path.relative_to(ROOT)} 尚不存在。"
    try:
        from eval.claims import score_claims  # type: ignore[import-not-found,unused-ignore]
    except ImportError as exc:
        return None, f"事实核查集未评测：eval/claims.py 无法导入（{exc}）。"
    return score_claims(session, path), f"事实核查集：{path.relative_to(ROOT)}"


def load_thresholds(path: Path = THRESHOLDS) -> dict[str, dict[str, float]]:
    """The committed regression thresholds, per benchmark (``{"docs": {"accuracy": 0.9}}``)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(str(path), "门槛文件不存在") from exc
    except ValueError as exc:
        raise InputError(str(path), f"门槛文件不是有效的 JSON（{exc}）") from exc
    if not isinstance(data, dict) or not all(
            isinstance(v, dict) and all(isinstance(x, int | float) for x in v.values())
            for v in data.values()):
        raise InputError(str(path), "门槛文件应为 {评测集: {指标: 数值}} 的形式")
    return data


def gate(run: dict[str, Any], column: str = "d") -> dict[str, Any] | None:
    """Whether ``column`` of the run meets the committed thresholds of its benchmark."""
    from eval.metrics import below_thresholds

    floors = load_thresholds().get(run["benchmark"])
    if not floors or column not in run["summary"]:
        return None
    return {"column": column, "thresholds": floors,
            "problems": below_thresholds(run["summary"][column], floors)}


def run_eval(opts: EvalOptions) -> dict[str, Any]:
    """Run one benchmark with every column; write ``latest.{json,md}`` (and a dated copy)."""
    from eval import report
    from eval.columns import make_columns
    from eval.runner import evaluate

    if opts.benchmark not in BENCHMARKS:
        raise InputError(opts.benchmark, f"未知的评测集，可选：{'、'.join(BENCHMARKS)}")
    default_q = {"rgb": RGB_QUESTIONS, "gov": GOV_QUESTIONS}.get(opts.benchmark, QUESTIONS)
    qpath = opts.questions or default_q
    # the split selects within the default question files; a file the user names is used whole
    split = opts.split if qpath == default_q else "all"
    questions = load_set(qpath, opts.benchmark, split)[: opts.limit or None]
    t0 = time.perf_counter()
    session = open_session(opts)
    llm, llm_note = llm_session(session)
    columns = make_columns(session, llm)
    run = evaluate(session.index, columns, questions, "rgb" if opts.benchmark == "rgb" else "expect",
                   opts.budget, None if opts.all_failures else report.ZHIWEN_KEYS)
    run["benchmark"] = opts.benchmark
    run["split"] = opts.split if opts.benchmark in ("rgb", "gov") else "all"
    run["notes"] = [
        f"本集：{HELD_OUT[opts.benchmark]}"
        + ("（fit 部分：样本内）" if run["split"] == "fit" else "") + "。",
        "(a)(c) 的答案是首个命中段落中与问题向量余弦最高的句子；(b) 是向量检索前 5 段中与问题向量余弦最高的"
        "句子（基线）；句向量在计时之外预先算好并缓存。",
        "(c) 为 llama-index 默认管线：VectorStoreIndex（默认内存向量库 SimpleVectorStore）+ as_retriever，"
        "向量与嵌入模型同知问。",
        f"所有列的答案统一截到 {opts.budget} 字再评分（去掉 [n] 引用标记）；“不截断”一行仅供参考。",
        llm_note,
    ]
    if opts.benchmark == "docs":
        run["claims"], note = score_claims_if_present(session)
        run["notes"].append(note)
    # thresholds and latest.* are about the whole default set, not a sample or another file
    standard = opts.limit is None and qpath == default_q and opts.split == "test" and (
        opts.benchmark != "rgb" or (opts.corpus or RGB_CORPUS) == RGB_CORPUS)
    run["gate"] = gate(run) if standard else None
    corpus = _shown(opts.corpus or RGB_CORPUS) if opts.benchmark == "rgb" else "docs/"
    run["meta"] = {**report.meta(), "questions": _shown(qpath), "corpus": corpus,
                   "chunks": session.chunk_count(), "seconds": round(time.perf_counter() - t0, 1)}
    keys = None if opts.all_failures else report.ZHIWEN_KEYS
    run["written"] = [_shown(p) for p in report.write_reports(
        run, opts.reports or report.REPORTS, opts.save, keys, latest=standard)]
    if not standard:
        run["notes"].append("只评了部分问题或换了问题/语料文件：未更新 latest 报告（加 --save 可另存）。")
    return run


def _shown(path: Path) -> str:
    """A path as the report shows it: relative to the repository (``../`` for its siblings,
    such as ``../shared/``), absolute elsewhere, so reports don't name the machine's folders."""
    full = path.resolve()
    if full.is_relative_to(ROOT):
        return str(full.relative_to(ROOT))
    if full.is_relative_to(ROOT.parent):
        return "../" + str(full.relative_to(ROOT.parent))
    return str(path)


def summary_json(run: dict[str, Any]) -> str:
    """The whole run as one JSON object (what ``--json`` prints)."""
    return json.dumps(run, ensure_ascii=False)
