"""zhiwen (知问): grounded question answering over Chinese documents, with citations.

This package holds what every stage shares: the records that flow between stages
(:mod:`zhiwen.records`), the domain errors (:mod:`zhiwen.errors`) and settings
(:mod:`zhiwen.settings`). The stages live in the top-level packages ``ingest``,
``index``, ``qa`` and ``eval``.
"""

__version__ = "0.1.0"
