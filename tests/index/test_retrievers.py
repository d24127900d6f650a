"""Hybrid retrieval over the real seed index, on both backends (folder and Milvus Lite):
scripts and languages find the same facts."""

from __future__ import annotations

from llama_index.core.schema import QueryBundle

from index.retrievers import DenseRetriever, HybridRetriever, KeywordRetriever


def test_simplified_question_finds_this_years_donation_first(any_index) -> None:  # type: ignore[no-untyped-def]
    hits = any_index.search("今年社会捐赠共计多少", 5)
    assert "193" in hits[0].chunk.text
    assert set(hits[0].ranks) <= {"dense", "bm25"} and hits[0].ranks


def test_traditional_question_finds_the_same_top_hit(any_index) -> None:  # type: ignore[no-untyped-def]
    simp = any_index.search("今年社会捐赠共计多少", 5)
    trad = any_index.search("今年社會捐贈共計多少", 5)
    assert trad[0].chunk.chunk_id == simp[0].chunk.chunk_id


def test_english_question_has_the_figure_in_top_three(any_index) -> None:  # type: ignore[no-untyped-def]
    hits = any_index.search("How much was donated this year?", 3)
    assert any("193" in h.chunk.text for h in hits)


def test_keyword_retriever_scores_chinese(any_index) -> None:  # type: ignore[no-untyped-def]
    ranked = any_index.keyword("德江班 技工学校", 3)
    assert ranked and ranked[0][1] > 0
    assert "德江班" in any_index.chunk(ranked[0][0]).text


def test_llama_index_retrievers_return_nodes_with_offsets(any_index) -> None:  # type: ignore[no-untyped-def]
    for cls in (DenseRetriever, KeywordRetriever, HybridRetriever):
        nodes = cls(any_index, similarity_top_k=3).retrieve(QueryBundle("社会捐赠"))
        assert 0 < len(nodes) <= 3
        for n in nodes:
            doc = any_index.doc(n.node.metadata["doc_id"])
            assert doc.text[n.node.start_char_idx : n.node.end_char_idx] == n.node.get_content()
