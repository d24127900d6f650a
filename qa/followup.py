"""Follow-up questions in a conversation: when to read one against the previous turn, and how.

A question is read against the previous turn only when the evidence says it cannot stand
alone, and then only its missing part is carried over, never the whole earlier question:

* **Ellipsis** — no predicate of its own: "那累计呢？", "明门公司呢？", "几所学校呢？",
  "what about since 2021?". What it names replaces the part of the previous query of the
  same kind (a time scope, a place, a person, an organisation, the asked phrase "几个镇"),
  so "今年社会捐赠一共多少？" + "那累计呢？" → "累计社会捐赠一共多少？".
* **Anaphora** — it points back instead of naming: "这笔钱用于什么？", "它们都是什么企业？".
  The pointer is replaced by the previous query's topic (the query without its question
  phrase): "清溪镇工商联向德江县人民政府捐赠的钱用于什么？".
* **No subject** — nothing but question words and verbs ("用途是什么？"), or one bare common
  noun that the previous turn also speaks of ("资金用于什么？" after a question about 资金).

A question that names its own subject — a person, place or organisation (jieba's nr/ns/nt/
nz), a figure, a quoted name, an English proper noun, or two or more nouns — is never
merged, whatever marker it starts with ("那3家涉农企业入驻了哪里？" stands alone).

The previous turn's *resolved* query is used, once: a follow-up of a follow-up reads against
the already resolved text, so context never snowballs across turns.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from ingest.normalize import search_form

Kind = Literal["none", "ellipsis", "anaphora", "no_subject"]

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
    r"(?:自|从)[^，,。？?]{0,12}?以来|[\u4e00-\u9fff]{0,2}以来|(?:自|从)?\d{4}年(?:起|至今|以来)?|"
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
_NOUN = frozenset({"n", "nr", "nrt", "nrfg", "ns", "nt", "nz", "j", "l", "eng", "vn", "an", "i"})
_PROPER = frozenset({"nr", "nrt", "nrfg", "ns", "nt", "nz", "j"})
_PLACE = re.compile(r"^..+?[省市县镇村区乡]$")
_FUNCTION_TAIL = re.compile(r"(?:[了的是有为在共到将被把向给和与及]|一共|总共|合计|达到|共计)+$")


@dataclass(frozen=True, slots=True)
class Token:
    """One jieba word with its part of speech and its offset in the question."""

    word: str
    flag: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.word)


@dataclass(frozen=True, slots=True)
class Resolution:
    """How a question was read: ``query`` is what retrieval uses; ``kind`` why."""

    query: str
    kind: Kind = "none"

    @property
    def followup(self) -> bool:
        return self.kind != "none"


class HasQuery(Protocol):
    """A previous turn (``qa.engine.Turn``): the question and the query it was resolved to."""

    @property
    def question(self) -> str: ...

    @property
    def query(self) -> str: ...


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
    han = sum("\u4e00" <= ch <= "\u9fff" for ch in text)
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
        if t.flag not in _NOUN or not word or _is_time(word) or FRAME.match(word) or ASK.fullmatch(word):
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
        return {t.word for t in tokens(s) if len(t.word) >= 2 and (t.flag in _NOUN or t.flag.startswith("v"))
                and not ASK.search(t.word) and not _is_time(t.word)}
    return bool(content(text) & content(previous))


def decide(question: str, previous: str) -> Kind:
    """Why ``question`` is a follow-up of ``previous`` (``"none"`` when it stands alone)."""
    q = question.strip()
    if not q or not previous.strip() or is_english(q) != is_english(previous):
        return "none"  # a switch of language starts a new thread
    if is_elliptical(q):
        return "ellipsis"
    if names_subject(q):
        return "none"
    if anaphors(q):
        return "anaphora"
    common = subject_words(q)[1]
    marked = bool(LEAD.match(search_form(q)) or re.search(r"呢[\s?？]*$", q))
    if not common:
        return "no_subject"
    if marked:  # "还有哪些领导参加了？": one bare noun, and marked as a follow-up
        return "no_subject"
    # one noun and a verb of its own ("今年社会捐赠一共多少？") make a question of their own;
    # a bare noun ("资金用于什么？") is a follow-up when the previous turn speaks of it
    if len(common) + len(content_verbs(q)) >= 2:
        return "none"
    return "no_subject" if shares_content(q, previous) else "none"


# -- carrying the missing part over ----------------------------------------------------------


def topic(previous: str, *, keep_time: bool = True) -> str:
    """What the previous query is about: the query without its question phrase.

    "明门公司在联席会议上向德江县捐赠了多少资金？" → "明门公司在联席会议上向德江县捐赠"
    (a question phrase at the end is cut with what follows it); "清溪镇协助几家涉农企业入驻
    德江共建园区？" → "清溪镇协助涉农企业入驻德江共建园区" (inside, only the question word goes).
    """
    text = previous.strip()
    text = re.sub(r"[\s?？。!！]+$", "", text)
    if not keep_time:
        text = without_time(text)
    asked = asked_phrase(text)
    if asked is not None:
        start, word_end, end = asked
        if not re.search(r"[\u4e00-\u9fff]{2}", search_form(text)[end:]):
            text = text[:start]  # the question phrase ends the query: cut it off
        else:  # inside: only the question word goes, its noun stays
            text = text[:start] + text[word_end:]
    text = re.sub(r"^(?:请问|那么|那)", "", text)
    text = re.sub(r"[，,\s]+$", "", text)
    return _FUNCTION_TAIL.sub("", text) if not _FUNCTION_TAIL.fullmatch(text) else text


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
            while j < len(toks) and (toks[j].flag in _NOUN or toks[j].flag == "ng"):
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
        if (t.flag in _NOUN or t.flag == "t") and not ASK.search(t.word):
            run.append(t)
        else:
            close()
    close()
    return out


def _strip_markers(text: str) -> str:
    form = search_form(text)
    lead = LEAD.match(form)
    start = lead.end() if lead else 0
    trail = TRAIL.search(form[start:])
    end = start + trail.start() if trail else len(text)
    return text[start:end].strip()


def _splice(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


def fill_ellipsis(question: str, previous: str) -> str:
    """The previous query with the elliptical question's part swapped in.

    A time scope replaces the old one ("那累计呢？"); an asked phrase replaces the old one
    ("几所学校呢？"); a name replaces the first of its kind (place, person, organisation);
    a bare noun replaces the asked-about noun. Failing all that, it leads the old query.
    """
    x = _strip_markers(question)
    prev = previous.strip()
    if not x:
        return prev
    if is_english(prev) or is_english(x):
        return _fill_english(x, prev)
    if TIME.fullmatch(search_form(x)):
        spans = time_spans(prev)
        if spans:
            a, b = spans[0]
            rest = _splice(prev, a, b, "\0")
            # any further time words go too: the new scope is the only one
            return re.sub(r"^[，,\s]+", "", without_time(rest)).replace("\0", x, 1)
        return x + prev
    if asked_phrase(x) is not None:
        old = asked_phrase(prev)
        if old is not None:
            return _splice(prev, old[0], old[2], x)
    kind = phrase_kind(x)
    for a, b, k in noun_phrases(prev):
        if k == kind and kind != "noun":
            return _splice(prev, a, b, x)
    asked = asked_phrase(prev)
    if kind == "noun" and asked is not None and asked[2] > asked[1]:
        return _splice(prev, asked[1], asked[2], x)  # "几个镇" + "那村呢" → "几个村"
    if kind == "noun":
        attr = _asked_noun(prev)  # the asked-about noun (财政收入 in 财政收入多少)
        at = search_form(prev).find(attr) if attr else -1
        if at >= 0:
            return _splice(prev, at, at + len(attr), x)
    return x + prev


def _asked_noun(question: str) -> str:
    """The last content word before the question word (财政收入多少 → 收入's compound)."""
    from qa.features import view

    q = view(question)
    at = q.form.find(q.wh) if q.wh else len(q.form)
    before = [t for t in q.tokens if len(t) >= 2 and 0 <= q.form.find(t) < at]
    return max(before, key=lambda t: (q.form.find(t) + len(t), len(t)), default="")


def _fill_english(x: str, prev: str) -> str:
    if TIME.search(x):
        spans = [m.span() for m in TIME.finditer(prev)]
        if spans:
            a, b = spans[0]
            return _splice(prev, a, b, x)
        return re.sub(r"[\s?]+$", "", prev) + " " + x + "?"
    return re.sub(r"[\s?]+$", "", prev) + ", " + x + "?"


def fill_anaphora(question: str, previous: str) -> str:
    """The question with its pointer ("这笔", "它") — or, lacking one, its missing subject —
    replaced by the previous query's topic."""
    q = question.strip()
    own_time = bool(time_spans(q))
    subject = topic(previous, keep_time=not own_time)
    if not subject:
        return q
    if is_english(q):
        found = anaphors(q)
        if found:
            m = found[0]
            return _splice(q, m.start(), m.end(), subject)
        return q
    form = search_form(q)
    lead = LEAD.match(form)
    if lead and not form.startswith("还有"):  # 那/那么/另外 only link the turns
        q, form = q[lead.end():], form[lead.end():]
    found = anaphors(q)
    if found:
        m = found[0]
        after = q[m.end():]
        # "这笔钱" / "该项目": a determiner before a noun becomes "…的"; "它" becomes the topic
        noun_follows = DETERMINER.match(m.group()) is not None or _starts_noun(after)
        if not noun_follows:  # a pronoun stands for a noun phrase: "敖华担任" → "敖华"
            subject = _without_trailing_verbs(subject)
        joiner = "的" if noun_follows and not after.startswith("的") else ""
        return q[: m.start()] + subject + joiner + after
    # no pointer and no subject: the topic leads ("用途是什么？" → "…的用途是什么？")
    if _starts_noun(q):  # "用途是什么？" → "清溪镇捐的用途是什么？"
        return subject + "的" + q
    # "一共捐了多少？" → "明门公司捐赠的资金一共捐了多少？": the topic's noun, not its verb
    return _without_trailing_verbs(subject) + q


def _without_trailing_verbs(text: str) -> str:
    toks = list(tokens(text))
    while len(toks) > 1 and ((toks[-1].flag.startswith("v") and toks[-1].flag != "vn")
                             or toks[-1].flag in ("p", "ul", "uj", "d")):
        toks.pop()
    return text[: toks[-1].end] if toks else text


def _starts_noun(text: str) -> bool:
    toks = tokens(text)
    return bool(toks) and toks[0].flag in _NOUN and not TOTAL.match(toks[0].word)


def resolve(question: str, previous: str | None) -> Resolution:
    """Read ``question`` against the previous turn's resolved query.

    Returns the question unchanged (``kind="none"``) when it stands alone.
    """
    if not previous:
        return Resolution(question)
    kind = decide(question, previous)
    if kind == "none":
        return Resolution(question)
    query = fill_ellipsis(question, previous) if kind == "ellipsis" else fill_anaphora(question, previous)
    query = query.strip()
    if not query or query == question.strip():
        return Resolution(question)
    if not re.search(r"[?？]$", query) and re.search(r"[?？]\s*$", question):
        query += "？" if not is_english(query) else "?"
    return Resolution(query, kind)


def resolve_followup(question: str, history: Sequence[HasQuery]) -> str:
    """The retrieval query for ``question`` given the earlier turns (the last one counts)."""
    if not history:
        return question
    last = history[-1]
    return resolve(question, last.query or last.question).query
