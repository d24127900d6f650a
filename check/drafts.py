"""Reading a draft to check: a ``.txt``, ``.md`` or ``.docx`` file, text given inline, or
standard input.

The draft is *not* repaired or normalized: claim offsets must point into the text the user
gave. A ``.txt``/``.md`` file is the text as decoded (encoding detected as for sources);
a ``.docx`` file is its paragraph (and table cell) texts joined with ``\\n``.
"""

from __future__ import annotations

from pathlib import Path

from ingest.encoding import decode_bytes
from ingest.loaders import MAX_BYTES, load_file
from zhiwen.errors import InputError

DRAFT_SUFFIXES = (".txt", ".md", ".docx")


def read_draft(path: Path) -> str:
    """The text of a draft file.

    Raises:
        InputError: the file is missing, a directory, unreadable, empty, too large, not
            text (an image, an archive …), a broken ``.docx``, or of another type; the
            message names the file and the problem in Chinese.
    """
    name = str(path)
    suffix = path.suffix.lower()
    if suffix not in DRAFT_SUFFIXES:
        raise InputError(name, f"不支持的文稿类型 {suffix or '（无扩展名）'}，核稿支持 .txt、.md、.docx")
    if not path.exists():
        raise InputError(name, "文件不存在")
    if path.is_dir():
        raise InputError(name, "是目录，不是文件")
    if suffix == ".docx":
        # load_file names the file relative to its root; give it the folder so the
        # message shows the name.
        return load_file(path, path.parent).documents[0].text_raw
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(name, f"文件过大（超过 {MAX_BYTES // 2**20} MB）")
        data = path.read_bytes()
    except PermissionError as exc:
        raise InputError(name, "无法读取：权限不足") from exc
    except OSError as exc:
        raise InputError(name, f"无法读取：{exc.strerror or exc}") from exc
    text, _encoding = decode_bytes(data, name)
    if not text.strip():
        raise InputError(name, "文件中没有文字")
    return text


def draft_bytes(data: bytes, where: str) -> str:
    """A draft piped in as bytes (standard input), decoded like a ``.txt`` file."""
    if not data.strip():
        raise InputError(where, "没有读到要核对的文稿内容")
    return draft_text(decode_bytes(data, where)[0], where)


def draft_text(text: str, where: str) -> str:
    """``text`` as a draft (inline or from standard input), refused when blank."""
    if not text.strip():
        raise InputError(where, "没有读到要核对的文稿内容")
    return text
