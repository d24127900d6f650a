"""Find the source files of a corpus and read each into :class:`RawDocument` records.

One loader per format (``.txt``/``.md``, ``.html``/``.htm``, ``.pdf``, ``.docx``, ``.jsonl``).
A file that cannot be used raises :class:`~zhiwen.errors.InputError` naming the file and the
problem in Chinese; a ``.jsonl`` file with some bad lines keeps its good lines and reports
the bad ones as warnings.
"""

from __future__ import annotations

import errno
import io
import json
import logging
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ingest.dates import normalize_date, pdf_date
from ingest.docx_text import check_zip_limits, docx_lines
from ingest.encoding import decode_bytes, sniff_binary
from ingest.html import decode_html, extract_html
from zhiwen.errors import InputError

SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".html", ".htm", ".pdf", ".docx", ".jsonl"})

# Files other than .jsonl are read whole; refuse larger ones rather than exhaust memory.
MAX_BYTES = 200 * 2**20
log = logging.getLogger(__name__)
_TITLE_MAX_CHARS = 40
_SENTENCE_END = "。！？；.!?;"
_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_FRONT_MATTER_LINE_RE = re.compile(r"([A-Za-z_][\w-]*)\s*:\s*(.*)")


@dataclass(frozen=True, slots=True)
class RawDocument:
    """One document as read from a file, before repair.

    Attributes:
        path: the file, relative to the corpus root, with ``/`` separators.
        text_raw: the decoded text (front matter removed).
        title: the title the file states, or ``None`` (the pipeline falls back to the name).
        date: ISO ``YYYY-MM-DD`` when the file states a date, else ``None``.
        meta: ``encoding`` for text formats; ``record_id``, ``url``, ``line`` for ``.jsonl``.
    """

    path: str
    text_raw: str
    title: str | None
    date: str | None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LoadResult:
    """The documents a file yields and Chinese warnings about parts that were skipped."""

    documents: list[RawDocument]
    warnings: list[str] = field(default_factory=list)


def iter_files(root: Path) -> Iterator[Path]:
    """Yield the candidate source files under ``root`` in sorted order.

    A file ``root`` is yielded as is, whatever its suffix (:func:`load_file` then says if
    it is unsupported). Under a directory, hidden names (starting with ``.``) and files of
    unsupported suffixes are skipped; symlinked directories are followed once.

    Raises:
        InputError: ``root`` does not exist.
    """
    if not root.exists() and not root.is_symlink():
        raise InputError(str(root), "路径不存在")
    if not root.is_dir():
        yield root
        return
    yield from _walk(root, set())


def _walk(directory: Path, seen: set[Path]) -> Iterator[Path]:
    real = directory.resolve()
    if real in seen:
        return
    seen.add(real)
    try:
        entries = sorted(directory.iterdir(), key=lambda p: p.name)
    except OSError:
        yield directory  # load_file reports why it cannot be read
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from _walk(entry, seen)
        elif entry.suffix.lower() in SUPPORTED_SUFFIXES:
            yield entry


def load_file(path: Path, root: Path) -> LoadResult:
    """Read one source file into documents, choosing the loader by suffix (any case).

    Args:
        path: the file.
        root: the corpus root (a directory, or the file itself); ``RawDocument.path`` is
            relative to it.

    Raises:
        InputError: unsupported suffix, not a regular file, unreadable, empty, not text,
            or no usable content; the message names the problem in Chinese.
    """
    suffix = path.suffix.lower()
    rel = relative_path(path, root)
    if path.is_dir():  # an unreadable folder is no "unsupported file type"
        readable = os.access(path, os.R_OK | os.X_OK)
        raise InputError(rel, "是目录，不是文件" if readable else "无法读取目录：权限不足")
    if suffix not in SUPPORTED_SUFFIXES:
        supported = "、".join(sorted(SUPPORTED_SUFFIXES))
        raise InputError(rel, f"不支持的文件类型 {suffix or '（无扩展名）'}，支持：{supported}")
    size = _check_regular_file(path, rel)
    try:
        if suffix == ".jsonl":
            return _load_jsonl(path, rel)
        if size > MAX_BYTES:
            raise InputError(rel, f"文件过大（超过 {MAX_BYTES // 2**20} MB），请拆分后再导入")
        data = _read_bytes(path, rel)
        if not data:
            raise InputError(rel, "文件为空")
        if suffix == ".pdf":
            return LoadResult([with_date(_load_pdf(data, rel))])
        if suffix == ".docx":
            return LoadResult([with_date(_load_docx(data, rel))])
        if suffix in (".html", ".htm"):
            return LoadResult([with_date(_load_html(data, rel))])
        return LoadResult([with_date(_load_text(data, rel, markdown=suffix == ".md"))])
    except InputError:
        raise
    except OSError as exc:
        raise _unreadable(rel, exc) from exc
    except (Exception, RecursionError, MemoryError) as exc:
        # Whatever a parser raises on a malformed file refuses that file only, with a reason.
        log.warning("loader failed on %s", rel, exc_info=exc)
        raise InputError(rel, f"文件已损坏或格式不对，无法解析（{type(exc).__name__}）") from exc


