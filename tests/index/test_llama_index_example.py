"""The README's "Inside llama-index" example, run as written against a real small index:
zhiwen's splitter in a stock IngestionPipeline, its hybrid retriever in a stock
RetrieverQueryEngine (no LLM)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### llama-index 集成 / Inside llama-index", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "the README section has no python block"
    return match.group(1)


def test_the_readme_example_runs(seed_index_dir: Path, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(seed_index_dir, tmp_path / ".zhiwen" / "index")
    (tmp_path / "docs").symlink_to(ROOT / "docs")
    monkeypatch.chdir(tmp_path)  # the example's paths are relative to the checkout
    scope: dict[str, object] = {"__name__": "readme_example"}
    exec(compile(_example(), "README.md", "exec"), scope)

    nodes, index, response = scope["nodes"], scope["index"], scope["response"]
    text = scope["text"]
    assert len(nodes) > 1  # type: ignore[arg-type]
    for node in nodes:  # type: ignore[attr-defined]
        assert text[node.start_char_idx : node.end_char_idx] == node.get_content()  # type: ignore[index]
    hits = response.source_nodes  # type: ignore[attr-defined]
    assert 0 < len(hits) <= 3 and any("193" in h.node.get_content() for h in hits)
    for h in hits:
        doc = index.doc(h.node.metadata["doc_id"])  # type: ignore[attr-defined]
        assert doc.text[h.node.start_char_idx : h.node.end_char_idx] == h.node.get_content()
    assert not response.response  # type: ignore[attr-defined]  # NoText: no LLM was called
    out = capsys.readouterr().out
    assert "chunks; the first ends at" in out and "000_3eb5a6fcadb296c6.txt" in out
