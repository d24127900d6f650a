"""What a question asks for: its type, its time scope and its content terms.

Works on the simplified search form, so traditional-script questions read the same as
simplified ones; English question words are recognised too (retrieval is cross-lingual
through the multilingual embedder, and qa.crosslingual gives English questions their
Chinese terms).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Literal

from index.bm25 import tokenize
from ingest.normalize import query_form

QType = Literal["quantity", "person", "date", "place", "other"]
Scope = Literal["this_year", "cumulative", "none"]

_TYPE_PATTERNS: list[tuple[QType, re.Pattern[str]]] = [
    ("quantity", re.compile(r"多长时间|多少时间|多久|(?<!哪)几年|(?<!哪)几天|(?<!哪)几个月")),
    ("date", re.compile(
        r"何时|什么时[候间]|哪一?年|哪一?天|哪几天|哪些天|哪个月|几月|几号|几日|日期|时间|哪天|"
        r"\bwhen\b|\bwhat (?:year|date|day|time)\b|\bwhich (?:year|date|day)\b")),
    ("quantity", re.compile(
        r"多少|几[个名人家所位次万岁项件条种只辆台座元年倍]|几+$|多大|多高|多长|多重|多远|多久|"
        r"金额|人数|数量|比例|比率|百分之|总额|总计|共计|累计.*?[多几]|票房|价格|得分|比分|排名第几|"
        r"震级|产量|增速|增长率|涨幅|降幅|面积|长度|高度|人口|规模|销量|市值|"
        r"\bhow (?:much|many|long|old|big|large|far)\b|\bwhat (?:percentage|amount|number)\b|"
        r"\bwhat (?:is|was|are|were) the (?:population|area|size|total|budget|revenue|gdp|length|height)\b")),
    ("person", re.compile(
        r"谁|哪位|哪些人|什么人|姓名|名字叫|是哪[个位]?(?:人|领导|球员|选手|演员|作家|科学家)|"
        r"哪[些几](?:位|领导|嘉宾|人员|代表|官员|演员|球员|选手|主演|队员)|"
        r"主席是|书记是|镇长是|县长是|总统是|总理是|得主|主演|导演|主角|获得者|"
        r"\bwho\b|\bwhom\b")),
    ("place", re.compile(
        r"哪里|哪儿|何处|何地|哪个(?:村|镇|县|市|省|国家|城市|地方|学校|公司|企业|地区)|"
        r"哪[村镇县市省国]|在哪|地点|位于|\bwhere\b|\bwhich (?:village|town|county|city|country)\b")),
]

_THIS_YEAR = re.compile(r"今年|本年度|截至目前|截止目前|目前为止|\bthis year\b|\bso far\b|\byear to date\b")
_CUMULATIVE = re.compile(
    r"累计|累积|以来|结对以来|自20\d\d|从20\d\d|20\d\d年以来|历年|总共.*年|一共.*年来|"
    r"\bsince\b|\bcumulative\b|\bin total since\b|\ball together\b|\bso far since\b")

# Words that frame a question rather than name its topic. A source never "contains the
# answer" by repeating them, so they are not counted as terms to match.
_QUESTION_WORDS = re.compile(
    r"多少|几|谁|哪[里儿个位些一天年月几]?|什么|怎么|怎样|如何|是否|吗|呢|请问|一共|到底|总共|"
    r"总额|合计|总计|总数|数量|数目|金额|总量|数额|总和|多[长大高重远久宽深少]|"
    r"何时|时间|日期|几[个名位天年月次号日岁]|哪[一几]?[年天个位些里儿国家]|了结|"
    r"叫|名字|身份|职务|担任|称为|哪几|说|表示|提到|来|要|有|是|了|钱|方面|内容|情况|"
    r"什么样|怎么样|之处|特别之处|特别|特点|特色|具体|分别|主要|哪方面|用途|用于|"
    r"\b(?:how|much|many|what|who|whom|which|when|where|why|is|are|was|were|did|does|do|the|a|an|of|in|"
    r"to|this|that|for|by|with|and|or)\b")
# Time-scope words are handled by the scope features, not as topic terms.
_SCOPE_WORD = re.compile(r"今年|本年|累计|累积|以来|截至|截止|目前|历年")


@dataclass(frozen=True, slots=True)
class QuestionInfo:
    """The analysed question."""

    text: str
    form: str
    qtype: QType
    scope: Scope
    terms: tuple[str, ...]
    is_english: bool
    # the term naming what is asked about: the counted noun (有多少人口 → 人口), else the
    # last term before the question word (新增就业了多少人 → 就业), or the event named
    # after a "when" word (何时开始施行 → 施行)
    attribute: str = ""

    @property
    def heads(self) -> tuple[str, ...]:
        """The attribute and the terms ending it (粮食产量 → 粮食产量, 产量): a source
        may say 粮食总产量 where the question says 粮食产量."""
        if not self.attribute:
            return ()
        return (self.attribute, *(t for t in self.terms if t != self.attribute and len(t) >= 2
                                  and self.attribute.endswith(t)))


def question_type(form: str) -> QType:
    """The first matching type in order date, quantity, person, place; else ``other``."""
    for qtype, pattern in _TYPE_PATTERNS:
        if pattern.search(form):
            return qtype
    return "other"


def time_scope(form: str) -> Scope:
    """``this_year`` (今年/截至目前), ``cumulative`` (累计/…以来), or ``none``."""
    # 今年以来 ("since the start of this year") is this year's figure, not a cumulative one
    if _CUMULATIVE.search(form.replace("今年以来", "今年")):
        return "cumulative"
    if _THIS_YEAR.search(form):
        return "this_year"
    return "none"


# a quoted phrase: “铜仁班”, 《心居》, 「…」
QUOTED = re.compile(r"[“\"「《]([^”\"」》]{1,20})[”\"」》]")
# Question phrases are cut out before the terms are read ("哪一年" must not leave "一年").
_ASK_PHRASE = re.compile(r"哪[一几]?[年天个位些家所里儿]|几月几[日号]|几[月号日]|什么时[候间]|何时|多少")
_ASK_WORD = re.compile(r"多少|多[长大高重远久宽深]|几|何时|什么时[候间]|哪|时间|日期|是谁|谁|\?|？|$")


def attribute_term(form: str, terms: tuple[str, ...]) -> str:
    """The question's term nearest before its question word, else the first after it."""
    if not terms:
        return ""
    ask = _ASK_WORD.search(form)
    at = ask.start() if ask else len(form)
    placed = [(form.find(t), t) for t in terms if form.find(t) >= 0]
    before = [(p + len(t), len(t), t) for p, t in placed if p + len(t) <= at]
    after = [(p, -len(t), t) for p, t in placed if p >= at]
    if after and re.match(r"何时|什么时[候间]|哪一?[年天]|几月", form[at:]):
        return max(after)[2]  # "X何时开始施行": the event is named after the question word
    if before:
        return max(before)[2]
    return min(after)[2] if after else terms[-1]


