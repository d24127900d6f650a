"""The trainer's fitting pieces on small made-up samples (the real fit runs on the eval sets)."""

from __future__ import annotations

import numpy as np

from eval.sets import Question
from eval.train import Sample, decide, fit, verifier_threshold
from qa.question import analyse
from qa.ranker import FEATURES, VERIFIER_FEATURES

N = len(FEATURES)


def _sample(i: int, answerable: bool, right_first: bool, logit_gap: float) -> Sample:
    """Two candidates; feature 1 separates them, and the right one is first or second."""
    x = np.zeros((2, N))
    x[:, 0] = 1.0
    x[0, 1], x[1, 1] = logit_gap, 0.0
    y = np.array([1.0, 0.0] if right_first else [0.0, 1.0]) if answerable else np.zeros(2)
    question = "今年社会捐赠一共多少？"
    return Sample(Question(id=f"q{i}", question=question, expect=("193万",),
                           answerable=answerable), x, y, answerable, analyse(question))


def test_listwise_fit_learns_the_separating_feature() -> None:
    samples = [_sample(i, True, True, 1.0 + i % 3) for i in range(12)]
    w = fit(samples, iters=300)
    assert w[1] > 0  # the feature that marks the right sentence gets a positive weight
    assert all(decide(samples, w, -1e9))


def test_wrong_answers_cost_pushes_the_cut_up() -> None:
    # verifier that reads the best logit only: confidence = sigmoid(logit)
    v = np.zeros(len(VERIFIER_FEATURES))
    v[VERIFIER_FEATURES.index("logit")] = 1.0
    w = np.zeros(N)
    w[1] = 1.0
    samples = ([_sample(i, True, True, 3.0) for i in range(6)]        # confident and right
               + [_sample(10 + i, True, False, 1.0) for i in range(3)]  # middling and wrong
               + [_sample(20 + i, False, False, -2.0) for i in range(3)])  # unanswerable
    lenient = verifier_threshold(samples, w, v, wrong_cost=0.0)
    careful = verifier_threshold(samples, w, v, wrong_cost=1.0)
    sigmoid = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    assert lenient <= sigmoid(1.0) < careful <= sigmoid(3.0)
