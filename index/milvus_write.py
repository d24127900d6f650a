"""Writing a Milvus index: one generation per save, committed by its manifest row (see
:mod:`index.milvus` for the scheme that keeps readers from seeing half a document)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import time
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from index.milvus import (
    LIVE,
    PART,
    _create,
    _ensure_loaded,
    _iter_rows,
    _manifests,
    _meta_name,
    _stores,
    _visible,
    hex_tokens,
)
from index.milvus_location import MilvusLocation, _connect


# -- writing -----------------------------------------------------------------------------
@contextlib.contextmanager
def writer_lock(loc: MilvusLocation) -> Iterator[None]:
    """One writer at a time on this machine (a cluster runs its ingest on one machine)."""
    loc.local.mkdir(parents=True, exist_ok=True)
    with (loc.local / ".lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _parts(kind: str, key: str, obj: dict[str, Any], gen: int) -> list[dict[str, Any]]:
    text = json.dumps(obj, ensure_ascii=False, sort_keys=True)
    return [{"pk": f"{kind}:{key}@{gen}#{i // PART}", "kind": kind, "gen_from": gen, "gen_to": LIVE,
             "payload": text[i:i + PART], "dummy": [0.0, 0.0]} for i in range(0, max(len(text), 1), PART)]


def _roll_back(client: Any, loc: MilvusLocation, gen: int) -> None:
    """Undo what an unfinished save after ``gen`` left: its new rows and its retirements."""
    for name, fields in ((loc.collection, None), (_meta_name(loc), None)):
        client.delete(name, filter=f"gen_from > {gen}")
        stale = list(_iter_rows(client, name, f"gen_to > {gen} and gen_to < {LIVE}", fields or ["*"]))
        for r in stale:
            r["gen_to"] = LIVE
            r.pop("sparse", None)
        for i in range(0, len(stale), 500):
            client.upsert(name, stale[i:i + 500])


def _retire(client: Any, name: str, pks: list[str], gen: int) -> None:
    for i in range(0, len(pks), 500):
        rows = client.get(name, ids=pks[i:i + 500], output_fields=["*"], consistency_level="Strong")
        for r in rows:
            r["gen_to"] = gen
            r.pop("sparse", None)  # the BM25 function's output is computed, never written
        client.upsert(name, rows)


def save(loc: MilvusLocation, data: Any, settings: Any, *, fresh: bool = False) -> str:
    """Write ``data`` as the next generation and commit it (see the module docstring)."""
    client = _connect(loc)
    names = set(client.list_collections())
    manifest: dict[str, Any] | None = None
    if loc.collection in names and _meta_name(loc) in names:
        _ensure_loaded(client, loc.collection)
        _ensure_loaded(client, _meta_name(loc))
        found = _manifests(client, loc)
        manifest = found[-1] if found else None
        built = (manifest or {}).get("embedder", {})
        if fresh and (built.get("name") != data.embedder or built.get("dim") != data.dim):
            manifest = None  # a rebuild with another embedder: start over
            client.drop_collection(loc.collection)
            client.drop_collection(_meta_name(loc))
            _stores.pop((loc.uri, loc.collection, 0), None)
    if manifest is None and loc.collection not in set(client.list_collections()):
        _create(loc, data.embedder, data.dim)
    gen = int(manifest["gen"]) if manifest else 0
    new = gen + 1
    _roll_back(client, loc, gen)

    # chunks: keep identical rows, retire the rest, insert what is new
    live = {r["chunk_id"]: r for r in _iter_rows(client, loc.collection, _visible(gen),
                                                 ["pk", "chunk_id", "ord", "record"])}
    from index.disk import chunk_to_dict

    records = []
    for c in data.chunks:
        d = chunk_to_dict(c)
        del d["chunk_id"], d["doc_id"]
        records.append(json.dumps(d, ensure_ascii=False, sort_keys=True))
    keep = {c.chunk_id for c, rec in zip(data.chunks, records, strict=True)
            if c.chunk_id in live and live[c.chunk_id]["record"] == rec}
    kept_ords = [live[c.chunk_id]["ord"] for c in data.chunks if c.chunk_id in keep]
    if kept_ords != sorted(kept_ords):  # order changed: write every row anew
        keep = set()
    _retire(client, loc.collection, [r["pk"] for cid, r in live.items() if cid not in keep], new)
    next_ord = max((r["ord"] for r in live.values()), default=-1) + 1
    rows = []
    assert data.tokens is not None and data.vectors is not None
    for i, (c, rec) in enumerate(zip(data.chunks, records, strict=True)):
        if c.chunk_id in keep:
            continue
        rows.append({"pk": f"{c.chunk_id}@{new}", "chunk_id": c.chunk_id, "doc_id": c.doc_id,
                     "gen_from": new, "gen_to": LIVE, "ord": next_ord + i, "record": rec,
                     "tokens": hex_tokens(data.tokens[i]), "vector": data.vectors[i].tolist()})
        if len(rows) >= 500:
            client.insert(loc.collection, rows)
            rows = []
    if rows:
        client.insert(loc.collection, rows)

    # documents and files, the same way
    meta_live: dict[str, list[tuple[int, str, str]]] = {}
    where = f'kind != "manifest" and {_visible(gen)}'
    for r in _iter_rows(client, _meta_name(loc), where, ["pk", "payload"]):
        key, _, part = r["pk"].rpartition("#")
        meta_live.setdefault(key, []).append((int(part), r["pk"], r["payload"]))
    wanted: dict[str, list[dict[str, Any]]] = {}
    for n, d in enumerate(data.docs.values()):
        wanted[f"doc:{d.doc_id}"] = _parts("doc", d.doc_id, {**asdict(d), "_ord": n}, new)
    for n, f in enumerate(data.files.values()):
        key = f.path.encode("utf-8", "surrogateescape").hex()[:400]
        wanted[f"file:{key}"] = _parts("file", key, {**asdict(f), "doc_ids": list(f.doc_ids),
                                                     "warnings": list(f.warnings), "_ord": n}, new)
    old_text = {k.rpartition("@")[0]: "".join(p for _, _, p in sorted(v)) for k, v in meta_live.items()}
    old_pks = {k.rpartition("@")[0]: [pk for _, pk, _ in v] for k, v in meta_live.items()}
    retire, insert = [], []
    for key, parts in wanted.items():
        if old_text.get(key) == "".join(p["payload"] for p in parts):
            continue
        retire += old_pks.get(key, [])
        insert += parts
    retire += [pk for key, pks in old_pks.items() if key not in wanted for pk in pks]
    _retire(client, _meta_name(loc), retire, new)
    for i in range(0, len(insert), 200):
        client.insert(_meta_name(loc), insert[i:i + 200])
    client.flush(loc.collection)
    client.flush(_meta_name(loc))

    # the commit: one row
    version = f"g{new}-" + time.strftime("%Y%m%d-%H%M%S")
    committed = {"format_version": 1, "version": version, "gen": new,
                 "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                 "embedder": {"name": data.embedder, "dim": data.dim},
                 "counts": {"documents": len(data.docs), "files": len(data.files),
                            "chunks": len(data.chunks)},
                 **settings.as_manifest()}
    client.insert(_meta_name(loc), [{"pk": f"manifest:{new}", "kind": "manifest", "gen_from": new,
                                     "gen_to": LIVE, "payload": json.dumps(committed, ensure_ascii=False),
                                     "dummy": [0.0, 0.0]}])
    client.flush(_meta_name(loc))
    # rows no reader of this or the previous generation can see
    for name in (loc.collection, _meta_name(loc)):
        client.delete(name, filter=f"gen_to <= {gen}")
    client.delete(_meta_name(loc), filter=f'kind == "manifest" and gen_from < {gen}')
    return version
