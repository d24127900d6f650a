"""Settings of the app, persisted in the index folder, and the optional login.

Two files beside the index (the app never serves that folder):

- ``settings.json``: the LLM endpoint and model and the display script;
- ``llm_key``: the API key with the one address it may be sent to, mode 0600.

Neither is ever sent to the page: the settings tab shows only whether a key is stored.
Values saved here win over the environment variables (``ZHIWEN_LLM_BASE_URL``,
``ZHIWEN_LLM_MODEL``, ``ZHIWEN_LLM_API_KEY``) and lose to command-line flags: the one place
that resolves them is :func:`zhiwen.session.resolve_llm`.

The login comes from ``ZHIWEN_AUTH="user:pass"`` or from the file named by
``ZHIWEN_AUTH_FILE`` (one ``user:pass`` per line, ``#`` starts a comment). Only admins
(``ZHIWEN_ADMINS``, else the first user) may change or test the LLM settings.
"""

from __future__ import annotations

import hmac
import json
import os
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from zhiwen.errors import ConfigError

SETTINGS_NAME = "settings.json"
KEY_NAME = "llm_key"
SCRIPTS = ("simplified", "original")
ENV_AUTH = "ZHIWEN_AUTH"
ENV_AUTH_FILE = "ZHIWEN_AUTH_FILE"
ENV_ADMINS = "ZHIWEN_ADMINS"


@dataclass(frozen=True, slots=True)
class AppSettings:
    """What the settings tab edits (the key is stored apart, see :func:`save_api_key`).

    Attributes:
        llm_base_url: OpenAI-compatible endpoint; empty means extractive mode.
        llm_model: the model name at that endpoint.
        script: ``"simplified"`` (简体) or ``"original"`` (保持原文字形) for answers.
    """

    llm_base_url: str = ""
    llm_model: str = ""
    script: str = "simplified"

    def __post_init__(self) -> None:
        if self.script not in SCRIPTS:
            raise ConfigError(f"显示字形必须是 simplified（简体）或 original（原文），现在是 {self.script!r}")


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, readable by the owner only (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def load_settings(index_dir: Path) -> AppSettings:
    """The saved settings of the index in ``index_dir``; defaults when none are saved.

    Raises:
        ConfigError: the file exists but is not valid settings JSON (names the file).
    """
    path = index_dir / SETTINGS_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return AppSettings()
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: 设置文件无法读取（{exc}），请删除后在「设置」页重新保存") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: 设置文件格式不对，应为 JSON 对象")
    known = {k: str(v) for k, v in data.items() if k in AppSettings.__dataclass_fields__}
    return AppSettings(**known)


def save_settings(index_dir: Path, settings: AppSettings) -> None:
    """Persist ``settings`` (atomic replace, mode 0600) in ``index_dir``."""
    _write_private(index_dir / SETTINGS_NAME, json.dumps(asdict(settings), ensure_ascii=False, indent=2))


def norm_url(url: str) -> str:
    """An endpoint address as keys are bound to it: no surrounding blanks, no trailing ``/``."""
    return (url or "").strip().rstrip("/")


def _read_key(index_dir: Path) -> tuple[str, str]:
    """``(key, base URL it was saved for)``; ``("", "")`` when none is stored.

    A key file of the old format (the key alone) belongs to the endpoint saved beside it.
    """
    try:
        text = (index_dir / KEY_NAME).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return "", ""
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            return str(data.get("key", "")).strip(), norm_url(str(data.get("base_url", "")))
    try:
        saved = load_settings(index_dir).llm_base_url
    except ConfigError:
        saved = ""
    return text, norm_url(saved)


def load_api_key(index_dir: Path) -> str:
    """The stored API key, or ``""`` when none is stored (whatever address it belongs to)."""
    return _read_key(index_dir)[0]


def api_key_for(index_dir: Path, base_url: str) -> str:
    """The stored key if it was saved for ``base_url``; ``""`` for any other address.

    This is the only way the app reads a key for a request: a key never travels to an
    address other than the one it was saved with.
    """
    key, bound = _read_key(index_dir)
    return key if key and bound and bound == norm_url(base_url) else ""


def save_api_key(index_dir: Path, key: str, base_url: str | None = None) -> None:
    """Store ``key`` for ``base_url`` (default: the saved endpoint) in its own file, mode
    0600; an empty ``key`` deletes the file."""
    path = index_dir / KEY_NAME
    if not key.strip():
        path.unlink(missing_ok=True)
        return
    if base_url is None:
        try:
            base_url = load_settings(index_dir).llm_base_url
        except ConfigError:
            base_url = ""
    record = {"base_url": norm_url(base_url), "key": key.strip()}
    _write_private(path, json.dumps(record, ensure_ascii=False) + "\n")


def _parse_credentials(text: str, origin: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, password = line.partition(":")
        if not sep or not user.strip() or not password:
            raise ConfigError(f"{origin} 第 {n} 行：登录信息应写成 用户名:密码")
        pairs.append((user.strip(), password))
    return pairs


def _credentials() -> list[tuple[str, str]]:
    """The ``(user, password)`` pairs of ``ZHIWEN_AUTH`` then ``ZHIWEN_AUTH_FILE``, in order."""
    pairs: list[tuple[str, str]] = []
    if os.environ.get(ENV_AUTH):
        pairs += _parse_credentials(os.environ[ENV_AUTH], f"环境变量 {ENV_AUTH}")
    if os.environ.get(ENV_AUTH_FILE):
        path = Path(os.environ[ENV_AUTH_FILE])
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: 无法读取登录信息文件（{exc.strerror or exc}）") from exc
        pairs += _parse_credentials(text, str(path))
        if not pairs:
            raise ConfigError(f"{path}: 登录信息文件里没有任何 用户名:密码")
    return pairs


def load_admins() -> frozenset[str] | None:
    """Who may change or test the settings when a login is configured; ``None`` without one.

    ``ZHIWEN_ADMINS`` names them (comma- or space-separated); when it is unset the first
    user of the login is the admin. Every name must be a user of the login.

    Raises:
        ConfigError: ``ZHIWEN_ADMINS`` names a user the login does not know.
    """
    users = [u for u, _ in _credentials()]
    if not users:
        return None
    named = [n for n in re.split(r"[\s,，]+", os.environ.get(ENV_ADMINS, "")) if n]
    unknown = [n for n in named if n not in users]
    if unknown:
        raise ConfigError(f"环境变量 {ENV_ADMINS} 中的用户不在登录信息里：{'、'.join(unknown)}")
    return frozenset(named or users[:1])


def load_auth() -> Callable[[str, str], bool] | None:
    """A login check from ``ZHIWEN_AUTH`` or ``ZHIWEN_AUTH_FILE``; ``None`` when neither is set.

    Passwords are compared in constant time.

    Raises:
        ConfigError: the variable or the file is malformed, or the file cannot be read.
    """
    pairs = _credentials()
    if not pairs:
        return None
    table = dict(pairs)

    def check(user: str, password: str) -> bool:
        expected = table.get(user, "")
        ok = hmac.compare_digest(expected.encode("utf-8"), password.encode("utf-8"))
        return ok and user in table

    return check
