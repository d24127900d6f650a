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

from index.bm25 import in_dictionary, tokenize
from ingest.normalize import query_form

QType = Literal["quantity", "person", "date", "place", "quote", "other"]
Scope = Literal["this_year", "cumulative", "none"]

_TYPE_PATTERNS: list[tuple[QType, re.Pattern[str]]] = [
    ("quantity", re.compile(r"多长时间|多少时间|多久|(?<!哪)几年|(?<!哪)几天|(?<!哪)几个月")),
    ("date", re.compile(
        r"何时|什么时[候间]|哪一?年|哪一?天|哪几天|哪些天|哪个月|几月|几号|几日|日期|时间|哪天|"
        r"\bwhen\b|\bwhat (?:year|date|day|time)\b|\bwhich (?:year|date|day)\b")),
    # "谁是…票房达到300亿元的演员": 谁 asks for a person whatever figures the question names
    ("person", re.compile(r"^(?!.*(?:多少|几)).*(?:谁|哪位)")),
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
    # "引用了哪句古语": the answer is a quotation, cited as the source words it
    ("quote", re.compile(
        r"引用|引述|哪[句段]|什么话|原话|古语|名言|俗话|谚语|格言|诗句|"
        r"\b(?:saying|proverb|quoted?|quotation)\b")),
    ("place", re.compile(
        r"哪里|哪儿|何处|何地|哪个(?:村|镇|县|市|省|国家|城市|地方|学校|公司|企业|地区)|"
        r"哪[村镇县市省国]|在哪|地点|位于|\bwhere\b|"
        r"\bwhich (?:village|town|township|county|city|country|province|region|district)\b")),
]

_THIS_YEAR = re.compile(r"今年|本年度|截至目前|截止目前|目前为止|\bthis year\b|\bso far\b|\byear to date\b")
_CUMULATIVE = re.compile(
    r"累计|累积|以来|结对以来|自20\d\d|从20\d\d|20\d\d年以来|历年|总共.*年|一共.*年来|"
    r"\bsince\b|\bcumulative\b|\bin total since\b|\ball together\b|\bso far since\b")

