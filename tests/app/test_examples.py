"""The chat tab's example questions come from what the library answers."""

from __future__ import annotations

from pathlib import Path

from ui.chat import examples_html, library_examples
from zhiwen.session import open as open_session


def test_seed_library_keeps_the_stock_examples_it_answers(seed_index_dir: Path) -> None:
    session = open_session(seed_index_dir)
    shown = library_examples(session)
    assert "今年社会捐赠一共多少？" in shown
    for q in shown:
        a = session.engine.extractive(q)
        assert not a.abstained and a.citations, q
    assert library_examples(session) is shown  # checked once per session


def test_another_library_gets_examples_from_its_own_documents(roads_session) -> None:  # type: ignore[no-untyped-def]
    session = roads_session
    shown = library_examples(session)
    assert shown, "a library with a titled document gets at least one example"
    assert any(q.startswith("总结一下清河区") for q in shown)
    for q in shown:
        assert not session.engine.extractive(q).abstained, q
    html = examples_html(shown)
    assert "总结一下清河区" in html and "今年社会捐赠" not in html


def test_no_library_no_examples() -> None:
    assert library_examples(None) == ()
    assert "zw-example\"" not in examples_html(())
    assert "试试这样问" not in examples_html(())
