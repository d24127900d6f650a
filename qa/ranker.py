"""Candidate sentences and their features, scored by a small learned linear model.

The weights live in ``qa/ranker_weights.json``. They are fitted by ``python -m eval.train``
(logistic regression) on the development questions: a sentence is a positive example when
it contains the expected answer. Nothing here is tuned by hand to particular answers.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.bm25 import tokenize
from index.retrievers import SearchIndex
from ingest.normalize import search_form
from qa.names import person_names
from qa.numbers import Quantity, find_quantities
from qa.question import (
    CATEGORIES,
    QuestionInfo,
    asked_noun,
    asked_unit,
    category_in,
    quoted_phrases,
    which_noun,
)
from zhiwen.records import Chunk, Hit

WEIGHTS_FILE = Path(__file__).with_name("ranker_weights.json")
SENTENCE_CACHE = 20_000  # sentence vectors kept for English questions (~30 MB at 384 dims)

FEATURES = (
    "bias",
    "chunk_rr",        # 1 / fused rank of the best chunk holding the sentence
    "dense_rr",        # 1 / dense rank of that chunk (0 when absent)
    "bm25_rr",         # 1 / bm25 rank of that chunk (0 when absent)
    "term_cov",        # IDF-weighted share of question terms found in the sentence
    "ctx_cov",         # the same over the sentence, its paragraph lead-in and the title
    "bigram_cov",      # share of the question's Han bigrams found in the sentence
    "miss_idf",        # IDF mass of question terms found nowhere in the context (normalized)
    "type_match",      # the sentence carries what the question type asks for
    "type_none",       # the question type asks for something the sentence lacks
    "scope_match",     # time scope of question and sentence (or its lead-in) agree (今年 / 累计)
    "scope_clash",     # they disagree
    "log_len",         # log of sentence length
    "lcs",             # longest common substring with the question / question length
    "year_match",      # a year the question names is stated in the sentence or its lead-in
    "year_clash",      # the question names a year, the sentence states only other years
    "year_missing",    # the question names a year that neither the sentence nor its lead-in states
    "novel",           # share of the sentence's Han characters the question lacks (the answer part)
    "cons_span",       # log(1 + other chunks stating the same typed value: figure or date)
    "cons_term",       # IDF-weighted agreement of the sentence's new words with other chunks
    "attr_in",         # the attribute asked about (新增就业了多少 → 就业) is in the sentence
    "value_bind",      # a value of the asked kind sits next to the attribute (exp(-distance/8))
    "asked_miss",      # the noun counted or asked for (多少名医生 → 医生) is not in the sentence
    "which_miss",      # the category of a 哪个/什么 X question is in neither sentence nor lead
    "quote_miss",      # a phrase the question quotes (“铜仁班”, 《…》) is not in the context
    "debris",          # page debris in the sentence: snippet dates, 来源：/发布时间：labels
    "total",           # a quantity question meets a stated total (共计, 合计, 总计, 一共, 总额)
    "lcs_slot",        # what is asked for sits next to the longest stretch of the question
    "names",           # a person question: log(1 + person names in the sentence)
    "unit_fit",        # a figure of the asked measure or noun (几个镇 → 1镇, 多少名干部 → 1名干部)
    "year_absent",     # the question's year is stated in none of the retrieved passages
)
_YEAR_ABSENT = FEATURES.index("year_absent")

PERSON = re.compile(
    r"[\u4e00-\u9fff]{2,4}(?:书记|镇长|县长|市长|省长|主席|主任|部长|局长|总统|总理|首相|总裁|董事长|"
    r"经理|教授|院士|队长|教练|导演|主演|作者|作家|选手|冠军|得主|大使|发言人|会长|秘书长)|"
    r"(?:书记|镇长|县长|市长|主席|主任|部长|局长|总统|总理|首相|总裁|董事长|教练|导演|会长)[\u4e00-\u9fff]{2,3}|"
    r"[\u4e00-\u9fff]{1,3}·[\u4e00-\u9fff]{1,6}|[A-Z][a-z]+ [A-Z][a-z]+")
PLACE = re.compile(r"[\u4e00-\u9fff]{1,6}(?:省|市|县|镇|村|区|州|国|乡|街道|园区|学校|中学|小学|"
                    r"幼儿园|医院|公司|体育场|体育馆|机场|广场|酒店|大学|港|岛|湖|山|河)")
# A quotation worth quoting back: at least six characters inside the marks (not a name
# such as “德江班” or “832”).
QUOTATION = re.compile(r"[“「『]([^“”「」『』]{6,})[”」』]")
_THIS_YEAR = re.compile(r"今年以来|今年|本年|截至目前|截止目前|目前为止")
_CUMULATIVE = re.compile(r"累计|累积|以来|自20\d\d|20\d\d年至今|历年")


# The abstention verifier looks at the best candidate only: how far it outranks the
# field, and the signs that the documents don't hold the answer at all.
VERIFIER_FEATURES = ("bias", "logit", "margin", "miss_idf", "ctx_cov", "term_cov", "type_none",
                     "year_missing", "year_clash", "scope_clash", "cons_span", "cons_term",
                     "attr_in", "value_bind", "asked_miss", "which_miss", "quote_miss",
                     "year_absent", "english")


def verifier_vector(q: QuestionInfo, top: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """Features of the verifier, from the best candidate's features ``top`` and the two
    best logits (best first)."""
    margin = float(logits[0] - logits[1]) if len(logits) > 1 else 5.0
    pick = [top[FEATURES.index(f)] for f in VERIFIER_FEATURES[3:-1]]
    return np.array([1.0, float(logits[0]), min(margin, 5.0), *pick, 1.0 if q.is_english else 0.0])


@dataclass(slots=True)
class Candidate:
    """One sentence of a retrieved chunk, with offsets into its document."""

    chunk: Chunk
    doc_start: int
    doc_end: int
    text: str
    form: str
    features: np.ndarray
    score: float = 0.0
    logit: float = 0.0
    # words of this sentence that other retrieved chunks also state, with their weight
    agree: dict[str, float] = field(default_factory=dict)


class Ranker:
    """Builds sentence candidates from hits and scores them with the learned weights."""

    def __init__(self, index: SearchIndex, weights: dict[str, float] | None = None,
                 verifier: dict[str, float] | None = None) -> None:
        self.index = index
        if weights is None or verifier is None:
            fitted = load_fitted()
            weights = fitted.weights if weights is None else weights
            verifier = fitted.verifier if verifier is None else verifier
        self.weights = np.array([weights.get(f, 0.0) for f in FEATURES])
        self.verifier = (np.array([verifier.get(f, 0.0) for f in VERIFIER_FEATURES])
                         if verifier else None)
        self._idf = _idf_table(index)
        self._sent_cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def confidence(self, q: QuestionInfo, cands: list[Candidate]) -> float:
        """Probability that the best candidate answers the question (the verifier), or the
        best candidate's own score when no verifier has been fitted."""
        if not cands:
            return 0.0
        if self.verifier is None:
            return cands[0].score
        logits = np.array([c.logit for c in cands[:2]])
        z = float(verifier_vector(q, cands[0].features, logits) @ self.verifier)
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))

    def idf(self, term: str) -> float:
        return self._idf.get(term, self._idf_max)

    @property
    def _idf_max(self) -> float:
        n = max(1, len(self.index.chunks))
        return math.log(1 + (n + 0.5) / 0.5)

    def candidates(self, q: QuestionInfo, hits: list[Hit]) -> list[Candidate]:
        """Every distinct sentence of the hits, with features, scored and sorted best first."""
        seen: set[tuple[str, int]] = set()
        out: list[Candidate] = []
        q_years = set(_YEAR.findall(q.form))
        years: set[str] = set()  # every year the retrieved passages (and their dates) state
        for fused_rank, hit in enumerate(hits, 1):
            c = hit.chunk
            doc = self.index.doc(c.doc_id)
            for a, b in c.sentences:
                key = (c.doc_id, c.start + a)
                if key in seen:
                    continue
                seen.add(key)
                text = c.text[a:b]
                form = c.search_text[a:b]
                lead = _paragraph_lead(doc.text, c.start + a)
                said = search_form(_attribution(doc.text, c.start + b))
                if q_years:
                    years.update(_YEAR.findall(f"{form} {lead} {doc.title} {doc.date or ''}"))
                feats = self._features(q, text, form, search_form(lead + doc.title) + said,
                                       fused_rank, hit.ranks, said)
                out.append(Candidate(c, c.start + a, c.start + b, text, form, feats))
        if q_years and not q_years & years:  # "2022年…多少" over passages that never say 2022
            for cand in out:
                cand.features[_YEAR_ABSENT] = 1.0
        if out and q.is_english:
            self._semantic_coverage(q, out)
        if out:
            self._consensus(q, out)
        if out:
            scores = np.stack([cand.features for cand in out]) @ self.weights
            for cand, s in zip(out, scores, strict=True):
                cand.logit = float(s)
                cand.score = float(1 / (1 + math.exp(-max(-30.0, min(30.0, s)))))
        out.sort(key=lambda cand: -cand.score)
        return out

    def _consensus(self, q: QuestionInfo, cands: list[Candidate]) -> None:
        """Agreement between documents: an answer that several retrieved documents state
        independently (the same figure, date or distinctive word) is likelier right than
        one only a single document states."""
        i_span, i_term = FEATURES.index("cons_span"), FEATURES.index("cons_term")
        spans: list[set[tuple[str, str]]] = []
        terms: list[set[str]] = []
        by_span: dict[tuple[str, str], set[str]] = {}
        by_term: dict[str, set[str]] = {}
        # counted by document: a document restating its own figure (or two chunks sharing
        # an overlapping sentence) is no independent support
        for cand in cands:
            own = cand.chunk.doc_id
            sp = _typed_values(q.qtype, cand.text)
            tm = {t for t in tokenize(cand.form) if len(t) >= 2 and t not in q.form}
            spans.append(sp)
            terms.append(tm)
            for v in sp:
                by_span.setdefault(v, set()).add(own)
            for t in tm:
                by_term.setdefault(t, set()).add(own)
        for cand, sp, tm in zip(cands, spans, terms, strict=True):
            own = cand.chunk.doc_id
            n_span = max((len(by_span[v] - {own}) for v in sp), default=0)
            weights = {t: self.idf(t) * min(len(by_term[t] - {own}), 3) for t in tm}
            cand.agree = {t: w / 10 for t, w in weights.items() if w > 0}
            cand.features[i_span] = math.log1p(n_span)
            cand.features[i_term] = max(weights.values(), default=0.0) / 10

    def _semantic_coverage(self, q: QuestionInfo, cands: list[Candidate], limit: int = 24) -> None:
        """English questions share no words with Chinese sources: the sentence's coverage
        features (all three when no Chinese term was bridged; otherwise the context coverage
        stays lexical and the term coverage is half lexical) are replaced by the
        multilingual embedder's question–sentence cosine, mapped to [0, 1] (e5 cosines of
        related text fall roughly between 0.75 and 0.9).
        Only the first ``limit`` sentences (from the best chunks) are embedded."""
        emb = self.index.embedder
        qv = emb.embed_query(q.form)
        part = cands[:limit]
        sv = self._sentence_vectors([c.form for c in part])
        # with Chinese terms bridged from the English words, term coverage stays lexical
        names = ("bigram_cov",) if q.terms else ("term_cov", "ctx_cov", "bigram_cov")
        idx = [FEATURES.index(f) for f in names]
        i_term = FEATURES.index("term_cov")
        for cand, cos in zip(part, sv @ qv, strict=True):
            sim = min(1.0, max(0.0, (float(cos) - 0.75) / 0.15))
            cand.features[idx] = sim
            if q.terms:  # bridged words found, and what the sentence means, half each
                cand.features[i_term] = (cand.features[i_term] + sim) / 2

    def _sentence_vectors(self, forms: list[str]) -> np.ndarray:
        """Passage vectors of sentences, remembered (LRU, ``SENTENCE_CACHE`` of them): the
        same sentences come back question after question."""
        cache = self._sent_cache
        todo = list(dict.fromkeys(f for f in forms if f not in cache))
        if todo:
            for f, v in zip(todo, self.index.embedder.embed_passages(todo), strict=True):
                cache[f] = np.asarray(v, dtype=np.float32)
        for f in forms:
            cache.move_to_end(f)
        while len(cache) > SENTENCE_CACHE:
            cache.popitem(last=False)
        return np.stack([cache[f] for f in forms])

    def _features(self, q: QuestionInfo, text: str, form: str, lead: str, fused_rank: int,
                  ranks: dict[str, int], said: str = "") -> np.ndarray:
        """The feature vector of one sentence; ``lead`` is its context (paragraph lead-in,
        title, speaker), ``said`` the speaker of a sentence that is a quotation."""
        idf = [self.idf(t) for t in q.terms]
        total = sum(idf) or 1.0
        # a quotation's speaker (…”沈志攀表示) belongs to it
        in_sent = sum(w for t, w in zip(q.terms, idf, strict=True) if t in form or t in said)
        in_ctx = sum(w for t, w in zip(q.terms, idf, strict=True) if t in form or t in lead)
        bigrams = _han_bigrams(q.form)
        asked, which = asked_nouns(q)
        # "什么职务"/"哪个省" is typed by its category: a sentence naming a title (县长) or a
        # province (贵州省) fits, whatever other places or names it has
        if which in CATEGORIES:
            has = category_in(which, form)
        elif q.qtype == "person":
            has = bool(_new_names(q, form))
        else:
            has = has_type(q.qtype, text, form)
        scope = _scope(form) or _scope(lead)
        dense, bm25 = ranks.get("dense"), ranks.get("bm25")
        q_years = set(_YEAR.findall(q.form))
        # the sentence's own years, else its lead-in's; a snippet's "Jan 1, 2021" is the
        # page's date, not a year the sentence speaks of
        s_years = set(_YEAR.findall(_EN_DATE_ANY.sub(" ", form))) or set(
            _YEAR.findall(_EN_DATE_ANY.sub(" ", lead)))
        han = [ch for ch in form if "\u4e00" <= ch <= "\u9fff"]
        context = form + lead
        common = _lcs_text(q.form, form)
        return np.array([
            1.0,
            1.0 / fused_rank,
            1.0 / dense if dense else 0.0,
            1.0 / bm25 if bm25 else 0.0,
            in_sent / total,
            in_ctx / total,
            (sum(1 for g in bigrams if g in form) / len(bigrams)) if bigrams else 0.0,
            (total - in_ctx) / total if q.terms else 0.0,
            1.0 if has else 0.0,
            1.0 if (q.qtype != "other" and not has) else 0.0,
            1.0 if (q.scope != "none" and scope == q.scope) else 0.0,
            1.0 if (q.scope != "none" and scope not in (None, q.scope)) else 0.0,
            math.log(1 + len(text)),
            len(common) / max(1, len(q.form)),
            1.0 if q_years & s_years else 0.0,
            1.0 if q_years and s_years and not q_years & s_years else 0.0,
            1.0 if q_years and not q_years & s_years else 0.0,
            (sum(1 for ch in han if ch not in q.form) / len(han)) if han else 0.0,
            0.0,  # cons_span and cons_term are filled in by _consensus over all candidates
            0.0,
            1.0 if any(h in form or h in said for h in q.heads) else 0.0,
            # a quotation is bound to its speaker (…”沈志攀表示)
            1.0 if any(h in said[:12] for h in q.heads) else _value_bind(q, text, form),
            1.0 if asked and not category_in(asked, form) else 0.0,
            1.0 if which and not category_in(which, context) else 0.0,
            1.0 if any(p not in context for p in _quoted(q)) else 0.0,
            min(1.0, len(_DEBRIS.findall(text))),
            1.0 if q.qtype == "quantity" and _TOTAL.search(_SHARE_BASE.sub("", form)) else 0.0,
            0.0 if q.is_english else _lcs_slot(q, text, form, common),
            math.log1p(len(_new_names(q, form))) if q.qtype == "person" else 0.0,
            1.0 if q.qtype == "quantity" and asked_figure(q, form) else 0.0,
            0.0,  # year_absent is set in candidates(), over all the passages
        ])


