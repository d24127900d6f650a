"""Loaders on real files written to tmp_path: every bad file gets a clear InputError and the
good ones beside it still load."""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path

import docx
import pytest
from pypdf import PdfWriter

from ingest.loaders import (
    SUPPORTED_SUFFIXES,
    LoadResult,
    guess_title,
    iter_files,
    load_file,
    normalize_date,
    split_front_matter,
)
from zhiwen.errors import InputError

SEED = Path(__file__).resolve().parents[2] / "docs" / "000_3eb5a6fcadb296c6.txt"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
BIG5_TEXT = "鎮長沈志攀帶領黨政代表團赴貴州省銅仁市德江縣，對接東西部協作工作。"
MALFORMED_HTML = """<html><head><title>清溪镇新闻</title>
<meta property="article:published_time" content="2023-06-25T09:30:00+08:00">
<script>var secret = "脚本内容";</script><style>p {color: red}</style></head>
<body><nav><a href="/">首页</a> <a href="/x">导航链接</a></nav>
<div class="wrap"><article><h1>代表团赴德江县</h1>
<p>第一段正文，介绍<b>东西部协作<p>第二段正文<script>alert("脚本二")</script>
<div><span>第三段正文
<footer>版权所有</footer>"""


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def one(path: Path, root: Path) -> LoadResult:
    result = load_file(path, root)
    assert len(result.documents) == 1
    return result


def tiny_pdf(content: bytes, title: str | None = None) -> bytes:
    """A minimal valid one-page PDF whose page draws ``content`` (a content stream)."""
    info = f"<< /Title ({title}) >>".encode() if title else b"<< >>"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        info,
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


class TestIterFiles:
    def test_walks_sorted_recursively_skipping_hidden_and_unsupported(self, tmp_path: Path) -> None:
        for name in ["b.txt", "a.md", "sub/c.HTML", "sub/z.jsonl", "x.xyz", ".hidden.txt",
                     ".git/d.txt", "sub/.e.txt", "img.png"]:  # fmt: skip
            write(tmp_path / name, "内容")
        rel = [p.relative_to(tmp_path).as_posix() for p in iter_files(tmp_path)]
        assert rel == ["a.md", "b.txt", "sub/c.HTML", "sub/z.jsonl"]

    def test_single_file_yields_itself_even_if_unsupported(self, tmp_path: Path) -> None:
        path = write(tmp_path / "notes.xyz", "内容")
        assert list(iter_files(path)) == [path]
        with pytest.raises(InputError, match=r"不支持的文件类型 \.xyz，支持：.*\.txt"):
            load_file(path, tmp_path)

    def test_missing_path(self, tmp_path: Path) -> None:
        with pytest.raises(InputError, match="路径不存在"):
            list(iter_files(tmp_path / "nope"))

    def test_symlink_loop_terminates(self, tmp_path: Path) -> None:
        write(tmp_path / "d/a.txt", "内容")
        (tmp_path / "d/loop").symlink_to(tmp_path / "d")
        rel = [p.relative_to(tmp_path).as_posix() for p in iter_files(tmp_path)]
        assert rel == ["d/a.txt"]


