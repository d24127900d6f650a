"""The two backend protocols: the FAISS + bm25s store implements them, and SearchIndex
works over any pair that does (here a small in-memory fake that numbers nothing by row)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from llama_index.core.schema import QueryBundle

from index import store
from index.backends import Bm25sKeyword, DenseBackend, FaissDense, KeywordBackend, bm25_idf
from index.bm25 import tokenize
from index.retrievers import HybridRetriever, SearchIndex
from ingest.normalize import query_form, search_form
from zhiwen.records import Chunk

# -- the real store ------------------------------------------------------------------------


def test_the_store_loads_backends_that_satisfy_the_protocols(seed_index) -> None:  # type: ignore[no-untyped-def]
    assert isinstance(seed_index.dense_backend, FaissDense)
    assert isinstance(seed_index.keyword_backend, Bm25sKeyword)
    assert isinstance(seed_index.dense_backend, DenseBackend)
    assert isinstance(seed_index.keyword_backend, KeywordBackend)
    assert len(seed_index.dense_backend) == len(seed_index.keyword_backend) == len(seed_index.chunks)


def test_the_milvus_store_loads_backends_that_satisfy_the_protocols(milvus_seed_index) -> None:  # type: ignore[no-untyped-def]
    from index.milvus import MilvusDense, MilvusKeyword

    seed_index = milvus_seed_index
    assert isinstance(seed_index.dense_backend, MilvusDense)
    assert isinstance(seed_index.keyword_backend, MilvusKeyword)
    assert isinstance(seed_index.dense_backend, DenseBackend)
    assert isinstance(seed_index.keyword_backend, KeywordBackend)
    assert len(seed_index.dense_backend) == len(seed_index.keyword_backend) == len(seed_index.chunks)


def test_dense_search_gives_chunk_ids_and_their_stored_vectors_give_the_score(any_index) -> None:  # type: ignore[no-untyped-def]
    seed_index = any_index
    ranked = seed_index.dense("今年社会捐赠共计多少", 5)
    assert len(ranked) == 5 and all(isinstance(cid, str) for cid, _ in ranked)
    qvec = seed_index.embedder.embed_query(query_form("今年社会捐赠共计多少"))
    vecs = seed_index.vectors([cid for cid, _ in ranked])
    assert vecs.shape == (5, seed_index.embedder.dim) and vecs.dtype == np.float32
    assert np.allclose(vecs @ qvec, [s for _, s in ranked], atol=1e-5)
    assert seed_index.vectors().shape == (len(seed_index.chunks), seed_index.embedder.dim)
    with pytest.raises(KeyError):
        seed_index.vectors(["no-such-chunk"])


def test_document_frequency_and_idf_count_chunks(any_index) -> None:  # type: ignore[no-untyped-def]
    seed_index = any_index
    n = len(seed_index.chunks)
    tokens = [set(tokenize(c.search_text)) for c in seed_index.chunks]
    kw = seed_index.keyword_backend
    for token in ("德江", "捐赠", "协作"):
        df = sum(token in t for t in tokens)
        assert 0 < kw.document_frequency(token) == df
        assert seed_index.idf(token) == pytest.approx(bm25_idf(n, df))
    assert kw.document_frequency("没有这个词") == 0
    assert seed_index.idf("没有这个词") == pytest.approx(bm25_idf(n, 0))
    assert seed_index.idf("没有这个词") > seed_index.idf("德江")


def test_an_empty_index_searches_to_nothing(tmp_path: Path) -> None:
    data = store.IndexData.empty("fake", 4)
    with store.writer_lock(tmp_path):
        store.save(tmp_path, data, store.BuildSettings(2, 300))
    _, dense, keyword = store.load(tmp_path)
    assert dense.search(np.ones(4, np.float32), 3) == [] and keyword.search(["德江"], 3) == []
    assert dense.vectors([]).shape == (0, 4) and keyword.document_frequency("德江") == 0


# -- any backend ---------------------------------------------------------------------------


class FakeDense:
    """Brute-force cosine over a dict: no rows anywhere."""

    def __init__(self, vectors: dict[str, np.ndarray]) -> None:
        self._vectors = vectors

    def __len__(self) -> int:
        return len(self._vectors)

    def search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        scored = sorted(((float(v @ vector), cid) for cid, v in self._vectors.items()), reverse=True)
        return [(cid, s) for s, cid in scored[:k]]

    def vectors(self, chunk_ids: Sequence[str]) -> np.ndarray:
        return np.asarray([self._vectors[c] for c in chunk_ids], dtype=np.float32)


class FakeKeyword:
    """Counts query tokens in each chunk's tokens; idf = 1 / (1 + df)."""

    def __init__(self, tokens: dict[str, list[str]]) -> None:
        self._tokens = tokens

    def __len__(self) -> int:
        return len(self._tokens)

    def search(self, tokens: Sequence[str], k: int) -> list[tuple[str, float]]:
        scored = sorted(((float(sum(t in toks for t in tokens)), cid) for cid, toks in self._tokens.items()),
                        reverse=True)
        return [(cid, s) for s, cid in scored[:k] if s > 0]

    def document_frequency(self, token: str) -> int:
        return sum(token in toks for toks in self._tokens.values())

    def idf(self, token: str) -> float:
        return 1.0 / (1 + self.document_frequency(token))


