"""Keyword side of the hybrid index: jieba tokens of the search form, scored by bm25s.

llama-index's own BM25 retriever tokenizes on whitespace and English stemming, which scores
Chinese text as 0; here jieba's ``cut_for_search`` (which also emits the sub-words of long
words, e.g. 东西部协作 → 东西, 西部, 协作, 东西部协作) produces the tokens.
"""

from __future__ import annotations

import logging
import re
import threading

import numpy as np

_TOKEN_OK = re.compile(r"[0-9a-z\u3400-\u9fff\U00020000-\U0002ffff]")
# Function words that carry no topic. Kept short on purpose: question words such as
# 多少 or 哪 are dropped too, since no passage "contains the answer" by repeating them.
STOPWORDS = frozenset(
    "的 了 是 在 和 与 及 或 也 就 都 而 并 对 为 以 于 由 被 把 将 向 从 这 那 其 之 个 "
    "有 我 你 他 她 它 们 吗 呢 吧 啊 哪 哪些 哪个 哪里 什么 多少 几 谁 怎么 如何 是否 "
    "请问 一共 共 到底 the a an of to in is are was what how who when which".split()
)

_jieba_lock = threading.Lock()
_jieba_ready = False


def _jieba():
    global _jieba_ready
    import jieba

    if not _jieba_ready:
        with _jieba_lock:
            if not _jieba_ready:
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba_ready = True
    return jieba


def tokenize(search_text: str) -> list[str]:
    """BM25 tokens of an already normalized text (see ``ingest.normalize.search_form``)."""
    out = []
    for tok in _jieba().cut_for_search(search_text):
        tok = tok.strip()
        if tok and tok not in STOPWORDS and _TOKEN_OK.search(tok):
            out.append(tok)
    return out


def in_dictionary(word: str) -> bool:
    """``word`` is in jieba's dictionary (not a word its HMM guessed, such as 家物管)."""
    return bool(_jieba().dt.FREQ.get(word))


def build_bm25(tokens: list[list[str]]):
    """A ``bm25s.BM25`` over one token list per chunk (an empty corpus gets one dummy row)."""
    import bm25s

    model = bm25s.BM25()
    model.index(tokens if tokens else [[""]], show_progress=False)
    return model


def top_k(model, n_docs: int, query_tokens: list[str], k: int) -> list[tuple[int, float]]:
    """The ``k`` best ``(row, score)`` pairs with a positive score, best first."""
    if n_docs == 0 or not query_tokens:
        return []
    scores = np.asarray(model.get_scores(query_tokens))[:n_docs]
    k = min(k, n_docs)
    idx = np.argpartition(-scores, k - 1)[:k]
    idx = idx[np.argsort(-scores[idx], kind="stable")]
    return [(int(i), float(scores[i])) for i in idx if scores[i] > 0]


def idf_table(model, n_docs: int) -> dict[str, float]:
    """BM25 idf of each vocabulary token, from the model's document frequencies."""
    scores = model.scores
    indptr = np.asarray(scores["indptr"])
    df = np.diff(indptr)
    n = max(1, int(scores.get("num_docs", n_docs)))
    idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
    return {tok: float(idf[col]) for tok, col in model.vocab_dict.items() if col < len(idf)}