class TestText:
    def test_seed_article_loads_as_utf8_without_title(self) -> None:
        doc = one(SEED, SEED.parent).documents[0]
        assert doc.path == SEED.name
        assert doc.meta["encoding"] == "utf-8"
        assert doc.title is None  # its first line is a long sentence
        assert doc.text_raw == SEED.read_text(encoding="utf-8")
        assert "鎮(zhèn)長沈志攀" in doc.text_raw

    def test_short_first_line_is_title_and_stays_in_text(self, tmp_path: Path) -> None:
        path = write(tmp_path / "sub/news.txt", "\n  清溪镇赴德江县对接协作  \n正文第一句。\n")
        doc = one(path, tmp_path).documents[0]
        assert doc.path == "sub/news.txt"
        assert doc.title == "清溪镇赴德江县对接协作"
        assert doc.text_raw.startswith("\n  清溪镇赴德江县对接协作")

    @pytest.mark.parametrize(
        ("text", "title"),
        [
            ("这是一句完整的话。\n正文", None),
            ("要点如下；\n正文", None),
            ("字" * 41 + "\n正文", None),
            ("字" * 40 + "\n正文", "字" * 40),
        ],
    )
    def test_title_rule(self, text: str, title: str | None) -> None:
        assert guess_title(text) == title

    def test_markdown_heading_and_front_matter(self, tmp_path: Path) -> None:
        body = "# 会议纪要\n\n两地召开联席会议。\n"
        path = write(tmp_path / "a.md", '---\ntitle: "联席会议"\ndate: 2023/6/25\n---\n' + body)
        doc = one(path, tmp_path).documents[0]
        assert (doc.title, doc.date, doc.text_raw) == ("联席会议", "2023-06-25", body)
        path2 = write(tmp_path / "b.md", body)
        assert one(path2, tmp_path).documents[0].title == "会议纪要"

    def test_front_matter_needs_key_value_lines(self) -> None:
        text = "---\n这不是文件头\n---\n正文"
        assert split_front_matter(text) == ({}, text)

    @pytest.mark.parametrize(
        ("raw", "iso"),
        [
            ("2023-6-25", "2023-06-25"),
            ("2023/06/25", "2023-06-25"),
            ("2023年6月25日", "2023-06-25"),
            ("２０２３年６月２５日", "2023-06-25"),
            ("2023-06-25T09:30:00+08:00", "2023-06-25"),
            ("20230625", "2023-06-25"),
            ("2023-02-30", None),
            ("六月", None),
        ],
    )
    def test_normalize_date(self, raw: str, iso: str | None) -> None:
        assert normalize_date(raw) == iso

    @pytest.mark.parametrize(
        ("data", "encoding"),
        [
            ("镇长带领代表团赴德江县。".encode("gbk"), "gb18030"),
            ("生僻字𠀀和㐀。".encode("gb18030"), "gb18030"),
            (BIG5_TEXT.encode("big5"), "big5"),
            (b"\xff\xfe" + BIG5_TEXT.encode("utf-16-le"), "utf-16"),
            (b"\xfe\xff" + BIG5_TEXT.encode("utf-16-be"), "utf-16"),
            (b"\xef\xbb\xbf" + BIG5_TEXT.encode(), "utf-8-sig"),
        ],
        ids=["gbk", "gb18030-4byte", "big5", "utf16le-bom", "utf16be-bom", "utf8-bom"],
    )
    def test_encodings(self, tmp_path: Path, data: bytes, encoding: str) -> None:
        doc = one(write(tmp_path / "a.txt", data), tmp_path).documents[0]
        assert doc.meta["encoding"] == encoding
        assert doc.text_raw == data.decode(encoding)
        assert "\ufeff" not in doc.text_raw

    def test_five_megabyte_line_without_punctuation(self, tmp_path: Path) -> None:
        text = "清溪镇德江县东西部协作" * 160_000  # 1.76 M chars, 5.3 MB in UTF-8
        path = write(tmp_path / "long.txt", text)
        assert path.stat().st_size > 5_000_000
        start = time.perf_counter()
        doc = one(path, tmp_path).documents[0]
        assert time.perf_counter() - start < 2.0
        assert doc.text_raw == text
        assert doc.title is None

    @pytest.mark.parametrize(
        ("data", "problem"),
        [(b"", "文件为空"), (PNG, "PNG"), (b" \n\t\n", "没有文字"), (b"a\x00b", "NUL")],
        ids=["empty", "png", "blank", "nul"],
    )
    def test_not_text(self, tmp_path: Path, data: bytes, problem: str) -> None:
        with pytest.raises(InputError, match=problem) as info:
            load_file(write(tmp_path / "bad.txt", data), tmp_path)
        assert info.value.path == "bad.txt"


class TestUnreadable:
    def test_dangling_symlink(self, tmp_path: Path) -> None:
        link = tmp_path / "gone.txt"
        link.symlink_to(tmp_path / "missing-target.txt")
        assert list(iter_files(tmp_path)) == [link]
        with pytest.raises(InputError, match="链接指向的文件不存在"):
            load_file(link, tmp_path)

    def test_fifo_is_refused_without_blocking(self, tmp_path: Path) -> None:
        fifo = tmp_path / "pipe.txt"
        os.mkfifo(fifo)
        with pytest.raises(InputError, match="不是普通文件"):
            load_file(fifo, tmp_path)

    def test_directory_named_like_a_file(self, tmp_path: Path) -> None:
        (tmp_path / "x.txt").mkdir()
        with pytest.raises(InputError, match="是目录"):
            load_file(tmp_path / "x.txt", tmp_path)


