"""Questions that ask two things at once: "现场签约了几个项目，总投资多少？", "辦了幾期培訓班？
培訓了多少人？". The reader answers the first ask; the answer shown is the clauses of the
cited sentence from the first to the last of each ask's best span, so that both figures
are there, cut verbatim from the sentence. Sentence choice and abstention are unchanged.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ingest.normalize import search_form
from qa.candidates import Span, clauses
from qa.features import Idf

if TYPE_CHECKING:
    from qa.reader import Reader, Reading

# the parts of a question: split at a comma, semicolon or question mark
_PART = re.compile(r"[，,；;？?]")
# an interrogative of a part of its own (not 哪些, a list, nor 是否)
_ASK = re.compile(r"多少|几|谁|什么|哪(?!些)|何时|何地|怎么|如何")


def asks(question: str) -> list[str]:
    """The parts of ``question`` that each ask something, when there are two or more; else
    ``[]`` (one question, however long)."""
    found = [p.strip() for p in _PART.split(search_form(question)) if _ASK.search(p)]
    return found if len(found) >= 2 else []


def answer_span(reader: Reader, reading: Reading, parts: list[str], idf: Idf) -> Span | None:
    """The clauses of the reading's sentence from the first to the last of the best span
    that the span model finds there for each of ``parts`` (a figure, name, date or phrase, not
    a whole clause or sentence); None when there is no sentence or fewer than two parts have
    such a span there."""
    unit = reading.unit
    if unit is None:
        return None
    score = next((s for u, s in reading.ranked if u is unit), 0.0)
    found = []
    for part in parts:
        q = reader.view(part)
        best = next((sp for _u, sp, _p in reader.best_spans(q, [unit], [score], idf, reader.wh_id(q))
                     if sp.kind not in ("sentence", "clause")), None)
        if best is not None:
            found.append(best)
    if len(found) < 2:
        return None
    a, b = min(sp.start for sp in found), max(sp.end for sp in found)
    cl = clauses(unit.text)
    a = next((x for x, y in cl if x <= a < y), a)
    b = next((y for x, y in cl if x < b <= y), b)
    return Span(a, b, "clause")
