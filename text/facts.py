"""What a sentence states, in a form two sentences can be compared by: its figures (with
what each counts and its time scope), people named by role, place names and content terms.

Shared by the fact-checker (:mod:`check.check`) and the talking points (:mod:`points.points`).
Time scope is :mod:`text.scope`'s; the word lists (surnames, role titles, scope words) are
data files read by :mod:`text.lexicon`.
Everything here reads the *search form* of a text (simplified, half-width, lower case; see
:func:`ingest.normalize.search_form`), which has the same length as the original, so every
offset found here is also an offset into the original text.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from index.bm25 import tokenize
from text.lexicon import CJK, is_cjk, role_titles, scope_words, surnames
from text.numbers import Quantity, find_quantities
from text.scope import Scope, scope_at

_CLAUSE_END = re.compile(r"[，,；;。！？!?：:]")
# Stop words beyond bm25's list: function words and the generic units of figures.
_EXTRA_STOP = frozenset(
    "万元 亿元 万 亿 元 达 约 近 超 超过 共计 总计 合计 折合 已 还 等 多 余 进行 开展 "
    "同时 进一步 继续 持续 方面 相关 有关 以及".split()
)
# Characters that end the name of what a figure counts (``192个党支部及22个…``).
_NOUN_STOP = set("至到在向为用于的和与及、等并将从对把被是了已入共达约近超 ，,。；;：:！？!?（）()“”\"《》")
_NUMERAL_CHARS = set("〇零一二两三四五六七八九十百千万亿元个名人次余多")
NOUN_UNITS = frozenset("村 镇 乡 县".split())

# Characters that follow a two-character name rather than finish a three-character one.
_NAME_STOP = set("出表说在和与及等带率还参对向主指讲介到同也就都是为将已于的了会书镇县市长领"
                 "、，,。；;：:！？!?（）() 一二三四五六七八九十")
_PLACE_SUFFIX = "村镇县市省乡"
_PLACE = re.compile(rf"(?=([{CJK}]{{2}}[{_PLACE_SUFFIX}]))")
_NOT_IN_PLACE = set(_PLACE_SUFFIX) | set("等与和及向在对为的了是由从到把被共其各该本全每于用")
_ORG_TAIL = re.compile(rf"[{CJK}]{{2,6}}?(?:镇|县|市|省|乡|区|村|工商联|商会|公司|党委|政府)$")

# Surnames that do not start a name after a role word: 县长明确要求 is not 县长 + 明确.
# (和 is one too, but _NAME_STOP already stops it: 县长和书记.)
_NOT_NAME_AFTER_ROLE = frozenset("明")


@functools.cache
def _role_regex() -> re.Pattern[str]:
    """A role title (:func:`text.lexicon.role_titles`), longest first, optionally 副."""
    return re.compile("副?(?:" + "|".join(sorted(role_titles(), key=len, reverse=True)) + ")")


@functools.cache
def _role_surnames() -> frozenset[str]:
    """The surnames a name after a role word must start with, which keeps "德江县长堡镇"
    (县长 + 堡) and "清溪镇长期以来" (镇长 + 期) from reading as people."""
    return surnames() - _NOT_NAME_AFTER_ROLE


@dataclass(frozen=True, slots=True)
class Figure:
    """A figure in a sentence with what makes it comparable.

    Attributes:
        q: the quantity; its offsets are relative to the sentence.
        clause: ``(start, end)`` of the clause holding it, relative to the sentence.
        scope: this year's, cumulative or none (:func:`text.scope.scope_at`).
        noun: what it counts, when a noun follows the measure word (``192个党支部`` →
            ``党支部``; ``14个村`` → ``村``; ``1镇`` → ``镇``); ``''`` otherwise.
    """

    q: Quantity
    clause: tuple[int, int]
    scope: Scope
    noun: str


@dataclass(frozen=True, slots=True)
class RoleFact:
    """A person named with a role: ``德江县县长敖华`` → role 县长, org 德江县, name 敖华."""

    role: str
    org: str
    name: str
    start: int
    end: int


def clause_of(form: str, start: int, end: int) -> tuple[int, int]:
    """``(start, end)`` of the clause (between ，；。：！？) that holds ``form[start:end]``."""
    a = 0
    for m in _CLAUSE_END.finditer(form, 0, start):
        a = m.end()
    m2 = _CLAUSE_END.search(form, end)
    return a, (m2.end() if m2 else len(form))


def is_fact_figure(q: Quantity) -> bool:
    """Whether ``q`` states a fact worth checking: a bare number without unit or 万/亿
    (``832`` as in the "832" platform, ``九十`` of an idiom) does not."""
    if q.kind != "number" or q.unit:
        return True
    return any(ch in q.text for ch in "万亿萬億")


def noun_after(form: str, q: Quantity) -> str:
    """What a figure counts: up to four characters after it, cut at a function word."""
    out = [q.unit] if q.unit in NOUN_UNITS else []
    for ch in form[q.end : q.end + 4]:
        if ch in _NOUN_STOP or not is_cjk(ch):
            break
        out.append(ch)
    return "".join(out)


def fact_figures(text: str, form: str, lead: str = "") -> list[Figure]:
    """The figures of one sentence that state a fact worth checking (:func:`is_fact_figure`),
    each with its clause, time scope and counted noun (``text`` original, ``form`` its
    search form, of the same length; ``lead`` the search form of the paragraph before it)."""
    out = []
    for q in find_quantities(text):
        if not is_fact_figure(q):
            continue
        clause = clause_of(form, q.start, q.end)
        out.append(Figure(q, clause, scope_at(form, clause, lead), noun_after(form, q)))
    return out


def content_terms(form: str) -> list[str]:
    """The distinct topic terms of a text: jieba tokens without function words, figures,
    single characters and time-scope words, in order of first occurrence."""
    seen: dict[str, None] = {}
    for q in find_quantities(form):  # blank the figures: 二〇二一年 must not yield 一年
        form = form[: q.start] + " " * (q.end - q.start) + form[q.end :]
    for tok in tokenize(form):
        if len(tok) < 2 or tok in scope_words() or tok in _EXTRA_STOP or any(c.isdigit() for c in tok):
            continue
        if all(c in _NUMERAL_CHARS for c in tok):  # 一百五十, 六万元: parts of a figure
            continue
        seen.setdefault(tok, None)
    return list(seen)


def _name_at(form: str, pos: int) -> str:
    """A two- or three-character personal name starting at ``pos``, or ``''``."""
    head = form[pos : pos + 3]
    if len(head) < 2 or head[0] not in _role_surnames() or any(c in _NAME_STOP for c in head[:2]):
        return ""
    if not all(is_cjk(c) for c in head[:2]):
        return ""
    if len(head) == 3 and is_cjk(head[2]) and head[2] not in _NAME_STOP:
        return head
    return head[:2]


def role_facts(form: str) -> list[RoleFact]:
    """People named right after a role word, including lists (``镇领导卢泰强、蔡运洪``).

    The org is the place or body written just before the role (``德江县县长`` → 德江县),
    ``''`` when none is."""
    out = []
    for m in _role_regex().finditer(form):
        org_m = _ORG_TAIL.search(form[max(0, m.start() - 8) : m.start()])
        org = org_m.group() if org_m else ""
        pos = m.end()
        while True:
            name = _name_at(form, pos)
            if not name:
                break
            out.append(RoleFact(m.group().lstrip("副"), org, name, m.start(), pos + len(name)))
            pos += len(name)
            if form[pos : pos + 1] != "、":
                break
            pos += 1
    return out


def same_name(a: str, b: str) -> bool:
    """Whether two extracted names are the same person: a name read as three characters
    may be a two-character name plus the next character, so a shared two-character
    prefix with one a prefix of the other counts."""
    return a == b or (min(len(a), len(b)) >= 2 and (a.startswith(b) or b.startswith(a)))


def orgs_compatible(a: str, b: str) -> bool:
    """Whether two role orgs can be the same body (either unknown, or sharing a name)."""
    if not a or not b:
        return True
    return a[:2] == b[:2] or a in b or b in a


def place_names(form: str) -> list[str]:
    """Two-character place names with their suffix (``大利村``, ``德江县``), in order."""
    out = []
    for m in _PLACE.finditer(form):
        name = m.group(1)
        after = form[m.start() + 3 : m.start() + 4]
        if not any(c in _NOT_IN_PLACE for c in name[:2]) and not (after and after in _PLACE_SUFFIX):
            out.append(name)
    return list(dict.fromkeys(out))