def relative_path(path: Path, root: Path) -> str:
    """``path`` relative to the corpus ``root`` with ``/`` separators (its name if outside)."""
    if path == root:
        return path.name
    for p, r in ((path, root), (path.absolute(), root.resolve())):
        if p.is_relative_to(r):
            return p.relative_to(r).as_posix()
    return path.name


def _check_regular_file(path: Path, rel: str) -> int:
    """Raise unless ``path`` is a regular file that exists; return its size in bytes."""
    try:
        st = path.stat()
    except FileNotFoundError as exc:
        problem = "无法读取：链接指向的文件不存在" if path.is_symlink() else "路径不存在"
        raise InputError(rel, problem) from exc
    except OSError as exc:
        raise _unreadable(rel, exc) from exc
    if stat.S_ISDIR(st.st_mode):
        problem = "是目录，不是文件" if os.access(path, os.R_OK) else "无法读取目录：权限不足"
        raise InputError(rel, problem)
    if not stat.S_ISREG(st.st_mode):
        # Opening a FIFO or device would block or read forever.
        raise InputError(rel, "不是普通文件（可能是管道、套接字或设备），无法读取")
    return st.st_size


def _read_bytes(path: Path, rel: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _unreadable(rel, exc) from exc


_OS_REASONS = {
    errno.EACCES: "权限不足", errno.EPERM: "权限不足", errno.ENOENT: "文件不存在",
    errno.EISDIR: "是目录，不是文件", errno.EIO: "读取出错（磁盘或设备故障）",
    errno.ELOOP: "符号链接层数过多（可能是循环链接）", errno.ENAMETOOLONG: "文件名太长",
    errno.ENXIO: "设备不存在", errno.ENODEV: "设备不存在", errno.EBUSY: "文件正被占用",
    errno.ETIMEDOUT: "读取超时（网络盘可能断开）", errno.ESTALE: "网络盘上的文件已失效",
}  # fmt: skip


def os_error_reason(exc: OSError) -> str:
    """A Chinese reason for an OS error: never the system's own (English) text."""
    if isinstance(exc, PermissionError):
        return "权限不足"
    return _OS_REASONS.get(exc.errno or -1, f"系统错误（错误码 {exc.errno}）" if exc.errno else "系统错误")


def _unreadable(rel: str, exc: OSError) -> InputError:
    return InputError(rel, f"无法读取：{os_error_reason(exc)}")


def guess_title(text: str, *, markdown: bool = False) -> str | None:
    """The first non-empty line if it reads like a title, else ``None``.

    A title is at most 40 characters and does not end with sentence punctuation
    (``。！？；``). In Markdown a leading ``#`` heading marker is removed.
    """
    stripped = text.lstrip()
    end = stripped.find("\n")
    line = (stripped if end < 0 else stripped[:end]).strip()
    if markdown:
        line = line.lstrip("#").strip()
    if 0 < len(line) <= _TITLE_MAX_CHARS and line[-1] not in _SENTENCE_END:
        return line
    return None


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Split a leading ``---`` block of ``key: value`` lines from ``text``.

    Returns the fields (keys lower-cased, quotes stripped) and the text after the block.
    Text without a well-formed block comes back unchanged with no fields.
    """
    match = _FRONT_MATTER_RE.match(text)
    if match is None:
        return {}, text
    fields: dict[str, str] = {}
    for line in match.group(1).splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        kv = _FRONT_MATTER_LINE_RE.fullmatch(line.strip())
        if kv is None:
            return {}, text
        fields[kv.group(1).lower()] = kv.group(2).strip().strip("\"'")
    return fields, text[match.end() :]


def _load_text(data: bytes, rel: str, *, markdown: bool) -> RawDocument:
    text, encoding = decode_bytes(data, rel)
    fields, body = split_front_matter(text)
    if not body.strip():
        raise InputError(rel, "文件中没有文字（只有空白或文件头信息）")
    title = fields.get("title") or guess_title(body, markdown=markdown)
    raw_date = fields.get("date")
    return RawDocument(
        path=rel,
        text_raw=body,
        title=title,
        date=normalize_date(raw_date) if raw_date else None,
        meta={"encoding": encoding},
    )


def _load_html(data: bytes, rel: str) -> RawDocument:
    text, encoding = decode_html(data, rel)
    content = extract_html(text)
    if not content.text.strip():
        raise InputError(rel, "网页中没有正文")
    return RawDocument(
        path=rel,
        text_raw=content.text,
        title=content.title,
        date=normalize_date(content.date) if content.date else None,
        meta={"encoding": encoding},
    )


def _load_pdf(data: bytes, rel: str) -> RawDocument:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        locked = reader.is_encrypted and not reader.decrypt("")
        pages = [] if locked else [page.extract_text() or "" for page in reader.pages]
        title = None if locked or reader.metadata is None else reader.metadata.title
        made = None if locked or reader.metadata is None else pdf_date(reader.metadata)
    except Exception as exc:  # pypdf raises many types on malformed files
        raise InputError(rel, f"PDF 文件已损坏或无法解析（{type(exc).__name__}）") from exc
    if locked:
        raise InputError(rel, "PDF 已加密（需要密码），无法提取文字")
    text = "\n".join(pages)
    if not text.strip():
        raise InputError(rel, "PDF 没有文字层（扫描件需先做 OCR）")
    title = title.strip() if isinstance(title, str) and title.strip() else None
    return RawDocument(path=rel, text_raw=text, title=title, date=None,
                       meta={"pages": len(pages), "file_date": made})


def _load_docx(data: bytes, rel: str) -> RawDocument:
    import docx

    check_zip_limits(data, rel)
    try:
        document = docx.Document(io.BytesIO(data))
        lines = list(docx_lines(document))
        title = document.core_properties.title
        made = document.core_properties.created
    except Exception as exc:  # zipfile, lxml (XMLSyntaxError) and python-docx all raise here
        raise InputError(rel, f"不是有效的 .docx 文件（已损坏或格式不对：{type(exc).__name__}）") from exc
    text = "\n".join(lines)
    if not text.strip():
        raise InputError(rel, "文档中没有文字")
    # core_properties.created is when the file was made, not always the article date: it is
    # the last resort, after the text and the file name (see ingest.dates)
    return RawDocument(path=rel, text_raw=text, title=(title or "").strip() or None, date=None,
                       meta={"file_date": made})


def with_date(doc: RawDocument) -> RawDocument:
    """``doc`` with its publication date and where it was found (``meta["date_from"]``):
    the date the format states (front matter, HTML meta) first, else the text, the file
    name, then the file's properties (see :mod:`ingest.dates`)."""
    from ingest.dates import FROM_META, find_date

    meta = dict(doc.meta)
    file_date = meta.pop("file_date", None)
    if doc.date is not None:
        return replace(doc, meta={**meta, "date_from": meta.get("date_from", FROM_META)})
    found, where = find_date(doc.text_raw, doc.path, file_date)
    if where:
        meta["date_from"] = where
    return replace(doc, date=found, meta=meta)


def _load_jsonl(path: Path, rel: str) -> LoadResult:
    """One document per line; bad lines become warnings, the rest still load.

    Each line is ``{"text": …}`` with optional ``id``, ``title``, ``date``, ``url``. The file
    is read line by line, so its size is not limited by memory for the raw bytes.
    """
    documents: list[RawDocument] = []
    warnings: list[str] = []
    ids: dict[str, int] = {}
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
            if not head:
                raise InputError(rel, "文件为空")
            sniff_binary(head, rel)
            fh.seek(0)
            for line_no, line in enumerate(fh, start=1):
                if line_no == 1 and line.startswith(b"\xef\xbb\xbf"):
                    line = line[3:]
                if not line.strip():
                    continue
                doc = _jsonl_record(line, line_no, ids, warnings)
                if doc is not None:
                    documents.append(replace(doc, path=rel))
    except OSError as exc:
        raise _unreadable(rel, exc) from exc
    if not documents:
        first = f"（{warnings[0]}）" if warnings else ""
        raise InputError(rel, f"没有一行可用的记录{first}")
    return LoadResult(documents, warnings)


def _jsonl_record(
    line: bytes, line_no: int, ids: dict[str, int], warnings: list[str]
) -> RawDocument | None:
    """Parse one line into a document, or append a warning and return ``None``."""
    where = f"第 {line_no} 行"
    try:
        record = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError:
        warnings.append(f"{where}：不是 UTF-8 编码，已跳过")
        return None
    except json.JSONDecodeError:
        warnings.append(f"{where}：不是合法的 JSON，已跳过")
        return None
    if not isinstance(record, dict):
        warnings.append(f"{where}：不是 JSON 对象，已跳过")
        return None
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        warnings.append(f'{where}：缺少非空的 "text" 字段，已跳过')
        return None
    raw_id = record.get("id")
    record_id = str(raw_id) if isinstance(raw_id, str | int) and str(raw_id) else f"L{line_no}"
    if record_id in ids:
        warnings.append(f"{where}：id “{record_id}” 与第 {ids[record_id]} 行重复，改用 L{line_no}")
        record_id = f"L{line_no}"
    ids[record_id] = line_no
    title = record.get("title")
    raw_date = record.get("date")
    iso = normalize_date(raw_date) if isinstance(raw_date, str) else None
    if raw_date not in (None, "") and iso is None:
        warnings.append(f"{where}：无法识别日期 “{raw_date}”，已忽略")
    meta: dict[str, Any] = {"record_id": record_id, "line": line_no, "encoding": "utf-8"}
    if isinstance(record.get("url"), str) and record["url"]:
        meta["url"] = record["url"]
    return RawDocument(
        path="",  # filled in by the caller
        text_raw=text,
        title=title.strip() or None if isinstance(title, str) else None,
        date=iso,
        meta=meta,
    )
