"""Split repaired Chinese text into sentences, and pack whole sentences into chunks.

Sentences end at ``。！？；…`` (a run such as ``……`` or ``？！`` is one end), at ASCII
``!?;`` when followed by whitespace, Chinese text or the end, and at every newline. Closing
quotes and brackets after the end mark stay with their sentence (``……半九十。”`` ends
after ``”``). A quotation of several sentences stays whole (``“行百里者半九十。东西部协作是
一项长期性工程。”`` is one sentence, the quote a reader would cite) unless it runs past
``QUOTE_SPAN`` characters. A sentence longer than ``hard_cap`` is cut, preferably after a
comma or at a space in the last 30% of the cap.

Everything works on offsets (``(start, end)`` into the text) with ``re`` scanning, so a
5 MB line costs linear time and memory proportional to the number of sentences.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from llama_index.core.bridge.pydantic import Field, model_validator
from llama_index.core.node_parser import NodeParser
from llama_index.core.node_parser.node_utils import default_id_func
from llama_index.core.schema import BaseNode, Document, NodeRelationship, TextNode
from llama_index.core.utils import get_tqdm_iterable

from ingest.normalize import search_form
from ingest.repair import HAN
from zhiwen.errors import InputError
from zhiwen.records import Chunk, SourceDocument, make_chunk_id, make_doc_id

# Bumped whenever sentence or chunk boundaries change: an index split by an older rule
# is re-split on the next ingest (its vectors come back from the embedding cache).
SPLIT_VERSION = 2
_CLOSERS = "”’」』）)》〉】〕"
# ASCII !?; end a sentence only before whitespace, Han, an opening quote or the line end:
# "?x=1" in a URL or "?shù" in mis-decoded text is no sentence end.
_END = re.compile(
    rf"(?:[。！？；…]|[!?;]+(?=[\s{HAN}“‘「『《（(]|$))+[{_CLOSERS}]*"
)
_OPEN_QUOTES = "“「『"
_CLOSE_QUOTES = "”」』"
QUOTE_SPAN = 150  # a quotation longer than this is split at its sentence ends after all
_SOFT_BREAK = re.compile(r"[，、,;；： ]")
_NON_SPACE = re.compile(r"\S")

Span = tuple[int, int]
# Bookkeeping metadata of a node, kept out of the text an embedder or LLM sees.
_NODE_ONLY_KEYS = ("doc_id", "chunk_id", "sentences")


class ChunkSpan(NamedTuple):
    """A chunk as offsets into the text, with the (absolute) spans of its sentences."""

    start: int
    end: int
    sentences: tuple[Span, ...]


def iter_sentences(text: str, hard_cap: int = 300) -> Iterator[Span]:
    """Yield ``(start, end)`` of each sentence of ``text``, in order.

    Spans never include leading or trailing whitespace, never cross a newline, never exceed
    ``hard_cap`` characters, and together cover every non-whitespace character.

    Raises:
        ValueError: if ``hard_cap`` is less than 1.
    """
    if hard_cap < 1:
        raise ValueError(f"hard_cap must be at least 1, got {hard_cap!r}")
    pos, n = 0, len(text)
    while pos < n:
        line_end = text.find("\n", pos)
        if line_end < 0:
            line_end = n
        start = pos
        for match in _END.finditer(text, pos, line_end):
            if _inside_quote(text, start, match.end(), line_end):
                continue
            yield from _trimmed(text, start, match.end(), hard_cap)
            start = match.end()
        yield from _trimmed(text, start, line_end, hard_cap)
        pos = line_end + 1


def _inside_quote(text: str, start: int, end: int, line_end: int) -> bool:
    """Is ``end`` inside a quotation opened since ``start`` that closes, within
    ``QUOTE_SPAN`` characters of its opening, later on the same line?"""
    depth, opened = 0, -1
    for i in range(start, end):
        ch = text[i]
        if ch in _OPEN_QUOTES:
            if depth == 0:
                opened = i
            depth += 1
        elif ch in _CLOSE_QUOTES and depth:
            depth -= 1
    if depth == 0:
        return False
    limit = min(line_end, opened + QUOTE_SPAN)
    return any(text.find(c, end, limit) >= 0 for c in _CLOSE_QUOTES)


def split_sentences(text: str, hard_cap: int = 300) -> list[Span]:
    """The sentence spans of ``text`` as a list (see :func:`iter_sentences`)."""
    return list(iter_sentences(text, hard_cap))


def _trimmed(text: str, start: int, end: int, hard_cap: int) -> Iterator[Span]:
    """``text[start:end]`` without edge whitespace, cut into pieces of at most ``hard_cap``."""
    while start < end:
        first = _NON_SPACE.search(text, start, end)
        if first is None:
            return
        start = first.start()
        stop = end
        while text[stop - 1].isspace():
            stop -= 1
        if stop - start <= hard_cap:
            yield start, stop
            return
        cut = _cap_cut(text, start, hard_cap)
        piece_end = cut
        while text[piece_end - 1].isspace():
            piece_end -= 1
        yield start, piece_end
        start = cut


def _cap_cut(text: str, start: int, hard_cap: int) -> int:
    """Where to cut an over-long sentence starting at ``start``: after the last comma or
    space in the final 30% of the cap, else exactly at the cap."""
    limit = start + hard_cap
    lo = start + max(1, (hard_cap * 7) // 10)
    cut = limit
    for found in _SOFT_BREAK.finditer(text, lo, limit):
        cut = found.end()
    return cut


def iter_chunk_spans(
    sentences: Iterable[Span], max_chars: int = 300, overlap: int = 1
) -> Iterator[ChunkSpan]:
    """Pack consecutive sentences into chunks of at most ``max_chars`` characters.

    A chunk runs from its first sentence's start to its last sentence's end. Consecutive
    chunks share their last/first ``overlap`` sentences, unless the shared sentences and the
    next sentence together exceed ``max_chars``, in which case the overlap shrinks (down to
    none). A single sentence longer than ``max_chars`` becomes a chunk of its own. Every
    chunk adds at least one new sentence, so the loop always ends.

    Raises:
        ValueError: if ``max_chars`` < 1 or ``overlap`` < 0.
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1, got {max_chars!r}")
    if overlap < 0:
        raise ValueError(f"overlap must not be negative, got {overlap!r}")
    buf: list[Span] = []
    for sent in sentences:
        if buf and sent[1] - buf[0][0] > max_chars:
            yield ChunkSpan(buf[0][0], buf[-1][1], tuple(buf))
            buf = buf[max(0, len(buf) - overlap) :] if overlap else []
            while buf and sent[1] - buf[0][0] > max_chars:
                buf.pop(0)
        buf.append(sent)
    if buf:
        yield ChunkSpan(buf[0][0], buf[-1][1], tuple(buf))


