"""The parts of a question that follow-up resolution reads: jieba words with their parts of
speech, question words, time phrases, pointers back (这笔钱, 它们), subject words, the asked
phrase and noun phrases (see :mod:`qa.followup`)."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.normalize import search_form
from text.lexicon import CJK, is_cjk

# Question words: a question holding one asks something of its own.
ASK = re.compile(r"多少|几|谁|什么|哪|何[时处地]|怎|如何|是否|吗|"
                 r"\b(?:what|who|whom|which|when|where|why|how)\b")
# Discourse markers that open a follow-up ("那累计呢", "还有…", "what about…").
LEAD = re.compile(r"^(?:那么|那|还有|另外|至于|and|what about|how about)[\s,，]*", re.IGNORECASE)
TRAIL = re.compile(r"[呢吗]?[\s?？!！。.]*$")
# Words that point back to something said before: pronouns and demonstrative determiners.
ANAPHOR = re.compile(
    r"它们|他们|她们|它|他|她|其(?!中|他|实|余|次)|上述|"
    r"(?:这|该|此|那(?=[一几]?[笔些个项次位家所种批件条]))(?:[一几]?[笔些个项次位家所种批件条])?|"
    r"\b(?:it|its|they|them|their|this|that|these|those)\b")
DETERMINER = re.compile(r"^(?:这|那|该|此|上述|其)(?:[一几]?[笔些个项次位家所种批部分件条])?$")
# Time scope: what "那累计呢？" / "what about last year?" swaps in.
TIME = re.compile(
    rf"(?:自|从)[^，,。？?]{{0,12}}?以来|[{CJK}]{{0,2}}以来|(?:自|从)?\d{{4}}年(?:起|至今|以来)?|"
    r"今年|去年|明年|前年|后年|本年度?|上半年|下半年|截[至止]目前|目前为止|至今|累计|累积|历年|"
    r"\b(?:this|last|next) year\b|\bsince \d{4}\b|\bin \d{4}\b|\bin total\b|\bso far\b",
    re.IGNORECASE)
# Words that only frame a question, not name its subject.
FRAME = re.compile(r"^(?:钱|名字|身份|职务|用途|内容|情况|方面|之处|特别之处|时间|日期|地方|时候|人|"
                   r"数量|金额|总额|多少|问题|东西|事|事情|一共|总共|合计|共计|总计)$")
# adverbs of total that jieba may tag as nouns (一共 → j)
TOTAL = re.compile(r"^(?:一共|总共|合计|共计|总计)$")
# Heads that make a noun phrase an organisation.
ORG = re.compile(r"(?:公司|集团|企业|政府|商会|工商联|学校|中学|小学|幼儿园|大学|医院|协会|银行|"
                 r"委员会|组织|社|馆|局|厅|部|办)$")
NOUN = frozenset({"n", "nr", "nrt", "nrfg", "ns", "nt", "nz", "j", "l", "eng", "vn", "an", "i"})
_PROPER = frozenset({"nr", "nrt", "nrfg", "ns", "nt", "nz", "j"})
_PLACE = re.compile(r"^..+?[省市县镇村区乡]$")
FUNCTION_TAIL = re.compile(r"(?:[了的是有为在共到将被把向给和与及]|一共|总共|合计|达到|共计)+$")


@dataclass(frozen=True, slots=True)
class Token:
    """One jieba word with its part of speech and its offset in the question."""

    word: str
    flag: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.word)


@functools.lru_cache(maxsize=2048)
def tokens(text: str) -> tuple[Token, ...]:
    """jieba words with parts of speech, over the search form (simplified, half-width,
    lower-case for English; same length as ``text``, so offsets index ``text`` too)."""
    import jieba
    import jieba.posseg as pseg

    jieba.setLogLevel(60)
    form = search_form(text)
    out, at = [], 0
    for pair in pseg.cut(form):
        out.append(Token(pair.word, pair.flag, at))
        at += len(pair.word)
    return tuple(out)


def is_english(text: str) -> bool:
    latin = sum(ch.isascii() and ch.isalpha() for ch in text)
    han = sum(is_cjk(ch) for ch in text)
    return latin > 2 * han


def _is_time(word: str) -> bool:
    return bool(TIME.fullmatch(word))


def time_spans(text: str) -> list[tuple[int, int]]:
    """Offsets of the time-scope words in ``text`` (今年, 累计, 自2021年结对以来, since 2021)."""
    return [m.span() for m in TIME.finditer(search_form(text))]


def without_time(text: str) -> str:
    """``text`` with its time-scope words removed."""
    spans = time_spans(text)
    out, at = [], 0
    for a, b in spans:
        out.append(text[at:a])
        at = b
    out.append(text[at:])
    return re.sub(r"^[，,\s]+", "", "".join(out))


def anaphors(text: str) -> list[re.Match[str]]:
    """The words of ``text`` that point back (它, 这笔, 该, "it"), as matches on its search form."""
    form = search_form(text)
    times = time_spans(text)
    # 这/那 count only as determiners or pronouns, not inside words (这里 is a place word)
    # nor inside a time phrase ("this year")
    return [m for m in ANAPHOR.finditer(form)
            if not (m.group() == "这" and re.match(r"这(?:里|儿|样|么)", form[m.start():]))
            and not any(a <= m.start() < b for a, b in times)]


def subject_words(text: str) -> tuple[list[str], list[str]]:
    """``(proper, common)``: the words of a question that name what it is about.

    Proper are persons, places, organisations and other proper nouns, figures (not years),
    quoted names and English capitalised words; common are the other nouns. Nouns bound
    to a pointer ("这笔**钱**"), question words ("哪些项目" → 项目 is kept, 哪些 is not),
    time words and nouns that only frame the question (名字, 用途) are left out.
    """
    if is_english(text):
        words = re.findall(r"\b[A-Z][a-zA-Z]+\b", text)
        names = [w for w in words[1:] if not ANAPHOR.fullmatch(w.lower())]  # not the first word
        return names + re.findall(r"\b\d+(?:\.\d+)?\b", without_time(text)), []
    form = search_form(text)
    quoted = re.findall(r"[“\"「《]([^”\"」》]{1,20})[”\"」》]", form)
    toks = tokens(text)
    proper: list[str] = list(quoted)
    common: list[str] = []
    bound = False
    for i, t in enumerate(toks):
        word = re.sub(r"^(?:哪[些个家所位])|^什么|^多少|^几[个名家所位]?", "", t.word)
        if DETERMINER.match(t.word) or (t.word in ("它", "它们", "他", "她", "他们", "其")):
            bound = True
            continue
        if t.flag == "m" and re.search(r"\d", t.word) and not _is_time(t.word + _next(toks, i)):
            proper.append(t.word)
            continue
        if t.flag not in NOUN or not word or _is_time(word) or FRAME.match(word) or ASK.fullmatch(word):
            if t.flag not in ("uj", "m", "q", "a"):
                bound = False
            continue
        if bound:  # 这笔钱: 钱 is what the pointer stands for, not a new subject
            bound = False
            continue
        (proper if t.flag in _PROPER or t.flag == "eng" else common).append(word)
    return proper, common


def _next(toks: Sequence[Token], i: int) -> str:
    return toks[i + 1].word if i + 1 < len(toks) else ""


def names_subject(text: str) -> bool:
    """The question names its own subject: a proper noun, figure or quoted name, or two
    or more nouns. Such a question is never merged with an earlier one."""
    proper, common = subject_words(text)
    return bool(proper) or len(set(common)) >= 2


def is_elliptical(text: str) -> bool:
    """No predicate of its own: "那累计呢？", "明门公司呢？", "几所学校呢？", "what about 2022?"."""
    q = text.strip()
    if is_english(q):
        return bool(re.match(r"^(?:and|what about|how about)\b", q, re.IGNORECASE)) \
            and not re.search(r"\b(?:is|are|was|were|did|does|do|has|have)\b", q, re.IGNORECASE)
    form = search_form(q)
    marked = bool(LEAD.match(form)) or bool(re.search(r"呢[\s?？]*$", form))
    if not marked:
        return False
    core = TRAIL.sub("", LEAD.sub("", form))
    if not core:
        return True
    core = without_time(core)
    if not core:
        return True
    # the rest names things (and at most asks "几所学校" first): no predicate of its own,
    # which shows as a question word further in, an aspect particle (了/过/着) or a preposition
    toks = tokens(core)
    asked = asked_phrase(core)
    if ASK.search(search_form(core)) and (asked is None or asked[0] != 0):
        return False
    return not any(t.flag in ("ul", "uz", "ug", "p") for t in toks)


# verbs that only link or frame ("用于什么", "属于哪个省"): they name no event of their own
LIGHT_VERB = re.compile(r"^(?:用于|属于|作为|成为|进行|达到|包括|叫做|称为|位于|在于|担任|来自)$")


def content_verbs(text: str) -> list[str]:
    """The verbs of two or more characters that name an event (捐赠, 参加), not a link (用于)."""
    return [t.word for t in tokens(text) if t.flag.startswith("v") and t.flag != "vn" and len(t.word) >= 2
            and not LIGHT_VERB.match(t.word) and not _is_time(t.word) and not ASK.search(t.word)]


def shares_content(text: str, previous: str) -> bool:
    """``text`` and ``previous`` share a content word (noun or verb of two or more characters)."""
    def content(s: str) -> set[str]:
        return {t.word for t in tokens(s) if len(t.word) >= 2 and (t.flag in NOUN or t.flag.startswith("v"))
                and not ASK.search(t.word) and not _is_time(t.word)}
    return bool(content(text) & content(previous))


def asked_phrase(text: str) -> tuple[int, int, int] | None:
    """``(start, end of the question word, end)`` of the asked phrase: the question word,
    its measure word and the nouns it asks about ("几个镇", "多少资金", "哪所学校")."""
    toks = tokens(text)
    for i, t in enumerate(toks):
        if ASK.search(t.word):
            j = i + 1
            while j < len(toks) and toks[j].flag in ("m", "q", "u") and len(toks[j].word) == 1:
                j += 1
            word_end = toks[j - 1].end
            while j < len(toks) and (toks[j].flag in NOUN or toks[j].flag == "ng"):
                j += 1
            return t.start, word_end, toks[j - 1].end
    return None


def _kind(run: Sequence[Token]) -> str:
    word = "".join(t.word for t in run)
    flags = {t.flag for t in run}
    if _is_time(word) or flags <= {"t"}:
        return "time"
    if ORG.search(word) or "nt" in flags:
        return "org"
    if run[0].flag == "ns" or _PLACE.match(run[0].word):
        return "place"
    if any(t.flag in ("nr", "nrt", "nrfg") and not _PLACE.match(t.word) for t in run):
        return "person"
    return "noun"


def phrase_kind(text: str) -> str:
    """The kind of a short phrase ("那清溪镇镇长呢" → place): time, org, place, person, noun."""
    toks = [t for t in tokens(text) if t.flag not in ("x", "y", "r")]
    return _kind(toks) if toks else "noun"


def noun_phrases(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, kind)`` of runs of nouns in ``text``; kind is time, person, place, org
    or noun."""
    out: list[tuple[int, int, str]] = []
    run: list[Token] = []

    def close() -> None:
        if run:
            out.append((run[0].start, run[-1].end, _kind(run)))
            run.clear()

    for t in tokens(text):
        if (t.flag in NOUN or t.flag == "t") and not ASK.search(t.word):
            run.append(t)
        else:
            close()
    close()
    return out
