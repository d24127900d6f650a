"""Recognise Hanyu Pinyin, so that repair can drop ``鎮(zhèn)`` annotations and nothing else.

A parenthesised text counts as pinyin only when it splits into legal syllables *and* at
least one of them carries a tone (a tone mark or a tone digit 1-5). The tone requirement is
what keeps ``(AI)``, ``(China)`` and ``(app)`` — which also split into legal syllables
(``ai``; ``chi`` + ``na``) — from being taken for annotations; a toneless annotation such as
``(zhen)`` is therefore kept, deliberately.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

# Every syllable of standard Mandarin (toneless, ``ü`` spelt ``ü``), grouped by initial.
_SYLLABLES_BY_INITIAL = """
a o e ai ei ao ou an en ang eng er
yi ya yo ye yao you yan yin yang ying yong yu yue yuan yun
wu wa wo wai wei wan wen wang weng
ba bo bai bei bao ban ben bang beng bi bie biao bian bin bing bu
pa po pai pei pao pou pan pen pang peng pi pie piao pian pin ping pu
ma mo me mai mei mao mou man men mang meng mi mie miao miu mian min ming mu
fa fo fei fou fan fen fang feng fu
da de dai dei dao dou dan den dang deng dong di dia die diao diu dian ding du duo dui duan dun
ta te tai tao tou tan tang teng tong ti tie tiao tian ting tu tuo tui tuan tun
na ne nai nei nao nou nan nen nang neng nong ni nie niao niu nian nin niang ning nu nuo nuan
nun nü nüe
la le lo lai lei lao lou lan lang leng long li lia lie liao liu lian lin liang ling lu luo luan
lun lü lüe
ga ge gai gei gao gou gan gen gang geng gong gu gua guo guai gui guan gun guang
ka ke kai kei kao kou kan ken kang keng kong ku kua kuo kuai kui kuan kun kuang
ha he hai hei hao hou han hen hang heng hong hu hua huo huai hui huan hun huang
ji jia jie jiao jiu jian jin jiang jing jiong ju jue juan jun
qi qia qie qiao qiu qian qin qiang qing qiong qu que quan qun
xi xia xie xiao xiu xian xin xiang xing xiong xu xue xuan xun
zha zhe zhi zhai zhei zhao zhou zhan zhen zhang zheng zhong zhu zhua zhuo zhuai zhui zhuan
zhun zhuang
cha che chi chai chao chou chan chen chang cheng chong chu chua chuo chuai chui chuan chun
chuang
sha she shi shai shei shao shou shan shen shang sheng shu shua shuo shuai shui shuan shun
shuang
re ri rao rou ran ren rang reng rong ru rua ruo rui ruan run
za ze zi zai zei zao zou zan zen zang zeng zong zu zuo zui zuan zun
ca ce ci cai cao cou can cen cang ceng cong cu cuo cui cuan cun
sa se si sai sao sou san sen sang seng song su suo sui suan sun
"""

SYLLABLES: frozenset[str] = frozenset(
    {s for s in _SYLLABLES_BY_INITIAL.split()}
    # ``ü`` is often typed as ``v`` (lv, nve), and ``lüe``/``nüe`` as ``lue``/``nue``.
    | {s.replace("ü", "v") for s in _SYLLABLES_BY_INITIAL.split() if "ü" in s}
    | {"lue", "nue"}
)
_MAX_SYLLABLE = max(len(s) for s in SYLLABLES)

_TONED = {
    "ā": "a", "á": "a", "ǎ": "a", "à": "a",
    "ē": "e", "é": "e", "ě": "e", "è": "e",
    "ī": "i", "í": "i", "ǐ": "i", "ì": "i",
    "ō": "o", "ó": "o", "ǒ": "o", "ò": "o",
    "ū": "u", "ú": "u", "ǔ": "u", "ù": "u",
    "ǖ": "ü", "ǘ": "ü", "ǚ": "ü", "ǜ": "ü",
}  # fmt: skip
_TOKEN_SEP = re.compile(r"[\s'’\-]+")
_LETTERS = re.compile(r"[a-zü\dāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]+")


def is_pinyin(text: str) -> bool:
    """Whether ``text`` (the inside of a pair of parentheses) is toned Hanyu Pinyin.

    Accepts tone marks or tone digits (``zhèn``, ``zhen4``), any capitalisation, several
    syllables separated by spaces, apostrophes or hyphens or written together
    (``zhèn zhǎng``, ``zhènzhǎng``). Requires at least one toned syllable.
    """
    tokens = [t for t in _TOKEN_SEP.split(unicodedata.normalize("NFC", text).lower()) if t]
    if not tokens or len(tokens) > 12:
        return False
    results = [_token_tones(t) for t in tokens]
    return all(r is not None for r in results) and any(results)


@cache
def _token_tones(token: str) -> bool | None:
    """``None`` if ``token`` is not a run of pinyin syllables, else whether any carries a tone."""
    if not _LETTERS.fullmatch(token) or len(token) > 40:
        return None
    n = len(token)
    # reach[i]: None if token[:i] cannot be segmented, else whether a segmentation has a tone.
    reach: list[bool | None] = [None] * (n + 1)
    reach[0] = False
    for i in range(n):
        if reach[i] is None:
            continue
        for j in range(i + 1, min(n, i + _MAX_SYLLABLE + 1) + 1):
            toned = _syllable_tone(token[i:j])
            if toned is None:
                continue
            seen = bool(reach[i]) or toned
            reach[j] = seen or bool(reach[j])
    return reach[n]


def _syllable_tone(piece: str) -> bool | None:
    """``None`` if ``piece`` is not one syllable (optionally toned), else whether it is toned."""
    digit = piece[-1].isdigit()
    if digit:
        if piece[-1] not in "12345":
            return None
        piece = piece[:-1]
    marks = sum(1 for ch in piece if ch in _TONED)
    if marks > 1 or (digit and marks):
        return None
    bare = "".join(_TONED.get(ch, ch) for ch in piece)
    if bare not in SYLLABLES:
        return None
    return digit or marks == 1