_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
# "占全国总量的90.2%": the total is the base of a share, not a total the sentence states
_SHARE_BASE = re.compile(r"占[^，。；]{0,10}?(?:总量|总数|总额)")
_TOTAL = re.compile(r"共计|合计|总计|总共|一共|总额|总量|总数|累计|共[有计]?[\d约近超逾]")
_MONTHS = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
# A web snippet's English date ("Jun 6, 2022 ...") is page debris, not a figure.
EN_DATE = re.compile(rf"{_MONTHS} \d{{1,2}}(?:, \d{{4}})?|\b\d{{1,2}} {_MONTHS}(?: \d{{4}})?")
_EN_DATE_ANY = re.compile(EN_DATE.pattern, re.IGNORECASE)  # on the lower-cased search form
_DEBRIS = re.compile(rf"{_MONTHS} \d{{1,2}}, \d{{4}}|"
                     r"(?:来源|发布时间|发布日期|浏览次数|原标题|责任编辑)[：:]|\.\.\.|…")


@functools.lru_cache(maxsize=256)
def asked_nouns(q: QuestionInfo) -> tuple[str, str]:
    """The noun a question counts or asks for, and the category of a "which" question
    (the Chinese terms bridged from an English question's words)."""
    return (asked_noun(q.form), which_noun(q.form)) if not q.is_english else (q.asked_en, q.which_en)


