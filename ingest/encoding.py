"""Turn the bytes of a text file into ``str``, or say clearly why they are not text.

Chinese files in the wild come as UTF-8 (with or without BOM), UTF-16, GBK/GB2312/GB18030
or Big5. :func:`decode_bytes` tries them in that order, strictly, and only then asks
charset-normalizer. Files that are not text at all (images, archives, executables) are
refused with a Chinese message instead of being decoded into garbage.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import PurePath

from charset_normalizer import from_bytes

from zhiwen.errors import InputError

# Longest first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG 图片"),
    (b"\xff\xd8\xff", "JPEG 图片"),
    (b"GIF87a", "GIF 图片"),
    (b"GIF89a", "GIF 图片"),
    (b"%PDF-", "PDF 文件（请使用 .pdf 扩展名）"),
    (b"PK\x03\x04", "ZIP 压缩包或 .docx 等 Office 文件"),
    (b"\x7fELF", "ELF 可执行程序"),
    (b"\x1f\x8b", "gzip 压缩包"),
    (b"7z\xbc\xaf\x27\x1c", "7z 压缩包"),
    (b"Rar!\x1a\x07", "RAR 压缩包"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "旧版 Office 文件（.doc/.xls）"),
    (b"SQLite format 3\x00", "SQLite 数据库"),
)

# C0/C1 control characters other than tab, newline, carriage return and form feed.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_MAX_CONTROL_RATIO = 0.01

# A wrong guess between GB18030 and Big5 shows as kana, Cyrillic, box drawing and
# private-use characters among the Chinese; real text is nearly all common characters.
_MIN_PLAUSIBLE = 0.8
_PLAUSIBILITY_SAMPLE = 20_000


def sniff_binary(head: bytes, path: str) -> None:
    """Raise :class:`InputError` if ``head`` starts with the signature of a known binary format.

    Args:
        head: the first bytes of the file (16 are enough).
        path: the file name used in the error message.
    """
    suffix = PurePath(path).suffix or "（无扩展名）"
    for magic, kind in _SIGNATURES:
        if head.startswith(magic):
            raise InputError(path, f"内容是{kind}，不是文本，与扩展名 {suffix} 不符")


def decode_bytes(data: bytes, path: str) -> tuple[str, str]:
    """Decode the bytes of a text file and name the encoding that worked.

    Order: byte-order marks (UTF-8, UTF-32, UTF-16), UTF-16 without a BOM (told by where
    its NUL bytes fall), strict UTF-8, then GB18030 or Big5 (whichever yields plausible
    Chinese), then charset-normalizer's best guess. The BOM is
    not part of the returned text.

    Args:
        data: the whole file.
        path: the file name used in error messages.

    Returns:
        ``(text, encoding)``, e.g. ``("…", "utf-8")`` or ``("…", "gb18030")``.

    Raises:
        InputError: the file is empty, is a known binary format, contains NUL bytes
            (without a UTF-16/32 BOM), has too many control characters, or fits no encoding.
    """
    if not data:
        raise InputError(path, "文件为空")
    sniff_binary(data[:16], path)
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise InputError(
                    path, f"文件带 {encoding.upper()} 字节序标记，但内容无法按该编码解码"
                ) from exc
            _check_control_chars(text, path)
            return text, encoding
    if b"\x00" in data:
        utf16 = _utf16_without_bom(data)
        if utf16 is None:
            raise InputError(path, "文件含有空字节（NUL），不是文本文件")
        text, encoding = utf16
        _check_control_chars(text, path)
        return text, encoding
    text, encoding = _decode_without_bom(data, path)
    _check_control_chars(text, path)
    return text, encoding


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """UTF-16 text saved without a byte-order mark (Windows tools do this), or ``None``.

    Its ASCII characters (newlines, digits, punctuation) put a NUL in every other byte:
    at odd offsets for little-endian, at even ones for big-endian. The side holding the
    NULs picks the byte order; the decoded text must then read as ordinary text.
    """
    if len(data) % 2:
        return None
    odd, even = data[1::2].count(0), data[0::2].count(0)
    if odd and not even:
        encoding = "utf-16-le"
    elif even and not odd:
        encoding = "utf-16-be"
    else:
        return _utf16_plain(data)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    return (text, encoding) if plausibility(text) >= _MIN_PLAUSIBLE else None


def _utf16_plain(data: bytes) -> tuple[str, str] | None:
    """UTF-16 without a BOM and without NUL-bearing ASCII: only when it reads as Chinese."""
    if len(data) % 2 or len(data) < 8:
        return None
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
        if cjk >= 0.5 * len(text) and plausibility(text) >= 0.95:
            return text, encoding
    return None


def _decode_without_bom(data: bytes, path: str) -> tuple[str, str]:
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    chinese = _decode_chinese(data)
    if chinese is not None:
        return chinese
    utf16 = _utf16_plain(data)
    if utf16 is not None:
        return utf16
    match = from_bytes(data).best()
    if match is None or match.encoding is None:
        raise InputError(
            path, "无法识别文件编码（不是 UTF-8、GB18030/GBK 或 Big5），可能不是文本文件"
        )
    return str(match), match.encoding


def _decode_chinese(data: bytes) -> tuple[str, str] | None:
    """Strict GB18030 and Big5 decodes; the more plausible one if it looks like real text.

    GB18030 accepts almost any byte string, Big5 bytes included, so success alone proves
    nothing: both are scored and the winner must clear :data:`_MIN_PLAUSIBLE`. Ties go to
    GB18030, the encoding of mainland sources.
    """
    best: tuple[float, str, str] | None = None
    for encoding in ("gb18030", "big5"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = plausibility(text)
        if best is None or score > best[0]:
            best = (score, text, encoding)
    if best is None or best[0] < _MIN_PLAUSIBLE:
        return None
    return best[1], best[2]


def plausibility(text: str) -> float:
    """Share of the non-ASCII characters of ``text`` that ordinary Chinese text uses.

    Counted as ordinary: ideographs of GB2312 or Big5, CJK extension ideographs (which only
    GB18030's four-byte form produces), CJK and full-width punctuation, general punctuation
    and accented Latin letters (pinyin). Text without non-ASCII characters scores 1.0.
    Only the first :data:`_PLAUSIBILITY_SAMPLE` non-ASCII characters are looked at.
    """
    total = good = 0
    for ch in text:
        if ch < "\x80":
            continue
        total += 1
        good += _is_ordinary(ch)
        if total >= _PLAUSIBILITY_SAMPLE:
            break
    return 1.0 if total == 0 else good / total


@lru_cache(maxsize=65_536)
def _is_ordinary(ch: str) -> bool:
    cp = ord(ch)
    if 0x4E00 <= cp <= 0x9FFF:
        return _encodable(ch, "gb2312") or _encodable(ch, "big5")
    return (
        0x3400 <= cp <= 0x4DBF  # CJK extension A
        or 0x20000 <= cp <= 0x3FFFF  # CJK extensions B and later
        or 0x3000 <= cp <= 0x303F  # CJK symbols and punctuation
        or 0xFF01 <= cp <= 0xFF5E  # full-width ASCII forms
        or 0x2010 <= cp <= 0x2027  # dashes, quotes, ellipsis
        or 0x00C0 <= cp <= 0x024F  # accented Latin (pinyin)
        or cp in (0x00A0, 0x00B7, 0x00D7, 0x3001, 0x3002)
    )


def _encodable(ch: str, encoding: str) -> bool:
    try:
        ch.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _check_control_chars(text: str, path: str) -> None:
    count = len(_CONTROL_RE.findall(text))
    if count and count > _MAX_CONTROL_RATIO * len(text):
        raise InputError(path, f"含有过多控制字符（{count} 个），可能不是文本文件")
