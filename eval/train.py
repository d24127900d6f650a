"""Fit the sentence ranker's weights and the abstention threshold on the dev questions.

    python -m eval.train [--no-rgb] [--folds 5]

Positive examples are candidate sentences that contain the expected answer (RGB's rule for
the RGB dev questions; ``expect`` without ``forbid`` for eval/questions.jsonl). The model is
an L2-regularised logistic regression over :data:`qa.ranker.FEATURES`. The threshold is
chosen to maximise correct answers plus correct abstentions. K-fold cross-validation by
question reports how well the fit generalises. Writes ``qa/ranker_weights.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from eval.sets import Question, expect_correct, load_questions, load_rgb_questions, rgb_correct
from qa.ranker import FEATURES, WEIGHTS_FILE


@dataclass(slots=True)
class Sample:
    question: Question
    X: np.ndarray
    y: np.ndarray
    answerable: bool


def collect(engine, questions: list[Question], rule: str, desc: str) -> list[Sample]:  # type: ignore[no-untyped-def]
    out = []
    for q in tqdm(questions, desc=desc, unit="问"):
        _, cands = engine.rank(q.question)
        if not cands:
            continue
        X = np.stack([c.features for c in cands])
        if not q.answerable:
            y = np.zeros(len(cands))
        elif rule == "rgb":
            y = np.array([rgb_correct(c.text, q.expect) for c in cands], dtype=float)
        else:
            y = np.array([expect_correct(c.text, q) for c in cands], dtype=float)
        out.append(Sample(q, X, y, q.answerable))
    return out


def fit(samples: list[Sample], l2: float = 0.01, iters: int = 3000, lr: float = 0.5) -> np.ndarray:
    """Logistic regression; each question weighs the same whatever its candidate count."""
    X = np.concatenate([s.X for s in samples])
    y = np.concatenate([s.y for s in samples])
    sw = np.concatenate([np.full(len(s.y), 1.0 / len(s.y)) for s in samples])
    sw = sw / sw.sum()
    # class balance: positives are rare
    pos = (sw * y).sum()
    sw = np.where(y > 0, sw * 0.5 / max(pos, 1e-9), sw * 0.5 / max(1 - pos, 1e-9))
    w = np.zeros(X.shape[1])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(X @ w)))
        grad = X.T @ (sw * (p - y)) + l2 * np.r_[0.0, w[1:]]
        w -= lr * grad
    return w


def decide(samples: list[Sample], w: np.ndarray, t: float) -> list[bool]:
    """Per question: is the outcome right (right top sentence, or a right abstention)?"""
    ok = []
    for s in samples:
        scores = 1 / (1 + np.exp(-(s.X @ w)))
        top = int(np.argmax(scores))
        answered = scores[top] >= t
        ok.append(bool(answered and s.y[top] > 0) if s.answerable else not answered)
    return ok


def choose_threshold(samples: list[Sample], w: np.ndarray) -> float:
    grid = np.linspace(0.05, 0.95, 91)
    best = max(grid, key=lambda t: (sum(decide(samples, w, t)), -abs(t - 0.5)))
    return float(best)


def cross_validate(samples: list[Sample], folds: int, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(samples))
    ok = 0
    for f in range(folds):
        held = set(order[f::folds].tolist())
        test = [samples[i] for i in sorted(held)]
        train = [samples[i] for i in range(len(samples)) if i not in held]
        w = fit(train)
        ok += sum(decide(test, w, choose_threshold(train, w)))
    return ok / len(samples)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="拟合句子排序权重与拒答阈值")
    parser.add_argument("--no-rgb", action="store_true", help="只用 eval/questions.jsonl")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=WEIGHTS_FILE)
    args = parser.parse_args(argv)
    from eval.indexes import docs_engine, rgb_engine

    samples = collect(docs_engine(), load_questions(), "expect", "docs 问题")
    n_docs = len(samples)
    if not args.no_rgb:
        samples += collect(rgb_engine(), load_rgb_questions(), "rgb", "RGB 开发集")
    t0 = time.perf_counter()
    cv = cross_validate(samples, args.folds)
    w = fit(samples)
    t = choose_threshold(samples, w)
    acc = float(np.mean(decide(samples, w, t)))
    data = {
        "weights": {f: round(float(v), 5) for f, v in zip(FEATURES, w, strict=True)},
        "threshold": round(t, 3),
        "fitted_on": {"docs_questions": n_docs, "rgb_dev_questions": len(samples) - n_docs},
        "train_accuracy": round(acc, 4),
        f"cv{args.folds}_accuracy": round(cv, 4),
    }
    args.out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(data, ensure_ascii=False, indent=1))
    print(f"拟合用时 {time.perf_counter() - t0:.1f} 秒；写入 {args.out}")


if __name__ == "__main__":
    main()
