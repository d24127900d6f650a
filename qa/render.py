"""Wording shared by the answer paths: display script, abstentions, the 今年 note."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from qa.absent import asks_money, deputy_only
from qa.features import view
from qa.times import period_conflict, stated_time, years_of

if TYPE_CHECKING:
    from qa.reader import Reading


@functools.lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def to_display(text: str, script: str) -> str:
    """``text`` in the display script (quotes are never converted, only answers)."""
    return _t2s().convert(text) if script == "simplified" else text


_TIME_WORD = re.compile(r"(?:19|20)\d\d年|今年|去年|明年|前年|后年|本年|上年|累计|以来")
_SCOPE = {"以来": "累计"}  # "自2021年以来" speaks of a cumulative figure


def abstain_message(query: str, reading: Reading | None = None) -> str:
    """The Chinese abstention: what was searched for, and why nothing answers it: the
    time asked for is not the one the sources state, or a word of the question is in no
    retrieved passage, or no sentence answers."""
    q = reading.question if reading is not None and reading.question is not None else view(query)
    what = "、".join(q.tokens[:6]) if q.tokens else query.strip()
    head = f"资料中没有找到答案：已检索与“{what}”相关的内容，但"
    if reading is not None and reading.unit is not None and reading.why == "time_period":
        wanted, there = period_conflict(q.form, reading.unit.form)
        return head + f"资料只有{there}的数字，没有{wanted}的。"
    if reading is not None and reading.unit is not None and reading.why.startswith("time"):
        stated = list(dict.fromkeys(_SCOPE.get(t, t) for t in _TIME_WORD.findall(stated_time(reading.unit))
                                    if not years_of(t) & years_of(" ".join(q.times))))
        asked = "、".join(q.times)
        if stated:
            return head + f"资料只有{'、'.join(stated)}的数字，没有{asked}的。"
        return head + f"找到的相关句子都没有写明是{asked}的情况。"
    if reading is not None and reading.unit is not None and reading.why == "no_figure":
        return head + f"找到的相关句子都没有给出具体{'金额' if asks_money(q) else '数字'}。"
    if reading is not None and reading.unit is not None and reading.why == "no_date":
        return head + "找到的相关句子都没有写明时间或日期。"
    if reading is not None and reading.unit is not None and reading.why == "deputy":
        role = deputy_only(q, reading.unit.text)
        return head + f"找到的相关句子只提到副{role}，没有说明{role}是谁。"
    if reading is not None and reading.missing:
        return head + f"检索到的资料都没有提到“{reading.missing}”。"
    if reading is not None and reading.unit is not None and reading.why == "unrelated":
        return head + "找到的句子都不含问题中的词语。"
    return head + "没有句子能回答这个问题。"


def year_note(doc) -> str:
    """Which year "今年" means in ``doc``, or a warning that the source doesn't say."""
    if doc.date:
        return f"“今年”指{doc.date[:4]}年（来源发布于{doc.date}）。"
    return "来源未注明发布日期，文中的“今年”是哪一年无法从资料确定。"
MAX_ANSWER = 80  # the longest answer the eval scores (characters; RGB-style budget)
