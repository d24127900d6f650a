"""The records that flow between stages (see ``../shared/DESIGN.md``).

They are small frozen dataclasses. Text fields are required, never ``None``. Offsets are
character offsets (Python ``str`` indices) into :attr:`SourceDocument.text`, the repaired,
citable text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal


def sha256_hex(text: str) -> str:
    """Hex sha256 of ``text`` encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_doc_id(text: str) -> str:
    """Content-derived document id: the first 16 hex digits of sha256 of the repaired text."""
    return sha256_hex(text)[:16]


def make_chunk_id(doc_id: str, start: int, end: int) -> str:
    """Stable chunk id: hash of the document id and the chunk's span."""
    return sha256_hex(f"{doc_id}:{start}:{end}")[:16]


@dataclass(frozen=True, slots=True)
class SourceDocument:
    """One document after loading and repair.

    Attributes:
        doc_id: content hash of ``text`` (see :func:`make_doc_id`).
        path: the file it came from, relative to the corpus root, with ``/`` separators.
        title: the HTML title, the first short line, or the file name.
        date: ISO date (``YYYY-MM-DD``) when the source states one, else ``None``.
        text_raw: the text as decoded from the file, before repair.
        text: the repaired text; every citation quotes this.
        meta: extra fields (``record_id`` and ``url`` for ``.jsonl`` records, ``encoding``).
    """

    doc_id: str
    path: str
    title: str
    text_raw: str
    text: str
    date: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def source(self) -> str:
        """What a citation names: the path, plus ``#record_id`` for a ``.jsonl`` record."""
        rid = self.meta.get("record_id")
        return f"{self.path}#{rid}" if rid not in (None, "") else self.path


@dataclass(frozen=True, slots=True)
class Chunk:
    """A span of whole sentences of one document, the unit of retrieval.

    Attributes:
        chunk_id: :func:`make_chunk_id` of ``doc_id``, ``start``, ``end``.
        doc_id: the document it belongs to.
        start, end: offsets into the document's ``text``; ``text == doc.text[start:end]``.
        text: the repaired original text of the span (displayed and cited).
        search_text: normalized form for matching: simplified script, half-width, lower case.
        sentences: ``(start, end)`` of each sentence, relative to ``text``.
    """

    chunk_id: str
    doc_id: str
    start: int
    end: int
    text: str
    search_text: str
    sentences: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class Hit:
    """A retrieved chunk with its fused score and its rank in each retriever (1-based)."""

    chunk: Chunk
    score: float
    ranks: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Citation:
    """A quote that backs an answer: ``quote == doc.text[start:end]`` always holds."""

    n: int
    doc_id: str
    source: str
    title: str
    quote: str
    start: int
    end: int
    date: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "doc_id": self.doc_id,
            "source": self.source,
            "title": self.title,
            "date": self.date,
            "quote": self.quote,
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True, slots=True)
class Conflict:
    """A value another source gives for what was asked, where it differs from the answer's."""

    value: str
    citation: Citation

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "citation": self.citation.to_dict()}


@dataclass(frozen=True, slots=True)
class Answer:
    """What the engine returns for one question.

    ``query`` is the text retrieval actually used: the question itself, or, for a follow-up
    ("那累计呢？"), the question read against the previous turn ("累计社会捐赠一共多少？").
    The engine always fills it; ``""`` only on answers built elsewhere that record no query.
    """

    question: str
    answer: str
    abstained: bool
    citations: tuple[Citation, ...]
    mode: Literal["extractive", "llm"]
    timings: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    query: str = ""
    # other sources' differing values for the asked figure; the answer text says so too
    conflicts: tuple[Conflict, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "query": self.query or self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "mode": self.mode,
            "citations": [c.to_dict() for c in self.citations],
            "conflicts": [c.to_dict() for c in self.conflicts],
            "timings": dict(self.timings),
            "notes": list(self.notes),
        }


Verdict = Literal["supported", "contradicted", "not_found", "needs_review"]


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A value in a claim beside the value the source gives for it."""

    claim_value: str
    source_value: str

    def to_dict(self) -> dict[str, str]:
        return {"claim_value": self.claim_value, "source_value": self.source_value}


@dataclass(frozen=True, slots=True)
class FigureMark:
    """One figure of a claim and how it fared: ``start``/``end`` are offsets in the draft;
    ``status`` is ``supported``, ``contradicted``, ``rounding`` (close, not equal) or
    ``unverified``; ``source_value`` is what the source says, when one does."""

    start: int
    end: int
    status: str
    source_value: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "status": self.status,
                "source_value": self.source_value}


@dataclass(frozen=True, slots=True)
class ClaimCheck:
    """The verdict on one claim of a draft; ``start``/``end`` are offsets in the draft."""

    claim: str
    start: int
    end: int
    verdict: Verdict
    evidence: tuple[Citation, ...] = ()
    mismatches: tuple[Mismatch, ...] = ()
    note: str = ""
    figures: tuple[FigureMark, ...] = ()  # each figure of the claim, marked on its own

    def to_dict(self) -> dict[str, Any]:
        return {
            "claim": self.claim,
            "start": self.start,
            "end": self.end,
            "verdict": self.verdict,
            "evidence": [c.to_dict() for c in self.evidence],
            "mismatches": [m.to_dict() for m in self.mismatches],
            "note": self.note,
            "figures": [f.to_dict() for f in self.figures],
        }
