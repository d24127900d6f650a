"""The index in Milvus: a server (``milvus://host:19530/collection``) or an embedded
Milvus Lite file (``milvus-lite:path/to/file.db``), behind the same two backend protocols.

Two collections per index:

``<name>``
    one row per chunk: ``chunk_id``, ``doc_id``, its position ``ord``, the chunk record
    (JSON), its keyword tokens and its vector. Dense search goes through llama-index's
    ``MilvusVectorStore`` (exact inner product, ``FLAT``, as the local FAISS index).
    Keyword search is Milvus's own BM25 full-text search over the same jieba tokens the
    local bm25s index uses (k1 and b as bm25s'), so the two backends rank alike. Milvus's
    standard analyzer would split Chinese into single characters, so each token is written
    as its UTF-8 hex (乡村 → ``e4b9a1e69d91``), which that analyzer keeps whole. A server
    without BM25 functions (Milvus < 2.5) gets the local bm25s index, built from the
    stored tokens when the index is opened; ``zhiwen status`` says which.
``<name>_meta``
    documents, files (their JSON, cut into parts under Milvus's 64 KB string limit) and one
    manifest row per committed generation (embedder, dimension, split settings, counts).

Readers never see half a document: every row carries ``gen_from``/``gen_to``, and a
reader filters on the generation ``G`` that was live when it opened
(``gen_from <= G < gen_to``). A save at generation ``N = G + 1`` inserts the new rows with
``gen_from = N`` (invisible at ``G``), marks the rows it drops with ``gen_to = N`` (still
visible at ``G``), flushes, and only then inserts the single manifest row of ``N``: that
insert is the commit, and a reader opened after it sees all of the new document and none
of the old. A save that dies before it leaves its rows invisible, and the next save rolls
them back first. Rows retired before the previous generation are deleted after a commit,
so (as in the folder store) a reader of the previous generation can still finish.

Consistency: the collections' default level is ``Bounded``, which searches use; every read
zhiwen issues itself (the manifest, the rows a reader loads when it opens, everything a
writer reads) asks for ``Strong``. On a Milvus server a ``Strong`` request waits for the
next time tick (200-400 ms measured on Milvus 2.3 here, against 3 ms for ``Bounded``), and a
``Bounded`` search that follows no ``Strong`` read can miss rows written a moment ago
(measured: 15 of 15 right after an insert). So a reader's ``Strong`` load at open is the
barrier: once it has seen generation ``G``, every later search sees all of ``G``'s rows
(0 of 15 missed), and each search costs no time-tick wait. Collections made before this
keep their ``Strong`` default: correct, slower.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from index.milvus_location import USAGE, MilvusLocation, _clients, _connect, parse_location
from zhiwen.errors import IndexCorruptError, IndexMissingError

__all__ = ["USAGE", "MilvusLocation", "parse_location"]

_stores: dict[tuple[str, str, int], Any] = {}  # llama-index vector stores, one per collection

LIVE = 2**62  # gen_to of a row that no generation has retired
PART = 60000  # characters of JSON per meta row (Milvus strings are at most 65,535 bytes)
BM25_PARAMS = {"bm25_k1": 1.5, "bm25_b": 0.75}  # bm25s' defaults
def close(loc: MilvusLocation) -> None:
    """Drop this process's connection to ``loc`` (for Milvus Lite: stop its server process)."""
    _stores.pop((loc.uri, loc.collection, 0), None)
    client = _clients.pop(loc.uri, None)
    if client is not None:
        with contextlib.suppress(Exception):
            client.close()


def _vector_store(loc: MilvusLocation, dim: int) -> Any:
    """llama-index's ``MilvusVectorStore`` over the chunk collection (which we create)."""
    key = (loc.uri, loc.collection, 0)
    if key not in _stores:
        _connect(loc)
        from llama_index.vector_stores.milvus import IndexManagement, MilvusVectorStore

        _stores[key] = MilvusVectorStore(
            uri=loc.uri, collection_name=loc.collection, dim=dim or None, embedding_field="vector",
            doc_id_field="doc_id", text_key="record", index_management=IndexManagement.NO_VALIDATION,
            similarity_metric="IP", consistency_level="Bounded", use_async_client=False,
            output_fields=["chunk_id"], timeout=10)
    return _stores[key]


