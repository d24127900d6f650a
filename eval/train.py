"""Fit the sentence ranker's weights and the abstention threshold on the dev questions.

    python -m eval.train [--no-rgb] [--folds 5]

Positive examples are candidate sentences that contain the expected answer (RGB's rule for
the RGB dev questions; ``expect`` without ``forbid`` for eval/questions.jsonl). The weights
of :data:`qa.ranker.FEATURES` are fitted listwise (softmax over each question's candidates)
and their bias calibrated on the sets. The abstention verifier (logistic regression on the
best candidate, :data:`qa.ranker.VERIFIER_FEATURES`) and its cut are fitted next; the
engine abstains by that cut. K-fold cross-validation by question reports how well the
ranker generalises: the top sentence right, or the question rightly left unanswered by
the calibrated ranker score. Writes ``qa/ranker_weights.json``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from eval.sets import Question, expect_correct, load_questions, load_rgb_questions, rgb_correct
from qa.question import QuestionInfo
from qa.ranker import FEATURES, WEIGHTS_FILE

# What a wrong answer costs against a right one (an abstention costs nothing). At 0 the cut
# favours answering (the issue: no answerable question abstained); 0.5 trades three right
# answers over docs/ for two more right abstentions and one wrong answer fewer.
WRONG_COST = 0.0


@dataclass(slots=True)
class Sample:
    question: Question
    X: np.ndarray
    y: np.ndarray
    answerable: bool
    info: QuestionInfo  # the question as the engine analysed it (English ones bridged)


def collect(engine, questions: list[Question], rule: str, desc: str) -> list[Sample]:  # type: ignore[no-untyped-def]
    out = []
    for q in tqdm(questions, desc=desc, unit="问"):
        info, cands = engine.rank(q.question)
        cands = engine.eligible(info, cands)
        if not cands:
            continue
        X = np.stack([c.features for c in cands])
        if not q.answerable:
            y = np.zeros(len(cands))
        elif rule == "rgb":
            y = np.array([rgb_correct(c.text, q.expect) for c in cands], dtype=float)
        else:
            y = np.array([expect_correct(c.text, q) for c in cands], dtype=float)
        out.append(Sample(q, X, y, q.answerable, info))
    return out


def fit(samples: list[Sample], l2: float = 1e-3, iters: int = 1500, lr: float = 0.05) -> np.ndarray:
    """Listwise ranking weights: softmax over each question's candidates, pushing
    probability onto the sentences that hold the answer (Adam on standardized features).

    The softmax ignores the bias; :func:`calibrate` sets it afterwards.
    """
    train = [s for s in samples if s.answerable and s.y.max() > 0]
    allx = np.concatenate([s.X for s in samples])
    mu, sd = allx.mean(0), allx.std(0)
    mu[0], sd[0] = 0.0, 1.0
    sd[sd == 0] = 1.0
    Zs = [(s.X - mu) / sd for s in train]
    Qs = [(s.y > 0) / (s.y > 0).sum() for s in train]
    w = np.zeros(allx.shape[1])
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t in range(1, iters + 1):
        g = np.zeros_like(w)
        for Z, q in zip(Zs, Qs, strict=True):
            z = Z @ w
            p = np.exp(z - z.max())
            g += Z.T @ (p / p.sum() - q)
        g = g / len(train) + l2 * np.r_[0.0, w[1:]]
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        w -= lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    raw = w / sd
    raw[0] = -float(np.sum(mu[1:] * raw[1:]))
    return raw


def decide(samples: list[Sample], w: np.ndarray, t: float) -> list[bool]:
    """Per question: is the outcome right (right top sentence, or a right abstention)?"""
    ok = []
    for s in samples:
        scores = s.X @ w
        top = int(np.argmax(scores))
        answered = scores[top] >= t
        ok.append(bool(answered and s.y[top] > 0) if s.answerable else not answered)
    return ok


def calibrate(samples: list[Sample], w: np.ndarray) -> np.ndarray:
    """Set the bias so that a score of 0 (sigmoid 0.5) is the cut on the ranker's own
    score that maximises the share of right outcomes, averaged over the question sets.

    The engine abstains by the verifier instead; this cut serves the cross-validation and
    the candidates' ``score`` (which weighs extra citations).
    """
    groups: dict[str, list[Sample]] = {}
    for s in samples:
        groups.setdefault((s.question.kind == "rgb" and "rgb") or "docs", []).append(s)
    tops = np.concatenate([(s.X @ w) for s in samples])
    grid = np.quantile(tops, np.linspace(0.01, 0.99, 197))

    def value(t: float) -> float:
        return sum(float(np.mean(decide(g, w, t))) for g in groups.values())

    best = max(grid, key=value)
    out = w.copy()
    out[0] -= best
    return out


def _set_of(s: Sample) -> str:
    return "rgb" if s.question.kind == "rgb" else "docs"


def _verifier_rows(samples: list[Sample], w: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """The verifier's feature row of each question, and the index of its best candidate."""
    from qa.ranker import verifier_vector

    rows, tops = [], []
    for s in samples:
        logits = s.X @ w
        order = np.argsort(-logits)
        rows.append(verifier_vector(s.info, s.X[order[0]], logits[order[:2]]))
        tops.append(int(order[0]))
    return np.array(rows), tops


