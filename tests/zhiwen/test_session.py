"""zhiwen.open: one resolution of the LLM settings (flags, then settings.json, then the
environment) and one engine and client that answering, checking and points share."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import zhiwen
from zhiwen.errors import ConfigError
from zhiwen.settings import AppSettings, save_api_key, save_settings


@pytest.fixture
def index_dir(seed_index_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("ZHIWEN_LLM_BASE_URL", "ZHIWEN_LLM_MODEL", "ZHIWEN_LLM_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    return Path(shutil.copytree(seed_index_dir, tmp_path / "index"))


def test_saved_settings_then_environment_then_flags(index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHIWEN_LLM_BASE_URL", "http://127.0.0.1:1/v1")
    monkeypatch.setenv("ZHIWEN_LLM_MODEL", "env-model")
    assert zhiwen.open(index_dir).llm_settings.model == "env-model"  # type: ignore[union-attr]
    save_settings(index_dir, AppSettings("http://127.0.0.1:2/v1", "saved-model", "original"))
    save_api_key(index_dir, "sk-saved", "http://127.0.0.1:2/v1")
    session = zhiwen.open(index_dir)
    assert session.llm_settings is not None and session.llm_settings.model == "saved-model"
    assert session.llm_settings.api_key == "sk-saved" and session.engine.script == "original"
    flagged = zhiwen.open(index_dir, llm_base_url="http://127.0.0.1:3/v1", script="simplified")
    assert flagged.llm_settings is not None and flagged.llm_settings.base_url == "http://127.0.0.1:3/v1"
    assert flagged.llm_settings.api_key == "", "the stored key went to another address"
    assert flagged.engine.script == "simplified"
    assert zhiwen.open(index_dir, extractive=True).llm_settings is None


def test_checker_and_points_use_the_sessions_one_client(index_dir: Path) -> None:
    session = zhiwen.open(index_dir, llm_base_url="http://127.0.0.1:1/v1", llm_model="m")
    assert session.engine.llm is not None
    assert session.checker().llm is session.engine.llm


def test_a_broken_llm_setting_falls_back_only_when_asked(index_dir: Path) -> None:
    save_settings(index_dir, AppSettings("http://127.0.0.1:2/v1", ""))
    with pytest.raises(ConfigError, match="模型名"):
        zhiwen.open(index_dir)
    session = zhiwen.open(index_dir, llm_fallback=True)
    assert session.llm_settings is None and "大模型设置有误" in session.problem
    assert session.reopen().problem == session.problem
    assert set(session.files()) and session.chunk_count() > 0


def test_open_takes_a_path_or_the_string_a_user_would_type(index_dir: Path) -> None:
    by_path = zhiwen.open(index_dir, extractive=True)
    by_text = zhiwen.open(str(index_dir), extractive=True)
    assert by_text.index_dir == by_path.index_dir == index_dir
    assert by_text.answer("今年社会捐赠一共多少？").answer == by_path.answer("今年社会捐赠一共多少？").answer