@functools.lru_cache(maxsize=256)
def _quoted(q: QuestionInfo) -> tuple[str, ...]:
    return tuple(search_form(m) for m in quoted_phrases(q.form))


def _value_bind(q: QuestionInfo, text: str, form: str) -> float:
    """How closely a value of the asked kind follows or precedes the attribute: a figure
    or date (quantity, date), a name (person), a member of the asked category (什么职务 →
    县长敖华), a place (place), a quotation (quote). A value that overlaps the attribute
    itself (德江县 for 德江) doesn't count."""
    heads = [h for h in q.heads if h in form]
    if not heads:
        return 0.0
    spots = [m.span() for h in heads for m in re.finditer(re.escape(h), form)]
    best = 0.0
    for a, b in _typed_spans(q, text, form):
        if any(a < y and x < b for x, y in spots):
            continue
        d = min(max(0, a - y, x - b) for x, y in spots)
        best = max(best, math.exp(-d / 8))
    return best


_COUNTED = re.compile(r"\d+\s*[家个所座名位]\s*[\u4e00-\u9fff]{0,3}$")


def _typed_spans(q: QuestionInfo, text: str, form: str) -> list[tuple[int, int]]:
    """Where the sentence states a value of the kind the question asks for."""
    if q.qtype in ("quantity", "date"):
        kinds = ("number", "percent") if q.qtype == "quantity" else ("date", "year")
        return [(x.start, x.end) for x in _quantities(text) if x.kind in kinds]
    which = asked_nouns(q)[1]
    pattern = CATEGORIES.get(which) if which else None
    if pattern is not None:  # a member, not a count of them ("3家涉农企业")
        return [m.span() for m in pattern.finditer(form)
                if not _COUNTED.search(form, max(0, m.start() - 8), m.start())]
    if q.qtype == "person":
        return list(_new_names(q, form))
    if q.qtype == "place":
        return [m.span() for m in PLACE.finditer(form)]
    if q.qtype == "quote":
        return [m.span() for m in QUOTATION.finditer(text)]
    return []