def _meta_name(loc: MilvusLocation) -> str:
    return loc.collection + "_meta"


def _visible(gen: int) -> str:
    return f"gen_from <= {gen} and gen_to > {gen}"


def _iter_rows(client: Any, collection: str, filt: str, fields: list[str]) -> Iterator[dict[str, Any]]:
    it = client.query_iterator(collection, batch_size=2000, filter=filt, output_fields=fields,
                               consistency_level="Strong")
    try:
        while True:
            rows = it.next()
            if not rows:
                return
            yield from rows
    finally:
        it.close()


def _ensure_loaded(client: Any, name: str) -> None:
    from pymilvus.client.types import LoadState

    state = client.get_load_state(name).get("state")
    if state != LoadState.Loaded:
        client.load_collection(name)


# -- the schema --------------------------------------------------------------------------
def _create(loc: MilvusLocation, embedder: str, dim: int) -> str:
    """Create both collections; returns the keyword engine ("milvus-bm25" or "bm25s")."""
    from pymilvus import DataType, Function, FunctionType

    client = _connect(loc)
    keyword = "milvus-bm25"
    for with_bm25 in (True, False):
        schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("pk", DataType.VARCHAR, is_primary=True, max_length=200)
        schema.add_field("chunk_id", DataType.VARCHAR, max_length=128)
        schema.add_field("doc_id", DataType.VARCHAR, max_length=128)
        schema.add_field("gen_from", DataType.INT64)
        schema.add_field("gen_to", DataType.INT64)
        schema.add_field("ord", DataType.INT64)
        schema.add_field("record", DataType.VARCHAR, max_length=65535)
        index = client.prepare_index_params()
        index.add_index("vector", index_type="FLAT", metric_type="IP")
        if with_bm25:
            schema.add_field("tokens", DataType.VARCHAR, max_length=65535, enable_analyzer=True,
                             analyzer_params={"type": "standard"})
            schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
            schema.add_function(Function(name="bm25", function_type=FunctionType.BM25,
                                         input_field_names=["tokens"], output_field_names=["sparse"]))
            index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                            params=BM25_PARAMS)
        else:
            schema.add_field("tokens", DataType.VARCHAR, max_length=65535)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        try:
            client.create_collection(loc.collection, schema=schema, index_params=index,
                                     consistency_level="Bounded",
                                     properties={"zhiwen.embedder": embedder, "zhiwen.dim": str(dim),
                                                 "zhiwen.keyword": keyword})
            break
        except Exception:
            if not with_bm25:
                raise
            keyword = "bm25s"  # a server without full-text search (Milvus < 2.5)
            with contextlib.suppress(Exception):
                client.drop_collection(loc.collection)
    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("pk", DataType.VARCHAR, is_primary=True, max_length=600)
    schema.add_field("kind", DataType.VARCHAR, max_length=16)
    schema.add_field("gen_from", DataType.INT64)
    schema.add_field("gen_to", DataType.INT64)
    schema.add_field("payload", DataType.VARCHAR, max_length=65535)
    schema.add_field("dummy", DataType.FLOAT_VECTOR, dim=2)  # Milvus needs a vector field
    index = client.prepare_index_params()
    index.add_index("dummy", index_type="FLAT", metric_type="L2")
    client.create_collection(_meta_name(loc), schema=schema, index_params=index, consistency_level="Bounded")
    return keyword


def _keyword_engine(client: Any, loc: MilvusLocation) -> str:
    desc = client.describe_collection(loc.collection)
    return "milvus-bm25" if desc.get("functions") else "bm25s"


def hex_tokens(tokens: Sequence[str]) -> str:
    """Tokens as the standard analyzer keeps them whole: UTF-8 hex, space-separated."""
    out, size = [], 0
    for t in tokens:
        h = t.encode("utf-8").hex()
        size += len(h) + 1
        if size > 65000:
            break
        out.append(h)
    return " ".join(out)


def _unhex(text: str) -> list[str]:
    return [bytes.fromhex(h).decode("utf-8") for h in text.split()]


