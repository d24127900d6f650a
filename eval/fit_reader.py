"""Fit the reader's three models, judged only on what they were not fitted on.

    python -m eval.fit_reader            # collect, 5-fold CV by document, fit, save
    python -m eval.fit_reader --cv-only  # report the cross-validated figures, save nothing

Data (all split by document, never by question):
- ``../shared/benchmarks/mrc``: DRCD (traditional) and CMRC 2018 (simplified), each asked
  over its own pooled corpus. Every question is in the fit data; figures on them are
  5-fold cross-validated by document.
- RGB dev: split by question (each has its own passages) into fit and test halves.
- ``eval/gov``: documents of the users' genre written for this project; split by document
  into fit and test.
- ``eval/questions.jsonl`` (the seed article): never fitted on; test only.

Negatives for answerability are made from the fit questions: the source and every retrieved
passage that states the answer removed (RGB's questions name no source document, and its
news passages repeat each other), a time the source does not state, an entity or the asked
attribute swapped for another one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from eval.sets import GOV_TEST_SHARE, ROOT, read_jsonl, split_of
from ingest.normalize import search_form
from qa.absent import REFUSING, Mentions, absent_place, lack_shares, quote_absent, why_not
from qa.answer_span import choose
from qa.candidates import Unit, clauses, spans, units
from qa.features import (
    SENTENCE_FEATURES,
    SPAN_FEATURES,
    fill_similarity,
    max_missing_idf,
    sentence_row,
    span_row,
    view,
    view_for,
)
from qa.reader import (
    ANSWER_FEATURES,
    MODELS,
    TOP_SENTENCES,
    answer_row,
    doc_year_of,
    neural_sentence,
    softmax,
)
from qa.times import title_and_text
from zhiwen.records import Hit

SHARED = ROOT.parent / "shared" / "benchmarks"
REPORT = ROOT / "eval" / "reports" / "fit_reader.json"
ALL_SETS = "drcd,cmrc,rgb,gov"
K = 8
FOLDS = 5


def norm(text: str) -> str:
    """The comparison form of an answer: search form without spaces and punctuation."""
    return re.sub(r"[\s，。、；：？！“”‘’「」『』《》（）()\"',.;:?!\-—·]", "", search_form(text))


def f1(pred: str, gold: str) -> float:
    """CMRC-style character F1."""
    p, g = list(norm(pred)), list(norm(gold))
    if not p or not g:
        return 0.0
    common = 0
    pool = g.copy()
    for ch in p:
        if ch in pool:
            pool.remove(ch)
            common += 1
    if not common:
        return 0.0
    prec, rec = common / len(p), common / len(g)
    return 2 * prec * rec / (prec + rec)


@dataclass
class Item:
    """One question with what retrieval found for it."""

    set: str
    qid: str
    group: str  # the document it is about (folds and splits go by this)
    question: str
    golds: list[str]
    answerable: bool
    split: str  # fit | test
    units: list[Unit] = field(default_factory=list)
    gold_doc: str = ""
    s_rows: np.ndarray | None = None
    s_label: np.ndarray | None = None
    idf: Any = None
    doc_year: Any = None
    doc_text: Any = None
    extra: dict[str, Any] = field(default_factory=dict)
    weight: float = 1.0  # how much the item counts in fitting (see :func:`balance`)


def fold_of(group: str) -> int:
    return int(hashlib.sha256(group.encode()).hexdigest(), 16) % FOLDS


# -- loading the sets ----------------------------------------------------------------------

def _open(index_dir: Path, sources: list[Path], desc: str):  # type: ignore[no-untyped-def]
    from eval.indexes import build
    from index.retrievers import SearchIndex

    build(sources, index_dir, desc)
    return SearchIndex.open(index_dir)


def mrc_items(name: str, limit: int | None = None) -> tuple[Any, list[Item]]:
    folder = SHARED / "mrc"
    index = _open(ROOT / ".zhiwen" / name, [folder / f"{name}.corpus.jsonl"], f"导入 {name}")
    rows = read_jsonl(folder / f"{name}.questions.jsonl")[:limit]
    return index, [Item(name, r["id"], r["doc_id"], r["question"], list(r["answers"]), True, "fit",
                        gold_doc=r["doc_id"]) for r in rows]


def rgb_items() -> tuple[Any, list[Item]]:
    from eval.sets import RGB_CORPUS

    index = _open(ROOT / ".zhiwen" / "rgb", [RGB_CORPUS], "导入 RGB 语料")
    out = []
    for r in read_jsonl(SHARED / "rgb" / "questions.dev.jsonl"):
        golds = [a if isinstance(a, str) else a[0] for a in r["answer"]]
        out.append(Item("rgb", f"rgb-{r['id']}", f"rgb-{r['id']}", r["query"], golds, True,
                        split_of(f"rgb-{r['id']}"), extra={"answer": r["answer"]}))
    return index, out


def gov_items() -> tuple[Any, list[Item]]:
    folder = ROOT / "eval" / "gov"
    index = _open(ROOT / ".zhiwen" / "gov", [folder / "docs"], "导入 gov")
    out = []
    for r in read_jsonl(folder / "questions.jsonl"):
        golds = [e if isinstance(e, str) else e[0] for e in r.get("expect", [])]
        out.append(Item("gov", r["id"], r["doc"], r["question"], golds, bool(r["answerable"]),
                        split_of(r["doc"], GOV_TEST_SHARE), gold_doc=r["doc"],
                        extra={"expect": r.get("expect", []), "forbid": r.get("forbid", [])}))
    return index, out


def seed_items() -> tuple[Any, list[Item]]:
    index = _open(ROOT / ".zhiwen" / "eval-docs", [ROOT / "docs"], "导入 docs")
    out = []
    for r in read_jsonl(ROOT / "eval" / "questions.jsonl"):
        golds = [e if isinstance(e, str) else e[0] for e in r.get("expect", [])]
        out.append(Item("seed", r["id"], "seed", r["question"], golds, bool(r.get("answerable", True)),
                        "test", extra={"expect": r.get("expect", []), "forbid": r.get("forbid", [])}))
    return index, out


# -- negatives -------------------------------------------------------------------------------

_YEAR = re.compile(r"(19|20)\d\d年")
NEGATIVE_KINDS = ("absent", "time", "entity", "attribute")  # the kinds :func:`negatives` makes
_SHIFT = ["去年", "明年", "2019年", "2016年", "前年"]


def negatives(items: list[Item], index: Any, rng: random.Random) -> list[Item]:
    """Unanswerable versions of answerable fit questions (see the module docstring)."""
    out = []
    vocab = _proper_vocab(index, rng)
    nouns = _common_nouns(index, rng)
    for it in items:
        if not it.answerable or it.split != "fit":
            continue
        kind = rng.choice(NEGATIVE_KINDS)
        q = it.question
        if kind == "time":
            years = _YEAR.findall(q)
            if years:
                m = _YEAR.search(q)
                assert m
                new = f"{int(m.group(0)[:4]) + rng.choice([-3, -2, -1, 1, 2])}年"
                q = q[:m.start()] + new + q[m.end():]
            else:
                q = rng.choice(_SHIFT) + q
        elif kind == "attribute":
            # the word the question asks about (the last one before its interrogative) swapped
            # for another common noun of the corpus: 捐赠多少 → GDP多少
            qv = view(q)
            at = qv.form.find(qv.wh) if qv.wh else len(qv.form)
            before = [t for t in qv.tokens if len(t) >= 2 and 0 <= qv.form.find(t) < at]
            t = max(before, key=lambda w: qv.form.find(w) + len(w), default="")
            if t and t in q and nouns:
                q = q.replace(t, rng.choice(nouns), 1)
            if q == it.question:
                kind = "absent"
        elif kind == "entity":
            toks = [t for t in view(q).tokens if len(t) >= 2]
            if not toks or not vocab:
                kind = "absent"
            else:
                t = max(toks, key=index.idf)
                q = q.replace(t, rng.choice(vocab), 1) if t in q else q
                if q == it.question:
                    kind = "absent"
        extra: dict[str, Any] = {"neg": kind, "of": it.question}
        if kind == "absent":  # what no passage left may hold (see collect)
            extra["held_answers"] = _answer_strings(it)
        out.append(Item(it.set, it.qid + f"-neg-{kind}", it.group, q, [], False, "fit",
                        gold_doc=it.gold_doc, extra=extra))
    return out


def _answer_strings(it: Item) -> list[str]:
    """Every form of the item's answer (RGB's and gov's aliases included), normalised."""
    forms = list(it.golds)
    for el in it.extra.get("answer", []) + it.extra.get("expect", []):
        forms += el if isinstance(el, list) else [el]
    return sorted({norm(f) for f in forms if norm(f)})


