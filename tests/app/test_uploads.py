"""Upload storage: generated names that always stay inside the upload folder."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from ui.uploads import MAX_UPLOAD_BYTES, generated_name, sanitized_stem, store_upload
from zhiwen.errors import InputError

NAME = re.compile(r"[\w-]+-\d{8}-\d{6}-[0-9a-f]{8}\.(txt|md|docx|jsonl|html)")
HOSTILE = ["../../x.txt", "/etc/passwd.txt", "..\\..\\windows\\x.txt", "a\x00b.txt", "CON.txt",
           "nul.txt", "com1.md", "....txt", ".bashrc.txt", "../.ssh/authorized_keys.txt",
           "名单 (最终版).docx", "<script>alert(1)</script>.html", "a/../../b.jsonl", "   .txt",
           "\u202etxt.exe.txt", "ｘ／ｙ.txt"]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_names_land_inside_the_upload_folder(tmp_path: Path, hostile: str) -> None:
    src = tmp_path / "incoming.bin"
    src.write_bytes(b"content")
    uploads = tmp_path / "corpus" / "uploads"
    stored = store_upload(src, hostile, uploads)
    assert stored.parent == uploads
    assert NAME.fullmatch(stored.name), stored.name
    assert stored.read_bytes() == b"content"
    everything = {p for p in tmp_path.rglob("*") if p.is_file()}
    assert everything == {src, stored}


@pytest.mark.parametrize("original, stem", [
    ("报告.txt", "报告"), ("../../x.txt", "x"), ("CON.txt", "upload_CON"), ("a b (1).md", "a_b_1"),
    ("\x00\x00.txt", "upload"), ("a\x00b.txt", "ab"), ("x" * 100 + ".txt", "x" * 40),
])
def test_sanitized_stem(original: str, stem: str) -> None:
    assert sanitized_stem(original) == stem


@pytest.mark.parametrize("bad", ["x.exe", "x.svg", "noext", "x.txt.sh", "x.php"])
def test_unsupported_types_are_refused_in_chinese(bad: str) -> None:
    with pytest.raises(InputError, match="不支持的文件类型") as err:
        generated_name(bad)
    assert err.value.path == bad


def test_two_uploads_of_one_name_never_collide(tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_text("一", encoding="utf-8")
    names = {store_upload(src, "同名.txt", tmp_path / "u").name for _ in range(20)}
    assert len(names) == 20


def test_too_large_upload_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "big.txt"
    with src.open("wb") as fh:
        fh.truncate(MAX_UPLOAD_BYTES + 1)
    with pytest.raises(InputError, match="文件太大"):
        store_upload(src, "big.txt", tmp_path / "u")
    assert not (tmp_path / "u").exists() or not any((tmp_path / "u").iterdir())


def test_a_planted_symlink_is_not_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    uploads = tmp_path / "u"
    uploads.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("原文", encoding="utf-8")
    monkeypatch.setattr("ui.uploads.generated_name", lambda _: "fixed.txt")
    os.symlink(victim, uploads / "fixed.txt")
    src = tmp_path / "in.txt"
    src.write_text("新内容", encoding="utf-8")
    with pytest.raises(InputError, match="无法保存"):
        store_upload(src, "fixed.txt", uploads)
    assert victim.read_text(encoding="utf-8") == "原文"
    assert stat.S_ISLNK((uploads / "fixed.txt").lstat().st_mode)