# -- reading -----------------------------------------------------------------------------
def _manifests(client: Any, loc: MilvusLocation) -> list[dict[str, Any]]:
    rows = client.query(_meta_name(loc), filter='kind == "manifest"', output_fields=["payload"],
                        consistency_level="Strong")
    return sorted((json.loads(r["payload"]) for r in rows), key=lambda m: m["gen"])


def read_manifest(loc: MilvusLocation) -> dict[str, Any]:
    """The live generation's manifest (as the folder store's, plus ``gen``, ``keyword``).

    Raises:
        IndexMissingError: no collection or nothing committed yet.
        ConfigError: the server cannot be reached.
    """
    client = _connect(loc)
    names = set(client.list_collections())
    if loc.collection not in names or _meta_name(loc) not in names:
        raise IndexMissingError(f"索引不存在：{loc}（{loc.kind}中没有集合 {loc.collection}）。"
                                f"请先运行 zhiwen ingest docs/ --index {loc}。")
    _ensure_loaded(client, _meta_name(loc))
    found = _manifests(client, loc)
    if not found:
        raise IndexMissingError(
            f"索引 {loc} 还没有建成（上次导入未完成）。请重新运行 zhiwen ingest --index {loc}。")
    manifest = found[-1]
    manifest["keyword"] = _keyword_engine(client, loc)
    return manifest


def _json_rows(client: Any, loc: MilvusLocation, kind: str, gen: int) -> list[dict[str, Any]]:
    parts: dict[str, dict[int, str]] = {}
    for r in _iter_rows(client, _meta_name(loc), f'kind == "{kind}" and {_visible(gen)}', ["pk", "payload"]):
        key, _, part = r["pk"].rpartition("#")
        parts.setdefault(key, {})[int(part)] = r["payload"]
    out = [json.loads("".join(p[i] for i in sorted(p))) for p in parts.values()]
    return sorted(out, key=lambda d: d.pop("_ord", 0))


def load(loc: MilvusLocation, *, for_update: bool = False) -> tuple[Any, Any, Any]:
    """The live generation as ``(IndexData, DenseBackend, KeywordBackend)``, like
    :func:`index.store.load`."""
    from index.disk import chunk_from_dict
    from index.store import DocumentEntry, FileEntry, IndexData

    manifest = read_manifest(loc)
    gen, dim = int(manifest["gen"]), int(manifest["embedder"]["dim"])
    client = _connect(loc)
    _ensure_loaded(client, loc.collection)
    try:
        docs = {d["doc_id"]: DocumentEntry(**d) for d in _json_rows(client, loc, "doc", gen)}
        files = {}
        for f in _json_rows(client, loc, "file", gen):
            files[f["path"]] = FileEntry(**{**f, "doc_ids": tuple(f["doc_ids"]),
                                            "warnings": tuple(f["warnings"])})
        # a Strong read: the barrier after which Bounded searches see all of generation gen
        fields = ["pk", "chunk_id", "doc_id", "ord", "record", "tokens"] + (["vector"] if for_update else [])
        rows = sorted(_iter_rows(client, loc.collection, _visible(gen), fields), key=lambda r: r["ord"])
        chunks = [chunk_from_dict({**json.loads(r["record"]), "chunk_id": r["chunk_id"],
                                   "doc_id": r["doc_id"]}) for r in rows]
        tokens = [_unhex(r["tokens"]) for r in rows]
    except (ValueError, KeyError, TypeError) as exc:
        raise IndexCorruptError(
            f"索引 {loc} 无法读取（{exc}）。请运行 zhiwen ingest --rebuild --index {loc} 重建。") from exc
    if len(chunks) != manifest["counts"]["chunks"] or len(docs) != manifest["counts"]["documents"]:
        raise IndexCorruptError(f"索引 {loc} 的分块数（{len(chunks)}）或文档数（{len(docs)}）与清单不符。"
                                f"请运行 zhiwen ingest --rebuild --index {loc} 重建。")
    vectors = None
    if for_update:
        vectors = (np.asarray([r["vector"] for r in rows], dtype=np.float32) if rows
                   else np.zeros((0, dim), np.float32))
    data = IndexData(embedder=manifest["embedder"]["name"], dim=dim, docs=docs, files=files, chunks=chunks,
                     tokens=tokens if for_update else None, vectors=vectors,
                     version=manifest["version"], created=manifest.get("created", ""))
    ids = [c.chunk_id for c in chunks]
    pks = {r["chunk_id"]: r["pk"] for r in rows}
    dense = MilvusDense(loc, _vector_store(loc, dim), gen, pks, dim)
    keyword: Any
    if manifest["keyword"] == "milvus-bm25":
        keyword = MilvusKeyword(client, loc.collection, gen, tokens, ids)
    else:
        from index.backends import Bm25sKeyword
        from index.bm25 import build_bm25

        keyword = Bm25sKeyword(build_bm25(tokens), ids)
    return data, dense, keyword


