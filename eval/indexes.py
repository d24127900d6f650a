"""Indexes the evaluation runs against, built (incrementally) on first use.

``docs/`` goes to ``.zhiwen/eval-docs``; the RGB corpus to ``.zhiwen/rgb``. Both use the
embedding cache in their folder, so after the first build a run only checks file hashes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from eval.sets import RGB_CORPUS, ROOT
from zhiwen.session import Session

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


def extractive(index_dir: Path) -> Session:
    """The extractive session over ``index_dir``: column (d) and the fact-check set are
    scored without any LLM, whatever is configured."""
    from zhiwen.session import open as open_session

    return open_session(index_dir, extractive=True)


def docs_session(index_dir: Path = DOCS_INDEX) -> Session:
    return extractive(build([ROOT / "docs"], index_dir, "导入 docs/"))


def rgb_session(corpus: Path = RGB_CORPUS, index_dir: Path = RGB_INDEX) -> Session:
    if not corpus.exists():
        raise SystemExit(f"找不到 RGB 语料：{corpus}（应位于 ../shared/benchmarks/rgb/）")
    return extractive(build([corpus], index_dir, "导入 RGB 语料"))


def gov_session(index_dir: Path = ROOT / ".zhiwen" / "gov") -> Session:
    """The session over ``eval/gov/docs`` (the documents written for this project)."""
    return extractive(build([ROOT / "eval" / "gov" / "docs"], index_dir, "导入 eval/gov/docs"))


def mrc_session(name: str, index_dir: Path | None = None) -> Session:
    """The session over one pooled reading-comprehension corpus (``drcd`` or ``cmrc``)."""
    from eval.sets import MRC_DIR

    corpus = MRC_DIR / f"{name}.corpus.jsonl"
    if not corpus.exists():
        raise SystemExit(f"找不到语料：{corpus}（应位于 ../shared/benchmarks/mrc/）")
    return extractive(build([corpus], index_dir or ROOT / ".zhiwen" / name, f"导入 {name} 语料"))
