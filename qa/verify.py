"""Whether to answer, once the neural reader has read: the answerability model's view and the
reader's own, combined.

The boosted answerability model (``qa/models/answer.txt``) sees the question and the best
sentence through hand-made features: it cannot tell that 铜仁班 is not 德江班 when the rest
of the sentence fits. The neural reader reads the two together and gives the probability
that the sentence it chose holds no answer (:attr:`qa.neural.Found.null`). A logistic
regression over both (:data:`FEATURES`, each a named function of the two) gives the
probability to answer. It is fitted by ``python -m eval.fit_reader`` only on questions
whose documents the neural reader never saw (so that its "no answer" is as sure as it will
be on a user's question), with the boosted model's out-of-fold probability; its weights and
abstention cut are stored in ``qa/models/reader.json`` under ``"verify"``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np


def logit(p: float) -> float:
    """log(p / (1 − p)), with p kept within [1e-6, 1 − 1e-6]."""
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def answer_model(answerable: float, _found: Any) -> float:
    """The boosted answerability model's probability, as log-odds."""
    return logit(answerable)


def reader_null(_answerable: float, found: Any) -> float:
    """The neural reader's probability that its chosen sentence holds no answer, as log-odds."""
    return logit(found.null)


def reader_span(_answerable: float, found: Any) -> float:
    """The neural reader's probability of its best span in that sentence, as log-odds."""
    return logit(found.p)


FEATURES: Mapping[str, Callable[[float, Any], float]] = {
    "answer_model": answer_model, "reader_null": reader_null, "reader_span": reader_span}


def feature_row(features: tuple[str, ...], answerable: float, found: Any) -> np.ndarray:
    """The named ``features`` of one reading (the answerability model's probability and the
    neural reader's :class:`qa.neural.Found`)."""
    return np.asarray([FEATURES[n](answerable, found) for n in features])


@dataclass(frozen=True)
class Verifier:
    """A fitted logistic regression over :data:`FEATURES` (standardised by ``mean`` and
    ``scale``), and the probability below which the engine abstains."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float

    def row(self, answerable: float, found: Any) -> np.ndarray:
        return feature_row(self.features, answerable, found)

    def probability(self, answerable: float, found: Any) -> float:
        """The probability that the sources answer the question, from the answerability
        model's probability and the neural reader's reading (a :class:`qa.neural.Found`)."""
        return float(self.predict(self.row(answerable, found)[None, :])[0])

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The probabilities of rows of :meth:`row`."""
        z = (x - np.asarray(self.mean)) / np.asarray(self.scale)
        return 1.0 / (1.0 + np.exp(-(z @ np.asarray(self.weights) + self.bias)))

    def to_meta(self) -> dict[str, Any]:
        return {"features": list(self.features), "mean": list(self.mean), "scale": list(self.scale),
                "weights": list(self.weights), "bias": self.bias, "threshold": self.threshold}

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any] | None) -> Verifier | None:
        """The verifier stored in ``reader.json`` (``None`` when none was fitted). Unknown
        feature names are an error: the stored model and the code disagree."""
        if not meta:
            return None
        unknown = [n for n in meta["features"] if n not in FEATURES]
        if unknown:
            raise RuntimeError(f"reader.json 的 verify 模型用了代码中没有的特征 {unknown}，"
                               "请运行 python -m eval.fit_reader 重新拟合。")
        return cls(tuple(meta["features"]), tuple(meta["mean"]), tuple(meta["scale"]),
                   tuple(meta["weights"]), float(meta["bias"]), float(meta["threshold"]))


def fit(x: np.ndarray, y: np.ndarray, weight: np.ndarray, features: tuple[str, ...],
        l2: float = 1.0, threshold: float = 0.5) -> Verifier:
    """Weighted L2-regularised logistic regression by Newton's method on standardised
    columns (the intercept not penalised)."""
    mean, scale = x.mean(0), x.std(0) + 1e-9
    z = np.c_[np.ones(len(x)), (x - mean) / scale]
    b = np.zeros(z.shape[1])
    pen = l2 * np.diag(np.r_[0.0, np.ones(z.shape[1] - 1)])
    for _ in range(100):
        p = 1 / (1 + np.exp(-(z @ b)))
        step = np.linalg.solve((z * (weight * p * (1 - p))[:, None]).T @ z + pen,
                               z.T @ (weight * (p - y)) + pen @ b)
        b -= step
        if np.abs(step).max() < 1e-8:
            break
    return Verifier(features, tuple(map(float, mean)), tuple(map(float, scale)),
                    tuple(map(float, b[1:])), float(b[0]), threshold)