def _common_nouns(index: Any, rng: random.Random) -> list[str]:
    """Common nouns of the corpus (two to four characters) to swap in for an attribute."""
    from text.names import tagged_words

    words: set[str] = set()
    for c in rng.sample(index.chunks, min(400, len(index.chunks))):
        for w, flag in tagged_words(c.search_text[:200]):
            if flag in ("n", "vn") and 2 <= len(w) <= 4:
                words.add(w)
    return sorted(words)


def _proper_vocab(index: Any, rng: random.Random) -> list[str]:
    """Rare words of the corpus (high idf, two to four characters) to swap in."""
    from text.names import tagged_words

    words: set[str] = set()
    chunks = rng.sample(index.chunks, min(400, len(index.chunks)))
    for c in chunks:
        for w, flag in tagged_words(c.search_text[:200]):
            if flag in ("nr", "ns", "nt", "nz", "nr?") and 2 <= len(w) <= 4:
                words.add(w)
    return sorted(words)


# -- collection ------------------------------------------------------------------------------

def _source_id(index: Any, doc_id: str) -> str:
    doc = index.doc(doc_id)
    return doc.source.split("#")[-1] if "#" in doc.source else Path(doc.path).name


def frame_words(pairs: list[tuple[str, str]], min_count: int = 5, share: float = 0.5) -> frozenset[str]:
    """Words that frame questions rather than name what their answers say: question words
    that the paragraph answering the question lacks at least ``share`` of the time (钱 in
    "捐了多少钱" when the source says 万元). Learned from (question, gold paragraph) pairs."""
    seen: dict[str, int] = {}
    absent: dict[str, int] = {}
    for question, paragraph in pairs:
        form = search_form(paragraph)
        for t in set(view(question).tokens):
            seen[t] = seen.get(t, 0) + 1
            absent[t] = absent.get(t, 0) + (t not in form)
    return frozenset(t for t, n in seen.items() if n >= min_count and absent[t] / n >= share)