@functools.lru_cache(maxsize=4096)
def _new_names(q: QuestionInfo, form: str) -> tuple[tuple[int, int], ...]:
    """Person names of a sentence that the question doesn't already name (谁枪击了安倍晋三
    is not answered by 安倍晋三). Remembered: four features of a sentence read them."""
    return tuple((a, b) for a, b in person_names(form) if form[a:b] not in q.form)


def fits(x: Quantity, text: str, unit: str, noun: str) -> bool:
    """Figure ``x`` of ``text`` is of the asked unit, or the asked noun follows it within
    its clause (14个村; not 27万元，用于村村)."""
    after = re.split(r"[，,。；;、：:！？!?]", text[x.end : x.end + 6], maxsplit=1)[0]
    return bool((unit and x.unit == unit) or (noun and noun[:2] in after))


# Attributes measured in money: "投资多少" is answered by 400亿美元, not by "5奈米"
_MONEY = re.compile(r"投资|资金|金额|捐赠|捐款|捐资|收入|花费|支出|成本|价格|售价|市值|票房|营收|"
                    r"利润|预算|产值|销售额|融资|补贴|奖金|薪资|工资|GDP|gdp")


def asked_figure(q: QuestionInfo, text: str) -> bool:
    """``text`` states a figure of the kind asked (多少个车站 → 10座车站, 多少人 → 12人,
    投资多少 → an amount of money)."""
    unit, noun = asked_unit(q.form)
    if unit or noun:
        return any(fits(x, text, unit, noun) for x in _quantities(text))
    if q.qtype == "quantity" and any(_MONEY.search(h) for h in q.heads):
        return any("元" in x.unit or x.unit in ("万", "亿") for x in _quantities(text))
    return False


