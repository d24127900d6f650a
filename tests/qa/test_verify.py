"""The answerability check that weighs the neural reader's "no answer here" (qa/verify.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from qa.neural import Found
from qa.verify import FEATURES, Verifier, answer_model, fit, logit, reader_null, reader_span

MODELS = Path(__file__).resolve().parents[2] / "qa" / "models"


def test_answer_model_is_the_boosted_probability_as_log_odds() -> None:
    f = Found(0, 2, 0.5, 0.5)
    assert answer_model(0.9, f) == pytest.approx(np.log(9))
    assert answer_model(0.1, f) == pytest.approx(-np.log(9))
    assert answer_model(1.0, f) == pytest.approx(logit(1 - 1e-6))  # kept finite


def test_reader_null_follows_the_readers_no_answer() -> None:
    assert reader_null(0.5, Found(0, 2, 0.3, 0.8)) == pytest.approx(np.log(4))
    assert reader_null(0.5, Found(0, 2, 0.3, 0.01)) < reader_null(0.5, Found(0, 2, 0.3, 0.5))


def test_reader_span_follows_the_readers_best_span() -> None:
    assert reader_span(0.5, Found(0, 2, 0.75, 0.1)) == pytest.approx(np.log(3))
    assert reader_span(0.9, Found(0, 2, 0.2, 0.1)) < reader_span(0.1, Found(0, 2, 0.6, 0.1))


def test_fitting_finds_the_feature_that_separates_and_ignores_noise() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random(2000) < 0.5).astype(float)
    x = np.c_[rng.normal(2 * y - 1, 1.0), rng.normal(0, 1, 2000)]
    v = fit(x, y, np.ones(2000), ("answer_model", "reader_null"))
    assert v.weights[0] > 1.0 and abs(v.weights[1]) < 0.2, v.weights
    assert ((v.predict(x) >= 0.5) == (y == 1)).mean() > 0.8
    # a weighted row counts as that many rows
    w = np.where(y == 1, 3.0, 1.0)
    heavier = fit(x, y, w, ("answer_model", "reader_null"))
    assert heavier.predict(np.zeros((1, 2)))[0] > v.predict(np.zeros((1, 2)))[0]


def test_stored_verifier_comes_back_and_unknown_features_are_refused() -> None:
    v = Verifier(("answer_model", "reader_null"), (0.1, -1.0), (1.5, 2.0), (1.2, -0.7), 0.3, 0.2)
    back = Verifier.from_meta(json.loads(json.dumps(v.to_meta())))
    assert back == v
    f = Found(0, 2, 0.4, 0.3)
    assert back.probability(0.7, f) == pytest.approx(v.probability(0.7, f))
    assert Verifier.from_meta(None) is None
    with pytest.raises(RuntimeError, match="verify"):
        Verifier.from_meta(v.to_meta() | {"features": ["answer_model", "no_such"]})
    assert set(FEATURES) >= set(v.features)


def _folder(tmp_path: Path, verify: dict | None) -> Path:  # type: ignore[type-arg]
    folder = tmp_path / "models"
    shutil.copytree(MODELS, folder)
    meta = json.loads((folder / "reader.json").read_text(encoding="utf-8"))
    meta.pop("verify", None)
    if verify is not None:
        meta["verify"] = verify
    (folder / "reader.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return folder


def test_the_reader_weighs_the_neural_no_answer_with_the_verifier(seed_index, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from qa.reader import Reader

    v = Verifier(("answer_model", "reader_null"), (0.0, 0.0), (1.0, 1.0), (1.0, -2.0), -0.5, 0.37)
    plain = Reader(_folder(tmp_path / "a", None))
    checked = Reader(_folder(tmp_path / "b", v.to_meta()))
    assert plain.verifier is None and plain.threshold == plain.answer_threshold
    assert checked.verifier == v and checked.threshold == 0.37
    assert Reader(_folder(tmp_path / "c", v.to_meta()), neural=False).threshold == plain.answer_threshold
    question = "德江班共免费招收了多少名学生？"
    hits = seed_index.search(question, 8)
    a, b = plain.read(question, hits, seed_index.idf), checked.read(question, hits, seed_index.idf)
    assert a.unit is b.unit or (a.unit and b.unit and a.unit.text == b.unit.text)
    assert checked.neural is not None and b.unit is not None
    found = checked.neural.best(question, [b.unit.form])[0]
    assert b.answerable == pytest.approx(v.probability(a.answerable, found))
    assert b.answerable != pytest.approx(a.answerable)


def test_the_shipped_reader_has_a_verifier_fitted_with_its_neural_reader() -> None:
    meta = json.loads((MODELS / "reader.json").read_text(encoding="utf-8"))
    v = Verifier.from_meta(meta.get("verify"))
    assert v is not None and 0.0 < v.threshold < 1.0
    assert "reader_null" in v.features and v.weights[v.features.index("reader_null")] < 0
