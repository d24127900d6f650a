"""Tests for ingest.split: sentences, chunk packing, and the llama-index node parser."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from llama_index.core import Document
from llama_index.core.schema import MetadataMode, TextNode

from ingest.normalize import search_form
from ingest.repair import repair_text
from ingest.split import (
    ChineseSentenceSplitter,
    chunk_document,
    chunk_spans,
    iter_chunk_spans,
    split_sentences,
)
from zhiwen.errors import InputError
from zhiwen.records import SourceDocument, make_chunk_id, make_doc_id

SEED = Path(__file__).parents[2] / "docs" / "000_3eb5a6fcadb296c6.txt"
END_MARKS = tuple("。！？；…") + tuple("”’」』）)》")


def make_doc(text: str, path: str = "docs/t.txt") -> SourceDocument:
    return SourceDocument(
        doc_id=make_doc_id(text), path=path, title="t", text_raw=text, text=text
    )


def sentences_of(text: str, **kwargs: int) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text, **kwargs)]


@pytest.fixture(scope="module")
def seed_text() -> str:
    return repair_text(SEED.read_text(encoding="utf-8"))


class TestSentences:
    def test_seed_sentences_end_at_a_mark_or_a_line_end(self, seed_text: str) -> None:
        spans = split_sentences(seed_text)
        assert len(spans) > 30
        for start, end in spans:
            assert seed_text[end - 1] in END_MARKS or end == len(seed_text) or (
                seed_text[end] == "\n"
            ), seed_text[start:end]

    def test_seed_sentence_is_whole(self, seed_text: str) -> None:
        assert "今年截至目前，社會捐贈折合共計約193萬元。" in sentences_of(seed_text)

    def test_spans_cover_all_text_without_edge_whitespace(self) -> None:
        text = "  第一句。 第二句！\n\n  第三句  \n第四句"
        spans = split_sentences(text)
        assert [text[a:b] for a, b in spans] == ["第一句。", "第二句！", "第三句", "第四句"]
        covered = "".join(text[a:b] for a, b in spans)
        assert covered == "".join(text.split())

    def test_closing_quote_stays_with_its_sentence(self) -> None:
        text = "他说：“行百里者半九十。”然后走了。"
        assert sentences_of(text) == ["他说：“行百里者半九十。”", "然后走了。"]

    def test_a_quotation_of_several_sentences_stays_whole(self) -> None:
        text = "“行百里者半九十。東西部協作是一項長期性工程。”沈志攀表示，接下來將堅持。"
        assert sentences_of(text) == ["“行百里者半九十。東西部協作是一項長期性工程。”",
                                      "沈志攀表示，接下來將堅持。"]

    def test_an_unclosed_or_overlong_quotation_still_splits(self) -> None:
        assert sentences_of("他说：“第一句。第二句。") == ["他说：“第一句。", "第二句。"]
        long = "“" + "很长的一句话。" * 30 + "”"
        assert len(sentences_of(long)) == 30
        # a quotation never joins lines
        assert sentences_of("“第一句。\n第二句。”") == ["“第一句。", "第二句。”"]

    def test_closing_brackets_stay(self) -> None:
        assert sentences_of("（详见附件。）下一句。") == ["（详见附件。）", "下一句。"]
        assert sentences_of("书名《好。》完。") == ["书名《好。》", "完。"]

    def test_ellipsis_is_one_end(self) -> None:
        assert sentences_of("等等……然后呢？！好。") == ["等等……", "然后呢？！", "好。"]

    def test_semicolon_ends_a_sentence(self) -> None:
        assert sentences_of("甲156萬元；乙27萬元。") == ["甲156萬元；", "乙27萬元。"]

    def test_ascii_marks_end_only_before_space_han_or_end(self) -> None:
        assert sentences_of("真的?好! 是;") == ["真的?", "好!", "是;"]
        assert sentences_of("见 http://a.cn/p?x=1;y=2 页") == ["见 http://a.cn/p?x=1;y=2 页"]
        assert sentences_of("當?shù)亟逃?、產業") == ["當?shù)亟逃?、產業"]

    def test_numbers_do_not_end_sentences(self) -> None:
        assert sentences_of("約1.93億元，增長3.5%。") == ["約1.93億元，增長3.5%。"]

    def test_hard_cap_prefers_a_comma(self) -> None:
        text = "字" * 80 + "，" + "字" * 200
        spans = split_sentences(text, hard_cap=100)
        assert spans[0] == (0, 81)
        assert all(b - a <= 100 for a, b in spans)
        assert "".join(text[a:b] for a, b in spans) == text

    def test_hard_cap_cuts_exactly_without_a_comma(self) -> None:
        text = "字" * 250
        assert split_sentences(text, hard_cap=100) == [(0, 100), (100, 200), (200, 250)]

    def test_hard_cap_ignores_a_comma_too_early(self) -> None:
        text = "字" * 10 + "，" + "字" * 200
        assert split_sentences(text, hard_cap=100)[0] == (0, 100)

    def test_hard_cap_at_a_space_drops_the_space(self) -> None:
        text = "word " * 50
        spans = split_sentences(text, hard_cap=100)
        assert all(not text[a:b].startswith(" ") and not text[a:b].endswith(" ") for a, b in spans)
        assert all(b - a <= 100 for a, b in spans)

    def test_invalid_hard_cap(self) -> None:
        with pytest.raises(ValueError, match="hard_cap"):
            split_sentences("好。", hard_cap=0)

    def test_empty_text(self) -> None:
        assert split_sentences("") == []
        assert split_sentences(" \n\n ") == []


class TestChunkSpans:
    def test_packing_with_one_sentence_overlap(self) -> None:
        text = "".join(f"第{i}句话有十个字。" for i in range(10))  # each sentence 9 chars
        spans = split_sentences(text)
        chunks = chunk_spans(text, spans, max_chars=30, overlap=1)
        assert [len(c.sentences) for c in chunks] == [3, 3, 3, 3, 2]
        for prev, nxt in pairwise(chunks):
            assert nxt.sentences[0] == prev.sentences[-1]
        assert chunks[-1].end == len(text)

    def test_no_overlap(self) -> None:
        text = "甲。" * 10
        chunks = chunk_spans(text, split_sentences(text), max_chars=4, overlap=0)
        assert [(c.start, c.end) for c in chunks] == [(i, i + 4) for i in range(0, 20, 4)]

    def test_overlap_dropped_when_it_would_not_fit(self) -> None:
        text = "短句。" + "长" * 27 + "。" + "尾句。"
        chunks = chunk_spans(text, split_sentences(text), max_chars=30, overlap=1)
        texts = [text[c.start : c.end] for c in chunks]
        assert texts == ["短句。", "长" * 27 + "。", "尾句。"]

    def test_sentence_longer_than_max_is_its_own_chunk(self) -> None:
        text = "甲。" + "长" * 50 + "。乙。"
        chunks = chunk_spans(text, split_sentences(text, hard_cap=1000), max_chars=10)
        assert [text[c.start : c.end] for c in chunks] == ["甲。", "长" * 50 + "。", "乙。"]

    def test_large_overlap_still_progresses(self) -> None:
        text = "甲。" * 20
        chunks = chunk_spans(text, split_sentences(text), max_chars=6, overlap=5)
        assert chunks[-1].end == len(text)
        starts = [c.start for c in chunks]
        assert starts == sorted(set(starts))

    def test_invalid_settings_and_spans(self) -> None:
        with pytest.raises(ValueError, match="max_chars"):
            chunk_spans("好。", [(0, 2)], max_chars=0)
        with pytest.raises(ValueError, match="overlap"):
            chunk_spans("好。", [(0, 2)], overlap=-1)
        with pytest.raises(ValueError, match="bad sentence span"):
            chunk_spans("好。", [(0, 5)])

    def test_streaming_matches_list(self) -> None:
        text = "第一句。第二句。第三句。"
        spans = split_sentences(text)
        assert list(iter_chunk_spans(iter(spans), 8, 1)) == chunk_spans(text, spans, 8, 1)


class TestChunkDocument:
    def test_offsets_and_fields_of_every_chunk(self, seed_text: str) -> None:
        doc = make_doc(seed_text)
        chunks = chunk_document(doc, max_chars=120)
        assert len(chunks) > 10
        for chunk in chunks:
            assert chunk.text == doc.text[chunk.start : chunk.end]
            assert len(chunk.text) <= 120
            assert chunk.doc_id == doc.doc_id
            assert chunk.chunk_id == make_chunk_id(doc.doc_id, chunk.start, chunk.end)
            assert chunk.search_text == search_form(chunk.text)
            for a, b in chunk.sentences:
                assert 0 <= a < b <= len(chunk.text)
            assert chunk.sentences[0][0] == 0 and chunk.sentences[-1][1] == len(chunk.text)
        assert chunks[0].start == 0 and chunks[-1].end == len(seed_text)

    def test_chunks_overlap_by_one_sentence(self, seed_text: str) -> None:
        chunks = chunk_document(make_doc(seed_text))
        for prev, nxt in pairwise(chunks):
            last = prev.sentences[-1]
            first = nxt.sentences[0]
            assert prev.text[last[0] : last[1]] == nxt.text[first[0] : first[1]]
            assert prev.start + last[0] == nxt.start

    def test_chunk_ids_are_deterministic(self, seed_text: str) -> None:
        first = [c.chunk_id for c in chunk_document(make_doc(seed_text))]
        second = [c.chunk_id for c in chunk_document(make_doc(seed_text))]
        assert first == second and len(set(first)) == len(first)
        other = [c.chunk_id for c in chunk_document(make_doc(seed_text + "新增一句。"))]
        assert set(first).isdisjoint(other)

    def test_search_text_finds_simplified_query(self, seed_text: str) -> None:
        chunks = chunk_document(make_doc(seed_text))
        hits = [c for c in chunks if "社会捐赠折合共计约193万元" in c.search_text]
        assert hits
        i = hits[0].search_text.index("社会捐赠折合共计约193万元")
        assert hits[0].text[i : i + 14] == "社會捐贈折合共計約193萬元"

    def test_empty_document_is_an_input_error(self) -> None:
        with pytest.raises(InputError, match=r"docs/empty\.txt"):
            chunk_document(make_doc(" \n ", path="docs/empty.txt"))

    def test_five_megabyte_line_without_punctuation(self) -> None:
        text = "中文没有标点的长句子" * 500_000
        chunks = chunk_document(make_doc(text), max_chars=300)
        assert len(chunks) == -(-len(text) // 300)
        assert all(len(c.text) <= 300 for c in chunks)
        assert chunks[-1].end == len(text)
        assert all(a.end == b.start for a, b in pairwise(chunks))


class TestChineseSentenceSplitter:
    def test_nodes_carry_offsets_and_metadata(self, seed_text: str) -> None:
        splitter = ChineseSentenceSplitter(max_chars=200)
        nodes = splitter.get_nodes_from_documents([Document(text=seed_text, metadata={"p": 1})])
        chunks = chunk_document(make_doc(seed_text), max_chars=200)
        assert len(nodes) == len(chunks)
        for node, chunk in zip(nodes, chunks, strict=True):
            assert isinstance(node, TextNode)
            assert (node.start_char_idx, node.end_char_idx) == (chunk.start, chunk.end)
            assert node.text == seed_text[chunk.start : chunk.end]
            assert node.node_id == chunk.chunk_id == node.metadata["chunk_id"]
            assert node.metadata["doc_id"] == make_doc_id(seed_text)
            assert node.metadata["sentences"] == [list(s) for s in chunk.sentences]
            assert node.metadata["p"] == 1
            assert "chunk_id" not in node.get_content(metadata_mode=MetadataMode.EMBED)

    def test_repeated_text_keeps_exact_offsets(self) -> None:
        text = "重复的句子。" * 12
        nodes = ChineseSentenceSplitter(max_chars=20).get_nodes_from_documents(
            [Document(text=text)]
        )
        spans = [(n.start_char_idx, n.end_char_idx) for n in nodes if isinstance(n, TextNode)]
        expected = chunk_spans(text, split_sentences(text), 20, 1)
        assert spans == [(c.start, c.end) for c in expected]

    def test_prev_next_relationships(self) -> None:
        nodes = ChineseSentenceSplitter(max_chars=6).get_nodes_from_documents(
            [Document(text="第一句话。第二句话。第三句话。")]
        )
        assert len(nodes) == 3
        assert nodes[1].prev_node is not None and nodes[1].next_node is not None

    def test_invalid_settings(self) -> None:
        with pytest.raises(ValueError, match="max_chars"):
            ChineseSentenceSplitter(max_chars=0)
        with pytest.raises(ValueError, match="overlap_sentences"):
            ChineseSentenceSplitter(overlap_sentences=-1)