def chunk_spans(
    text: str, sentences: Sequence[Span], max_chars: int = 300, overlap: int = 1
) -> list[ChunkSpan]:
    """The chunks of ``text`` given its ``sentences`` (see :func:`iter_chunk_spans`).

    Raises:
        ValueError: if a sentence span is empty, out of order or outside ``text``, or if
            ``max_chars`` or ``overlap`` is invalid.
    """
    prev_end = 0
    for start, end in sentences:
        if not prev_end <= start < end <= len(text):
            raise ValueError(f"bad sentence span ({start}, {end}) for a text of {len(text)}")
        prev_end = end
    return list(iter_chunk_spans(sentences, max_chars, overlap))


def chunk_document(
    doc: SourceDocument, max_chars: int = 300, overlap_sentences: int = 1
) -> list[Chunk]:
    """Split ``doc.text`` into :class:`Chunk` records of whole sentences.

    Sentences longer than ``max_chars`` are cut at ``max_chars`` first, so no chunk exceeds
    it. Each chunk satisfies ``chunk.text == doc.text[chunk.start:chunk.end]``; its
    ``sentences`` are relative to the chunk; its id is ``make_chunk_id(doc_id, start, end)``,
    so re-chunking the same text gives the same ids.

    Raises:
        InputError: if the document has no text to split.
        ValueError: if ``max_chars`` < 1 or ``overlap_sentences`` < 0.
    """
    if not doc.text.strip():
        raise InputError(doc.path, "文档没有可切分的文字（修复后为空）")
    sentences = iter_sentences(doc.text, hard_cap=max_chars)
    return [
        _make_chunk(doc.doc_id, doc.text, span)
        for span in iter_chunk_spans(sentences, max_chars, overlap_sentences)
    ]