def _lcs_text(a: str, b: str) -> str:
    """The longest common substring of ``a`` and ``b`` (the first of equal length in ``a``)."""
    n = len(a)
    best, at = 0, 0
    for i in range(n):
        # grow the match starting at i while it still occurs in b (substring test is C-fast)
        j = i + best + 1
        while j <= n and a[i:j] in b:
            best, at = j - i, i
            j += 1
    return a[at : at + best]


_SLOT = 8


def _lcs_slot(q: QuestionInfo, text: str, form: str, common: str) -> float:
    """Does what the question asks for sit right next to ``common``, the longest stretch of
    the question found in the sentence ("第一棒火炬手--罗致焕", "主题是“只有一个地球”")?"""
    if len(common) < 2 or not re.search(r"[\u4e00-\u9fff]", common):
        return 0.0
    a = form.find(common)
    b = a + len(common)
    lo, hi = max(0, a - _SLOT), min(len(form), b + _SLOT)
    if q.qtype == "person":
        return 1.0 if any(lo <= x < hi or lo < y <= hi for x, y in _new_names(q, form)) else 0.0
    if q.qtype in ("quantity", "date"):
        kinds = ("number", "percent") if q.qtype == "quantity" else ("date", "year")
        return 1.0 if any(x.kind in kinds and lo <= x.start < hi for x in _quantities(text)) else 0.0
    after = form[b:hi]
    novel = sum(1 for ch in after if "\u4e00" <= ch <= "\u9fff" and ch not in q.form)
    return 1.0 if novel >= 3 or re.match(r"\s*[“\"「《：:]", after) else 0.0


