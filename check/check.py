"""Fact-checking a draft (核稿): every claim against the record, figure for figure.

A draft is split into claims (sentences, and clauses at ``；``) that keep their offsets in
the draft. For each claim the index is searched, and each figure of the claim is paired
with the source figure that is about the same thing: a compatible unit and counted noun,
the same time scope (今年 / 累计), and the claim's words around the figure found around the
source figure (IDF-weighted). The pair is judged by :func:`text.compare.compare`; people
named by role, people named in the same event and unknown place names are compared too.

Verdicts (see :class:`zhiwen.records.ClaimCheck`):

* ``supported``: every checkable fact of the claim is stated by the sources (a claim
  without figures or names needs nearly all its content words in one source sentence);
* ``contradicted``: some figure, year, date, count or name differs from the source's
  (``claim 200万元 ≠ source 约193万元``), a qualifier points the other way (超过800万 vs
  近800万), or a figure of one time scope is the source's figure of the other;
* ``needs_review``: a rounding a person should judge (约190万 vs 约193万), or a claim of
  which part is backed and part is found nowhere;
* ``not_found``: nothing in the sources speaks to it.

Everything is deterministic. An optional LLM (see :mod:`check.check_llm`) may only judge
claims that carry no figures, dates or names; it never overrides a figure.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from check.claim_facts import Fact, judge_figure, judge_names
from check.evidence import EvidencePool, Source
from ingest.normalize import search_form
from ingest.split import iter_sentences
from qa.engine import Engine
from text.facts import content_terms, fact_figures
from text.lexicon import CJK
from zhiwen.records import Citation, ClaimCheck, FigureMark, Mismatch, Verdict

SUPPORT_COVER = 0.75  # a claim without facts needs this share of its words in one sentence
PARTIAL_COVER = 0.5  # a backed claim with less of its words in the evidence is reviewed

_MD_MARK = re.compile(
    r"(?:#{1,6}\s*|[-*+•]\s+|>\s*|\d{1,3}[.、)）](?!\d)\s*|[（(][一二三四五六七八九十\d]{1,3}[)）]\s*"
    r"|[一二三四五六七八九十]{1,3}、\s*)+"
)
_END_MARK = re.compile(r"[。！？；…!?;.]")


@dataclass(frozen=True, slots=True)
class ClaimSpan:
    """One claim of a draft: ``text == draft[start:end]``."""

    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class CheckReport:
    """The checked claims of one draft, in draft order."""

    claims: tuple[ClaimCheck, ...]
    mode: Literal["extractive", "llm"] = "extractive"
    timings: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def counts(self) -> dict[str, int]:
        """How many claims got each verdict."""
        out = {"supported": 0, "contradicted": 0, "needs_review": 0, "not_found": 0}
        for c in self.claims:
            out[c.verdict] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"claims": [c.to_dict() for c in self.claims], "summary": self.counts(),
                "mode": self.mode, "timings": dict(self.timings), "notes": list(self.notes)}  # fmt: skip


def split_claims(draft: str) -> list[ClaimSpan]:
    """The claims of a draft: its sentences, with clauses at ``；`` as claims of their own.

    Offsets are into ``draft``. Markdown and list markers at a line start (``#``, ``-``,
    ``1.``, ``（一）``, ``一、``) are left out of the claim; a short line without end
    punctuation and without figures (a heading) is not a claim.
    """
    out = []
    for start, b in iter_sentences(draft):
        line_start = draft.rfind("\n", 0, start) + 1
        at_line_start = not draft[line_start:start].strip()
        m = _MD_MARK.match(draft, start, b) if at_line_start else None
        a = m.end() if m else start
        text = draft[a:b].strip()
        if not text or not re.search(rf"[{CJK}0-9]", text):
            continue
        if at_line_start and _is_heading(draft, b, text):
            continue
        a = draft.index(text, a)
        out.append(ClaimSpan(text, a, a + len(text)))
    return out


def _is_heading(draft: str, end: int, text: str) -> bool:
    """A whole short line without end punctuation or figures (``一、总体情况``)."""
    line_end = draft.find("\n", end)
    if (draft[end:] if line_end < 0 else draft[end:line_end]).strip():
        return False
    return not _END_MARK.search(text[-1]) and len(text) <= 20 and not fact_figures(text, search_form(text))


class Checker:
    """Checks drafts against one loaded index.

    Args:
        engine: the answer engine (its index, ranker and citations are used).
        k: how many chunks to read candidate evidence from, per claim.
        dense: also retrieve by embedding (one embedding per claim: slower, finds
            paraphrases); the default keyword retrieval suits claims, which reuse the
            sources' words.
        llm: an LLM (:func:`llm.client.make_llm`) asked only about claims without figures,
            dates or names that the words alone leave unfound (see :mod:`check.check_llm`).
    """

    def __init__(self, engine: Engine, *, k: int = 8, dense: bool = False, llm: Any = None) -> None:
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        self.engine = engine
        self.pool = EvidencePool(engine, k=k, dense=dense)
        self.llm = llm
        self._llm_error = ""

    def check(self, draft: str) -> CheckReport:
        """Check every claim of ``draft`` (see :func:`split_claims`)."""
        t0 = time.perf_counter()
        results = []
        for span in split_claims(draft):
            para = draft.rfind("\n", 0, span.start) + 1
            results.append(self.check_claim(span, search_form(draft[para : span.start])))
        ms = round((time.perf_counter() - t0) * 1000, 1)
        notes = (f"大模型不可用，已只用确定性核对：{self._llm_error}",) if self._llm_error else ()
        mode: Literal["extractive", "llm"] = "llm" if self.llm is not None else "extractive"
        return CheckReport(tuple(results), mode, {"check_ms": ms}, notes)

    def check_claim(self, span: ClaimSpan, lead: str = "") -> ClaimCheck:
        """The verdict on one claim; ``lead`` is the search form of the draft paragraph
        before it (a time scope stated there applies to the claim)."""
        form = search_form(span.text)
        sources = self.pool.sources(span.text)
        weights = {t: self.pool.idf(t) for t in content_terms(form)}
        figs = fact_figures(span.text, form, lead)
        facts = [judge_figure(self.pool, form, f, weights, sources) for f in figs]
        marks = tuple(FigureMark(span.start + f.q.start, span.start + f.q.end, fact.status, fact.source_value)
                      for f, fact in zip(figs, facts, strict=True))
        facts += judge_names(self.pool, form, weights, sources)
        result = replace(self._verdict(span, form, weights, sources, facts), figures=marks)
        if self.llm is not None and not facts and result.verdict == "not_found" and not self._llm_error:
            result = self._ask_llm(result, weights, sources)
        return result

    def _ask_llm(self, result: ClaimCheck, weights: dict[str, float], sources: list[Source]) -> ClaimCheck:
        """Let the LLM judge a claim without figures or names that the words leave unfound."""

        from check.check_llm import judge_paraphrase
        from zhiwen.errors import LLMError

        ranked = sorted(sources, key=lambda s: -s.about(weights, None))[:3]
        if not ranked or ranked[0].about(weights, None) == 0:
            return result
        try:
            judged = judge_paraphrase(self.llm, result.claim, [s.cand.text for s in ranked])
        except LLMError as exc:
            self._llm_error = str(exc)
            return result
        if judged == "unrelated":
            return result
        evidence = self._citations(ranked)
        if judged == "supported":
            return replace(result, verdict="supported", evidence=evidence,
                           note="没有可核对的数字或名称，大模型判断资料支持这一说法")
        return replace(result, verdict="needs_review", evidence=evidence,
                       note="没有可核对的数字或名称，大模型认为与资料矛盾，请人工判断")

    # -- verdict -----------------------------------------------------------------------
    def _verdict(self, span: ClaimSpan, form: str, weights: dict[str, float],
                 sources: list[Source], facts: list[Fact]) -> ClaimCheck:
        def make(verdict: Verdict, used: list[Fact], note: str = "",
                 extra: Source | None = None) -> ClaimCheck:
            srcs = [s for f in used for s in f.sources] + ([extra] if extra else [])
            return ClaimCheck(span.text, span.start, span.end, verdict,
                              self._citations(srcs),
                              tuple(Mismatch(f.claim_value, f.source_value) for f in used
                                    if f.status in ("contradicted", "rounding")),
                              note)  # fmt: skip

        bad = [f for f in facts if f.status == "contradicted"]
        if bad:
            return make("contradicted", bad, "；".join(f.note for f in bad if f.note))
        rounding = [f for f in facts if f.status == "rounding"]
        ok = [f for f in facts if f.status == "supported"]
        missing = [f.claim_value for f in facts if f.status == "unverified"]
        if rounding:
            return make("needs_review", rounding + ok, "；".join(f.note for f in rounding))
        if ok and missing:
            return make("needs_review", ok, "资料中找不到：" + "、".join(missing))
        if missing:
            return make("not_found", [], "资料中找不到：" + "、".join(missing))
        base, cover, best = _coverage(weights, sources, _used(ok))
        if ok:
            if base >= PARTIAL_COVER:
                return make("supported", ok)
            if cover < PARTIAL_COVER:
                seen = [*_used(ok), *([best] if best else [])]
                gaps = [t for t in weights if not any(t in s.form or t in s.lead for s in seen)]
                return make("needs_review", ok, "可核对的部分相符，但这些说法资料中未见："
                            + "、".join(gaps[:6]), extra=best)
            return make("supported", ok, extra=best)
        if best is not None and cover >= SUPPORT_COVER:
            return make("supported", [], extra=best)
        return make("not_found", [], "资料中没有相关内容")

    def _citations(self, sources: list[Source]) -> tuple[Citation, ...]:
        seen: list[Source] = []
        for s in sources:
            if all(s.key != t.key for t in seen):
                seen.append(s)
        return tuple(self.engine.citation(n, s.cand) for n, s in enumerate(seen, 1))


def _used(facts: list[Fact]) -> list[Source]:
    return [s for f in facts for s in f.sources]


def _coverage(weights: dict[str, float], sources: list[Source],
              used: list[Source]) -> tuple[float, float, Source | None]:
    """The share of the claim's words found in the sentences already used (with their
    lead-ins); the share with the one candidate sentence that adds most; that sentence."""
    total = sum(weights.values())
    if not total:
        return 0.0, 0.0, None
    found = {t for t in weights if any(t in s.form or t in s.lead for s in used)}
    base = sum(weights[t] for t in found) / total
    best, best_cover = None, base
    for src in sources:
        cover = sum(w for t, w in weights.items() if t in found or t in src.form) / total
        if cover > best_cover:
            best, best_cover = src, cover
    return base, best_cover, best