def gold_paragraphs() -> list[tuple[str, str]]:
    """(question, the paragraph that answers it) of DRCD, CMRC and the gov fit documents."""
    pairs: list[tuple[str, str]] = []
    for name in ("drcd", "cmrc"):
        text = {r["id"]: r["text"] for r in read_jsonl(SHARED / "mrc" / f"{name}.corpus.jsonl")}
        pairs += [(r["question"], text[r["doc_id"]])
                  for r in read_jsonl(SHARED / "mrc" / f"{name}.questions.jsonl")]
    gov = ROOT / "eval" / "gov"
    for r in read_jsonl(gov / "questions.jsonl"):
        if r["answerable"] and split_of(r["doc"], GOV_TEST_SHARE) == "fit":
            pairs.append((r["question"], (gov / "docs" / r["doc"]).read_text(encoding="utf-8")))
    return pairs



def collect(index: Any, items: list[Item], desc: str, frame: frozenset[str]) -> None:
    """Retrieve and build the sentence rows of every item (with progress)."""
    from tqdm import tqdm

    year_cache: dict[str, int | None] = {}

    text_cache: dict[str, str] = {}

    def doc_text(doc_id: str) -> str:
        if doc_id not in text_cache:
            text_cache[doc_id] = title_and_text(index.doc(doc_id))
        return text_cache[doc_id]

    def doc_year(doc_id: str) -> int | None:
        if doc_id not in year_cache:
            year_cache[doc_id] = doc_year_of(index.doc(doc_id).date)
        return year_cache[doc_id]

    mentions = Mentions.of(index)
    cache_file = index.root / "fit-hits.json"
    try:
        cache = json.loads(cache_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cache = {}
    for it in tqdm(items, desc=desc, file=sys.stderr, mininterval=5):
        absent = it.extra.get("neg") == "absent"
        key = f"{K + 12 if absent else K}\t{it.question}"
        if key in cache:
            hits = [Hit(index.chunk(cid), score, ranks) for cid, score, ranks in cache[key]]
        else:
            hits = index.search(it.question, K + 12 if absent else K)
            cache[key] = [(h.chunk.chunk_id, h.score, h.ranks) for h in hits]
        if absent:  # neither the source nor any passage stating the answer is left
            held = it.extra.get("held_answers", [])
            hits = [h for h in hits if _source_id(index, h.chunk.doc_id) != it.gold_doc
                    and not any(a in norm(h.chunk.text) for a in held)][:K]
        it.units = units(hits)
        it.idf, it.doc_year, it.doc_text = index.idf, doc_year, doc_text
        it.extra["mentions"] = mentions
        q = it.extra["qv"] = view_for(it.question, [h.chunk.search_text for h in hits], frame)
        rows = [sentence_row(q, u, index.idf, doc_year(u.chunk.doc_id), doc_text(u.chunk.doc_id))
                for u in it.units]
        it.s_rows = np.asarray(rows, dtype=np.float64).reshape(-1, len(SENTENCE_FEATURES))
        if it.units:
            fill_similarity(it.s_rows, index.sentence_similarity(it.question,
                                                                 [u.form for u in it.units]))
        golds = [norm(g) for g in it.golds if norm(g)]
        lab = []
        for u in it.units:
            ok = it.answerable and any(g in norm(u.text) for g in golds)
            if ok and it.gold_doc:
                ok = _source_id(index, u.chunk.doc_id) == it.gold_doc
            lab.append(float(ok))
        it.s_label = np.asarray(lab)
    cache_file.write_text(json.dumps(cache, ensure_ascii=False), encoding="utf-8")


# -- models ------------------------------------------------------------------------------------

PARAMS = {"objective": "binary", "learning_rate": 0.05, "num_leaves": 31, "min_data_in_leaf": 20,
          "feature_fraction": 0.9, "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0,
          "verbose": -1, "num_threads": 2, "seed": 7, "deterministic": True}


def balance(items: list[Item], power: float) -> None:
    """Weight each item by (questions of the largest set / questions of its set) ** ``power``,
    so that 81 RGB or 101 gov questions are not drowned by DRCD's 3,493 (0: all alike)."""
    sizes: dict[str, int] = {}
    for it in items:
        if it.answerable:
            sizes[it.set] = sizes.get(it.set, 0) + 1
    largest = max(sizes.values(), default=1)
    for it in items:
        it.weight = (largest / sizes.get(it.set, largest)) ** power


def train(x: np.ndarray, y: np.ndarray, names: tuple[str, ...], rounds: int = 300,
          groups: list[int] | None = None, weight: np.ndarray | None = None) -> Any:
    """A binary model, or with ``groups`` (candidates per question) a lambdarank one;
    ``weight`` per row (a question's rows all carry its weight)."""
    import lightgbm as lgb

    ds = lgb.Dataset(x, y, feature_name=list(names), categorical_feature=["wh_key"],
                     group=groups, weight=weight, free_raw_data=True)
    params = dict(PARAMS)
    if groups is not None:
        params.update(objective="lambdarank", label_gain=[0, 1, 3], lambdarank_truncation_level=20)
    return lgb.train(params, ds, num_boost_round=rounds)


def train_sentences(items: list[Item]) -> Any:
    """The sentence ranker, on questions that have a sentence holding the answer."""
    use = [it for it in items if it.s_label is not None and it.s_label.any()]
    return train(np.vstack([it.s_rows for it in use]), np.concatenate([it.s_label for it in use]),
                 SENTENCE_FEATURES, groups=[len(it.units) for it in use],
                 weight=np.concatenate([np.full(len(it.units), it.weight) for it in use]))


def train_spans(data: list[tuple[Any, np.ndarray, np.ndarray]], weights: list[float]) -> Any:
    """The span ranker, on questions that have a good span among the candidates."""
    use = [(d, w) for d, w in zip(data, weights, strict=True) if d[2].any()]
    return train(np.vstack([d[1] for d, _w in use]), np.concatenate([d[2] for d, _w in use]),
                 SPAN_FEATURES, groups=[len(d[2]) for d, _w in use],
                 weight=np.concatenate([np.full(len(d[2]), w) for d, w in use]))


def wh_vocabulary(items: list[Item], min_count: int = 15) -> dict[str, int]:
    counts: dict[str, int] = {}
    for it in items:
        q = it.extra["qv"]
        for key in (q.wh_key, q.wh):
            counts[key] = counts.get(key, 0) + 1
    keys = sorted(k for k, n in counts.items() if n >= min_count and k)
    return {k: i + 1 for i, k in enumerate(keys)}


def _wh(items: list[Item], vocab: dict[str, int]) -> None:
    for it in items:
        q = it.extra["qv"]
        it.extra["wh"] = float(vocab.get(q.wh_key, vocab.get(q.wh, 0)))
        if it.s_rows is not None and len(it.s_rows):
            it.s_rows[:, -1] = it.extra["wh"]


def span_rows(it: Item, s_scores: np.ndarray) -> tuple[list[tuple[Unit, Any]], np.ndarray, np.ndarray]:
    q = it.extra["qv"]
    order = np.argsort(-s_scores, kind="stable")[:TOP_SENTENCES]
    found, rows, labels = [], [], []
    golds = [norm(g) for g in it.golds if norm(g)]
    for rank, i in enumerate(order, 1):
        u = it.units[i]
        cl = clauses(u.text)
        covers: dict[tuple[int, int], float] = {}
        for sp in spans(u):
            row = span_row(q, u, sp, it.idf, float(s_scores[i]), rank, cl, covers)
            row[-1] = it.extra["wh"]
            rows.append(row)
            found.append((u, sp))
            piece = norm(u.text[sp.start:sp.end])
            held = bool(it.s_label is not None and it.s_label[i])
            best = max((f1(piece, g) for g in golds), default=0.0) if held else 0.0
            near = held and any(g in piece and len(piece) <= len(g) + 6 for g in golds)
            labels.append(2.0 if best >= 0.9 else 1.0 if (best >= 0.7 or near) else 0.0)
    return found, np.asarray(rows, dtype=np.float64).reshape(-1, len(SPAN_FEATURES)), np.asarray(labels)


@dataclass
class Outcome:
    item: Item
    answer: str
    answerable: float
    sentence: str
    span_score: float
    unit: Any = None
    span: Any = None
    scored: Any = None
    why: str = ""


def run_folds(items: list[Item], span_threshold: float, report: Callable[[str], None]) -> list[Outcome]:
    """Out-of-fold predictions for every fit item (models never see the item's document)."""
    folds = [fold_of(it.group) for it in items]
    s_pred: list[np.ndarray] = [np.zeros(0)] * len(items)
    for f in range(FOLDS):
        tr = [it for it, g in zip(items, folds, strict=True) if g != f and it.answerable and len(it.units)]
        m = train_sentences(tr)
        for i, (it, g) in enumerate(zip(items, folds, strict=True)):
            if g == f and len(it.units):
                s_pred[i] = it.extra["s_pred"] = softmax(m.predict(it.s_rows))
        report(f"sentence fold {f} done")
    empty: tuple[list[Any], np.ndarray, np.ndarray] = ([], np.zeros((0, len(SPAN_FEATURES))), np.zeros(0))
    span_data = [span_rows(it, s_pred[i]) if len(it.units) else empty for i, it in enumerate(items)]
    p_pred: list[np.ndarray] = [np.zeros(0)] * len(items)
    for f in range(FOLDS):
        tr = [i for i, g in enumerate(folds) if g != f and items[i].answerable and len(span_data[i][1])]
        m = train_spans([span_data[i] for i in tr], [items[i].weight for i in tr])
        for i, g in enumerate(folds):
            if g == f and len(span_data[i][1]):
                p_pred[i] = softmax(m.predict(span_data[i][1]))
                items[i].extra["p_model"] = m  # the span model that never saw it (fit_verify)
        report(f"span fold {f} done")
    a_rows, outs = [], []
    for i, it in enumerate(items):
        row, out = _answer_parts(it, s_pred[i], span_data[i][0], p_pred[i], span_threshold)
        a_rows.append(row)
        outs.append(out)
    a_label = np.asarray([float(answered_by(o.item)) for o in outs])
    a_x = np.asarray(a_rows, dtype=np.float64)
    for f in range(FOLDS):
        tr = [i for i, g in enumerate(folds) if g != f]
        m = train(a_x[tr], a_label[tr], ANSWER_FEATURES, rounds=200,
                  weight=np.asarray([items[i].weight for i in tr]))
        te = [i for i, g in enumerate(folds) if g == f]
        if te:
            for i, p in zip(te, m.predict(a_x[te]), strict=True):
                outs[i].answerable = float(p)
    return outs


def _answer_parts(it: Item, s_scores: np.ndarray, found: list[Any], p: np.ndarray,
                  span_threshold: float) -> tuple[list[float], Outcome]:
    if not len(it.units) or not len(p):
        return [0.0] * len(ANSWER_FEATURES), Outcome(it, "", 0.0, "", 0.0)
    order = np.argsort(-p, kind="stable")
    u, sp = found[order[0]]
    p1 = float(p[order[0]])
    p2 = float(p[order[1]]) if len(order) > 1 else 0.0
    i_best = it.units.index(u)
    s1 = float(s_scores[i_best])
    s2 = float(max((s for j, s in enumerate(s_scores) if j != i_best), default=0.0))
    all_text = "".join(x.prev + x.form + x.next for x in it.units)
    q = it.extra["qv"]
    row = answer_row(it.s_rows[i_best], s1, s2, p1, p2, max_missing_idf(q, all_text, it.idf),
                     len(q.tokens), sp, it.extra["wh"], lack_shares(q, u, all_text, it.doc_text, it.idf))
    scored = [(found[j][0], found[j][1], float(p[j])) for j in order]
    cu, cs = choose(scored, span_threshold)
    unquoted = quote_absent(q, it.units, it.doc_text) or absent_place(q, it.extra["mentions"])
    why = "quote_missing" if unquoted else why_not(q, u, it.s_rows[i_best])
    return row, Outcome(it, cu.text[cs.start:cs.end], 0.0, u.text, p1, u, sp, scored, why)


def why_of(it: Item) -> Callable[[Unit], str]:
    """:func:`qa.reader.why_not` for the sentences of ``it`` (by their sentence rows)."""
    q, rows = it.extra["qv"], it.s_rows
    assert rows is not None
    return lambda u: why_not(q, u, rows[it.units.index(u)])


def neural_path(it: Item, reader: Any, s_scores: np.ndarray, top: Unit,
                scored: list[tuple[Unit, Any, float]], span_model: Any) -> tuple[Unit, Any, list[Any]]:
    """The sentence the engine's neural ``reader`` chooses for ``it`` from these sentence
    scores and boosted spans (:func:`qa.reader.neural_sentence`), its reading and its spans."""
    ranked = [(it.units[i], float(s_scores[i])) for i in np.argsort(-s_scores, kind="stable")]
    return neural_sentence(reader, span_model, it.question, it.extra["qv"], top, ranked, scored,
                           it.idf, it.extra["wh"], why_of(it))


def answered_by(it: Item) -> bool:
    """What the answerability model learns: whether the sources answer the question at all.
    (Not whether the picked sentence is right: abstaining then would trade a possibly right
    answer for a sure miss, and which sentence is right is the rankers' job.)"""
    return it.answerable


def correct(it: Item, answer: str) -> bool:
    """The answer holds a gold answer (RGB: every element; ours: every expect, no forbid)."""
    a = norm(answer)
    if not it.answerable:
        return False
    if it.set == "rgb":
        return all(any(norm(x) in a for x in (el if isinstance(el, list) else [el]))
                   for el in it.extra["answer"])
    if "expect" in it.extra:
        ok = all(any(norm(x) in a for x in (el if isinstance(el, list) else [el]))
                 for el in it.extra["expect"])
        return ok and not any(norm(f) in a for f in it.extra.get("forbid", []) if norm(f))
    return any(norm(g) in a for g in it.golds if norm(g))


def answers(o: Outcome, threshold: float) -> bool:
    """Whether the engine would answer (see :func:`qa.reader.Reading.answers`)."""
    return o.answerable >= threshold and o.why not in REFUSING


def summarize(outs: list[Outcome], threshold: float) -> dict[str, Any]:
    ans = [o for o in outs if o.item.answerable]
    neg = [o for o in outs if not o.item.answerable]
    res: dict[str, Any] = {"n": len(ans), "n_unanswerable": len(neg)}
    if ans:
        given = [o for o in ans if answers(o, threshold)]
        res["contains_gold"] = sum(correct(o.item, o.answer) for o in given) / len(ans)
        res["contains_gold_no_abstain"] = sum(correct(o.item, o.answer) for o in ans) / len(ans)
        res["f1"] = sum(max((f1(o.answer, g) for g in o.item.golds), default=0.0) for o in given) / len(ans)
        res["f1_no_abstain"] = sum(max((f1(o.answer, g) for g in o.item.golds), default=0.0)
                                   for o in ans) / len(ans)
        res["mean_len"] = sum(len(o.answer) for o in ans) / len(ans)
        res["wrongly_abstained"] = sum(not answers(o, threshold) for o in ans) / len(ans)
        res["sentence_has_gold"] = sum(any(norm(g) in norm(o.sentence) for g in o.item.golds if norm(g))
                                       for o in ans) / len(ans)
    if neg:
        res["unanswerable_answered"] = sum(answers(o, threshold) for o in neg) / len(neg)
        for kind in sorted({o.item.extra.get("neg", "written") for o in neg}):
            mine = [o for o in neg if o.item.extra.get("neg", "written") == kind]
            res[f"unanswerable_answered_{kind}"] = sum(answers(o, threshold) for o in mine) / len(mine)
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in res.items()}


