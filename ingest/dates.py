"""A document's publication date, from where Chinese documents usually state it.

In order: a labelled date (``发布时间：2025-11-03``, ``发布日期``, ``成文日期``, a report's
``报送日期`` …) near the top; among the first or the last lines, a line that is only a date
(``2025年10月15日``, ``二〇二五年十一月三日``; 公文 put the date under the signature) or a
header line built round one: a news page's ``2025-06-25 10:32　来源：…``, a bare
``时间：2024-12-30``, a work report's ``（2025年2月12日在…会议上）``, a signature and its date on one line
(``清溪镇人民政府　2025年7月14日``); a date in the file name
(``通知-2025-11-03.docx``, ``20251103_简报.txt``, never the time stamp that uploads get);
then the file's own metadata (HTML meta, PDF and .docx properties), which the loaders pass in.
Each finding says where it came from, so that the library can show it and a person can
correct it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any

_Y, _M, _D = r"(\d{4})", r"(\d{1,2})", r"(\d{1,2})"
_FULL = rf"{_Y}\s*[-/.年]\s*{_M}\s*[-/.月]\s*{_D}\s*日?"
_LABELLED = re.compile(
    r"(?:(?:发布|發布|印发|印發|发文|發文|成文|公布|公開|公开|发表|發表|更新)(?:时间|時間|日期)?"
    # a report's or a 公文's own labels, after its sender on the same line (``报送单位：…
    # 报送日期：2026年7月10日``): with their 日期/时间 only, as 上报 alone may begin a sentence
    r"|(?:报送|報送|上报|上報|签发|簽發|发稿|發稿)(?:时间|時間|日期))\s*[:：]?\s*" + _FULL)
_DATE_ONLY = re.compile(rf"[\s(（\[【]*{_FULL}[\s)）\]】]*")
# a header line built round the date (see the module docstring); the date comes first, or
# last after a signature of no sentence punctuation
_HEADER_LINE = re.compile(
    rf"(?:(?:时间|時間|日期)\s*[:：]\s*)?[(（\[【]?\s*{_FULL}"
    r"(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?"
    r"(?:\s*[)）\]】]?\s*$|\s*(?=来源|來源|作者|编辑|編輯|责任编辑|責任編輯|浏览|瀏覽|点击|點擊|字号|字號)"
    r"|\s*在.{2,40}上\s*[)）\]】])")
_SIGNED = re.compile(rf"[^，。；：,;:!?！？\d]{{1,23}}[^，。；：,;:!?！？\d至到于在从自止起]\s*{_FULL}\s*")
_CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_CN_DATE = re.compile(r"([〇○零一二三四五六七八九]{4})年"
                      r"([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日")
# the stamp ui.uploads appends to an upload's name: -YYYYMMDD-HHMMSS-xxxxxxxx
_UPLOAD_STAMP = re.compile(r"-\d{8}-\d{6}-[0-9a-f]{8}(?=\.[^./]+$|$)")
_NAME_DATE = re.compile(r"(?<!\d)(20\d\d|19\d\d)[-_.年]?(\d{2})[-_.月]?(\d{2})(?!\d)|"
                        r"(?<!\d)(20\d\d|19\d\d)[-_.年](\d{1,2})[-_.月](\d{1,2})(?!\d)")
TOP_LINES = 8
BOTTOM_LINES = 6
TOP_CHARS = 600
MAX_DATE_LINE = 40
# python-docx's own template stamps every document it makes with this creation date
_TEMPLATE_DATES = frozenset({"2013-12-23"})

# raised when the rules below find dates they did not before: the next ingest finds the dates of
# documents it keeps unchanged again (ingest.pipeline.redate_documents)
DATES_VERSION = 3

FROM_TEXT = "正文"
FROM_NAME = "文件名"
FROM_META = "文件属性"
FROM_USER = "人工校正"


def iso(year: int, month: int, day: int) -> str | None:
    """``YYYY-MM-DD``, or ``None`` for an impossible or implausible date."""
    if not 1900 <= year <= 2100:
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _cn_number(text: str) -> int:
    """一 → 1, 十 → 10, 十一 → 11, 二十三 → 23."""
    if "十" not in text:
        return _CN_DIGITS[text]
    tens, _, ones = text.partition("十")
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


def _parse(text: str) -> str | None:
    m = re.search(_FULL, text)
    if m is not None:
        return iso(int(m[1]), int(m[2]), int(m[3]))
    c = _CN_DATE.search(text)
    if c is not None:
        year = int("".join(str(_CN_DIGITS[ch]) for ch in c[1]))
        return iso(year, _cn_number(c[2]), _cn_number(c[3]))
    return None


def date_in_text(text: str) -> str | None:
    """The date a document's text states as its own: labelled near the top, else a line
    that is only a date among the first or the last lines."""
    text = unicodedata.normalize("NFKC", text)
    labelled = _LABELLED.search(text[:TOP_CHARS])
    if labelled is not None:
        found = iso(int(labelled[1]), int(labelled[2]), int(labelled[3]))
        if found:
            return found
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for line in lines[:TOP_LINES] + lines[-BOTTOM_LINES:][::-1]:
        if len(line) > MAX_DATE_LINE:
            continue
        if (_DATE_ONLY.fullmatch(line) or _CN_DATE.fullmatch(line.strip("()（）"))
                or _HEADER_LINE.match(line) or _SIGNED.fullmatch(line)):
            found = _parse(line)
            if found:
                return found
    return None


def date_in_name(path: str) -> str | None:
    """A date written in the file name (not the upload stamp): ``2025-11-03``, ``20251103``."""
    name = _UPLOAD_STAMP.sub("", path.rsplit("/", 1)[-1])
    for m in _NAME_DATE.finditer(unicodedata.normalize("NFKC", name)):
        y, mo, d = (m[1], m[2], m[3]) if m[1] else (m[4], m[5], m[6])
        found = iso(int(y), int(mo), int(d))
        if found:
            return found
    return None


def date_of_metadata(value: object) -> str | None:
    """A metadata date (a ``datetime``, or text such as ``D:20251103…`` or ISO) as ISO."""
    if isinstance(value, datetime | date):
        found = iso(value.year, value.month, value.day)
    elif isinstance(value, str):
        v = value.strip().removeprefix("D:")
        compact = re.match(r"(\d{4})(\d{2})(\d{2})", v)
        found = iso(int(compact[1]), int(compact[2]), int(compact[3])) if compact else _parse(v)
    else:
        found = None
    return None if found in _TEMPLATE_DATES else found


def find_date(text: str, path: str, metadata: object = None) -> tuple[str | None, str]:
    """The publication date and where it was found (正文, 文件名, 文件属性), or ``(None, "")``."""
    for found, where in ((date_in_text(text), FROM_TEXT), (date_in_name(path), FROM_NAME),
                         (date_of_metadata(metadata), FROM_META)):
        if found:
            return found, where
    return None, ""


_DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_COMPACT_DATE_RE = re.compile(r"(\d{4})(\d{2})(\d{2})")


def normalize_date(value: str) -> str | None:
    """ISO ``YYYY-MM-DD`` for dates written like ``2023-6-25``, ``2023/06/25``,
    ``2023年6月25日``, ``20230625`` or an ISO timestamp; ``None`` if none or invalid."""
    value = unicodedata.normalize("NFKC", value)
    match = _DATE_RE.search(value) or _COMPACT_DATE_RE.fullmatch(value.strip())
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3])).isoformat()
    except ValueError:
        return None


def pdf_date(metadata: Any) -> Any:
    """A PDF's creation date as pypdf gives it (``None`` when it has none)."""
    try:
        return metadata.creation_date or metadata.get("/CreationDate")
    except Exception:  # a malformed date string: no date rather than no document
        return metadata.get("/CreationDate")