def fit_verifier(samples: list[Sample], w: np.ndarray, iters: int = 4000,
                 lr: float = 0.1, l2: float = 0.05) -> np.ndarray:
    """Logistic regression on the best candidate: do the passages hold the answer?
    Unanswerable questions are the negatives. Each question set weighs the same, and within a set the
    two outcomes weigh the same, so 21 unanswerable questions count as much as the rest."""
    from qa.ranker import VERIFIER_FEATURES

    X, _ = _verifier_rows(samples, w)
    # the verifier answers "do the retrieved passages hold the answer at all?"
    labels = [1.0 if s.answerable and s.y.max() > 0 else 0.0 for s in samples]
    groups = [(_set_of(s), lab) for s, lab in zip(samples, labels, strict=True)]
    y = np.array(labels)
    cell = {g: groups.count(g) for g in set(groups)}
    sw = np.array([1.0 / cell[g] for g in groups])
    sw /= sw.sum()
    mu, sd = X.mean(0), X.std(0)
    mu[0], sd[0] = 0.0, 1.0
    sd[sd == 0] = 1.0
    Z = (X - mu) / sd
    v = np.zeros(len(VERIFIER_FEATURES))
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(Z @ v)))
        v -= lr * (Z.T @ (sw * (p - y)) + l2 * np.r_[0.0, v[1:]])
    raw = v / sd
    raw[0] = v[0] - float(np.sum(mu[1:] * raw[1:]))
    return raw


def verifier_threshold(samples: list[Sample], w: np.ndarray, v: np.ndarray,
                       wrong_cost: float = WRONG_COST) -> float:
    """The verifier cut that maximises right outcomes less ``wrong_cost`` for each wrong
    answer, averaged over the question sets. With ``wrong_cost`` > 0 a wrong answer costs
    more than an abstention, and the cut leans towards abstaining."""
    X, tops = _verifier_rows(samples, w)
    probs = 1 / (1 + np.exp(-(X @ v)))
    rows = [(_set_of(s), float(p), s.answerable, bool(s.y[top] > 0))
            for s, p, top in zip(samples, probs, tops, strict=True)]

    def value(t: float) -> float:
        total = 0.0
        for g in ("docs", "rgb"):
            part = [r for r in rows if r[0] == g]
            if part:
                right = sum((p >= t and ok) if ans else p < t for _, p, ans, ok in part)
                wrong = sum(p >= t and not (ans and ok) for _, p, ans, ok in part)
                total += (right - wrong_cost * wrong) / len(part)
        return total

    # cut halfway between neighbouring confidences, never on a question's own value
    probs_seen = sorted({r[1] for r in rows})
    grid = [(a + b) / 2 for a, b in itertools.pairwise(probs_seen)]
    return float(max(grid, key=value)) if grid else 0.5


def cross_validate(samples: list[Sample], folds: int, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(samples))
    ok = 0
    for f in range(folds):
        held = set(order[f::folds].tolist())
        test = [samples[i] for i in sorted(held)]
        train = [samples[i] for i in range(len(samples)) if i not in held]
        w = calibrate(train, fit(train))
        ok += sum(decide(test, w, 0.0))
    return ok / len(samples)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="拟合句子排序权重与拒答阈值")
    parser.add_argument("--no-rgb", action="store_true", help="只用 eval/questions.jsonl")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=WEIGHTS_FILE)
    parser.add_argument("--wrong-cost", type=float, default=WRONG_COST,
                        help="答错一题相对答对一题的代价（拒答为 0）")
    args = parser.parse_args(argv)
    from eval.indexes import docs_engine, rgb_engine

    samples = collect(docs_engine(), load_questions(), "expect", "docs 问题")
    n_docs = len(samples)
    if not args.no_rgb:
        samples += collect(rgb_engine(), load_rgb_questions(), "rgb", "RGB 开发集")
    t0 = time.perf_counter()
    cv = cross_validate(samples, args.folds)
    w = calibrate(samples, fit(samples))
    acc = float(np.mean(decide(samples, w, 0.0)))
    from qa.ranker import VERIFIER_FEATURES

    verifier = fit_verifier(samples, w)
    cut = verifier_threshold(samples, w, verifier, args.wrong_cost)
    data = {
        "weights": {f: round(float(v), 5) for f, v in zip(FEATURES, w, strict=True)},
        "verifier": {f: round(float(v), 5) for f, v in zip(VERIFIER_FEATURES, verifier, strict=True)},
        "threshold": round(cut, 6),
        "fitted_on": {"docs_questions": n_docs, "rgb_dev_questions": len(samples) - n_docs},
        "train_accuracy": round(acc, 4),
        f"cv{args.folds}_accuracy": round(cv, 4),
    }
    args.out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(data, ensure_ascii=False, indent=1))
    print(f"拟合用时 {time.perf_counter() - t0:.1f} 秒；写入 {args.out}")


if __name__ == "__main__":
    main()
