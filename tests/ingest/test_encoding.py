"""decode_bytes: BOMs, UTF-8, GB18030/GBK, Big5, and refusal of files that are not text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.encoding import decode_bytes, plausibility
from zhiwen.errors import InputError

SEED = Path(__file__).resolve().parents[2] / "docs" / "000_3eb5a6fcadb296c6.txt"
BIG5_SENTENCE = "鎮長沈志攀帶領黨政代表團赴貴州省銅仁市德江縣"
SIMPLIFIED = "镇长沈志攀带领党政代表团赴贵州省铜仁市德江县，对接东西部协作工作。"


def seed_traditional() -> str:
    """The seed article without its pinyin annotations (Big5 has no tone letters)."""
    text = SEED.read_text(encoding="utf-8")
    return re.sub(r"\([a-zà-ǜāēīōū]+\)", "", text)


class TestUnicode:
    def test_plain_utf8(self) -> None:
        assert decode_bytes("清溪镇 ok".encode(), "a.txt") == ("清溪镇 ok", "utf-8")

    @pytest.mark.parametrize(
        ("bom", "codec", "name"),
        [
            (b"\xef\xbb\xbf", "utf-8", "utf-8-sig"),
            (b"\xff\xfe", "utf-16-le", "utf-16"),
            (b"\xfe\xff", "utf-16-be", "utf-16"),
            (b"\xff\xfe\x00\x00", "utf-32-le", "utf-32"),
            (b"\x00\x00\xfe\xff", "utf-32-be", "utf-32"),
        ],
    )
    def test_bom_decides_and_is_removed(self, bom: bytes, codec: str, name: str) -> None:
        text, encoding = decode_bytes(bom + SIMPLIFIED.encode(codec), "a.txt")
        assert text == SIMPLIFIED
        assert encoding == name

    def test_utf16_bom_with_odd_length_is_refused(self) -> None:
        with pytest.raises(InputError, match="UTF-16"):
            decode_bytes(b"\xff\xfe" + SIMPLIFIED.encode("utf-16-le") + b"\x41", "a.txt")


class TestChineseLegacy:
    def test_gbk_simplified(self) -> None:
        assert decode_bytes(SIMPLIFIED.encode("gbk"), "a.txt") == (SIMPLIFIED, "gb18030")

    def test_gb18030_four_byte_rare_characters_round_trip(self) -> None:
        text = "生僻字𠀀与㐀，均为四字节编码。"
        data = text.encode("gb18030")
        assert len(data) > len(text.encode("gbk", "ignore"))  # really four-byte sequences
        assert decode_bytes(data, "a.txt") == (text, "gb18030")

    def test_big5_sentence(self) -> None:
        assert decode_bytes(BIG5_SENTENCE.encode("big5"), "a.txt") == (BIG5_SENTENCE, "big5")

    def test_big5_whole_seed_article(self) -> None:
        text = seed_traditional()
        data = text.encode("big5", "ignore")
        assert decode_bytes(data, "a.txt") == (data.decode("big5"), "big5")

    def test_traditional_text_in_gbk_is_gb18030(self) -> None:
        data = BIG5_SENTENCE.encode("gbk")
        assert decode_bytes(data, "a.txt") == (BIG5_SENTENCE, "gb18030")

    def test_big5_misread_as_gb18030_is_implausible(self) -> None:
        data = seed_traditional()[:500].encode("big5", "ignore")
        assert plausibility(data.decode("big5")) > 0.95
        assert plausibility(data.decode("gb18030")) < 0.6

    def test_ascii_only_text_is_fully_plausible(self) -> None:
        assert plausibility("plain ascii") == 1.0


class TestNotText:
    def test_empty(self) -> None:
        with pytest.raises(InputError, match="文件为空") as info:
            decode_bytes(b"", "docs/empty.txt")
        assert info.value.path == "docs/empty.txt"

    @pytest.mark.parametrize(
        ("head", "kind"),
        [
            (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
            (b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG"),
            (b"GIF89a\x01\x00", "GIF"),
            (b"PK\x03\x04\x14\x00", "ZIP"),
            (b"%PDF-1.4\n", "PDF"),
            (b"\x7fELF\x02\x01\x01", "ELF"),
        ],
    )
    def test_binary_signature(self, head: bytes, kind: str) -> None:
        with pytest.raises(InputError, match=kind) as info:
            decode_bytes(head + b"abc" * 10, "pic.txt")
        assert ".txt" in info.value.problem

    def test_nul_bytes(self) -> None:
        with pytest.raises(InputError, match="NUL"):
            decode_bytes(b"abc\x00def", "a.txt")

    def test_too_many_control_characters(self) -> None:
        with pytest.raises(InputError, match="控制字符"):
            decode_bytes(b"text\x01\x02\x03\x04 more", "a.txt")

    def test_a_stray_form_feed_is_fine(self) -> None:
        text = "第一页" * 50 + "\f第二页"
        assert decode_bytes(text.encode(), "a.txt")[0] == text

    def test_random_binary_without_nul_is_refused(self) -> None:
        data = bytes((i * 37 + 11) % 255 + 1 for i in range(4000))
        with pytest.raises(InputError):
            decode_bytes(data, "a.txt")
