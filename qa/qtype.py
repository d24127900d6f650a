"""The question types: what shape of answer a question asks for.

- :attr:`QType.FACT`: one fact (多少, 谁, 哪一年…): the reader's best span, cited;
- :attr:`QType.LIST`: several items (有哪些, 都有谁, 哪几家, 分别…): one item per
  sentence that scores near the best (:meth:`qa.engine.Engine.compose_list`);
- :attr:`QType.SUMMARY`: a summary (总结, 概括, 归纳, 梳理…): whole sentences covering the
  topic; the answerability model (fitted on factual questions) does not judge it.

A new type: a member here, its wording in :func:`question_type`, its answer's shape in
:meth:`qa.engine.Engine.compose`.
"""

from __future__ import annotations

import enum
import re


class QType(enum.StrEnum):
    """A question type; a ``str``, so JSON and comparisons see ``"fact"``, ``"list"``…"""

    FACT = "fact"
    LIST = "list"
    SUMMARY = "summary"


# "有哪些 / 都有谁 / 哪几家 / 总结…": the answer is a list collected from several sentences
_LIST_ASK = re.compile(r"哪些|都有谁|有谁|哪几[个位家项所条种]|分别|总结|概括|归纳|梳理|"
                       r"\bwhich\b.*\b(?:are|were)\b|\bwhat are\b|\bsummari[sz]e\b|\blist\b")
_SUMMARY_ASK = re.compile(r"总结|概括|归纳|梳理|\bsummari[sz]e\b")
# "总结一下X的成效", "简要概括一下X", "簡單總結一下X" ask about X: the instruction words (in
# either script, with an adverb of manner) are not what sources say
_INSTRUCTION = re.compile(r"^(?:请你?|請你?|帮我|幫我)?(?:简要|簡要|简单|簡單|大致|大概|扼要)?地?"
                          r"(?:总结|總結|概括|归纳|歸納|梳理|介绍|介紹)(?:一下)?|"
                          r"^(?:please )?(?:briefly )?(?:summari[sz]e|list)\b", re.IGNORECASE)


def question_type(form: str) -> QType:
    """The type of a question, read from its search form (lower-case, simplified)."""
    if _SUMMARY_ASK.search(form):
        return QType.SUMMARY
    if _LIST_ASK.search(form):
        return QType.LIST
    return QType.FACT


def topic_of(query: str) -> str:
    """What a question asks about, without an instruction that opens it (总结一下, 请介绍)."""
    return _INSTRUCTION.sub("", query).strip() or query
