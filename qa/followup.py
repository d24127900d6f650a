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

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from ingest.normalize import search_form
from qa.question_parts import (
    DETERMINER,
    FUNCTION_TAIL,
    LEAD,
    NOUN,
    TIME,
    TOTAL,
    TRAIL,
    anaphors,
    asked_phrase,
    content_verbs,
    is_elliptical,
    is_english,
    names_subject,
    noun_phrases,
    phrase_kind,
    shares_content,
    subject_words,
    time_spans,
    tokens,
    without_time,
)
from text.lexicon import CJK

Kind = Literal["none", "ellipsis", "anaphora", "no_subject"]

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
        if not re.search(rf"[{CJK}]{{2}}", search_form(text)[end:]):
            text = text[:start]  # the question phrase ends the query: cut it off
        else:  # inside: only the question word goes, its noun stays
            text = text[:start] + text[word_end:]
    text = re.sub(r"^(?:请问|那么|那)", "", text)
    text = re.sub(r"[，,\s]+$", "", text)
    return FUNCTION_TAIL.sub("", text) if not FUNCTION_TAIL.fullmatch(text) else text


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
    return bool(toks) and toks[0].flag in NOUN and not TOTAL.match(toks[0].word)


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
