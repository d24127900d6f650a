"""Person names in Chinese text: family-name-led jieba nr words and transliterations.

jieba's ``nr`` tag alone fires on words such as 大满贯 or 公开赛, so a word counts as a
name only when it starts with a common family name or is spelt with the characters of
transliterated foreign names; "安娜·谢尔巴科娃"-style dotted names and "Evan Gershkovich"
count too. Offsets are the text's own (the search form has the same length).
"""

from __future__ import annotations

import functools
import re

from text.lexicon import CJK, surnames

# The characters of transliterated foreign names: jieba's nr tag alone also fires on 大满贯
# or 公开赛, so a word is a name when it starts with a family name (text/surnames.txt) or
# is spelt with these.
_FOREIGN_CHARS = ("阿埃艾安奥巴贝本比彼波伯布查达戴丹德迪蒂杜多厄恩法菲费芬弗福盖戈格贡古哈"
                  "赫亨霍基吉加杰金卡凯坎康科克库拉莱赖兰朗劳勒雷里利莉琳隆卢鲁伦罗洛马迈曼梅"
                  "门蒙米密莫姆穆纳娜内尼涅纽努诺帕佩皮珀普齐乔切琴萨塞桑瑟森沙莎尚舍施什斯松"
                  "苏索塔泰坦特图托瓦威韦维温沃乌武西希谢辛休雅亚扬耶伊因尤约扎泽詹兹佐夫奇尔"
                  "娃娅丽黛妮文")
_FOREIGN = re.compile(f"[{_FOREIGN_CHARS}]{{3,}}")
_DOTTED = re.compile(f"(?:[{_FOREIGN_CHARS}]{{1,5}}[·．・•])+[{_FOREIGN_CHARS}]{{1,6}}"
                     r"|\b[A-Z][a-z]+ [A-Z][a-z]+\b")
_NOT_NAME_END = frozenset("团会组局部委院队社所厅处科室站馆班校")


def _is_name(word: str) -> bool:
    if word[-1] in _NOT_NAME_END:
        return False
    return (2 <= len(word) <= 4 and word[0] in surnames()) or bool(_FOREIGN.fullmatch(word))


def person_names(text: str, form: str = "") -> list[tuple[int, int]]:
    """Spans of person names in ``text``: jieba's nr words (read in the original script
    and in the simplified search form, which has the same offsets) and transliterated
    names (安娜·谢尔巴科娃); overlapping spans are merged."""
    spans = [m.span() for m in _DOTTED.finditer(text)]
    for version in {text, form or text}:
        pos = 0
        for word, flag in tagged_words(version):
            if flag.startswith("nr") and _is_name(word):
                spans.append((pos, pos + len(word)))
            pos += len(word)
    merged: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if merged and a < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


@functools.lru_cache(maxsize=4096)
def tagged_words(text: str) -> tuple[tuple[str, str], ...]:
    """(word, flag) pairs: jieba's fast segmentation (its HMM joins unknown names such as
    沈志攀 into one word), tagged from jieba's dictionary; a word the dictionary lacks is
    tagged ``nr?`` when it looks like a name. Much faster than ``jieba.posseg.cut``."""
    import jieba

    tags = _word_tags()
    out = []
    for word in jieba.cut(text):
        flag = tags.get(word)
        if flag is None:
            flag = "nr?" if 2 <= len(word) <= 4 and re.fullmatch(rf"[{CJK}]+", word) else "x"
        out.append((word, flag))
    return tuple(out)


def word_tag(word: str) -> str | None:
    """jieba's dictionary tag of ``word`` (``ns`` a place, ``nr`` a person…), or ``None``."""
    return _word_tags().get(word)


@functools.lru_cache(maxsize=1)
def _word_tags() -> dict[str, str]:
    import jieba.posseg

    jieba.posseg.dt.initialize()
    return jieba.posseg.dt.word_tag_tab
