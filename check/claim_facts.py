"""Judging the facts of one claim against candidate evidence: figures (paired with the
source figure about the same thing, then compared by :func:`text.compare.compare`), people
named by role or in the same event, and place names the sources do not know.

See :mod:`check.check` for how the facts of a claim make its verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from check.evidence import EvidencePool, Source
from text.compare import compare, format_quantity, units_compatible
from text.facts import Figure, orgs_compatible, place_names, role_facts, same_name
from text.numbers import Comparison
from text.scope import Scope, scope_label

MIN_ABOUT = 0.5  # share of the claim's words a source must hold to be about the same thing
NEAR = 0.15  # source figures this close to the best are weighed by value too
FactStatus = Literal["supported", "contradicted", "rounding", "unverified"]


@dataclass(frozen=True, slots=True)
class Fact:
    """The outcome for one checkable fact of a claim (a figure, a role, a name, a place)."""

    status: FactStatus
    claim_value: str
    source_value: str = ""
    sources: tuple[Source, ...] = ()
    note: str = ""


def judge_figure(pool: EvidencePool, form: str, fig: Figure, weights: dict[str, float],
                 sources: list[Source]) -> Fact:
    """Pair one claim figure with the source figure about the same thing and judge it.

    A source figure qualifies when it is :func:`_comparable` and its context holds at least
    :data:`MIN_ABOUT` of the claim's words around the figure (:meth:`Source.about`, less
    half the share of its clause's words the claim lacks). Among those of the claim's time
    scope, the best-fitting ones (within :data:`NEAR`) are compared and the best verdict
    wins (match, then rounding, then a qualifier conflict, then a mismatch). With none of
    the claim's scope, the same value given for the other scope is a contradiction; with
    no qualifying figure at all the fact is ``unverified``.
    """
    local = _local_weights(form, fig, weights, pool.in_corpus)
    pairs = []
    for src in sources:
        for sf in src.figures:
            if not _comparable(fig, sf):
                continue
            about = src.about(local, sf.clause)
            if about < MIN_ABOUT:
                continue
            fit = about - 0.5 * src.extra(form, sf.clause, pool.idf)
            pairs.append((fit, src, sf))
    claim_value = format_quantity(fig.q)
    same = [p for p in pairs if _scopes_agree(fig.scope, p[2].scope)]
    if not same:
        return _scope_clash(fig, claim_value, pairs)
    best = max(p[0] for p in same)
    near = [(_RANK[compare(fig.q, sf.q)], fit, src, sf) for fit, src, sf in same if fit >= best - NEAR]
    near.sort(key=lambda p: (p[0], -p[1]))
    _, _, src, sf = near[0]
    verdict = compare(fig.q, sf.q)
    source_value = format_quantity(sf.q)
    if verdict == "match":
        return Fact("supported", claim_value, source_value, (src,))
    if verdict == "rounding":
        return Fact("rounding", claim_value, source_value, (src,),
                    f"{claim_value} 与资料中的 {source_value} 相近，可能是取整，请人工判断")
    used: tuple[Source, ...] = (src,)
    if fig.scope == Scope.NONE:
        by_scope = _by_scope(near)
        if by_scope:
            source_value, used = by_scope
    note = _other_scope_note(fig, pairs)
    return Fact("contradicted", claim_value, source_value, used, note)


def _scope_clash(fig: Figure, claim_value: str, pairs: list[tuple[float, Source, Figure]]) -> Fact:
    """No source figure of the claim's time scope: the claim's value given for the
    other scope is a contradiction (今年 360万 where 360万 is the cumulative sum)."""
    for _fit, src, sf in sorted(pairs, key=lambda p: -p[0]):
        if compare(fig.q, sf.q) == "match":
            return Fact("contradicted", f"{_scope_prefix(fig.scope)} {claim_value}".strip(),
                        f"{_scope_prefix(sf.scope)} {format_quantity(sf.q)}".strip(), (src,),
                        f"资料中的 {format_quantity(sf.q)} 是{scope_label(sf.scope)}的数字，"
                        f"不是{scope_label(fig.scope)}的数字")
    return Fact("unverified", claim_value)


def _other_scope_note(fig: Figure, pairs: list[tuple[float, Source, Figure]]) -> str:
    """A note when the claim's figure is (about) the source's figure of the other scope."""
    for _fit, _src, sf in pairs:
        if not _scopes_agree(fig.scope, sf.scope) and compare(fig.q, sf.q) in ("match", "rounding"):
            return (f"{format_quantity(sf.q)} 是资料中{scope_label(sf.scope)}的数字，"
                    f"{scope_label(fig.scope)}的数字另有记载")
    return ""


def judge_names(pool: EvidencePool, form: str, weights: dict[str, float],
                sources: list[Source]) -> list[Fact]:
    """People named by role, people named in the same event, unknown place names."""
    facts: list[Fact] = []
    claimed = role_facts(form)
    for rf in claimed:
        if rf.role == "领导":
            continue
        same_role = [(src.about(weights, None), src, sr) for src in sources for sr in src.roles
                     if sr.role == rf.role and orgs_compatible(rf.org, sr.org)]  # fmt: skip
        if not same_role:
            facts.append(Fact("unverified", f"{rf.org}{rf.role}{rf.name}"))
        elif any(same_name(rf.name, sr.name) for _, _, sr in same_role):
            src = next(s for _, s, sr in same_role if same_name(rf.name, sr.name))
            facts.append(Fact("supported", rf.name, rf.name, (src,)))
        else:
            _, src, sr = max(same_role, key=lambda p: p[0])
            facts.append(Fact("contradicted", rf.name, sr.name, (src,),
                              f"资料中{sr.org or rf.org}{sr.role}是{sr.name}"))
    named = {rf.name for rf in claimed}
    known = {sr.name for src in sources for sr in src.roles}
    people = [p for p in known if p in form and not any(same_name(p, n) for n in named)]
    places = [p for p in place_names(form) if not pool.known(p, sources)]
    if not people and not places:
        return facts
    plain = {t: w for t, w in weights.items() if not any(t in x or x in t for x in people + places)}
    ranked = sorted(sources, key=lambda s: -s.about(plain, None))
    best = ranked[0] if ranked and ranked[0].about(plain, None) >= MIN_ABOUT else None
    facts += [_person_fact(p, best, known) for p in people]
    facts += [_place_fact(p, best, form) for p in places]
    return facts


_RANK: dict[Comparison, int] = {"match": 0, "rounding": 1, "qualifier_conflict": 2, "mismatch": 3}


def _comparable(claim: Figure, source: Figure) -> bool:
    """Same kind of quantity: dates and years with each other, ordinals with ordinals,
    other figures when their units fit and what they count (if both say) shares a word."""
    a, b = claim.q, source.q
    if {a.kind, b.kind} & {"date", "year"}:
        return {a.kind, b.kind} <= {"date", "year"}
    if (a.kind == "ordinal") != (b.kind == "ordinal") or (a.kind == "percent") != (b.kind == "percent"):
        return False
    if not units_compatible(a.unit, b.unit):
        return False
    return not (claim.noun and source.noun and not set(claim.noun) & set(source.noun))


def _local_weights(form: str, fig: Figure, weights: dict[str, float],
                   in_corpus: Callable[[str], bool]) -> dict[str, float]:
    """The claim's words weighted for one figure: those of its own clause fully, the rest
    at 0.2 (a date or year only by its own clause); all fully when the clause has none.
    Words outside the clause that no source uses are left out: they say something more
    about the claim (judged by coverage), not which source figure it is about."""
    clause = form[fig.clause[0] : fig.clause[1]]
    if not any(t in clause for t in weights):
        return weights
    rest = 0.0 if fig.q.kind in ("date", "year") else 0.2
    return {t: w if t in clause else (rest * w if in_corpus(t) else 0.0) for t, w in weights.items()}


def _by_scope(near: list[tuple[int, float, Source, Figure]]) -> tuple[str, tuple[Source, ...]] | None:
    """For a claim that names no time scope: the source's figure for each scope it states
    (``约193万元（今年）、超过800万元（累计）``) and their sentences; None when they all
    state one value."""
    best: dict[Scope, tuple[Source, Figure]] = {}
    for _rank, _fit, src, sf in near:
        best.setdefault(sf.scope, (src, sf))
    if len({format_quantity(sf.q) for _, sf in best.values()}) < 2:
        return None
    text = "、".join(f"{format_quantity(sf.q)}（{scope_label(scope)}）" for scope, (_, sf) in best.items())
    return text, tuple(src for src, _ in best.values())


def _scopes_agree(claim: Scope, source: Scope) -> bool:
    """A figure without a time scope agrees with either scope."""
    return claim == Scope.NONE or source == Scope.NONE or claim == source


def _scope_prefix(scope: Scope) -> str:
    """今年 or 累计 to put before a value; nothing for a figure without a scope."""
    return "" if scope == Scope.NONE else scope_label(scope)


def _person_fact(name: str, best: Source | None, known: set[str]) -> Fact:
    """A person the claim names, against the best source about the same event: backed when
    it names them, contradicted when it names other known people instead."""
    if best is None:
        return Fact("unverified", name)
    if name in best.form:
        return Fact("supported", name, name, (best,))
    others = [r.name for r in best.roles] + sorted(k for k in known if k in best.form)
    if others:
        return Fact("contradicted", name, "、".join(dict.fromkeys(others)), (best,),
                    f"资料中这件事的人物是 {'、'.join(dict.fromkeys(others))}")
    return Fact("unverified", name)


def _place_fact(place: str, best: Source | None, claim_form: str) -> Fact:
    if best is not None:
        rivals = [p for p in best.places if p[-1] == place[-1] and p not in claim_form]
        if rivals:
            return Fact("contradicted", place, "、".join(rivals), (best,))
    return Fact("unverified", place)
