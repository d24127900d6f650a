"""Settings persistence (index folder, key file mode 0600) and the optional login."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from zhiwen.errors import ConfigError
from zhiwen.session import resolve_llm
from zhiwen.settings import (
    AppSettings,
    load_api_key,
    load_auth,
    load_settings,
    save_api_key,
    save_settings,
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ZHIWEN_LLM_BASE_URL", "ZHIWEN_LLM_MODEL", "ZHIWEN_LLM_API_KEY", "ZHIWEN_AUTH",
                 "ZHIWEN_AUTH_FILE"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_when_nothing_is_saved(tmp_path: Path) -> None:
    assert load_settings(tmp_path) == AppSettings()
    assert load_api_key(tmp_path) == ""
    assert resolve_llm(tmp_path) is None


def test_round_trip_and_private_modes(tmp_path: Path) -> None:
    s = AppSettings("http://127.0.0.1:11434/v1", "qwen2.5:7b", "original")
    save_settings(tmp_path, s)
    save_api_key(tmp_path, "sk-secret ")
    assert load_settings(tmp_path) == s
    assert load_api_key(tmp_path) == "sk-secret"
    assert "sk-secret" not in (tmp_path / "settings.json").read_text(encoding="utf-8")
    for name in ("settings.json", "llm_key"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    llm = resolve_llm(tmp_path)
    assert llm is not None and llm.model == "qwen2.5:7b" and llm.api_key == "sk-secret"
    assert "sk-secret" not in repr(llm)


def test_empty_key_deletes_the_key_file(tmp_path: Path) -> None:
    save_api_key(tmp_path, "k")
    save_api_key(tmp_path, "")
    assert not (tmp_path / "llm_key").exists()


def test_saved_values_win_over_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHIWEN_LLM_BASE_URL", "http://127.0.0.1:1/v1")
    monkeypatch.setenv("ZHIWEN_LLM_MODEL", "env-model")
    assert resolve_llm(tmp_path).model == "env-model"  # type: ignore[union-attr]
    save_settings(tmp_path, AppSettings("http://127.0.0.1:2/v1", "saved-model"))
    llm = resolve_llm(tmp_path)
    assert llm is not None and (llm.base_url, llm.model) == ("http://127.0.0.1:2/v1", "saved-model")


@pytest.mark.parametrize("content", ["{not json", "[1, 2]"])
def test_broken_settings_file_is_named(tmp_path: Path, content: str) -> None:
    (tmp_path / "settings.json").write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"settings\.json"):
        load_settings(tmp_path)


def test_unknown_script_is_refused(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text(json.dumps({"script": "klingon"}), encoding="utf-8")
    with pytest.raises(ConfigError, match="显示字形"):
        load_settings(tmp_path)


def test_no_login_unless_configured() -> None:
    assert load_auth() is None


def test_login_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHIWEN_AUTH", "office:清溪2024:x")
    check = load_auth()
    assert check is not None
    assert check("office", "清溪2024:x")
    assert not check("office", "wrong")
    assert not check("other", "清溪2024:x")


def test_login_from_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    creds = tmp_path / "users"
    creds.write_text("# 用户\nalice:one\n\nbob:two\n", encoding="utf-8")
    monkeypatch.setenv("ZHIWEN_AUTH_FILE", str(creds))
    check = load_auth()
    assert check is not None and check("alice", "one") and check("bob", "two")
    assert not check("alice", "two")


@pytest.mark.parametrize("value", ["nopassword", ":pw", "user:"])
def test_malformed_login_is_refused_in_chinese(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("ZHIWEN_AUTH", value)
    with pytest.raises(ConfigError, match="用户名:密码"):
        load_auth()


def test_missing_credentials_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHIWEN_AUTH_FILE", str(tmp_path / "absent"))
    with pytest.raises(ConfigError, match="absent"):
        load_auth()


def test_the_stored_key_belongs_to_the_address_it_was_saved_with(tmp_path: Path) -> None:
    from zhiwen.settings import api_key_for

    save_settings(tmp_path, AppSettings("http://127.0.0.1:11434/v1", "m"))
    save_api_key(tmp_path, "sk-bound", "http://127.0.0.1:11434/v1/")
    assert api_key_for(tmp_path, "http://127.0.0.1:11434/v1") == "sk-bound"
    assert api_key_for(tmp_path, "http://127.0.0.1:8000/v1") == ""
    assert api_key_for(tmp_path, "http://evil.example/v1") == ""
    # settings pointed elsewhere (by hand, or an old version) do not take the key along
    save_settings(tmp_path, AppSettings("http://evil.example/v1", "m"))
    llm = resolve_llm(tmp_path)
    assert llm is not None and llm.api_key == ""


def test_a_key_file_of_the_old_format_belongs_to_the_saved_address(tmp_path: Path) -> None:
    from zhiwen.settings import api_key_for

    save_settings(tmp_path, AppSettings("http://127.0.0.1:11434/v1", "m"))
    (tmp_path / "llm_key").write_text("sk-old\n", encoding="utf-8")
    assert api_key_for(tmp_path, "http://127.0.0.1:11434/v1") == "sk-old"
    assert api_key_for(tmp_path, "http://127.0.0.1:1/v1") == ""


def test_the_environment_key_goes_only_with_the_environment_address(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHIWEN_LLM_BASE_URL", "http://127.0.0.1:1/v1")
    monkeypatch.setenv("ZHIWEN_LLM_MODEL", "m")
    monkeypatch.setenv("ZHIWEN_LLM_API_KEY", "sk-env")
    assert resolve_llm(tmp_path).api_key == "sk-env"  # type: ignore[union-attr]
    save_settings(tmp_path, AppSettings("http://127.0.0.1:2/v1", "m"))
    assert resolve_llm(tmp_path).api_key == ""  # type: ignore[union-attr]


def test_admins(monkeypatch: pytest.MonkeyPatch) -> None:
    from zhiwen.settings import load_admins

    monkeypatch.delenv("ZHIWEN_ADMINS", raising=False)
    assert load_admins() is None
    monkeypatch.setenv("ZHIWEN_AUTH", "alice:1\nbob:2")
    assert load_admins() == {"alice"}  # the first user
    monkeypatch.setenv("ZHIWEN_ADMINS", "bob, carol")
    with pytest.raises(ConfigError, match="carol"):
        load_admins()
    monkeypatch.setenv("ZHIWEN_ADMINS", "bob")
    assert load_admins() == {"bob"}