class TestHtml:
    def test_malformed_page_keeps_article_drops_furniture(self, tmp_path: Path) -> None:
        doc = one(write(tmp_path / "news.html", MALFORMED_HTML), tmp_path).documents[0]
        lines = doc.text_raw.split("\n")
        assert lines[:3] == ["代表团赴德江县", "第一段正文，介绍东西部协作", "第二段正文"]
        assert "第三段正文" in doc.text_raw
        for absent in ("首页", "导航链接", "脚本", "secret", "color", "版权所有"):
            assert absent not in doc.text_raw
        assert (doc.title, doc.date) == ("清溪镇新闻", "2023-06-25")

    def test_declared_gbk_charset_and_time_tag(self, tmp_path: Path) -> None:
        page = (
            '<meta charset="gb2312"><meta property="og:title" content="协作简报">'
            '<body><div><p>德江县茶叶销往清溪。</p><time datetime="2023年7月1日">七月</time>'
        )
        doc = one(write(tmp_path / "a.HTM", page.encode("gbk")), tmp_path).documents[0]
        assert doc.meta["encoding"] == "gb18030"
        assert doc.text_raw.startswith("德江县茶叶销往清溪。")
        assert (doc.title, doc.date) == ("协作简报", "2023-07-01")

    def test_valid_utf8_beats_a_wrong_charset_label(self, tmp_path: Path) -> None:
        page = '<meta charset="gbk"><p>清溪镇与德江县</p>'
        doc = one(write(tmp_path / "a.html", page), tmp_path).documents[0]
        assert (doc.text_raw, doc.meta["encoding"]) == ("清溪镇与德江县", "utf-8")

    def test_article_header_kept_page_header_dropped(self, tmp_path: Path) -> None:
        page = (
            "<body><header>网站名称</header><article><header><h1>文章标题</h1></header>"
            "<p>正文内容足够长，占据页面大部分文字。</p></article></body>"
        )
        doc = one(write(tmp_path / "a.html", page), tmp_path).documents[0]
        assert doc.text_raw == "文章标题\n正文内容足够长，占据页面大部分文字。"
        assert doc.title == "文章标题"  # no <title>: the first <h1>

    def test_short_teaser_article_does_not_hide_the_body(self, tmp_path: Path) -> None:
        page = "<body><article><p>摘要</p></article><div><p>" + "正文" * 50 + "</p></div></body>"
        doc = one(write(tmp_path / "a.html", page), tmp_path).documents[0]
        assert doc.text_raw == "摘要\n" + "正文" * 50

    def test_page_without_text(self, tmp_path: Path) -> None:
        page = "<html><head><title>空</title></head><body><nav>菜单</nav><script>x()</script>"
        with pytest.raises(InputError, match="网页中没有正文"):
            load_file(write(tmp_path / "empty.html", page), tmp_path)


class TestJsonl:
    def test_good_lines_survive_a_broken_one(self, tmp_path: Path) -> None:
        lines = [
            json.dumps({"id": "a1", "title": "第一条", "date": "2023年6月21日",
                        "url": "https://example.org/1", "text": "第一条正文。"},
                       ensure_ascii=False),
            json.dumps({"id": 7, "text": "第二条正文。"}, ensure_ascii=False),
            "",
            '{"id": "bad", "text": "没有结束',
            json.dumps({"text": "第三条正文。"}, ensure_ascii=False),
        ]  # fmt: skip
        path = write(tmp_path / "feed.jsonl", "\ufeff" + "\n".join(lines) + "\n")
        result = load_file(path, tmp_path)
        assert [d.text_raw for d in result.documents] == [
            "第一条正文。",
            "第二条正文。",
            "第三条正文。",
        ]
        assert [d.meta["record_id"] for d in result.documents] == ["a1", "7", "L5"]
        assert [d.meta["line"] for d in result.documents] == [1, 2, 5]
        first = result.documents[0]
        assert (first.path, first.title, first.date) == ("feed.jsonl", "第一条", "2023-06-21")
        assert first.meta["url"] == "https://example.org/1"
        assert result.warnings == ["第 4 行：不是合法的 JSON，已跳过"]

    def test_record_problems_are_warnings(self, tmp_path: Path) -> None:
        lines = ['{"id": 1, "text": "好"}', '{"id": 1, "text": "重复"}', '{"text": ""}',
                 "[1, 2]", '{"text": "坏日期", "date": "某天"}']  # fmt: skip
        result = load_file(write(tmp_path / "f.jsonl", "\n".join(lines)), tmp_path)
        assert [d.meta["record_id"] for d in result.documents] == ["1", "L2", "L5"]
        assert result.warnings == [
            "第 2 行：id “1” 与第 1 行重复，改用 L2",
            '第 3 行：缺少非空的 "text" 字段，已跳过',
            "第 4 行：不是 JSON 对象，已跳过",
            "第 5 行：无法识别日期 “某天”，已忽略",
        ]

    def test_no_usable_line(self, tmp_path: Path) -> None:
        with pytest.raises(InputError, match="没有一行可用的记录（第 1 行：不是合法的 JSON"):
            load_file(write(tmp_path / "f.jsonl", "not json\n{}\n"), tmp_path)
        with pytest.raises(InputError, match="文件为空"):
            load_file(write(tmp_path / "g.jsonl", b""), tmp_path)