_ASKED = re.compile(
    r"(?:多少|几)(个|名|位|座|家|所|项|件|条|种|只|辆|台|元|人|岁|次|倍|米|公里|千米|吨|架|艘|枚|场|支|"
    r"款|部|届|本|篇|首|份|片|头|期|例|户|间|栋|块|张|批|轮|分|亩|公顷|平方米|天|年|月)?"
    r"([\u4e00-\u9fff]{0,3})")


@functools.lru_cache(maxsize=1024)
def asked_unit(form: str) -> tuple[str, str]:
    """``(measure word, noun)`` a quantity question asks about: 多少个车站 → ('个', '车站')."""
    m = _ASKED.search(form)
    if not m:
        return "", ""
    unit = m.group(1) or ""
    noun = re.split(r"[的了呢吗是有？?，,]", m.group(2) or "")[0]
    # "多少人口": 人 starts the word 人口 here, it is not a measure word
    if unit and noun and any(len(t) >= 2 and t.startswith(unit + noun[0])
                             for t in tokenize(form[m.start(1):])[:1]):
        return "", unit + noun
    return unit, noun


_WHICH = re.compile(r"(?:哪[个家所座位种项条]|什么)([\u4e00-\u9fff]{1,4})")
_BEFORE_ASK = re.compile(r"([\u4e00-\u9fff]{1,6})(?:是谁|是多少|有多少|是哪|是什么|叫什么)")


def which_noun(form: str) -> str:
    """The category a "哪个/什么 X" question asks for: 哪个酒店 → 酒店 (or ``""``)."""
    m = _WHICH.search(form)
    words = tokenize(m.group(1)) if m else []
    return words[0] if words else ""


def asked_noun(form: str) -> str:
    """The noun naming what a question counts or asks the value of: 多少名医生 → 医生,
    的园长是谁 → 园长, 总投资是多少 → 投资 (or ``""``)."""
    _, noun = asked_unit(form)
    if noun:
        words = tokenize(noun)
        return words[0] if words else ""
    m = _BEFORE_ASK.search(form)
    if m:
        words = [t for t in tokenize(m.group(1)) if len(t) >= 2 and not _QUESTION_WORDS.fullmatch(t)]
        return words[-1] if words else ""
    return ""


def _attribute(form: str, terms: tuple[str, ...]) -> str:
    """The counted noun of a quantity question when it is one of its terms (有多少人口 →
    人口), else the term before the question word."""
    noun = asked_noun(form)
    return noun if noun in terms and len(noun) >= 2 else attribute_term(form, terms)


def analyse(question: str) -> QuestionInfo:
    """Analyse a question in any script or in English."""
    form = query_form(question)
    latin = sum(ch.isascii() and ch.isalpha() for ch in form)
    han = sum("\u4e00" <= ch <= "\u9fff" for ch in form)
    is_english = latin > 2 * han
    # English questions get their Chinese terms later, from the retrieved passages
    # (qa.crosslingual). A quoted name (“德江班”, 《心居》) is a term as a whole, the most
    # specific one.
    quoted = [m for m in QUOTED.findall(form) if len(m) >= 2 and not _SCOPE_WORD.search(m)]
    terms = () if is_english else tuple(
        dict.fromkeys([*quoted, *(t for t in tokenize(_ASK_PHRASE.sub("，", form))
                                  if not _QUESTION_WORDS.fullmatch(t) and not _SCOPE_WORD.search(t))]))
    return QuestionInfo(
        text=question,
        form=form,
        qtype=question_type(form),
        scope=time_scope(form),
        terms=terms,
        is_english=is_english,
        attribute=_attribute(form, terms),
    )
