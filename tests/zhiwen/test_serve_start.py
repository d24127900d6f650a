"""Issue 14, point 11: ``zhiwen serve`` and ``python app.py`` say 正在加载… before the silent
load of the index and the models, not only when the server is up 20–30 s later.

Each command runs as a subprocess over a copy of the seed index; its output (stderr, where
the server's status lines go, merged into stdout) is read until the message, and the
process is stopped there, before the load ends."""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MESSAGE = "正在加载"
LIMIT = 60.0  # seconds to wait for the message on a loaded two-core machine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("how", ["zhiwen serve", "python app.py"])
def test_the_server_says_it_is_loading_before_the_load(how: str, index_copy: Path,
                                                         tmp_path: Path) -> None:
    port = _free_port()
    args = ["--index", str(index_copy), "--corpus", str(tmp_path / "docs"), "--port", str(port)]
    if how == "zhiwen serve":
        cmd = [sys.executable, "-m", "zhiwen.cli", "serve", *args]
    else:
        cmd = [sys.executable, str(ROOT / "app.py"), *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    env.pop("ZHIWEN_INDEX", None)
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, encoding="utf-8")
    lines: queue.Queue[str] = queue.Queue()
    said = ""
    try:
        out = proc.stdout
        assert out is not None
        threading.Thread(target=lambda: [lines.put(x) for x in out], daemon=True).start()
        deadline = time.monotonic() + LIMIT
        while MESSAGE not in said and time.monotonic() < deadline and proc.poll() is None:
            try:
                said += lines.get(timeout=0.5)
            except queue.Empty:
                continue
        assert MESSAGE in said, said
        assert "知问已启动" not in said  # said before the server is up …
        assert not _listening(port)  # … and before it listens
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
