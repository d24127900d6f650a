"""Indexes the evaluation runs against, built (incrementally) on first use.

``docs/`` goes to ``.zhiwen/eval-docs``; the RGB corpus to ``.zhiwen/rgb``. Both use the
embedding cache in their folder, so after the first build a run only checks file hashes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from eval.sets import RGB_CORPUS, ROOT

DOCS_INDEX = ROOT / ".zhiwen" / "eval-docs"
RGB_INDEX = ROOT / ".zhiwen" / "rgb"


def _progress(desc: str):
    state: dict[str, object] = {}

    def update(done: int, total: int) -> None:
        if total == 0:
            return
        if "bar" not in state:
            from tqdm import tqdm

            state["bar"] = tqdm(total=total, desc=desc, unit="块", file=sys.stderr)
        bar = state["bar"]
        bar.update(done - bar.n)  # type: ignore[attr-defined]
        if done >= total:
            bar.close()  # type: ignore[attr-defined]

    return update


def build(sources: list[Path], index_dir: Path, desc: str) -> Path:
    """Ingest ``sources`` into ``index_dir`` (no work when nothing changed)."""
    from ingest.pipeline import ingest

    report = ingest(sources, index_dir, progress=_progress(desc))
    if report.failed:
        raise SystemExit(f"导入失败：{report.failed}")
    return index_dir


def open_engine(index_dir: Path):
    from index.retrievers import SearchIndex
    from qa.engine import Engine

    return Engine(SearchIndex.open(index_dir))


def docs_engine(index_dir: Path = DOCS_INDEX):
    return open_engine(build([ROOT / "docs"], index_dir, "导入 docs/"))


def rgb_engine(corpus: Path = RGB_CORPUS, index_dir: Path = RGB_INDEX):
    if not corpus.exists():
        raise SystemExit(f"找不到 RGB 语料：{corpus}（应位于 ../shared/benchmarks/rgb/）")
    return open_engine(build([corpus], index_dir, "导入 RGB 语料"))


def gov_engine(index_dir: Path = ROOT / ".zhiwen" / "gov"):
    """The engine over ``eval/gov/docs`` (the documents written for this project)."""
    return open_engine(build([ROOT / "eval" / "gov" / "docs"], index_dir, "导入 eval/gov/docs"))


def mrc_engine(name: str, index_dir: Path | None = None):
    """The engine over one pooled reading-comprehension corpus (``drcd`` or ``cmrc``)."""
    from eval.sets import MRC_DIR

    corpus = MRC_DIR / f"{name}.corpus.jsonl"
    if not corpus.exists():
        raise SystemExit(f"找不到语料：{corpus}（应位于 ../shared/benchmarks/mrc/）")
    return open_engine(build([corpus], index_dir or ROOT / ".zhiwen" / name, f"导入 {name} 语料"))
