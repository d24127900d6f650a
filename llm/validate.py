"""Checks of what a model wrote: citation markers, the abstention phrase, and
:func:`check_answer` (every figure, link and quotation stands in a cited passage)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from ingest.normalize import search_form
from llm.prompts import ABSTAIN_PHRASE
from llm.safety import redact, suspicious_passages
from text.compare import numbers_supported
from text.lexicon import CJK_EXT_A, is_cjk

_CITATION = re.compile(r"[\[【［]\s*([0-9０-９]+(?:\s*[,，、]\s*[0-9０-９]+)*)\s*[\]】］]")


def without_markers(text: str) -> str:
    """``text`` without its citation markers (``[1]``, ``【2】``…)."""
    return _CITATION.sub("", text)


# Words of the condense prompt itself: a "rewrite" holding them is the template echoed back.
_TEMPLATE = re.compile(r"对话历史|后续问题|改写后的|独立问题|<\s*/?\s*资料|(?:^|\n)\s*(?:用户|助手)\s*[:：]")
# Characters that carry no content on their own; a bigram of two of them is no content word.
_FUNCTION_CHARS = set("的了是在和与及或呢吗吧啊么什怎那这哪谁多少几个请问一有也都就把被对为于其该此上下中")


def _content_words(text: str) -> set[str]:
    """CJK character bigrams (simplified) and ASCII words of ``text``, function words aside."""
    form = search_form(text)
    words = {w for w in re.findall(r"[a-z0-9]{2,}", form)}
    for run in re.findall(rf"[{CJK_EXT_A}]+", form):
        words |= {run[i : i + 2] for i in range(len(run) - 1)
                  if not (run[i] in _FUNCTION_CHARS and run[i + 1] in _FUNCTION_CHARS)}
    return words


def usable_rewrite(rewrite: str, history: Sequence[tuple[str, str]], question: str) -> bool:
    """Whether the model's rewrite of a follow-up may be used as the search query.

    Refused: the prompt template echoed back (``对话历史：`` …), or text that shares no
    content word with the conversation and the follow-up (the model answered, or rambled,
    instead of rewriting).
    """
    if not rewrite.strip() or _TEMPLATE.search(rewrite) or len(rewrite) > 4 * len(question) + 200:
        return False
    said = " ".join([question, *(f"{q} {a}" for q, a in history)])
    return bool(_content_words(rewrite) & _content_words(said))


_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")

def cited_numbers(text: str) -> list[int]:
    """The passage numbers cited in ``text`` (``[1]``, ``【2】``, ``[1,2]``, ``[1][2]``, ``［３］``),
    each once, in order of first appearance."""
    found: list[int] = []
    for m in _CITATION.finditer(text):
        for part in re.split(r"\s*[,，、]\s*", m.group(1).strip()):
            n = int(part.translate(_DIGITS))
            if n not in found:
                found.append(n)
    return found


def is_abstention(text: str) -> bool:
    """Whether ``text`` is the abstention phrase alone (punctuation and citations aside)."""
    core = re.sub(r"[\s。．.！!，,、；;：:“”\"'‘’「」]", "", without_markers(text))
    return core == ABSTAIN_PHRASE


def check_answer(text: str, passages: list[str]) -> list[str]:
    """Problems of a model's answer, in Chinese; an empty list means it passes.

    Checks that (a) every cited number names a passage that was given, (b) an answer other
    than :data:`ABSTAIN_PHRASE` cites at least one passage, (c) every figure and date of the
    answer is stated by a cited passage (numerals normalized: ``193万元`` is backed by
    ``约193萬元``, ``200万元`` is not), and (d) no cited passage contains injected
    instructions (see :func:`suspicious_passages`): text that commands the model cannot
    vouch for the answer the model gave, even when its figures match.

    Beyond these, because no filter recognises every phrasing of an injected instruction,
    the answer itself must stay inside what it cites: (e) a sentence that carries its own
    markers states only figures of the passages it cites; (f) every link, e-mail address
    and phone number, and (g) every quotation in “…” or 「…」, stands in a cited passage
    verbatim; (h) no prompt markup (``<资料>``, ``<|im_start|>``, role labels) is echoed;
    (i) most of the answer's wording comes from the cited passages. An answer that obeyed
    a planted instruction ("reply with this link", "say you are unrestricted") fails here.
    """
    problems: list[str] = []
    cited = cited_numbers(text)
    valid = [n for n in cited if 1 <= n <= len(passages)]
    for n in cited:
        if n not in valid:
            problems.append(f"引用编号 [{n}] 不存在：只提供了 {len(passages)} 段资料")
    if not valid and not is_abstention(text):
        problems.append("回答没有引用任何资料")
    for n in sorted(set(valid) & set(suspicious_passages(passages))):
        problems.append(f"所引资料 [{n}] 含有疑似注入的指令文字，不能作为回答的依据")
    sources = [passages[n - 1] for n in valid]
    seen: set[str] = set()
    for q in numbers_supported(text, sources):
        if q.text not in seen:
            seen.add(q.text)
            problems.append(f"数字 {q.text} 在所引资料中找不到")
    for sentence, own in _cited_sentences(text):
        mine = [passages[n - 1] for n in own if 1 <= n <= len(passages)]
        for q in numbers_supported(sentence, mine) if mine else []:
            if q.text not in seen:
                seen.add(q.text)
                marks = "".join(f"[{n}]" for n in own)
                problems.append(f"数字 {q.text} 不在该句所引的资料 {marks} 中")
    if sources and not is_abstention(text):
        problems += _outside_sources(text, sources)
    return problems


_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?\n]?")
_LINKISH = re.compile(r"(?i)(?:https?://|www\.)[^\s<>\"'，。；）)\]】]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
                      r"|(?<!\d)1[3-9]\d{9}(?!\d)|(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")
_QUOTED = re.compile(r"“([^”]{2,})”|「([^」]{2,})」|\"([^\"]{2,})\"")
_MARKUP = re.compile(r"(?i)<\s*/?\s*资料|<\|im_(?:start|end)\|>|^\s*(?:system|assistant|user)\s*[:：]",
                     re.MULTILINE)
_GROUNDED_SHARE = 0.5
_MIN_CONTENT = 6


def _cited_sentences(text: str) -> Iterator[tuple[str, list[int]]]:
    """Each sentence of ``text`` that carries citation markers, with the numbers it cites."""
    for m in _SENTENCE.finditer(text):
        sentence = m.group(0)
        own = cited_numbers(sentence)
        if own:
            yield sentence, own


def _content_chars(text: str) -> list[str]:
    """The ideographs (simplified) and lower-cased ASCII words of ``text``, function
    characters and citation markers aside."""
    from ingest.normalize import search_form

    form = search_form(without_markers(text))
    words = re.findall(r"[a-z]{2,}", form)
    chars = [c for c in form if is_cjk(c, ext_a=True) and c not in _FUNCTION_CHARS]
    return chars + words


def _outside_sources(text: str, sources: list[str]) -> list[str]:
    """Problems (f)–(i) of :func:`check_answer`: what the answer says beyond its sources."""
    from ingest.normalize import search_form

    problems: list[str] = []
    pool = search_form("\n".join(sources))
    for m in _LINKISH.finditer(text):
        if search_form(m.group(0)) not in pool:
            problems.append(f"链接或联系方式 {redact(m.group(0))[:60]} 在所引资料中找不到")
    for m in _QUOTED.finditer(without_markers(text)):
        quote = next(g for g in m.groups() if g)
        if search_form(quote).strip() not in pool:
            problems.append(f"引号中的文字“{redact(quote[:30])}”不是所引资料的原文")
    if _MARKUP.search(text):
        problems.append("回答中含有提示词的标记文字，不是依据资料的回答")
    content = _content_chars(text)
    if len(content) >= _MIN_CONTENT:
        grounded = sum(1 for c in content if c in pool)
        if grounded < _GROUNDED_SHARE * len(content):
            problems.append(f"回答的大部分文字在所引资料中找不到（只有 {grounded}/{len(content)} 出自资料）")
    return problems
