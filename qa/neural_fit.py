"""The neural reader's PyTorch side, used only to fit it (``python -m eval.fit_neural``) and in
tests: the model, batches of pairs, and its fitted weights stored and put back. At run time
the reader needs none of it (:mod:`qa.neural` reads the stored weights with numpy or ONNX
Runtime).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from qa.neural import SETTINGS, Pair, stored


def batch(pairs: list[Pair], pad: int) -> tuple[Any, Any]:
    import torch

    width = max(len(p.ids) for p in pairs)
    ids = torch.full((len(pairs), width), pad, dtype=torch.long)
    mask = torch.zeros((len(pairs), width), dtype=torch.long)
    for i, p in enumerate(pairs):
        ids[i, : len(p.ids)] = torch.tensor(p.ids)
        mask[i, : len(p.ids)] = 1
    return ids, mask


def span_model(bert: Any) -> Any:
    import torch

    class SpanModel(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert
            self.head = torch.nn.Linear(bert.config.hidden_size, 2)

        def forward(self, ids: Any, mask: Any) -> tuple[Any, Any]:
            h = self.bert(input_ids=ids, attention_mask=mask).last_hidden_state
            logits = self.head(h)
            return logits[..., 0], logits[..., 1]

    return SpanModel()


def save(model: Any, train_from: int, path: Path, context: int = 0, shared: bool = False) -> Path:
    """Store what fitting changed, as numpy arrays (``.npz``): the encoder layers from
    ``train_from`` up and the head. Encoder matrices are int8 with one float scale per row
    (a quarter of float32; the spans read are the same, see tests/qa/test_neural.py).
    ``context`` and ``shared`` say how it was fitted (:func:`qa.neural.setting`)."""
    # the settings, in the order qa.neural.SETTINGS names them (stored() skips exactly those)
    values = (train_from, model.bert.config.num_hidden_layers, context, int(shared))
    arrays: dict[str, np.ndarray] = {k: np.asarray(v) for k, v in zip(SETTINGS, values, strict=True)}
    for name, p in model.state_dict().items():
        layer = layer_of(name)
        if not (name.startswith("head") or (layer is not None and layer >= train_from)):
            continue
        t = p.detach().float().numpy()
        if t.ndim == 2 and not name.startswith("head"):
            scale = np.maximum(np.abs(t).max(axis=1, keepdims=True), 1e-12) / 127
            arrays[name + ".q"] = np.round(t / scale).astype(np.int8)
            arrays[name + ".s"] = scale.astype(np.float32)
        else:
            arrays[name] = t.astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        np.savez_compressed(fh, **arrays)  # type: ignore[arg-type]
    return path


def load_into(model: Any, path: Path) -> Any:
    """Put the stored weights into a PyTorch ``model`` (for fitting and for tests)."""
    import torch

    own = model.state_dict()
    for name, a in stored(path).items():
        own[name].copy_(torch.from_numpy(a))
    return model.eval()


def layer_of(name: str) -> int | None:
    """The encoder layer a parameter name belongs to (``None`` outside the layers)."""
    if "encoder.layer." not in name:
        return None
    return int(name.split("encoder.layer.")[1].split(".")[0])