def abstention_cut(outs: list[Outcome], max_abstained: float) -> float:
    """The abstention cut on out-of-fold answerability: the highest that abstains on at most
    ``max_abstained`` of the answerable questions (each set weighted alike, so that DRCD's
    3,493 questions don't decide it alone). Every unanswerable question it still answers is
    reported, not hidden."""
    sets = sorted({o.item.set for o in outs if o.item.answerable})
    grid = sorted({round(o.answerable, 3) for o in outs})

    def abstained(t: float) -> float:
        shares = []
        for name in sets:
            mine = [o for o in outs if o.item.set == name and o.item.answerable]
            shares.append(sum(not answers(o, t) for o in mine) / len(mine))
        return sum(shares) / len(shares)

    return max((t for t in grid if abstained(t) <= max_abstained), default=0.0)


def sweep(outs: list[Outcome]) -> dict[str, Any]:
    """Contains-gold, F1 and length of the answers (no abstention) as the span threshold moves."""
    res: dict[str, Any] = {}
    for name in sorted({o.item.set for o in outs}):
        mine = [o for o in outs if o.item.set == name and o.item.answerable and o.unit is not None]
        if not mine:
            continue
        for t, window in [(t, True) for t in (0.0, 0.3, 0.5, 0.7, 0.9, 1.01)] + [(0.5, False)]:
            chosen = [choose(o.scored, t, window=window) for o in mine]
            texts = [u.text[sp.start:sp.end] for u, sp in chosen]
            pairs = list(zip(mine, texts, strict=True))
            res[f"{name}@{t}" + ("" if window else " one clause")] = {
                "contains": round(sum(correct(o.item, a) for o, a in pairs) / len(mine), 4),
                "f1": round(sum(max((f1(a, g) for g in o.item.golds), default=0.0) for o, a in pairs)
                            / len(mine), 4),
                "len": round(sum(len(a) for a in texts) / len(mine), 1)}
    return res


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m eval.fit_reader", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cv-only", action="store_true", help="report cross-validated figures only")
    ap.add_argument("--limit", type=int, default=None, help="questions per MRC set (for a quick run)")
    ap.add_argument("--span-threshold", type=float, default=0.5)
    ap.add_argument("--max-abstained", type=float, default=0.05,
                    help="abstention cut: the highest that abstains on at most this share of "
                         "the answerable questions, out of fold")
    ap.add_argument("--out", type=Path, default=MODELS)
    ap.add_argument("--dump", type=Path, default=None, help="write every out-of-fold answer here")
    ap.add_argument("--sets", default=ALL_SETS, help="comma-separated sets to fit on")
    ap.add_argument("--neural", type=Path, default=MODELS / "neural.npz",
                    help="the neural reader the answerability check is fitted with (eval/fit_verify.py)")
    ap.add_argument("--verify-features", default="answer_model,reader_null",
                    help="the check's features (qa/verify.py FEATURES); empty: fit no check")
    ap.add_argument("--balance", type=float, default=0.0,
                    help="weight a set's questions by (largest set / its size) ** this (0: all alike)")
    args = ap.parse_args(argv)
    from qa.verify import FEATURES

    unknown = [n for n in args.verify_features.split(",") if n and n not in FEATURES]
    if unknown:
        ap.error(f"--verify-features: unknown {unknown}; known: {', '.join(FEATURES)}")
    rng = random.Random(13)
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    frame = frame_words(gold_paragraphs())
    log(f"{len(frame)} frame words: {' '.join(sorted(frame))}")
    items: list[Item] = []
    loaders = {"drcd": lambda: mrc_items("drcd", args.limit), "cmrc": lambda: mrc_items("cmrc", args.limit),
               "rgb": rgb_items, "gov": gov_items}
    for name in args.sets.split(","):
        index, its = loaders[name]()
        its = its + negatives(its, index, rng)
        collect(index, its, f"检索 {its[0].set}", frame)
        items += its
    fit = [it for it in items if it.split == "fit"]
    balance(fit, args.balance)
    vocab = wh_vocabulary([it for it in fit if it.answerable])
    _wh(items, vocab)
    outs = run_folds(fit, args.span_threshold, log)
    cut = abstention_cut(outs, args.max_abstained)
    report: dict[str, Any] = {"answer_threshold": cut, "cv5_by_document": {}}
    for name in sorted({it.set for it in fit}):
        mine = [o for o in outs if o.item.set == name]
        report["cv5_by_document"][name] = {str(t): summarize(mine, t) for t in (0.0, cut, 0.5)}
    report["span_threshold_sweep"] = sweep(outs)
    verifier = None
    if args.verify_features and args.neural.exists():
        from eval.fit_verify import fit_verifier
        from qa.neural import NeuralSpans

        verifier, report["verify"] = fit_verifier(outs, NeuralSpans(args.neural), args.max_abstained,
                                                  log, tuple(args.verify_features.split(",")))
    print(json.dumps(report, ensure_ascii=False, indent=1))
    if (args.limit is None and set(args.sets.split(",")) == set(ALL_SETS.split(","))
            and args.neural.resolve() == (MODELS / "neural.npz").resolve()):  # the report of record
        REPORT.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as fh:
            for o in outs:
                fh.write(json.dumps({"set": o.item.set, "qid": o.item.qid, "group": o.item.group,
                                     "neg": o.item.extra.get("neg", ""),
                                     "q": o.item.question, "gold": o.item.golds,
                                     "answer": o.answer, "ok": correct(o.item, o.answer),
                                     "p": round(o.span_score, 3), "a": round(o.answerable, 3),
                                     "answerable": o.item.answerable, "sentence": o.sentence,
                                     "why": o.why, "spans": _dump_spans(o.scored)},
                                    ensure_ascii=False) + "\n")
    if args.cv_only:
        return
    _fit_and_save(fit, vocab, frame, args, cut, log, verifier)