def _make_chunk(doc_id: str, text: str, span: ChunkSpan) -> Chunk:
    body = text[span.start : span.end]
    return Chunk(
        chunk_id=make_chunk_id(doc_id, span.start, span.end),
        doc_id=doc_id,
        start=span.start,
        end=span.end,
        text=body,
        search_text=search_form(body),
        sentences=tuple((a - span.start, b - span.start) for a, b in span.sentences),
    )


class ChineseSentenceSplitter(NodeParser):
    """A llama-index node parser that chunks Chinese text with :func:`iter_chunk_spans`.

    Each output ``TextNode`` holds one chunk, with ``start_char_idx``/``end_char_idx`` set
    to its offsets in the parent's text and metadata ``doc_id`` (the parent's ``doc_id``
    metadata, else the content hash of its text), ``chunk_id`` and ``sentences`` (spans
    relative to the node's text). With the default ``id_func`` the node id is the chunk id,
    so re-parsing the same text gives the same ids. The parent's text is split as given:
    repair it first with ``ingest.repair``. zhiwen's own pipeline calls
    :func:`chunk_document`; this serves llama-index applications (README, "Inside
    llama-index").
    """

    max_chars: int = Field(default=300, description="Longest chunk, in characters.")
    overlap_sentences: int = Field(default=1, description="Sentences shared by neighbours.")

    @model_validator(mode="after")
    def _check_settings(self) -> ChineseSentenceSplitter:
        if self.max_chars < 1:
            raise ValueError(f"max_chars must be at least 1, got {self.max_chars!r}")
        if self.overlap_sentences < 0:
            raise ValueError(
                f"overlap_sentences must not be negative, got {self.overlap_sentences!r}"
            )
        return self

    @classmethod
    def class_name(cls) -> str:
        return "ChineseSentenceSplitter"

    def _parse_nodes(
        self, nodes: Sequence[BaseNode], show_progress: bool = False, **kwargs: Any
    ) -> list[BaseNode]:
        out: list[BaseNode] = []
        for node in get_tqdm_iterable(nodes, show_progress, "Parsing nodes"):
            out.extend(self._split_node(node))
        return out

    def _postprocess_parsed_nodes(
        self, nodes: list[BaseNode], parent_doc_map: dict[str, Document]
    ) -> list[BaseNode]:
        # The base class re-derives offsets with str.find, which can land on an earlier copy
        # of a repeated passage; the offsets computed here are exact, so they are restored.
        exact = [(n.start_char_idx, n.end_char_idx) for n in nodes if isinstance(n, TextNode)]
        nodes = super()._postprocess_parsed_nodes(nodes, parent_doc_map)
        text_nodes = [n for n in nodes if isinstance(n, TextNode)]
        for node, (start, end) in zip(text_nodes, exact, strict=True):
            node.start_char_idx, node.end_char_idx = start, end
        return nodes

    def _split_node(self, node: BaseNode) -> list[TextNode]:
        """One ``TextNode`` per chunk of ``node``'s text."""
        text = node.get_content()
        given = node.metadata.get("doc_id")
        doc_id = given if isinstance(given, str) and given else make_doc_id(text)
        spans = iter_chunk_spans(
            iter_sentences(text, hard_cap=self.max_chars), self.max_chars, self.overlap_sentences
        )
        result: list[TextNode] = []
        for span in spans:
            chunk_id = make_chunk_id(doc_id, span.start, span.end)
            node_id = chunk_id if self.id_func is default_id_func else None
            hidden = list(_NODE_ONLY_KEYS)
            result.append(
                TextNode(
                    id_=node_id or self.id_func(len(result), node),
                    text=text[span.start : span.end],
                    start_char_idx=span.start,
                    end_char_idx=span.end,
                    metadata={
                        **(node.metadata if self.include_metadata else {}),
                        "doc_id": doc_id,
                        "chunk_id": chunk_id,
                        "sentences": [[a - span.start, b - span.start] for a, b in span.sentences],
                    },
                    excluded_embed_metadata_keys=[*node.excluded_embed_metadata_keys, *hidden],
                    excluded_llm_metadata_keys=[*node.excluded_llm_metadata_keys, *hidden],
                    relationships={NodeRelationship.SOURCE: node.as_related_node_info()},
                )
            )
        return result
