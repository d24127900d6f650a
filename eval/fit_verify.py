"""Fit the answerability check that weighs the neural reader's "no answer here" (:mod:`qa.verify`).

Called by ``python -m eval.fit_reader`` after its out-of-fold run. Only questions whose
documents the neural reader never saw are used (fold 0 of DRCD and CMRC, with the
negatives made from them): on the other folds, and on the fit halves of RGB and gov (the
shipped reader's ``--genre``), the reader was fitted, and its "no answer" there is surer
than it will be on a user's question.

Each such question is read as the engine reads it (:func:`qa.reader.neural_sentence`, then
:func:`qa.answer_span.pick_mixed`) with the boosted models that never saw its document. The
logistic regression is judged by 5-fold cross-validation by document (folds drawn apart
from fit_reader's, since all of DRCD's and CMRC's questions here are its fold 0); the
abstention cut is chosen on those out-of-fold probabilities by fit_reader's rule (at most
``max_abstained`` of the answerable questions abstained, each set alike).
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from eval.fit_reader import FOLDS, Item, Outcome, abstention_cut, fold_of, neural_path, summarize
from qa.answer_span import pick_mixed
from qa.neural import SPAN_THRESHOLD
from qa.verify import FEATURES, Verifier, feature_row, fit

NEURAL_FOLD = 0  # the fold of DRCD and CMRC that eval.fit_neural holds out


def neural_held_out(it: Item) -> bool:
    """Whether the neural reader never saw the item's document (eval.fit_neural fits on
    DRCD's and CMRC's folds other than :data:`NEURAL_FOLD` and, with ``--genre`` as
    shipped, on the fit halves of RGB and gov)."""
    if it.set in ("drcd", "cmrc"):
        return fold_of(it.group) == NEURAL_FOLD
    return it.split != "fit"


def verify_fold(group: str) -> int:
    """A document's fold for judging the verifier: drawn apart from :func:`fold_of`."""
    return int(hashlib.sha256(("verify:" + group).encode()).hexdigest(), 16) % FOLDS


def read(outs: list[Outcome], reader: Any, log: Callable[[str], None]) -> list[tuple[Outcome, Any]]:
    """The held-out outcomes read as the engine reads them: each outcome's ``answer`` and
    ``unit`` replaced by what the neural path shows, paired with the reader's reading of
    the chosen sentence."""
    from tqdm import tqdm

    out = []
    mine = [o for o in outs if neural_held_out(o.item) and o.unit is not None
            and "s_pred" in o.item.extra and "p_model" in o.item.extra]
    log(f"verify: {len(mine)} questions the neural reader never saw")
    for o in tqdm(mine, desc="神经阅读", file=sys.stderr, mininterval=10):
        it = o.item
        unit, found, spans = neural_path(it, reader, it.extra["s_pred"], o.unit, o.scored,
                                         it.extra["p_model"])
        u, sp = pick_mixed(found, unit, spans, SPAN_THRESHOLD)
        out.append((dataclasses.replace(o, answer=u.text[sp.start:sp.end], sentence=u.text), found))
    return out


def _matrix(pairs: list[tuple[Outcome, Any]], features: tuple[str, ...]) -> np.ndarray:
    return np.asarray([feature_row(features, o.answerable, f) for o, f in pairs])


def _weights(pairs: list[tuple[Outcome, Any]]) -> np.ndarray:
    """Each set weighs alike (DRCD's 773 held-out questions would otherwise decide alone)."""
    sets = [o.item.set for o, _f in pairs]
    w = np.asarray([1.0 / sets.count(s) for s in sets])
    return w * len(w) / w.sum()


def fit_verifier(outs: list[Outcome], reader: Any, max_abstained: float,
                 log: Callable[[str], None], features: tuple[str, ...] = tuple(FEATURES)
                 ) -> tuple[Verifier, dict[str, Any]]:
    """The verifier fitted on every held-out question, with its cut chosen out of fold, and
    the report: per set, the boosted answerability alone and the verifier, both out of fold
    and at their own cuts, on the same questions and the same shown answers."""
    pairs = read(outs, reader, log)
    x, w = _matrix(pairs, features), _weights(pairs)
    y = np.asarray([float(o.item.answerable) for o, _f in pairs])
    folds = np.asarray([verify_fold(o.item.group) for o, _f in pairs])
    oof = np.zeros(len(pairs))
    for k in range(FOLDS):
        tr, te = folds != k, folds == k
        if te.any():
            oof[te] = fit(x[tr], y[tr], w[tr], features).predict(x[te])
    boosted = [o for o, _f in pairs]
    verified = [dataclasses.replace(o, answerable=float(p)) for (o, _f), p in zip(pairs, oof, strict=True)]
    cut_b, cut_v = abstention_cut(boosted, max_abstained), abstention_cut(verified, max_abstained)
    report: dict[str, Any] = {"features": list(features), "cut": cut_v, "boosted_cut": cut_b,
                              "cv5_by_document": {}}
    for name in sorted({o.item.set for o in boosted}):
        report["cv5_by_document"][name] = {
            "boosted": summarize([o for o in boosted if o.item.set == name], cut_b),
            "verified": summarize([o for o in verified if o.item.set == name], cut_v)}
    final = fit(x, y, w, features, threshold=cut_v)
    report["weights"] = dict(zip(features, final.weights, strict=True))
    log(f"verify: cut {cut_v:.4f} (boosted alone {cut_b:.4f}); weights {report['weights']}")
    return final, report

