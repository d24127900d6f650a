"""The neural reader run by ONNX Runtime reads as the numpy forward does: the same logits
(so the same spans and "no answer" probabilities) for pairs of any length, batched or not,
for the shipped reader and a shallower one; and the switch that turns it off."""

from __future__ import annotations

import numpy as np
import pytest

from qa import e5_file, neural_ort
from qa.neural import MODELS, NeuralSpans, NumpyReader, decode, pair, stored

pytest.importorskip("onnxruntime")

QUESTION = "今年社会捐赠一共多少？"
SENTENCES = ("今年截至目前，社會捐贈折合共計約193萬元，累计超过800万元。", "德江县第七幼儿园",
             "清溪镇与德江县自2021年起结对帮扶，先后选派干部、教师、医生等专业技术人才到德江挂职支教支医，"
             "累计培训德江县乡村振兴干部和技术人才2400余人次。")


@pytest.fixture(scope="module")
def nets() -> tuple[NumpyReader, neural_ort.OrtReader, e5_file.Tokens]:
    f, tokens = e5_file.cached()
    net = NumpyReader(f, stored(MODELS / "neural.npz"))
    return net, neural_ort.OrtReader(net), tokens


def test_onnx_runtime_gives_the_numpy_logits_for_pairs_of_different_lengths(nets) -> None:  # type: ignore[no-untyped-def]
    net, ort_net, tokens = nets
    pairs = [pair(tokens, QUESTION, s) for s in SENTENCES]
    assert len({len(p.ids) for p in pairs}) == 3  # padding is exercised
    batched = ort_net.logits_many([p.ids for p in pairs])
    for p, (s1, e1) in zip(pairs, batched, strict=True):
        s0, e0 = net.logits(p.ids)
        assert len(s1) == len(p.ids)
        assert np.allclose(s0, s1, atol=1e-4) and np.allclose(e0, e1, atol=1e-4)
        alone_s, alone_e = ort_net.logits(p.ids)  # one pair alone, no padding
        assert np.allclose(alone_s, s1, atol=1e-4) and np.allclose(alone_e, e1, atol=1e-4)
        want, got = decode(p, s0, e0), decode(p, s1, e1)
        assert (got.start, got.end) == (want.start, want.end)
        assert got.null == pytest.approx(want.null, abs=1e-5)
    assert ort_net.logits_many([]) == []


def test_a_shallower_reader_is_built_with_its_own_depth(nets) -> None:  # type: ignore[no-untyped-def]
    _net, _o, tokens = nets
    f, _t = e5_file.cached()
    shallow = NumpyReader(f, stored(MODELS / "neural.npz"), layers=3)
    ids = pair(tokens, QUESTION, SENTENCES[0]).ids
    s0, e0 = shallow.logits(ids)
    s1, e1 = neural_ort.OrtReader(shallow).logits(ids)
    assert np.allclose(s0, s1, atol=1e-4) and np.allclose(e0, e1, atol=1e-4)
    deep_s, _e = nets[0].logits(ids)
    assert not np.allclose(s0, deep_s, atol=1e-2)  # three layers do read differently


def test_the_reader_uses_onnx_runtime_unless_switched_off(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert isinstance(NeuralSpans().net, neural_ort.OrtReader)
    monkeypatch.setenv("ZHIWEN_ORT", "0")
    assert not neural_ort.available()
    assert isinstance(NeuralSpans().net, NumpyReader)