def _dump_spans(scored: Any, top: int = 40) -> list[Any]:
    """The best scored spans as (sentence number, text, kind, probability), for studying
    answer policies offline."""
    if not scored:
        return []
    sentences: list[Any] = []
    out = []
    for u, sp, p in scored[:top]:
        if u not in sentences:
            sentences.append(u)
        out.append([sentences.index(u), u.text[sp.start:sp.end], sp.kind, round(p, 4)])
    return out


def _fit_and_save(fit: list[Item], vocab: dict[str, int], frame: frozenset[str], args: Any,
                  cut: float, log: Callable[[str], None], verifier: Any = None) -> None:
    ans = [it for it in fit if it.answerable and len(it.units)]
    s_model = train_sentences(ans)
    log("sentence model fitted")
    data = [(it, span_rows(it, softmax(s_model.predict(it.s_rows)))) for it in fit if len(it.units)]
    keep = [(it, d) for it, d in data if it.answerable and len(d[1])]
    p_model = train_spans([d for _it, d in keep], [it.weight for it, _d in keep])
    log("span model fitted")
    a_rows, a_label = [], []
    for it, (found, _x, _y) in data:
        p = softmax(p_model.predict(_x)) if len(_x) else np.zeros(0)
        row, _ = _answer_parts(it, softmax(s_model.predict(it.s_rows)), found, p, args.span_threshold)
        a_rows.append(row)
        a_label.append(float(answered_by(it)))
    a_model = train(np.asarray(a_rows), np.asarray(a_label), ANSWER_FEATURES, rounds=200,
                    weight=np.asarray([it.weight for it, _d in data]))
    log("answerability model fitted")
    args.out.mkdir(parents=True, exist_ok=True)
    s_model.save_model(str(args.out / "sentence.txt"))
    p_model.save_model(str(args.out / "span.txt"))
    a_model.save_model(str(args.out / "answer.txt"))
    meta = {"wh_vocab": vocab, "frame_words": sorted(frame), "span_threshold": args.span_threshold,
            "answer_threshold": round(cut, 6), "max_abstained": args.max_abstained,
            "fitted_on": {s: sum(it.set == s for it in fit) for s in sorted({it.set for it in fit})},
            "features": {"sentence": SENTENCE_FEATURES, "span": SPAN_FEATURES, "answer": ANSWER_FEATURES}}
    if verifier is not None:  # fitted with the neural reader in args.neural (eval/fit_verify.py)
        meta["verify"] = verifier.to_meta()
    (args.out / "reader.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n",
                                          encoding="utf-8")
    log(f"saved to {args.out} (answer threshold {cut:.4f})")


if __name__ == "__main__":
    main()
