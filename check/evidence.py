"""Candidate evidence for a claim: the sentences of the best chunks, analysed once each.

:class:`EvidencePool` retrieves for a claim and returns :class:`Source` records (a ranked
sentence plus its figures, people, places and paragraph lead-in). Analyses are cached per
sentence, so checking a long draft costs one retrieval per claim and one analysis per
distinct source sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from index.retrievers import DEFAULT_CANDIDATES
from ingest.normalize import search_form
from qa.candidates import Unit, paragraph_lead, units
from qa.engine import Engine
from text.facts import Figure, RoleFact, content_terms, fact_figures, place_names, role_facts

# Where a claim's word is found in a source: in the figure's own clause, elsewhere in the
# sentence, or only in the paragraph's lead-in (a heading such as "深化消费协作").
_IN_CLAUSE, _IN_SENTENCE, _IN_LEAD = 1.0, 0.7, 0.4


@dataclass(slots=True)
class Source:
    """One candidate evidence sentence and what it states (all forms are search forms)."""

    cand: Unit
    form: str
    lead: str
    figures: list[Figure]
    roles: list[RoleFact]
    places: list[str]
    _clause_terms: dict[tuple[int, int], list[str]] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, int]:
        return self.cand.chunk.doc_id, self.cand.doc_start

    def about(self, weights: dict[str, float], clause: tuple[int, int] | None) -> float:
        """IDF-weighted share of the claim's words found here, ``clause`` (if given) counting
        fully, the rest of the sentence less, the paragraph lead-in least; in [0, 1]."""
        total = sum(weights.values())
        if not total:
            return 0.0
        inner = self.form[clause[0] : clause[1]] if clause else self.form
        got = 0.0
        for term, w in weights.items():
            if term in inner:
                got += w * _IN_CLAUSE
            elif term in self.form:
                got += w * _IN_SENTENCE
            elif term in self.lead:
                got += w * _IN_LEAD
        return got / total

    def extra(self, claim_form: str, clause: tuple[int, int], idf: Callable[[str], float]) -> float:
        """IDF-weighted share of the words of a source clause that the claim lacks (a
        clause about something else, such as another donor, scores high)."""
        terms = self._clause_terms.get(clause)
        if terms is None:
            terms = self._clause_terms[clause] = content_terms(self.form[clause[0] : clause[1]])
        total = sum(idf(t) for t in terms)
        return sum(idf(t) for t in terms if t not in claim_form) / total if total else 0.0


class EvidencePool:
    """Retrieves candidate sentences for claims over one engine's index, with caches."""

    def __init__(self, engine: Engine, *, k: int = 8, dense: bool = False) -> None:
        self.engine = engine
        self.k = k
        self.dense = dense
        self._sources: dict[tuple[str, int], Source] = {}
        self._idf: dict[str, float] = {}
        self._doc_forms: dict[str, str] = {}
        self._unknown_idf: float | None = None

    def idf(self, term: str) -> float:
        if term not in self._idf:
            self._idf[term] = self.engine.idf(term)
        return self._idf[term]

    def in_corpus(self, term: str) -> bool:
        """Whether some indexed chunk contains ``term`` as a keyword token."""
        if self._unknown_idf is None:
            self._unknown_idf = self.engine.idf("")  # never a token: the unseen-term IDF
        return self.idf(term) < self._unknown_idf

    def candidates(self, text: str) -> list[Unit]:
        """The sentences of the ``k`` best chunks for ``text``: by keyword retrieval in
        chunk and sentence order, or (``dense``) hybrid retrieval in the ranker's order."""
        if self.dense:
            return self.engine.rank(text, self.k)[1]
        index = self.engine.index
        hits = index.fuse({"bm25": index.keyword(text, DEFAULT_CANDIDATES)}, self.k)
        return units(hits)  # in chunk and sentence order: claims are paired by facts

    def sources(self, text: str) -> list[Source]:
        """Analysed candidate sentences for a claim, best first."""
        return [self.source(c) for c in self.candidates(text)]

    def source(self, cand: Unit) -> Source:
        key = (cand.chunk.doc_id, cand.doc_start)
        src = self._sources.get(key)
        if src is None:
            doc = self.engine.index.doc(cand.chunk.doc_id)
            lead = search_form(paragraph_lead(doc.text, cand.doc_start))
            src = Source(cand, cand.form, lead, fact_figures(cand.text, cand.form, lead),
                         role_facts(cand.form), place_names(cand.form))
            self._sources[key] = src
        return src

    def doc_form(self, doc_id: str) -> str:
        if doc_id not in self._doc_forms:
            self._doc_forms[doc_id] = search_form(self.engine.index.doc(doc_id).text)
        return self._doc_forms[doc_id]

    def known(self, name: str, sources: list[Source]) -> bool:
        """Whether ``name`` occurs in any document the candidate sources come from."""
        docs = dict.fromkeys(s.cand.chunk.doc_id for s in sources)
        return any(name in self.doc_form(d) for d in docs)
