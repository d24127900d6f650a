"""What a ``.docx`` file may hold before it is unpacked (the zip-bomb limits), and its text
in reading order, tables included."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

from zhiwen.errors import InputError

# Zip-based formats (.docx) are checked before any parsing: a 1 MB zip bomb once
# unpacked to 1 GB and took 2.2 GB of memory. The declared sizes are what the zipfile
# module will decompress at most, so checking them is enough.
MAX_UNZIPPED_BYTES = 256 * 2**20
MAX_ZIP_RATIO = 200  # for members over 1 MB unpacked: text XML compresses ~10×, zeros ~1000×
MAX_ZIP_MEMBERS = 5000


def check_zip_limits(data: bytes, rel: str) -> None:
    """Refuse a zip-based file (``.docx``) whose contents would unpack too large, too many,
    or at a zip bomb's ratio, before any member is decompressed.

    Raises:
        InputError: not a zip archive, or over :data:`MAX_UNZIPPED_BYTES`,
            :data:`MAX_ZIP_MEMBERS` or :data:`MAX_ZIP_RATIO`.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise InputError(rel, "不是有效的 .docx 文件（不是完整的 zip 压缩包）") from exc
    if len(members) > MAX_ZIP_MEMBERS:
        raise InputError(rel, f"压缩包内文件过多（{len(members)} 个），疑似恶意文件，已拒绝")
    total = sum(m.file_size for m in members)
    if total > MAX_UNZIPPED_BYTES:
        raise InputError(rel, f"解压后过大（{total / 2**20:.0f} MB，上限 {MAX_UNZIPPED_BYTES // 2**20} MB），"
                              "疑似压缩炸弹，已拒绝")
    for m in members:
        if m.file_size > 2**20 and m.file_size > MAX_ZIP_RATIO * max(m.compress_size, 1):
            ratio = m.file_size // max(m.compress_size, 1)
            raise InputError(rel, f"压缩比异常（{m.filename[:60]} 压缩了 {ratio} 倍），疑似压缩炸弹，已拒绝")


def docx_lines(document: Any) -> Iterator[str]:
    from docx.table import Table

    for block in document.iter_inner_content():
        if not isinstance(block, Table):
            if block.text.strip():
                yield block.text
            continue
        for row in block.rows:
            seen: set[Any] = set()
            for cell in row.cells:
                # A merged cell appears once per grid column it spans; its XML element
                # (private ``_tc``, python-docx has no public handle) tells the copies apart.
                if cell._tc in seen:
                    continue
                seen.add(cell._tc)
                if cell.text.strip():
                    yield cell.text
