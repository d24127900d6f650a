"""The learned reader: which sentence answers, which span of it, and whether to answer at all.

Three gradient-boosted models (LightGBM, stored as text beside this file, never pickled),
fitted by ``python -m eval.fit_reader`` on thousands of reading-comprehension questions:

1. the sentence model scores every sentence of the retrieved chunks
   (:data:`qa.features.SENTENCE_FEATURES`);
2. the span model scores the candidate spans of the best sentences
   (:data:`qa.features.SPAN_FEATURES`);
3. the answerability model says whether the sources answer the question at all
   (:data:`ANSWER_FEATURES`): it is fitted on real questions and on negatives made from them
   (the time shifted, the entity or the attribute swapped, the source removed).

A fourth, neural model reads the question and a sentence together (:mod:`qa.neural`:
multilingual-e5-small fine-tuned to mark the answer's first and last token, or "no answer
here", run without PyTorch: ONNX Runtime, else numpy). It reads the sentence model's best
sentences and chooses the answer's sentence among them (:meth:`Reader.neural_reading`); inside
it each candidate span is scored by the mean of the boosted and the neural probabilities
(:func:`qa.answer_span.pick_mixed`);
the answer is the best span when that reaches the span threshold, else the sentence or the
clause that holds it; the cited sentence is always shown beside it. Whether to answer then
weighs the answerability model's probability with the neural reader's "no answer here" for
that sentence (:mod:`qa.verify`).
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qa.absent import REFUSING, absent_place, lack_shares, quote_absent, why_not
from qa.answer_span import choose, pick_mixed
from qa.candidates import SPAN_KINDS, Span, Unit, clauses, spans, units
from qa.features import (
    SENTENCE_COLUMN,
    SENTENCE_FEATURES,
    SPAN_FEATURES,
    Idf,
    QView,
    fill_similarity,
    max_missing_idf,
    remembered,
    sentence_row,
    span_row,
    view,
    view_for,
)
from qa.verify import Verifier
from zhiwen.records import Hit

MODELS = Path(__file__).resolve().parent / "models"
TOP_SENTENCES = 3  # sentences whose spans are scored

ANSWER_FEATURES = (
    "s1", "s2", "s_margin", "p1", "p_margin", "idf_cov", "idf_cov_ctx", "missing_idf",
    "missing_idf_all", "time_missing", "time_conflict", "q_number_missing", "hit_rank",
    "n_tokens", "span_len", "has_number", "has_date", "span_kind", "cos", "cos_gap", "wh_key",
    "missing_all_share", "missing_doc", "asked_missing",
)
Similarity = Callable[[str, list[str]], np.ndarray]  # (question, sentence forms) -> cosines
_S = SENTENCE_COLUMN
# where a sentence stands among the retrieved ones rather than what it says
_POSITIONAL = [_S[n] for n in ("hit_rank", "dense_rank", "bm25_rank", "cos_gap", "cos_rank")]


@dataclass(frozen=True, slots=True)
class Reading:
    """What the reader found for one question.

    Attributes:
        unit: the best sentence (``None`` when nothing was retrieved).
        span: the best span of it; ``answer`` the text to show (the span or its clause).
        sentence_score, span_score: the sentence and span models' probabilities.
        answerable: the probability that the sources answer the question (the
            answerability model's, weighed with the neural reader's by :mod:`qa.verify`
            when both run).
        ranked: the sentences with their scores, best first.
        spans: the scored spans of the best sentences, best first.
        why: what the best sentence lacks as an answer (:func:`qa.absent.why_not`), or
            ``"quote_missing"`` when a name the question quotes is in no retrieved document
            (:func:`qa.absent.quote_absent`) or a place it names is nowhere in the library
            (:func:`qa.absent.absent_place`); "" when nothing.
        missing: that name, else the rarest word of the question that no retrieved
            sentence holds.
        even: the sentence model's raw score of each sentence (by ``id``) on an equal footing
            with the first: its retrieval ranks and embedding rank set to the first's, so
            that two documents saying the same thing score alike whichever was retrieved
            first (:meth:`share`).
    """

    unit: Unit | None
    span: Span | None
    answer: str
    sentence_score: float
    span_score: float
    answerable: float
    ranked: tuple[tuple[Unit, float], ...]
    spans: tuple[tuple[Unit, Span, float], ...] = ()
    why: str = ""
    missing: str = ""
    question: QView | None = None
    even: Mapping[int, float] = field(default_factory=dict)

    def share(self, unit: Unit, of: Unit) -> float:
        """How ``unit`` stands as an answer against ``of`` on an equal footing: the share
        the sentence model would give it between the two (1 = equal), from :attr:`even`."""
        if id(unit) not in self.even or id(of) not in self.even:
            return 0.0
        return float(np.exp(min(0.0, self.even[id(unit)] - self.even[id(of)])))

    def answers(self, threshold: float) -> bool:
        """Whether to answer: the answerability model is confident enough, and the sentence
        neither states another time than the one asked nor lacks a figure when a figure is
        asked (:data:`REFUSING`). A figure for another year than the one asked is the worst
        answer a fact-checking tool can give, so those abstain even when the model would
        answer. (A sentence that states no time is left to the model: the year is often
        stated once, at the top of the document.)"""
        return self.unit is not None and self.answerable >= threshold and self.why not in REFUSING


class Reader:
    """Loads the three boosted models and the neural span reader once; :meth:`read` answers
    one question."""

    def __init__(self, folder: Path = MODELS, neural: bool | None = None) -> None:
        """``neural``: choose the sentence and the span with the neural reader when its
        weights are in ``folder`` (default: yes, unless the environment sets
        ``ZHIWEN_NEURAL=0``)."""
        if neural is None:
            neural = os.environ.get("ZHIWEN_NEURAL", "1").strip() != "0"
        meta = json.loads((folder / "reader.json").read_text(encoding="utf-8"))
        expected = {"sentence": list(SENTENCE_FEATURES), "span": list(SPAN_FEATURES),
                    "answer": list(ANSWER_FEATURES)}
        for model, names in expected.items():
            if meta.get("features", {}).get(model) != names:
                raise RuntimeError(
                    f"{folder} 中的{model}模型与代码的特征不一致，"
                    "请运行 python -m eval.fit_reader 重新拟合阅读模型。")
        self.meta = meta
        self.wh_vocab: dict[str, int] = meta["wh_vocab"]
        self.span_threshold = float(meta["span_threshold"])
        self.frame = frozenset(meta.get("frame_words", ()))
        self.answer_threshold = float(meta["answer_threshold"])
        self.sentence_model = _booster(folder / "sentence.txt")
        self.span_model = _booster(folder / "span.txt")
        self.answer_model = _booster(folder / "answer.txt")
        # the neural reader chooses the sentence and the span in it (qa/neural.py)
        self.neural = _neural(folder / "neural.npz") if neural and (folder / "neural.npz").exists() else None
        # with the neural reader, whether to answer weighs its "no answer here" too (qa/verify.py)
        self.verifier = Verifier.from_meta(meta.get("verify")) if self.neural is not None else None
        self.threshold = self.verifier.threshold if self.verifier else self.answer_threshold

    def view(self, question: str) -> QView:
        """The question as this reader's features see it."""
        return view(question, self.frame)

    def wh_id(self, q: QView) -> float:
        """The vocabulary id of the question's interrogative (with its next character, when
        that pair was frequent in the training questions)."""
        return float(self.wh_vocab.get(q.wh_key, self.wh_vocab.get(q.wh, 0)))

    def read(self, question: str, hits: list[Hit], idf: Idf,
             doc_year: Callable[[str], int | None] = lambda _doc: None,
             similarity: Similarity | None = None,
             doc_text: Callable[[str], str] = lambda _doc: "",
             mentions: Callable[[str], bool] = lambda _word: True) -> Reading:
        """Read ``hits`` for ``question``. ``similarity`` gives the embedding cosine of the
        question with sentences (the index's sentence vectors); without it those features
        are missing and the models fall back on the rest. ``doc_year`` and ``doc_text``
        give a document's year of publication (what its 今年 means) and its title and text;
        ``mentions`` whether the library holds a word anywhere (:class:`qa.absent.Mentions`)."""
        us = units(hits)
        idf = remembered(idf)
        q = view_for(question, [h.chunk.search_text for h in hits], self.frame)
        if not us:
            return Reading(None, None, "", 0.0, 0.0, 0.0, (), question=q)
        wh = self.wh_id(q)
        rows = [sentence_row(q, u, idf, doc_year(u.chunk.doc_id), doc_text(u.chunk.doc_id))
                for u in us]
        for r in rows:
            r[-1] = wh
        s_rows = np.asarray(rows, dtype=np.float64)
        if similarity is not None:
            fill_similarity(s_rows, similarity(question, [u.form for u in us]))
        s_scores = softmax(self.sentence_model.predict(s_rows))
        order = np.argsort(-s_scores, kind="stable")
        ranked = tuple((us[i], float(s_scores[i])) for i in order)
        even_rows = s_rows.copy()
        even_rows[:, _POSITIONAL] = s_rows[order[0], _POSITIONAL]
        even = self.sentence_model.predict(even_rows)
        best_spans = self.best_spans(q, [u for u, _ in ranked[:TOP_SENTENCES]],
                                     [s for _, s in ranked[:TOP_SENTENCES]], idf, wh)
        # the best span decides the sentence: a span model sure of a span in the second
        # sentence outranks a first sentence with no good span
        (top, span1, p1), p2 = best_spans[0], (best_spans[1][2] if len(best_spans) > 1 else 0.0)
        found = None
        if self.neural is not None:
            unit, span, found = self.neural_reading(question, q, top, ranked, best_spans, idf, wh,
                                                    lambda u: why_not(q, u, s_rows[us.index(u)]))
        else:
            unit, span = choose(best_spans, self.span_threshold)
        i_best = next(i for i, (u, _s) in enumerate(ranked) if u is top)
        s_best = ranked[i_best][1]
        s_other = max((s for j, (_u, s) in enumerate(ranked) if j != i_best), default=0.0)
        all_text = "".join(u.prev + u.form + u.next for u in us)
        srow = s_rows[us.index(top)]
        a_row = answer_row(srow, s_best, s_other, p1, p2,
                           max_missing_idf(q, all_text, idf), len(q.tokens), span1, wh,
                           lack_shares(q, top, all_text, doc_text, idf))
        answerable = float(self.answer_model.predict(np.asarray([a_row]))[0])
        if self.verifier is not None and found is not None:
            answerable = self.verifier.probability(answerable, found)
        text = unit.text[span.start:span.end]
        # a one-character word ("里", "上") is never what a question is about: it is not
        # offered as the word the sources lack; of equally rare ones the longest (总经理,
        # not its sub-word 经理)
        absent = [t for t in q.tokens if len(t) > 1 and t not in all_text]
        missing = max(absent, key=lambda t: (idf(t), len(t)), default="")
        unquoted = quote_absent(q, us, doc_text) or absent_place(q, mentions)
        why = "quote_missing" if unquoted else why_not(q, unit, s_rows[us.index(unit)])
        return Reading(unit, span, text, s_best, p1, answerable, ranked, tuple(best_spans),
                       why=why, missing=unquoted or missing, question=q,
                       even={id(u): float(x) for u, x in zip(us, even, strict=True)})

    def neural_reading(self, question: str, q: QView, top: Unit,
                       ranked: tuple[tuple[Unit, float], ...], scored: list[tuple[Unit, Span, float]],
                       idf: Idf, wh: float, why: Callable[[Unit], str] = lambda _u: ""
                       ) -> tuple[Unit, Span, Any]:
        """The sentence and what to show of it, with the neural reader, and its reading of
        that sentence (a :class:`qa.neural.Found`).

        The sentence: the neural reader reads the sentence model's best ones (up to
        :data:`qa.neural.RERANK`, those within :data:`qa.neural.RERANK_SHARE` of the best, and
        ``top``, the sentence of the best boosted span; not one with no figure for 多少 while
        another is left: :func:`rerank_candidates`) and each is ranked
        by its sentence score times the reader's probability that it holds an answer
        (:func:`qa.neural.rerank`). What to show: its best span by the mean of the boosted and
        the neural probabilities (:func:`pick_mixed`) when that reaches the span threshold,
        else its sentence or clause as :func:`choose` falls back. The neural span is widened
        to hold any figure, date, title or quotation it cuts into, so that 约, 超, the unit or
        the year are never dropped."""
        from qa.neural import SPAN_THRESHOLD

        assert self.neural is not None
        unit, found, mine = neural_sentence(self.neural, self.span_model, question, q, top, ranked,
                                            scored, idf, wh, why)
        return (*pick_mixed(found, unit, mine, SPAN_THRESHOLD), found)

    def best_spans(self, q: QView, top: list[Unit], scores: list[float], idf: Idf,
                   wh: float, first_rank: int = 1) -> list[tuple[Unit, Span, float]]:
        """Every candidate span of the ``top`` sentences with its score, best first."""
        return score_spans(self.span_model, q, top, scores, idf, wh, first_rank)