class MilvusDense:
    """:class:`index.backends.DenseBackend` over ``MilvusVectorStore``, at one generation."""

    def __init__(self, loc: MilvusLocation, store: Any, gen: int, pks: dict[str, str], dim: int) -> None:
        self._loc, self._store, self._gen, self._pks, self._dim = loc, store, gen, pks, dim

    def __len__(self) -> int:
        return len(self._pks)

    def search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        from llama_index.core.vector_stores.types import VectorStoreQuery

        if not self._pks or k < 1:
            return []
        result = self._store.query(
            VectorStoreQuery(query_embedding=np.asarray(vector, dtype=np.float32).tolist(),
                             similarity_top_k=min(k, len(self._pks)), output_fields=["chunk_id"]),
            string_expr=_visible(self._gen), milvus_search_config={"metric_type": "IP"})
        return [(str(pk).rpartition("@")[0], float(s))
                for pk, s in zip(result.ids or [], result.similarities or [], strict=True)]

    def vectors(self, chunk_ids: Sequence[str]) -> np.ndarray:
        pks = [self._pks[c] for c in chunk_ids]
        if not pks:
            return np.zeros((0, self._dim), dtype=np.float32)
        got: dict[str, Any] = {}
        for i in range(0, len(pks), 1000):
            part = pks[i:i + 1000]
            for r in self._store.client.get(self._loc.collection, ids=part, output_fields=["vector"]):
                got[r["pk"]] = r["vector"]
        return np.asarray([got[p] for p in pks], dtype=np.float32)


class MilvusKeyword:
    """:class:`index.backends.KeywordBackend`: Milvus BM25 full-text search; document
    frequencies counted from the stored tokens when the index is opened."""

    def __init__(self, client: Any, collection: str, gen: int, tokens: list[list[str]],
                 ids: list[str]) -> None:
        self._client, self._collection, self._gen, self._ids = client, collection, gen, ids
        self._df = Counter(t for toks in tokens for t in set(toks))

    def __len__(self) -> int:
        return len(self._ids)

    def search(self, tokens: Sequence[str], k: int) -> list[tuple[str, float]]:
        query = hex_tokens(tokens)
        if k < 1 or not self._ids or not query:
            return []
        res = self._client.search(self._collection, data=[query], anns_field="sparse",
                                  limit=min(k, len(self._ids)), filter=_visible(self._gen),
                                  output_fields=["chunk_id"], search_params={"metric_type": "BM25"})
        out = [(h["entity"]["chunk_id"], abs(float(h["distance"]))) for h in res[0]]
        return [(c, s) for c, s in out if s > 0]

    def document_frequency(self, token: str) -> int:
        return self._df.get(token, 0)

    def idf(self, token: str) -> float:
        from index.backends import bm25_idf

        return bm25_idf(len(self._ids), self.document_frequency(token))


def describe(loc: MilvusLocation) -> dict[str, str]:
    """What ``zhiwen status`` shows about the engines."""
    manifest = read_manifest(loc)
    kw = ("Milvus BM25 全文检索（知问的 jieba 分词）" if manifest["keyword"] == "milvus-bm25"
          else "本地 bm25s（该 Milvus 版本不支持 BM25 全文检索，打开索引时在本机建立）")
    return {"后端": loc.kind,
            "向量检索": f"Milvus（llama-index MilvusVectorStore，FLAT 内积），集合 {loc.collection}",
            "关键词检索": kw, "代数": str(manifest["gen"])}