class TestDocx:
    def test_paragraphs_tables_and_title(self, tmp_path: Path) -> None:
        document = docx.Document()
        document.core_properties.title = "协作总结"
        document.add_paragraph("第一段：两地签订协议。")
        table = document.add_table(rows=2, cols=2)
        table.cell(0, 0).text, table.cell(0, 1).text = "项目", "金额"
        merged = table.cell(1, 0).merge(table.cell(1, 1))
        merged.text = "合并单元格"
        document.add_paragraph("最后一段。")
        path = tmp_path / "r.docx"
        document.save(str(path))
        doc = one(path, tmp_path).documents[0]
        assert doc.text_raw == "第一段：两地签订协议。\n项目\n金额\n合并单元格\n最后一段。"
        assert (doc.title, doc.date) == ("协作总结", None)

    def test_corrupt_docx(self, tmp_path: Path) -> None:
        with pytest.raises(InputError, match=r"不是有效的 \.docx"):
            load_file(write(tmp_path / "bad.docx", b"PK\x03\x04 not really a zip"), tmp_path)


class TestPdf:
    def test_text_layer_and_title(self, tmp_path: Path) -> None:
        pdf = tiny_pdf(b"BT /F1 24 Tf 72 700 Td (Qingxi meets Dejiang 2023) Tj ET", "Tiny Report")
        doc = one(write(tmp_path / "r.pdf", pdf), tmp_path).documents[0]
        assert "Qingxi meets Dejiang 2023" in doc.text_raw
        assert doc.title == "Tiny Report"

    def test_page_without_text_layer(self, tmp_path: Path) -> None:
        pdf = tiny_pdf(b"0 0 m 100 100 l S")  # a line drawing, no text
        with pytest.raises(InputError, match=r"没有文字层.*OCR"):
            load_file(write(tmp_path / "scan.pdf", pdf), tmp_path)

    def test_encrypted(self, tmp_path: Path) -> None:
        writer = PdfWriter()
        writer.add_blank_page(200, 200)
        writer.encrypt("secret", algorithm="RC4-128")
        buffer = io.BytesIO()
        writer.write(buffer)
        with pytest.raises(InputError, match="已加密"):
            load_file(write(tmp_path / "locked.pdf", buffer.getvalue()), tmp_path)

    def test_garbage_pdf(self, tmp_path: Path) -> None:
        with pytest.raises(InputError, match="PDF"):
            load_file(write(tmp_path / "junk.pdf", b"%PDF-1.4\nnothing else"), tmp_path)


def test_directory_walk_loads_good_files_beside_bad_ones(tmp_path: Path) -> None:
    write(tmp_path / "empty.txt", b"")
    write(tmp_path / "image.txt", PNG + bytes(range(256)))
    write(tmp_path / "gbk.txt", "镇长带领代表团。".encode("gbk"))
    write(tmp_path / "big5.txt", BIG5_TEXT.encode("big5"))
    write(tmp_path / "utf16.txt", b"\xff\xfe" + "协作".encode("utf-16-le"))
    write(tmp_path / "page.html", MALFORMED_HTML)
    write(tmp_path / "scan.pdf", tiny_pdf(b""))
    write(tmp_path / "feed.jsonl", '{"text": "一"}\n坏行\n{"text": "二"}\n')
    (tmp_path / "gone.md").symlink_to(tmp_path / "nowhere.md")
    os.mkfifo(tmp_path / "pipe.txt")
    loaded: dict[str, int] = {}
    failed: dict[str, str] = {}
    for path in iter_files(tmp_path):
        assert path.suffix.lower() in SUPPORTED_SUFFIXES
        try:
            loaded[path.name] = len(load_file(path, tmp_path).documents)
        except InputError as exc:
            failed[exc.path] = exc.problem
    assert loaded == {"big5.txt": 1, "feed.jsonl": 2, "gbk.txt": 1, "page.html": 1,
                      "utf16.txt": 1}  # fmt: skip
    assert sorted(failed) == ["empty.txt", "gone.md", "image.txt", "pipe.txt", "scan.pdf"]
    assert all(problem for problem in failed.values())