def neural_sentence(neural: Any, span_model: Any, question: str, q: QView, top: Unit,
                    ranked: tuple[tuple[Unit, float], ...] | list[tuple[Unit, float]],
                    scored: list[tuple[Unit, Span, float]], idf: Idf, wh: float,
                    why: Callable[[Unit], str]) -> tuple[Unit, Any, list[tuple[Unit, Span, float]]]:
    """The sentence the ``neural`` reader chooses among :func:`rerank_candidates` (reading only
    those that could win, :func:`qa.neural.read_and_rerank`, each with the sentence before it),
    its reading (a :class:`qa.neural.Found`) and its spans as the boosted ``span_model`` scores
    them (those of ``scored``, or scored alone for a sentence below its top three). One function
    for the engine and ``eval.fit_neural``, so that what is measured is what users get."""
    from qa.neural import read_and_rerank

    cands = rerank_candidates(ranked, top, why)
    best, found = read_and_rerank(lambda ks: neural.best(question, [cands[k][0].form for k in ks],
                                                          [cands[k][0].prev for k in ks]),
                                  [s for _u, s in cands], neural.shared)
    unit, score = cands[best]
    mine = [x for x in scored if x[0] is unit]
    if not mine:
        rank = next(i for i, (u, _s) in enumerate(ranked, 1) if u is unit)
        mine = score_spans(span_model, q, [unit], [score], idf, wh, rank)
    return unit, found, mine