# Words that frame a question rather than name its topic. A source never "contains the
# answer" by repeating them, so they are not counted as terms to match.
_QUESTION_WORDS = re.compile(
    r"多少|几|谁|哪[里儿个位些一天年月几句段家所]?|什么|怎么|怎样|如何|是否|吗|呢|请问|一共|到底|总共|"
    r"总额|合计|总计|总数|数量|数目|金额|总量|数额|总和|多[长大高重远久宽深少]|"
    r"何时|时间|日期|几[个名位天年月次号日岁]|哪[一几]?[年天个位些里儿国家]|了结|"
    r"叫|名字|身份|职务|担任|称为|哪几|说|表示|提到|来|要|有|是|了|钱|方面|内容|情况|"
    r"什么样|怎么样|之处|特别之处|特别|特点|特色|具体|分别|主要|哪方面|用途|用于|"
    r"已经|曾经|去|到|属于|自|从|由|年|月|日|向|给|超过|超出|不到|不足|大约|左右|"
    r"还|又|才|曾|会|能|可以|应该|需要|正在|为了|关于|有关|"
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
    # English questions only (qa.crosslingual): the Chinese terms of the noun counted or
    # asked for ("how many doctors" → 医生) and of the category of a "which" question
    asked_en: str = ""
    which_en: str = ""

    @property
    def heads(self) -> tuple[str, ...]:
        """The attribute and the terms ending it (粮食产量 → 粮食产量, 产量): a source
        may say 粮食总产量 where the question says 粮食产量; a rate also gives its stem
        (增长率 → 增长)."""
        if not self.attribute:
            return ()
        heads = (self.attribute, *(t for t in self.terms if t != self.attribute and len(t) >= 2
                                   and self.attribute.endswith(t)))
        # GDP增长率 is stated as "GDP同比增长2.6%": a rate's stem heads it too
        if self.attribute.endswith("率") and len(self.attribute) >= 3:
            heads = (*heads, self.attribute[:-1])
        return heads


def question_type(form: str) -> QType:
    """The first matching type in order date, quantity, person, quote, place; else
    ``other``."""
    for qtype, pattern in _TYPE_PATTERNS:
        if pattern.search(form):
            return qtype
    return "other"


_RANGE_ASK = re.compile(r"哪几天|哪些天|哪几日|哪几个月|哪段时间|起止|从何时|从哪天|\bwhich days\b|"
                        r"\bfrom when\b|\bhow long did\b")
_DAY_ASK = re.compile(r"几月几[日号]|哪一天|哪天|哪日|\bwhat date\b|\bwhich day\b|\bon what day\b")
_END_ASK = re.compile(r"持续到|延续到|到哪一?年|截[至止]到?哪|何时结束|什么时候结束|哪一?年结束|"
                      r"\buntil when\b|\bhow long will\b|\bwhen will .* end\b")
_YEAR_ASK = re.compile(r"哪一?年|几几年|\b(?:what|which) year\b|\bin what year\b")


def asks_range(form: str) -> bool:
    """The question asks for a span of dates (哪几天 → 6月21-23日), not one day."""
    return bool(_RANGE_ASK.search(form))


def asks_day(form: str) -> bool:
    """The question asks for one day (几月几日举行 → 6月21日), not a span."""
    return bool(_DAY_ASK.search(form)) and not asks_range(form)


def asks_year(form: str) -> bool:
    """The question asks for a year (哪一年), which "6月21日" alone does not give."""
    return bool(_YEAR_ASK.search(form))


def asks_end(form: str) -> bool:
    """The question asks when something ends (持续到哪一年), which a start ("自2021年以来")
    does not answer."""
    return bool(_END_ASK.search(form))


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
# a name joined by a middle dot: 东莞清溪组团·德江县劳务协作联席会议, 迈克尔·乔丹
_DOT_NAME = re.compile(r"[\u4e00-\u9fff]{2,}(?:·[\u4e00-\u9fff]{2,})+")


# where a middle-dot name ends: the question's own words (是哪天召开的) are not part of it
_NAME_STOP = re.compile(r"[是在于的将把被和与为有从向对了吗呢]|什么|哪|谁|多少|几|何")


def quoted_phrases(form: str) -> list[str]:
    """Names a question gives whole: quoted phrases and middle-dot names. A source that
    lacks one doesn't speak of what the question asks about."""
    dotted = []
    for m in _DOT_NAME.finditer(form):
        left, _, right = m.group().partition("·")
        left = _NAME_STOP.split(left)[-1]
        right = _NAME_STOP.split(right)[0]
        if len(left) >= 2 and len(right) >= 2:
            dotted.append(f"{left}·{right}")
    return [*QUOTED.findall(form), *dotted]


# Question phrases are cut out before the terms are read ("哪一年" must not leave "一年").
_ASK_PHRASE = re.compile(r"哪[一几]?[年天个位些家所里儿句段]|几月几[日号]|几[月号日]|什么时[候间]|何时|多少|"
                         r"引用|引述|古语|名言|俗话|谚语|格言|什么话|原话")
_ASK_WORD = re.compile(r"多少|多[长大高重远久宽深]|几|何时|什么时[候间]|哪|时间|日期|是谁|谁|\?|？|$")


# verbs that only say an event took place; the event itself is named before them
_LIGHT_VERB = re.compile(r"举行|举办|召开|开展|进行|发生|开始|开幕|闭幕|结束|出发|到达|成立")


def attribute_term(form: str, terms: tuple[str, ...]) -> str:
    """The question's term nearest before its question word, else the first after it;
    for "谁是 X" the last term of X."""
    if not terms:
        return ""
    placed = [(form.find(t), t) for t in terms if form.find(t) >= 0]
    if placed and re.match(r"\s*谁是", form):
        # "谁是北京冬奥会第一棒火炬手": the head noun of what follows 谁是 comes last
        return max(placed, key=lambda p: (p[0] + len(p[1]), len(p[1])))[1]
    ask = _ASK_WORD.search(form)
    at = ask.start() if ask else len(form)
    before = [(p + len(t), len(t), t) for p, t in placed if p + len(t) <= at]
    after = [(p, -len(t), t) for p, t in placed if p >= at]
    if after and re.match(r"何时|什么时[候间]|哪一?[年天]|几月", form[at:]):
        event = max(after)[2]  # "X何时开始施行": the event is named after the question word
        if not (before and _LIGHT_VERB.fullmatch(event)):
            return event  # but "联席会议在几月几日举行" is about the 联席会议
    if before:
        return max(before)[2]
    return min(after)[2] if after else terms[-1]


# measure words that count things (几所学校, 多少家公司), and the units a count may take
_CLASSIFIERS = "个|名|位|家|所|座|项|件|条|种|只|辆|台|次|批|户|支|场|篇|本"
_ASKED = re.compile(
    rf"(?:多少|几(?![月日号点时]))({_CLASSIFIERS}|元|人|岁|倍|米|公里|千米|吨|架|艘|枚|"
    r"款|部|届|首|份|片|头|期|例|间|栋|块|张|轮|分|亩|公顷|平方米|天|年|月)?"
    r"([\u4e00-\u9fff]{0,4})")


def _starts_word(form: str, at: int) -> bool:
    """The character at ``at`` (a measure word after 多少/几) begins a dictionary word
    with what follows: 人 in 多少人口, 个 in 多少个人; not 家 in 多少家物管公司."""
    first = tokenize(form[at:])[:1]
    return bool(first) and len(first[0]) >= 2 and first[0][0] == form[at] and in_dictionary(first[0])


@functools.lru_cache(maxsize=1024)
def asked_unit(form: str) -> tuple[str, str]:
    """``(measure word, noun)`` a quantity question asks about: 多少个车站 → ('个', '车站')."""
    m = _ASKED.search(form)
    if not m:
        return "", ""
    unit = m.group(1) or ""
    noun = re.split(r"[的了呢吗是有？?，,]", m.group(2) or "")[0]
    # "多少人口": 人 starts the word 人口 here, it is not a measure word ("多少家物管公司"
    # is 家 + 物管公司, whatever jieba's guess "家物管" says)
    if unit and noun and _starts_word(form, m.start(1)):
        return "", unit + noun
    return unit, noun


_TITLES = (r"书记|镇长|县长|市长|省长|区长|乡长|村长|主席|主任|部长|局长|厅长|处长|科长|校长|院长|"
           r"园长|总统|总理|首相|总裁|董事长|总经理|经理|会长|秘书长|大使|发言人")
# The members of a category a "哪个/什么 X" question asks for: 哪家企业 is answered by
# "德鑫袜业公司", 什么职务 by "县长".
CATEGORIES: dict[str, re.Pattern[str]] = {
    **dict.fromkeys(("企业", "公司", "单位", "厂家", "厂商"),
                    re.compile(r"企业|公司|集团|工厂|[^\W\d_]厂|合作社|商会|银行")),
    **dict.fromkeys(("学校", "院校"), re.compile(r"学校|中学|小学|幼儿园|大学|学院|技校|职校")),
    **dict.fromkeys(("酒店", "宾馆", "饭店", "旅馆"), re.compile(r"酒店|宾馆|饭店|旅馆|度假村")),
    **dict.fromkeys(("医院",), re.compile(r"医院|卫生院|诊所|卫生室")),
    # (清溪镇长期以来 is 镇 + 长期, not a 镇长)
    **dict.fromkeys(("职务", "职位", "官职", "身份", "头衔"), re.compile(f"(?:{_TITLES})(?![期久])")),
    # 哪个省: a province's name (贵州省), not 省 alone (党中央、省、市)
    **dict.fromkeys(("省", "省份"), re.compile(r"[\u4e00-\u9fff]{2,3}省(?![份级委内外])")),
    **dict.fromkeys(("市", "城市"), re.compile(r"[\u4e00-\u9fff]{2,3}市(?![场民级委内外])")),
    **dict.fromkeys(("班", "班级"), re.compile(r"[\u4e00-\u9fff]{2,6}班(?![子长组委])")),
    # 口号是什么, 主题是什么: a short quoted phrase (助推“黔货出山”)
    **dict.fromkeys(("口号", "标语", "主题", "名称", "理念", "目标"),
                    re.compile(r"[“「『][^“”「」『』]{2,16}[”」』]")),
}


def category_in(category: str, text: str) -> bool:
    """``text`` names a member of ``category`` (or, for a category without a pattern,
    the category word itself)."""
    pattern = CATEGORIES.get(category)
    return bool(pattern.search(text)) if pattern else category in text


_WHICH = re.compile(r"(?:哪[个家所座位种项条]|什么)([\u4e00-\u9fff]{1,4})")
_BEFORE_ASK = re.compile(r"([\u4e00-\u9fff]{1,6})(?:是谁|是多少|有多少|多少|是哪|是什么|叫什么)")


def which_noun(form: str) -> str:
    """The category a "哪个/什么 X" question asks for: 哪个酒店 → 酒店 (or ``""``)."""
    m = _WHICH.search(form)
    words = tokenize(m.group(1)) if m else []
    return words[0] if words else ""


def asked_noun(form: str) -> str:
    """The noun naming what a question counts or asks the value of: 多少名医生 → 医生,
    的园长是谁 → 园长, 总投资是多少 → 投资, 财政收入多少 → 财政收入 (or ``""``)."""
    _, noun = asked_unit(form)
    words = tokenize(noun) if noun else []
    if words:  # 多少钱 counts no noun
        return "" if _QUESTION_WORDS.fullmatch(words[0]) else words[0]
    m = _BEFORE_ASK.search(form)
    if m:
        words = [t for t in tokenize(m.group(1)) if len(t) >= 2 and not _QUESTION_WORDS.fullmatch(t)
                 and not _SCOPE_WORD.search(t)]
        return words[-1] if words else ""
    return ""


def _attribute(form: str, terms: tuple[str, ...]) -> str:
    """The counted noun of a quantity question when it is one of its terms (有多少人口 →
    人口), else the term before the question word."""
    noun = asked_noun(form)
    return noun if noun in terms and len(noun) >= 2 else attribute_term(form, terms)


_MEASURE = re.compile(rf"(?:(?<=多少)|(?<=几))({_CLASSIFIERS})(?=([\u4e00-\u9fff]))")


def _drop_measure(form: str) -> str:
    """The question without the measure word after 多少/几 (几所学校 → 几，学校), so it is
    not read as part of a term ("家物管"); 多少人口 keeps its 人."""
    return _MEASURE.sub(lambda m: m.group(1) if _starts_word(form, m.start(1)) else "，", form)


def analyse(question: str) -> QuestionInfo:
    """Analyse a question in any script or in English."""
    form = query_form(question)
    latin = sum(ch.isascii() and ch.isalpha() for ch in form)
    han = sum("\u4e00" <= ch <= "\u9fff" for ch in form)
    is_english = latin > 2 * han
    # English questions get their Chinese terms later, from the retrieved passages
    # (qa.crosslingual). A quoted name (“德江班”, 《心居》) is a term as a whole, the most
    # specific one.
    quoted = [m for m in quoted_phrases(form) if len(m) >= 2 and not _SCOPE_WORD.search(m)]
    # the category of "哪家企业" is named in sources by its members (德鑫袜业公司), not as 企业
    which = which_noun(form)
    category = which if which in CATEGORIES else ""
    terms = () if is_english else tuple(
        dict.fromkeys([*quoted, *(t for t in tokenize(_ASK_PHRASE.sub("，", _drop_measure(form)))
                                  if not _QUESTION_WORDS.fullmatch(t) and not _SCOPE_WORD.search(t)
                                  and t != category)]))
    return QuestionInfo(
        text=question,
        form=form,
        qtype=question_type(form),
        scope=time_scope(form),
        terms=terms,
        is_english=is_english,
        attribute=_attribute(form, terms),
    )