def _typed_values(qtype: str, text: str) -> set[tuple[str, str]]:
    """The figures (value, unit) or dates a sentence states, for the question's type."""
    if qtype == "quantity":
        return {(str(x.value), x.unit) for x in _quantities(text) if x.kind in ("number", "percent")}
    if qtype == "date":
        # by month and day when there is one: "5月28日" and "2023年5月28日" agree
        return {(_month_day(x.date_key) if x.kind == "date" and x.date_key else
                 x.date_key or str(x.value), x.kind)
                for x in _quantities(text) if x.kind in ("date", "year")}
    return set()


_RANGE_GAP = re.compile(r"\s*(?:至|到|-|—|–|~|～)\s*")


def date_ranges(text: str) -> list[tuple[int, int]]:
    """Spans of date ranges: "6月21-23日" (one value), "11月15日至16日" (two joined)."""
    dates = [x for x in _quantities(text) if x.kind == "date"]
    out = [(x.start, x.end) for x in dates if x.date_key and "/" in x.date_key]
    for a, b in itertools.pairwise(dates):
        if _RANGE_GAP.fullmatch(text[a.end : b.start]):
            out.append((a.start, b.end))
    return out


def single_day(text: str) -> bool:
    """``text`` states a day that is not part of a range."""
    spans = date_ranges(text)
    return any(x.kind == "date" and not any(a <= x.start < b for a, b in spans)
               for x in _quantities(text))


def states_year(text: str) -> bool:
    """``text`` states a year, alone (2021年) or in a full date (2022年12月9日)."""
    return any(x.kind == "year" or (x.kind == "date" and (x.date_key or "")[:1].isdigit())
               for x in _quantities(text))


_START_BEFORE = re.compile(r"(?:自|从|始于|起自|since)\s*$")
_START_AFTER = re.compile(r"^\s*(?:以来|起|开始|至今)")


def starts_only(text: str) -> bool:
    """Every date or year of ``text`` is a starting point (自2021年…以来, 从6月起)."""
    dates = [x for x in _quantities(text) if x.kind in ("date", "year")]
    return bool(dates) and all(
        _START_BEFORE.search(text[max(0, x.start - 3) : x.start])
        or _START_AFTER.match(text[x.end : x.end + 3]) for x in dates)


def _month_day(key: str) -> str:
    """``2023-05-28`` or ``--05-28`` → ``05-28``; other keys as they are."""
    return key[-5:] if len(key) >= 5 and key[-3] == "-" else key