def score_spans(model: Any, q: QView, top: list[Unit], scores: list[float], idf: Idf,
                wh: float, first_rank: int = 1) -> list[tuple[Unit, Span, float]]:
    """Every candidate span of the sentences ``top`` (with their sentence ``scores``, ranked
    from ``first_rank``) scored by the span ``model``, as probabilities, best first."""
    found: list[tuple[Unit, Span]] = []
    rows: list[list[float]] = []
    for rank, (u, s) in enumerate(zip(top, scores, strict=True), first_rank):
        cl = clauses(u.text)
        covers: dict[tuple[int, int], float] = {}
        for sp in spans(u):
            row = span_row(q, u, sp, idf, s, rank, cl, covers)
            row[-1] = wh
            rows.append(row)
            found.append((u, sp))
    p = softmax(model.predict(np.asarray(rows, dtype=np.float64)))
    order = np.argsort(-p, kind="stable")
    return [(found[i][0], found[i][1], float(p[i])) for i in order]


def rerank_candidates(ranked: tuple[tuple[Unit, float], ...] | list[tuple[Unit, float]], top: Unit,
                      why: Callable[[Unit], str]) -> list[tuple[Unit, float]]:
    """The sentences the neural reader reads to choose the answer's sentence: the sentence model's
    best (up to :data:`qa.neural.RERANK`, scoring at least :data:`qa.neural.RERANK_SHARE` of the
    first) and ``top``; a sentence with no figure for a question asking 多少/几, or with no time
    for one asking when (``no_figure``, ``no_date``: :func:`qa.absent.why_not`), is dropped while
    another is left: it cannot be the answer, whatever it says. (A sentence stating another time
    than the one asked is kept: there it is evidence that the sources do not state the asked
    time, and the engine abstains saying so.)"""
    from qa.neural import RERANK, RERANK_SHARE

    first = ranked[0][1]
    cands = [(u, s) for u, s in ranked[:RERANK] if s >= RERANK_SHARE * first]
    if all(u is not top for u, _s in cands):
        cands.append(next((u, s) for u, s in ranked if u is top))
    return [c for c in cands if why(c[0]) not in ("no_figure", "no_date")] or cands


