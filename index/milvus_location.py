"""Where a Milvus index lives (``milvus-lite:<file>.db`` or ``milvus://host:port/name``)
and the one client per address that every Milvus operation goes through."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zhiwen.errors import ConfigError

CONNECT_TIMEOUT = 10.0  # seconds
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,200}$")
USAGE = ("索引位置的写法：本地文件夹路径（默认 .zhiwen/index）、milvus-lite:<文件>.db（嵌入式 Milvus），"
         "或 milvus://<主机>:<端口>/<集合名>（Milvus 服务器）")


@dataclass(frozen=True, slots=True)
class MilvusLocation:
    """Where a Milvus index lives. ``local`` is a folder on this machine for what is not
    shared (the embedding cache, the writer lock, the app's settings)."""

    text: str
    uri: str
    collection: str
    lite: bool

    def __str__(self) -> str:
        return self.text

    @property
    def local(self) -> Path:
        if self.lite:
            return Path(self.uri + ".zhiwen")
        host = re.sub(r"[^A-Za-z0-9.-]", "_", self.uri.split("://", 1)[1])
        return Path(".zhiwen") / "milvus" / f"{host}_{self.collection}"

    def __truediv__(self, name: str) -> Path:
        return self.local / name

    def resolve(self) -> MilvusLocation:
        return self

    def mkdir(self, parents: bool = False, exist_ok: bool = False) -> None:
        self.local.mkdir(parents=True, exist_ok=True)

    @property
    def kind(self) -> str:
        return "Milvus Lite（嵌入式）" if self.lite else "Milvus 服务器"


def parse_location(value: str) -> Path | MilvusLocation:
    """A ``--index`` value: a folder path, ``milvus-lite:<file>.db`` or
    ``milvus://host:port/collection``.

    Raises:
        ConfigError: a ``milvus`` value that is not well formed.
    """
    if value.startswith("milvus-lite:"):
        path = value[len("milvus-lite:"):]
        if not path or path.endswith("/"):
            raise ConfigError(f"--index {value!r} 缺少数据库文件名。{USAGE}")
        return MilvusLocation(value, str(Path(path).resolve()), "zhiwen", True)
    if value.startswith("milvus:"):
        m = re.fullmatch(r"milvus://([^/:]+):(\d{1,5})/([^/]+)/?", value)
        if not m or not _NAME.match(m.group(3)) or not 0 < int(m.group(2)) < 65536:
            raise ConfigError(f"无法识别的索引位置 {value!r}（集合名只能用字母、数字和下划线）。{USAGE}")
        return MilvusLocation(value, f"http://{m.group(1)}:{m.group(2)}", m.group(3), False)
    return Path(value)


# -- connecting --------------------------------------------------------------------------
_clients: dict[str, Any] = {}


def _connect(loc: MilvusLocation) -> Any:
    if loc.uri in _clients:
        return _clients[loc.uri]
    try:
        from pymilvus import MilvusClient
    except ImportError as exc:
        raise ConfigError("使用 Milvus 索引需要安装 pymilvus：pip install 'zhiwen[milvus]'") from exc
    logging.getLogger("pymilvus").setLevel(logging.ERROR)  # iterator chatter on every load
    if loc.lite:
        Path(loc.uri).parent.mkdir(parents=True, exist_ok=True)
    try:
        client = MilvusClient(uri=loc.uri, timeout=CONNECT_TIMEOUT)
        client.list_collections()
    except Exception as exc:  # grpc, timeouts, a lite file that is not one: one story
        where = (f"Milvus 服务器 {loc.uri.split('://', 1)[1]}" if not loc.lite
                 else f"Milvus Lite 文件 {loc.uri}")
        raise ConfigError(f"无法连接{where}（{_reason(exc)}）。请确认服务已启动、地址和端口无误，"
                          f"或改用本地索引文件夹（不加 --index）。") from exc
    _clients[loc.uri] = client
    return client


def _reason(exc: Exception) -> str:
    text = str(getattr(exc, "message", "") or exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:160]
