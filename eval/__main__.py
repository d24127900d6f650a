"""``python -m eval``: the evaluation harness (also ``zhiwen eval``).

    python -m eval                         # eval/questions.jsonl over docs/ (+ eval/claims.jsonl)
    python -m eval --benchmark rgb         # RGB dev questions over its 7,337-passage corpus
    python -m eval --benchmark rgb --json  # the whole result as one JSON object on stdout
    python -m eval --save --compare eval/reports/latest.json

Prints the side-by-side table of the columns (a) BM25, (b) dense, (c) llama-index stock,
(d) zhiwen extractive, (e) zhiwen with an LLM when ZHIWEN_LLM_* is set; writes
``eval/reports/latest.{md,json}``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from eval.harness import BENCHMARKS, SPLITS, EvalOptions, run_eval, summary_json
from qa.render import MAX_ANSWER
from zhiwen.errors import ZhiwenError


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m eval", description="知问评测：问题集、公开基准与基线对比")
    ap.add_argument("--benchmark", choices=BENCHMARKS, default="docs",
                    help="docs：eval/questions.jsonl 与 docs/；rgb：RGB 开发集；gov：eval/gov；"
                         "drcd/cmrc：../shared/benchmarks/mrc（样本内）")
    ap.add_argument("--split", choices=SPLITS, default="test",
                    help="rgb 与 gov 取哪一部分：test（默认，从未拟合）、fit（样本内）或 all")
    ap.add_argument("--corpus", type=Path, default=None,
                    help="RGB 格式的语料（默认 ../shared/benchmarks/rgb/）")
    ap.add_argument("--questions", type=Path, default=None, help="问题文件（默认随评测集）")
    ap.add_argument("--index", type=Path, default=None,
                    help="索引文件夹（默认 .zhiwen/eval-docs 或 .zhiwen/rgb）")
    ap.add_argument("--limit", type=int, default=None, help="只评前 N 题（快速试跑）")
    ap.add_argument("--budget", type=int, default=MAX_ANSWER, help="答案长度上限（字），所有列相同")
    ap.add_argument("--reports", type=Path, default=None, help="报告文件夹（默认 eval/reports）")
    ap.add_argument("--save", action="store_true", help="另存一份带日期的报告")
    ap.add_argument("--compare", type=Path, default=None, help="与旧报告（JSON）对比并列出差异")
    ap.add_argument("--all-failures", action="store_true", help="答错清单包括基线各列")
    ap.add_argument("--json", action="store_true", help="把完整结果作为一个 JSON 对象输出到标准输出")
    return ap


def execute(opts: EvalOptions, compare: Path | None, as_json: bool) -> dict[str, Any]:
    """Run, then print the table (or the JSON object) and the comparison."""
    from eval import report

    if compare is not None:
        report.load_report(compare)  # a bad file fails before the run, not after it
    run = run_eval(opts)
    if compare is not None:
        run["compare"] = report.compare_file(compare, run)
    if as_json:
        print(summary_json(run))
        return run
    keys = None if opts.all_failures else report.ZHIWEN_KEYS
    print(report.render_text(run, keys))
    if compare is not None:
        print("\n" + "\n".join(run["compare"]))
    if run["written"]:
        print("\n报告已写入：" + "、".join(p for p in run["written"] if p.endswith(".md")))
    return run


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    opts = EvalOptions(benchmark=args.benchmark, corpus=args.corpus, questions=args.questions,
                       index=args.index, limit=args.limit, budget=args.budget, reports=args.reports,
                       save=args.save, all_failures=args.all_failures, split=args.split)
    try:
        execute(opts, args.compare, args.json)
    except ZhiwenError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