def _han_bigrams(form: str) -> set[str]:
    runs = re.findall(r"[\u4e00-\u9fff]+", form)
    return {r[i : i + 2] for r in runs for i in range(len(r) - 1)}


def _scope(form: str) -> str | None:
    """The time scope a sentence states; the last marker wins (今年…累计 → 累计)."""
    last = None
    for m in re.finditer(f"{_THIS_YEAR.pattern}|{_CUMULATIVE.pattern}", form):
        last = "this_year" if _THIS_YEAR.fullmatch(m.group()) else "cumulative"
    return last


def _paragraph_lead(doc_text: str, start: int, limit: int = 200) -> str:
    """The text of the paragraph before ``start`` (at most ``limit`` characters)."""
    para = doc_text.rfind("\n", 0, start) + 1
    return doc_text[max(para, start - limit) : start]


_ATTRIBUTION = re.compile(r"[^。！？；\n]{1,60}")


def _attribution(doc_text: str, end: int) -> str:
    """Who said a quotation and what they went on to say: the sentence right after one
    that ends with a closing quote (“行百里者半九十。…”|沈志攀表示，接下来…将坚持…), up
    to 60 characters."""
    if end == 0 or doc_text[end - 1] not in "”」』":
        return ""
    m = _ATTRIBUTION.match(doc_text, end)
    return m.group() if m else ""


@functools.lru_cache(maxsize=4096)
def _quantities(text: str) -> tuple[Quantity, ...]:
    """``find_quantities`` once per sentence: several features read the same figures."""
    return tuple(find_quantities(text))


def figures(text: str) -> list[Quantity]:
    """The figures of ``text`` that can answer "多少": numbers and percentages, without
    bare years (2022) and without the numbers of snippet dates."""
    debris = [m.span() for m in EN_DATE.finditer(text)]
    return [x for x in _quantities(text) if x.kind in ("number", "percent")
            and not (x.kind == "number" and not x.unit and 1900 <= x.value <= 2100)
            and not any(a <= x.start < b for a, b in debris)]


def has_type(qtype: str, text: str, form: str) -> bool:
    """``text`` (``form`` its search form) states what a question of ``qtype`` asks for:
    a figure, a date, a name, a place, a quotation."""
    if qtype == "quantity":
        return bool(figures(text))
    if qtype == "date":
        return any(qq.kind in ("date", "year") for qq in _quantities(text)) or bool(
            re.search(r"\d{1,2}月|\d{4}年|[上下]午|周[一二三四五六日]|星期", form))
    if qtype == "person":
        return bool(person_names(form))
    if qtype == "place":
        return bool(PLACE.search(form)) or "ns" in name_flags(text)
    if qtype == "quote":
        return bool(QUOTATION.search(text))
    return False


@functools.lru_cache(maxsize=4096)
def name_flags(text: str) -> frozenset[str]:
    """Part-of-speech flags of proper names in ``text`` (jieba's dictionary tags: nr person,
    ns place, nt organisation)."""
    from qa.names import tagged_words

    return frozenset(flag for word, flag in tagged_words(text)
                     if flag in ("nr", "ns", "nt") and len(word) >= 2)


def _idf_table(index: SearchIndex) -> dict[str, float]:
    """BM25-style IDF of each vocabulary term, from the bm25s sparse matrix."""
    scores = index.bm25.scores
    indptr = np.asarray(scores["indptr"])
    df = np.diff(indptr)
    n = max(1, int(scores.get("num_docs", len(index.chunks))))
    idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
    return {tok: float(idf[col]) for tok, col in index.bm25.vocab_dict.items() if col < len(idf)}


@dataclass(frozen=True, slots=True)
class Fitted:
    """What ``python -m eval.train`` fitted: ranker weights, verifier weights (empty when
    none was fitted) and the verifier's abstention cut."""

    weights: dict[str, float]
    verifier: dict[str, float]
    threshold: float


def load_fitted(path: Path = WEIGHTS_FILE) -> Fitted:
    """Read the fitted model (``{"weights": …, "verifier": …, "threshold": …}``) once."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return Fitted(weights={k: float(v) for k, v in data["weights"].items()},
                  verifier={k: float(v) for k, v in data.get("verifier", {}).items()},
                  threshold=float(data.get("threshold", 0.5)))
