"""One bad input never stops an ingest (issue 11, items 3, 5 and 10): malformed and
bomb .docx files, names that are not UTF-8, unreadable folders and files, UTF-16 without
a BOM, and a truthful removal of a file whose content another file shares."""

from __future__ import annotations

import errno
import io
import os
import zipfile
from pathlib import Path

import pytest

from index import store
from index.retrievers import SearchIndex
from ingest.loaders import load_file
from ingest.pipeline import ingest
from ingest.remove import remove_files


def _docx_bytes(document_xml: bytes, *, deflate: bool = True) -> bytes:
    """A minimal .docx package whose main part is ``document_xml`` as given."""
    ct = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
          b'package/2006/content-types"><Default Extension="rels" ContentType="application/'
          b'vnd.openxmlformats-package.relationships+xml"/><Override PartName="/word/document.xml" '
          b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.'
          b'main+xml"/></Types>')
    rels = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
            b'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            b'Target="word/document.xml"/></Relationships>')
    buf = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    with zipfile.ZipFile(buf, "w", method) as z:
        z.writestr("[Content_Types].xml", ct)
        z.writestr("_rels/.rels", rels)
        z.writestr("word/document.xml", document_xml)
    return buf.getvalue()


BROKEN_XML = '<?xml version="1.0"?><w:document xmlns:w="x"><w:body><w:p>未闭合'.encode()


def test_one_broken_docx_among_100_good_files(tmp_path: Path) -> None:
    corpus = tmp_path / "docs"
    corpus.mkdir()
    for i in range(100):
        (corpus / f"good{i:03d}.txt").write_text(f"第{i}号简报\n示例村第{i}组今年种植果树{i + 10}棵。\n",
                                                 encoding="utf-8")
    (corpus / "broken.docx").write_bytes(_docx_bytes(BROKEN_XML))
    report = ingest([corpus], tmp_path / "index")
    assert report.files_new == 100 and report.documents == 100
    assert len(report.failed) == 1
    path, reason = report.failed[0]
    assert path == "broken.docx" and "不是有效的 .docx 文件" in reason and "XMLSyntaxError" in reason
    assert report.version is not None
    assert len(SearchIndex.open(tmp_path / "index").documents()) == 100


def test_a_zip_bomb_docx_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    bomb = _docx_bytes(b"<w:document>" + b" " * (64 * 2**20) + b"</w:document>")
    assert len(bomb) < 2**20  # 64 MB of XML in well under 1 MB
    (tmp_path / "bomb.docx").write_bytes(bomb)
    with pytest.raises(Exception, match="疑似压缩炸弹") as info:
        load_file(tmp_path / "bomb.docx", tmp_path)
    assert type(info.value).__name__ == "InputError"


def test_the_unpacked_total_is_limited_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest import docx_text

    monkeypatch.setattr(docx_text, "MAX_UNZIPPED_BYTES", 10_000)
    (tmp_path / "big.docx").write_bytes(_docx_bytes(os.urandom(20_000), deflate=False))
    with pytest.raises(Exception, match="解压后过大"):
        load_file(tmp_path / "big.docx", tmp_path)


def test_a_name_that_is_not_utf8_is_refused_up_front(tmp_path: Path) -> None:
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "good.txt").write_text("示例简报\n示例村今年种植果树88棵。\n", encoding="utf-8")
    bad = Path(os.fsdecode(bytes(corpus) + b"/\xb1\xa8\xb8\xe6.txt"))  # 报告 in GBK bytes
    bad.write_text("另一份简报\n示例村今年修路3公里。\n", encoding="utf-8")
    report = ingest([corpus], tmp_path / "index")
    assert report.files_new == 1
    assert report.failed == [("\\xb1\\xa8\\xb8\\xe6.txt",
                              "文件名含有无法识别的字节（不是 UTF-8 编码），请把文件改名后再导入")]
    assert not list((tmp_path / "index" / "versions").glob("*.partial"))
    assert list(SearchIndex.open(tmp_path / "index").files()) == ["good.txt"]


def test_a_folder_is_no_unsupported_file_type(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "子目录"
    folder.mkdir()
    with pytest.raises(Exception, match="是目录，不是文件"):
        load_file(folder, tmp_path)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == folder else real_access(p, mode))
    with pytest.raises(Exception, match="无法读取目录：权限不足"):
        load_file(folder, tmp_path)


def test_an_unreadable_file_is_explained_in_chinese(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "坏盘.txt"
    src.write_text("示例\n", encoding="utf-8")

    def failing(self: Path) -> bytes:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(Path, "read_bytes", failing)
    with pytest.raises(Exception) as info:
        load_file(src, tmp_path)
    message = str(info.value)
    assert "读取出错" in message and "Input/output" not in message


def test_utf16le_without_bom_is_read(tmp_path: Path) -> None:
    text = "示例简报\n示例村今年种植果树88棵，修路3公里。\n"
    (tmp_path / "utf16.txt").write_bytes(text.encode("utf-16-le"))
    doc = load_file(tmp_path / "utf16.txt", tmp_path).documents[0]
    assert doc.text_raw == text and doc.meta["encoding"] == "utf-16-le"


def test_removing_one_of_two_identical_files_is_reported_truthfully(tmp_path: Path) -> None:
    corpus = tmp_path / "docs"
    corpus.mkdir()
    text = "示例简报\n示例村今年种植果树88棵。\n"
    (corpus / "gbk.txt").write_bytes(text.encode("gbk"))
    (corpus / "utf8.txt").write_text(text, encoding="utf-8")
    ingest([corpus], tmp_path / "index")
    result = remove_files(["gbk.txt"], tmp_path / "index")
    assert result.removed == ["gbk.txt"] and result.shared == {"gbk.txt": ["utf8.txt"]}
    (line,) = result.messages()
    assert "utf8.txt" in line and "仍" in line
    data, _, _ = store.load(tmp_path / "index")
    (doc,) = data.docs.values()
    assert doc.source == "utf8.txt"  # answers cite the file that remains, not the removed one
    result = remove_files(["utf8.txt"], tmp_path / "index")
    assert result.messages() == ["已移除：utf8.txt"]
    data, _, _ = store.load(tmp_path / "index")
    assert not data.docs
