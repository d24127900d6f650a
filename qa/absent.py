"""What the sources lack: features that say a question asks about something the retrieved
text does not state (another entity, another attribute), read alike in a library of 9
passages and in one of 7,500.

BM25's idf grows with the corpus (a word no passage holds: 3.0 in docs/, 9.6 in RGB), so
each feature is a share of the idf of a word no passage holds.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from typing import Any

from index.bm25 import in_dictionary
from ingest.normalize import search_form
from qa.candidates import Unit
from qa.features import SENTENCE_COLUMN, Idf, QView, is_english
from qa.times import doc_form, period_conflict
from text.numbers import find_quantities, is_figure

# no tokenizer makes this a token: its idf is that of a word no passage holds
_NEVER = "\u2063"


def missing_share(q: QView, text: str, idf: Idf) -> float:
    """How rare the rarest question word absent from ``text`` is, as a share of the idf of a
    word no passage holds (1: the corpus never says it; 0 when none is absent).

    A share, not the idf itself, because idf grows with the corpus: a word absent from a
    library of 9 passages has idf 3.0, one held by 500 of DRCD's 2,087 passages has 1.6 and
    an absent one 8.3. Fitted on large pooled corpora, raw idf makes a user's few documents
    look as if only common words were missing.

    0 for an English question: its words are the bridge's guesses at Chinese terms
    (:func:`english_view`; "chairs" → 椅子), and a guess the sources lack says nothing
    about them."""
    top = _scale(q, idf)
    if not top:
        return 0.0
    return max((idf(t) for t in q.tokens if t not in text and _worded(t, idf, top)),
               default=0.0) / top


def _scale(q: QView, idf: Idf) -> float:
    """The idf of a word no passage holds, what the shares divide by; 0 (no share) for an
    English question (see :func:`missing_share`)."""
    return 0.0 if is_english(q.form) else max(idf(_NEVER), 0.0)


def _worded(token: str, idf: Idf, top: float) -> bool:
    """Whether a question token can say what the sources lack: a word of two characters or
    more that the dictionary knows or some passage holds. Not a single character (办, 卖,
    钱: the sources say it in other words), nor what a segmentation slip made of two words
    (忠是 of 松平康忠是…, 年松 of 16年松平…), which no dictionary or passage has."""
    return len(token) >= 2 and (in_dictionary(token) or idf(token) < top)


def asked_word(q: QView) -> str:
    """The content word next to the interrogative: what the question asks about
    (捐赠 of 社会捐赠一共多少, 园长 of 第七幼儿园的园长是谁); the nearest one before it, else
    (谁是清溪镇的党委书记) the question's last; the longest where words end alike; ""
    when the question has none."""
    at = q.form.find(q.wh) if q.wh else len(q.form)
    placed = [(i + len(t), len(t), t) for t in q.tokens if (i := q.form.find(t)) >= 0]
    before = [p for p in placed if p[0] <= at]
    return max(before or placed, default=(0, 0, ""))[2]


def asked_missing(q: QView, text: str, idf: Idf) -> float:
    """The asked word's (:func:`asked_word`) rarity, as :func:`missing_share`'s, when
    ``text`` lacks it; 0 when ``text`` holds it, there is none or the question is English."""
    w = asked_word(q)
    top = _scale(q, idf)
    return idf(w) / top if w and w not in text and top and _worded(w, idf, top) else 0.0


def lack_shares(q: QView, best: Unit, retrieved: str, doc_text: Callable[[str], str],
                idf: Idf) -> tuple[float, float, float]:
    """The answerability model's three shares for the best sentence ``best``: the question
    word rarest among those the ``retrieved`` text lacks, the same for ``best``'s document
    (another entity), and the asked word missing from ``best`` and its neighbours (another
    attribute). One function for the engine and the fitting, so both see the same."""
    return (missing_share(q, retrieved, idf),
            missing_share(q, doc_form(doc_text(best.chunk.doc_id)), idf),
            asked_missing(q, best.prev + best.form + best.next, idf))


# a name the question puts in quotation marks or title marks: “德江班”, 「德江驛站」, 《…》
_QUOTED = re.compile(r"[“「『《\"]([^”」』》\"]{2,30})[”」』》\"]")


def quote_absent(q: QView, units: Sequence[Unit], doc_text: Callable[[str], str]) -> str:
    """A name the question quotes (“铜仁班”, 《…》, 「…」) that neither the retrieved sentences
    ``units`` nor their documents hold, as the question wrote it; "" when there is none.

    A quoted name is the user naming something exactly, so a library without it does not
    answer the question, however much of the rest matches. On the fit data every quoted
    name of an answerable question is in its own document: 319 of DRCD's 3,493 questions
    quote one, 74 of CMRC's 1,002, 3 of the gov fit questions and 10 of RGB's fit half, and
    none is missing. "" for an English question (its quoted words are English)."""
    if is_english(q.form):
        return ""
    texts = ["".join(u.prev + u.form + u.next for u in units)]
    texts += [doc_form(doc_text(d)) for d in dict.fromkeys(u.chunk.doc_id for u in units)]
    for m in _QUOTED.finditer(q.text):
        name = search_form(m.group(1)).strip()
        if name and not any(name in t for t in texts):
            return m.group(1)
    return ""


# the units a place is named by, as a question writes them: 谢岗镇, 思南县, 白果坪村, 南城街道
_PLACE_UNITS = ("街道", "镇", "县", "乡", "村")


def absent_place(q: QView, mentions: Callable[[str], bool]) -> str:
    """A town, county, township, village or street the question names (one of its words ending
    in 镇, 县, 乡, 村 or 街道) that no passage of the whole library mentions (``mentions``:
    :class:`Mentions`); "" when there is none, or for an English question.

    A question about 谢岗镇 put to a library that never names it is about another place than
    the one the sources speak of, however well the rest fits. On the fit data no answerable
    question names such a place: 0 of DRCD's 3,493 questions, CMRC's 1,002, RGB's fit half
    (81) and the gov fit documents' 144; of the gov fit traps it finds 4 of 72 (思南县 twice,
    塘厦镇, 谢岗镇). A library that calls its own town only 我镇 or 全镇 would refuse a question
    that names it, saying so ("检索到的资料都没有提到“清溪镇”")."""
    if is_english(q.form):
        return ""
    return next((p for p in places(q) if not mentions(p)), "")


def places(q: QView) -> list[str]:
    """The places a question names: a word of three characters or more that ends in a unit of
    :data:`_PLACE_UNITS` (谢岗镇), or a place name of the dictionary (jieba's ``ns``) that the
    unit follows (东湖 镇: the tokenizer splits names it knows the parts of; not 负责 镇压,
    一个 村子)."""
    from text.names import word_tag

    found = []
    for t in q.tokens:
        at = q.form.find(t)
        if len(t) >= 3 and t.endswith(_PLACE_UNITS):
            found.append(t)
        elif len(t) >= 2 and at >= 0 and word_tag(t) == "ns":
            unit = next((u for u in _PLACE_UNITS if q.form.startswith(u, at + len(t))), "")
            if unit:
                found.append(t + unit)
    return list(dict.fromkeys(found))


class Mentions:
    """Whether any passage or title of a library holds a word (in search form): the texts are
    joined once, on the first question that names a place."""

    def __init__(self, texts: Callable[[], list[str]]) -> None:
        self._texts = texts
        self._joined: str | None = None

    @classmethod
    def of(cls, index: Any) -> Mentions:
        """The mentions of an index's (a :class:`index.retrievers.SearchIndex`) passages and
        document titles."""
        return cls(lambda: [c.search_text for c in index.chunks]
                   + [search_form(d.title or "") for d in index.documents().values()])

    def __call__(self, word: str) -> bool:
        if self._joined is None:
            self._joined = "\n".join(self._texts())
        return word in self._joined


# what a question asking an amount of money puts after 多少: 多少钱, 多少元, 多少万元, 多少亿美元
_ASKS_MONEY = re.compile(r"^(?:钱|[万亿千百]*(?:元|美元|欧元|日元|港元|块))")
# currencies the figure reader leaves without a unit (100英镑)
_OTHER_CURRENCY = re.compile(r"\d\s*[万亿千百]*\s*(?:多|余)?\s*"
                             r"(?:英镑|镑|法郎|马克|卢布|比索|卢比|泰铢|先令|美金|港币|台币)")


def asks_money(q: QView) -> bool:
    """Whether the question asks an amount of money (多少钱, 多少万元): the words right after
    its 多少 say so. Not 投资多少 or 产值是多少, whose unit the question leaves open."""
    return q.wh == "多少" and bool(_ASKS_MONEY.match(q.form[q.form.find("多少") + 2:]))


def states_money(text: str, figures: Sequence[Any]) -> bool:
    """Whether ``text`` (whose figures, :func:`text.numbers.find_quantities`, are given) states
    an amount of money: a figure in 元 (万元, 美元, 块 read as 元) or in another currency."""
    return any(x.unit.endswith("元") for x in figures) or bool(_OTHER_CURRENCY.search(search_form(text)))


# Asking a time or date (何时, 哪一年, 几月); not 几年/几天/多久, which ask a duration.
_ASKS_WHEN = re.compile(r"何时|什么时候|几时|什么时间|什么日期|哪一?[天日年月]|哪个月|几月|几号")
# Any trace of a time in a sentence: a digit, a date's characters, an era or a season, a
# relative time (当天上午: the day of the sentence before). Broad on purpose: of the fit
# sets' 436 questions asking when (DRCD/CMRC folds 1-4, gov fit, RGB fit), 431 golds hold
# one; the others are eras (白垩纪) and 下坡.
_STATES_TIME = re.compile(r"[\d〇零一二三四五六七八九十两年月日号时期纪代朝季周春夏秋冬"
                          r"今昨明前后初末晚早夜间天午晨]")


def asks_when(q: QView) -> bool:
    """Whether the question asks when (a time or a date, not a duration)."""
    return q.wh == "何时" or bool(_ASKS_WHEN.search(q.form))


def states_time(text: str) -> bool:
    """Whether ``text`` states any time at all: one that does not cannot answer "when"."""
    return bool(_STATES_TIME.search(search_form(text)))


@functools.cache
def _roles_longest_first() -> tuple[str, ...]:
    """The role titles (:func:`text.lexicon.role_titles`), longest first."""
    from text.lexicon import role_titles

    return tuple(sorted(role_titles(), key=len, reverse=True))


def deputy_only(q: QView, text: str) -> str:
    """The role a question asks who holds (谁 or 哪位 with a role title: 县长, 局长…), when
    ``text`` names it only as a deputy's (副县长, 常务副县长): a deputy is not the holder, so
    the sentence does not say who the 县长 is. "" when the question asks no role, or asks a
    deputy, or ``text`` names the role itself. On the fit sets it fires on no answerable
    question (DRCD 17, CMRC 4, gov 6 ask a role) and on 2 gov traps (德江县县长是谁 answered
    with 副县长冉启明)."""
    if not (q.wh == "谁" or "哪位" in q.form or "哪一位" in q.form):
        return ""
    role = next((r for r in _roles_longest_first() if r in q.form and "副" + r not in q.form), "")
    form = search_form(text)
    at = [m.start() for m in re.finditer(re.escape(role), form)] if role else []
    return role if at and all(form[i - 1:i] == "副" for i in at) else ""


# Reasons that abstain whatever the answerability model says (see :meth:`qa.reader.Reading.answers`);
# "quote_missing": a name quoted is in no retrieved document (:func:`qa.absent.quote_absent`)
# or a place named is nowhere in the library; the others are :func:`why_not`'s.
REFUSING = frozenset({"unrelated", "time_conflict", "time_period", "no_figure", "no_date", "quote_missing",
                      "deputy"})
_DATE_MEASURES = frozenset("年月日号时点")  # 几月, 几号: a date is asked, not a figure


def why_not(q: QView, unit: Unit, srow: Any) -> str:
    """What the sentence ``unit`` lacks as an answer to ``q``:

    - ``"unrelated"``: neither it nor its neighbours hold any word of the question, so it
      cannot be what the question is about. On the fit sets the model already refuses
      nearly all such cases (out of fold the check adds 3 refused negatives and costs 3
      right answers of 4,495), but a library of a few documents about something else is
      what the models never saw: there its one figure was the answer to anything;
    - ``"time_conflict"``: it states another time than the question asks (今年 for 明年);
    - ``"time_period"``: the question asks a figure up to one point of the year (6月底,
      上半年) and the sentence states figures only up to others (年底): :func:`period_conflict`;
    - ``"no_figure"``: the question asks 多少/几 (how many, how much) and the sentence gives
      no figure at all, or it asks an amount of money and the sentence gives none
      (:func:`asks_money`), so whatever it says, it is not the number asked for;
    - ``"deputy"``: it names only the deputy of the role asked (:func:`deputy_only`);
    - ``"no_date"``: the question asks when, and it states no time at all (:func:`states_time`);
    - ``"time_missing"``: it states none of the times the question asks;
    - ``""``: none of these."""
    if q.tokens and srow[SENTENCE_COLUMN["idf_cov_ctx"]] == 0:
        return "unrelated"
    if srow[SENTENCE_COLUMN["time_conflict"]]:
        return "time_conflict"
    asks_figure = q.wh in ("多少", "几") and q.measure not in _DATE_MEASURES
    if asks_figure and period_conflict(q.form, unit.form)[0]:
        return "time_period"
    if asks_figure and (
            not (figures := [x for x in find_quantities(unit.text) if is_figure(x)])
            or (asks_money(q) and not states_money(unit.text, figures))):
        return "no_figure"
    if deputy_only(q, unit.text):
        return "deputy"
    if asks_when(q) and not states_time(unit.text):
        return "no_date"
    if srow[SENTENCE_COLUMN["time_missing"]]:
        return "time_missing"
    return ""