def softmax(scores: np.ndarray) -> np.ndarray:
    """Ranker scores of one question's candidates as probabilities that sum to one."""
    if not len(scores):
        return scores
    e = np.exp(scores - scores.max())
    return e / e.sum()


def answer_row(srow: np.ndarray, s1: float, s2: float, p1: float, p2: float,
               missing_all: float, n_tokens: int, span: Span, wh: float,
               shares: tuple[float, float, float]) -> list[float]:
    """The answerability features (order: :data:`ANSWER_FEATURES`): the two rankers'
    confidence, coverage of the question, time agreement, the best sentence's embedding
    cosine with the question, and what the best sentence and span are (so that a 多少
    question whose best sentence holds no figure can be told); ``shares``: what the sources
    lack, comparable across libraries of any size (:func:`qa.absent.lack_shares`)."""
    return [s1, s2, s1 - s2, p1, p1 - p2, srow[_S["idf_cov"]], srow[_S["idf_cov_ctx"]],
            srow[_S["missing_idf"]], missing_all, srow[_S["time_missing"]],
            srow[_S["time_conflict"]], srow[_S["q_number_missing"]], srow[_S["hit_rank"]],
            float(n_tokens), float(span.end - span.start), srow[_S["has_number"]],
            srow[_S["has_date"]], float(SPAN_KINDS.index(span.kind)), srow[_S["cos"]],
            srow[_S["cos_gap"]], wh, *shares]


@functools.lru_cache(maxsize=2)
def _neural(path: Path) -> Any:
    from qa.neural import NeuralSpans

    return NeuralSpans(path)


@functools.lru_cache(maxsize=8)
def _booster(path: Path) -> Any:
    import lightgbm as lgb

    return lgb.Booster(model_str=path.read_text(encoding="utf-8"))


def doc_year_of(date: str | None) -> int | None:
    """The year of an ISO date, for resolving 今年 in a document."""
    m = re.match(r"(\d{4})", date or "")
    return int(m.group(1)) if m else None
