"""What a sentence states, in a form two sentences can be compared by: its figures (with
what each counts and its time scope), people named by role, place names and content terms.

Shared by the fact-checker (:mod:`check.check`) and the talking points (:mod:`points.points`).
Everything here reads the *search form* of a text (simplified, half-width, lower case; see
:func:`ingest.normalize.search_form`), which has the same length as the original, so every
offset found here is also an offset into the original text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from index.bm25 import tokenize
from text.numbers import Quantity, find_quantities

Scope = Literal["this_year", "cumulative", "none"]

# "今年以来" is this year, not cumulative, although it ends in 以来; "截至目前" alone can
# mean "to date" in either sense, so only "今年截至目前" counts.
_SCOPE = re.compile(
    r"(?P<this>今年以来|今年截至目前|今年截止目前|今年|本年度|本年)"
    r"|(?P<cum>累计|累积|自\d{4}年|\d{4}年以来|\d{4}年至今|以来|历年)"
)
_CLAUSE_END = re.compile(r"[，,；;。！？!?：:]")
SCOPE_WORDS = frozenset("今年 本年 本年度 累计 累积 以来 截至 截止 目前 至今 历年 其中".split())
# Stop words beyond bm25's list: function words and the generic units of figures.
_EXTRA_STOP = frozenset(
    "万元 亿元 万 亿 元 达 约 近 超 超过 共计 总计 合计 折合 已 还 等 多 余 进行 开展 "
    "同时 进一步 继续 持续 方面 相关 有关 以及".split()
)
# Characters that end the name of what a figure counts (``192个党支部及22个…``).
_NOUN_STOP = set("至到在向为用于的和与及、等并将从对把被是了已入共达约近超 ，,。；;：:！？!?（）()“”\"《》")
_NUMERAL_CHARS = set("〇零一二两三四五六七八九十百千万亿元个名人次余多")
NOUN_UNITS = frozenset("村 镇 乡 县".split())

ROLES = ("镇长", "县长", "市长", "省长", "区长", "乡长", "村长", "书记", "主席", "主任", "会长",
         "董事长", "总经理", "局长", "部长", "校长", "院长", "领导")  # fmt: skip
_ROLE = re.compile("副?(?:" + "|".join(sorted(ROLES, key=len, reverse=True)) + ")")
# Common surnames (simplified): a name after a role word must start with one, which keeps
# "德江县长堡镇" (县长 + 堡) and "清溪镇长期以来" (镇长 + 期) from reading as people.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤敖常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿"
    "关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华"
    "喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗"
    "瞿桂全佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞巩佘池查麻苑迟邝"
)
# Characters that follow a two-character name rather than finish a three-character one.
_NAME_STOP = set("出表说在和与及等带率还参对向主指讲介到同也就都是为将已于的了会书镇县市长领"
                 "、，,。；;：:！？!?（）() 一二三四五六七八九十")
_PLACE_SUFFIX = "村镇县市省乡"
_PLACE = re.compile(rf"(?=([\u4e00-\u9fff]{{2}}[{_PLACE_SUFFIX}]))")
_NOT_IN_PLACE = set(_PLACE_SUFFIX) | set("等与和及向在对为的了是由从到把被共其各该本全每于用")
_ORG_TAIL = re.compile(r"[\u4e00-\u9fff]{2,6}?(?:镇|县|市|省|乡|区|村|工商联|商会|公司|党委|政府)$")


@dataclass(frozen=True, slots=True)
class Figure:
    """A figure in a sentence with what makes it comparable.

    Attributes:
        q: the quantity; its offsets are relative to the sentence.
        clause: ``(start, end)`` of the clause holding it, relative to the sentence.
        scope: ``this_year``, ``cumulative`` or ``none`` (see :func:`scope_at`).
        noun: what it counts, when a noun follows the measure word (``192个党支部`` →
            ``党支部``; ``14个村`` → ``村``; ``1镇`` → ``镇``); ``''`` otherwise.
    """

    q: Quantity
    clause: tuple[int, int]
    scope: Scope
    noun: str


@dataclass(frozen=True, slots=True)
class RoleFact:
    """A person named with a role: ``德江县县长敖华`` → role 县长, org 德江县, name 敖华."""

    role: str
    org: str
    name: str
    start: int
    end: int


def last_scope(form: str) -> Scope:
    """The time scope the text states; the last marker wins (今年…累计 → cumulative)."""
    last: Scope = "none"
    for m in _SCOPE.finditer(form):
        last = "this_year" if m.group("this") else "cumulative"
    return last


def scope_at(form: str, clause: tuple[int, int], lead: str) -> Scope:
    """The time scope of a figure: a marker in its own clause, else the last marker before
    the clause in the sentence, else the last marker of the paragraph ``lead`` (the text
    of the paragraph before the sentence), else ``none``."""
    for text in (form[clause[0] : clause[1]], form[: clause[0]], lead):
        scope = last_scope(text)
        if scope != "none":
            return scope
    return "none"


def clause_of(form: str, start: int, end: int) -> tuple[int, int]:
    """``(start, end)`` of the clause (between ，；。：！？) that holds ``form[start:end]``."""
    a = 0
    for m in _CLAUSE_END.finditer(form, 0, start):
        a = m.end()
    m2 = _CLAUSE_END.search(form, end)
    return a, (m2.end() if m2 else len(form))


def is_fact_figure(q: Quantity) -> bool:
    """Whether ``q`` states a fact worth checking: a bare number without unit or 万/亿
    (``832`` as in the "832" platform, ``九十`` of an idiom) does not."""
    if q.kind != "number" or q.unit:
        return True
    return any(ch in q.text for ch in "万亿萬億")


def noun_after(form: str, q: Quantity) -> str:
    """What a figure counts: up to four characters after it, cut at a function word."""
    out = [q.unit] if q.unit in NOUN_UNITS else []
    for ch in form[q.end : q.end + 4]:
        if ch in _NOUN_STOP or not "\u4e00" <= ch <= "\u9fff":
            break
        out.append(ch)
    return "".join(out)


def figures(text: str, form: str, lead: str = "") -> list[Figure]:
    """The fact figures of one sentence (``text`` original, ``form`` its search form, of
    the same length; ``lead`` the search form of the paragraph before it)."""
    out = []
    for q in find_quantities(text):
        if not is_fact_figure(q):
            continue
        clause = clause_of(form, q.start, q.end)
        out.append(Figure(q, clause, scope_at(form, clause, lead), noun_after(form, q)))
    return out


def content_terms(form: str) -> list[str]:
    """The distinct topic terms of a text: jieba tokens without function words, figures,
    single characters and time-scope words, in order of first occurrence."""
    seen: dict[str, None] = {}
    for q in find_quantities(form):  # blank the figures: 二〇二一年 must not yield 一年
        form = form[: q.start] + " " * (q.end - q.start) + form[q.end :]
    for tok in tokenize(form):
        if len(tok) < 2 or tok in SCOPE_WORDS or tok in _EXTRA_STOP or any(c.isdigit() for c in tok):
            continue
        if all(c in _NUMERAL_CHARS for c in tok):  # 一百五十, 六万元: parts of a figure
            continue
        seen.setdefault(tok, None)
    return list(seen)


def _name_at(form: str, pos: int) -> str:
    """A two- or three-character personal name starting at ``pos``, or ``''``."""
    head = form[pos : pos + 3]
    if len(head) < 2 or head[0] not in SURNAMES or any(c in _NAME_STOP for c in head[:2]):
        return ""
    if not all("\u4e00" <= c <= "\u9fff" for c in head[:2]):
        return ""
    if len(head) == 3 and "\u4e00" <= head[2] <= "\u9fff" and head[2] not in _NAME_STOP:
        return head
    return head[:2]


def role_facts(form: str) -> list[RoleFact]:
    """People named right after a role word, including lists (``镇领导卢泰强、蔡运洪``).

    The org is the place or body written just before the role (``德江县县长`` → 德江县),
    ``''`` when none is."""
    out = []
    for m in _ROLE.finditer(form):
        org_m = _ORG_TAIL.search(form[max(0, m.start() - 8) : m.start()])
        org = org_m.group() if org_m else ""
        pos = m.end()
        while True:
            name = _name_at(form, pos)
            if not name:
                break
            out.append(RoleFact(m.group().lstrip("副"), org, name, m.start(), pos + len(name)))
            pos += len(name)
            if form[pos : pos + 1] != "、":
                break
            pos += 1
    return out


def same_name(a: str, b: str) -> bool:
    """Whether two extracted names are the same person: a name read as three characters
    may be a two-character name plus the next character, so a shared two-character
    prefix with one a prefix of the other counts."""
    return a == b or (min(len(a), len(b)) >= 2 and (a.startswith(b) or b.startswith(a)))


def orgs_compatible(a: str, b: str) -> bool:
    """Whether two role orgs can be the same body (either unknown, or sharing a name)."""
    if not a or not b:
        return True
    return a[:2] == b[:2] or a in b or b in a


def place_names(form: str) -> list[str]:
    """Two-character place names with their suffix (``大利村``, ``德江县``), in order."""
    out = []
    for m in _PLACE.finditer(form):
        name = m.group(1)
        after = form[m.start() + 3 : m.start() + 4]
        if not any(c in _NOT_IN_PLACE for c in name[:2]) and not (after and after in _PLACE_SUFFIX):
            out.append(name)
    return list(dict.fromkeys(out))