class FakeEmbedder:
    dim = 2
    WORDS = ("捐赠", "务工")

    def embed_query(self, text: str) -> np.ndarray:
        v = np.array([float(w in text) for w in self.WORDS], np.float32) + 1e-3
        return v / np.linalg.norm(v)


def _fake_index() -> SearchIndex:
    texts = {"d1": "清溪镇今年向德江县捐赠27万元。", "d2": "输入铜仁籍务工人员908人。"}
    docs = {d: store.DocumentEntry(doc_id=d, path=f"{d}.txt", source=f"{d}.txt", title=d, text=t, n_chunks=1)
            for d, t in texts.items()}
    chunks = [Chunk(chunk_id=f"c-{d}", doc_id=d, start=0, end=len(t), text=t, search_text=search_form(t),
                    sentences=((0, len(t)),)) for d, t in texts.items()]
    files = {f"{d}.txt": store.FileEntry(f"{d}.txt", "0" * 64, 1, (d,), "") for d in texts}
    data = store.IndexData("fake", 2, docs, files, chunks, None, None)
    emb = FakeEmbedder()
    # the fakes hold the chunks in the other order than data.chunks: nothing may assume rows
    dense = FakeDense({c.chunk_id: emb.embed_query(c.search_text) for c in reversed(chunks)})
    keyword = FakeKeyword({c.chunk_id: tokenize(c.search_text) for c in reversed(chunks)})
    return SearchIndex(Path("unused"), data, dense, keyword, emb)  # type: ignore[arg-type]


def test_the_fakes_satisfy_the_protocols() -> None:
    index = _fake_index()
    assert isinstance(index.dense_backend, DenseBackend)
    assert isinstance(index.keyword_backend, KeywordBackend)


def test_search_index_works_over_any_backend_pair() -> None:
    index = _fake_index()
    assert [cid for cid, s in index.keyword("务工人员", 5) if s > 0] == ["c-d2"]
    assert [cid for cid, _ in index.dense("捐赠多少", 2)] == ["c-d1", "c-d2"]
    hits = index.search("捐赠多少", 2)
    assert hits[0].chunk.chunk_id == "c-d1" and hits[0].ranks == {"dense": 1, "bm25": 1}
    assert index.idf("捐赠") == 0.5 and index.idf("没有") == 1.0
    assert index.vectors().shape == (2, 2)
    assert sorted(index.files()) == ["d1.txt", "d2.txt"] and set(index.documents()) == {"d1", "d2"}
    nodes = HybridRetriever(index, similarity_top_k=1).retrieve(QueryBundle("务工"))
    assert [n.node.node_id for n in nodes] == ["c-d2"]


def test_fusion_breaks_ties_in_chunk_order_not_backend_order() -> None:
    index = _fake_index()
    hits = index.fuse({"a": [("c-d2", 1.0)], "b": [("c-d1", 1.0)]}, 2)
    assert [h.chunk.chunk_id for h in hits] == ["c-d1", "c-d2"]


def test_the_accessors_are_read_only() -> None:
    index = _fake_index()
    with pytest.raises(TypeError):
        index.files()["x.txt"] = index.files()["d1.txt"]  # type: ignore[index]
