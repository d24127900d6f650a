"""Storing uploaded files safely under the corpus folder.

The name a browser (or a hostile client) sends is never used as a path: it only lends a
sanitized stem and the suffix to a generated name ``<stem>-<time>-<random><suffix>``, and
the file is created exclusively (``O_EXCL | O_NOFOLLOW``) inside the upload folder.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import time
import unicodedata
from pathlib import Path

from ingest.loaders import SUPPORTED_SUFFIXES
from zhiwen.errors import InputError

MAX_UPLOAD_MB = 50
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 2**20
_STEM_CHARS = 40
# Device names Windows refuses as file names, with or without an extension.
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9]|conin\$|conout\$)$", re.IGNORECASE)
_UNSAFE = re.compile(r"[^\w\-]+")  # \w keeps letters and digits of any script, and _


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot >= 0 else ""


def sanitized_stem(original: str) -> str:
    """A safe stem from a client-supplied name: letters, digits, ``_`` and ``-`` only.

    Path parts (``/`` or ``\\``), NUL and control characters, dots and reserved device
    names never survive; an empty result becomes ``upload``.
    """
    base = unicodedata.normalize("NFKC", original).replace("\x00", "")
    base = re.split(r"[/\\]", base)[-1]
    dot = base.rfind(".")
    stem = base[:dot] if dot >= 0 else base
    stem = _UNSAFE.sub("_", stem).strip("_-")[:_STEM_CHARS]
    if not stem or _RESERVED.match(stem):
        stem = f"upload_{stem}" if stem else "upload"
    return stem


def generated_name(original: str) -> str:
    """The stored name for an upload called ``original``.

    Raises:
        InputError: the suffix is not one ingest can read.
    """
    suffix = _suffix(unicodedata.normalize("NFKC", original).replace("\x00", "").strip())
    if suffix not in SUPPORTED_SUFFIXES:
        allowed = "、".join(sorted(SUPPORTED_SUFFIXES))
        raise InputError(original, f"不支持的文件类型“{suffix or '无扩展名'}”，只能上传 {allowed}")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return f"{sanitized_stem(original)}-{stamp}-{secrets.token_hex(4)}{suffix}"


def store_upload(source: Path, original: str, upload_dir: Path) -> Path:
    """Copy the uploaded temporary file ``source`` into ``upload_dir`` under a generated name.

    Returns:
        The new file, always directly inside ``upload_dir``.

    Raises:
        InputError: unsupported type, larger than :data:`MAX_UPLOAD_BYTES`, or unreadable.
    """
    name = generated_name(original)
    try:
        size = source.stat().st_size
    except OSError as exc:
        raise InputError(original, f"上传的文件无法读取（{exc.strerror or exc}）") from exc
    if size > MAX_UPLOAD_BYTES:
        raise InputError(original, f"文件太大（{size / 2**20:.1f} MB），上限是 {MAX_UPLOAD_MB} MB")
    upload_dir.mkdir(parents=True, exist_ok=True)
    if "/" in name or "\\" in name or name.startswith("."):  # cannot happen with a sanitized stem
        raise InputError(original, "文件名不安全，已拒绝")
    target = upload_dir / name
    try:  # O_EXCL: never overwrite; O_NOFOLLOW: never write through a planted symlink
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    except OSError as exc:
        raise InputError(original, f"无法保存上传的文件（{exc.strerror or exc}）") from exc
    with os.fdopen(fd, "wb") as out, source.open("rb") as src:
        shutil.copyfileobj(src, out)
    return target


def discard_temporary(paths: list[str] | list[Path], cache_dir: Path | None = None) -> None:
    """Delete Gradio's temporary copies of uploaded files once they are stored or read.

    Only files inside Gradio's upload cache are touched (each with its per-upload folder
    when that is left empty); any other path is left alone.
    """
    if cache_dir is None:
        import gradio as gr

        cache_dir = Path(gr.utils.get_upload_folder())
    cache = cache_dir.resolve()
    for p in paths:
        path = Path(p).resolve()
        if not path.is_relative_to(cache) or path == cache:
            continue
        path.unlink(missing_ok=True)
        if path.parent != cache:
            try:
                path.parent.rmdir()
            except OSError:
                pass
