"""What the server refuses before Gradio sees a request: foreign Host names, foreign
Origins, and logins from a client that keeps guessing.

- **Host allow-list.** A web page on ``evil.example`` can make the victim's browser
  resolve ``evil.example`` to 127.0.0.1 (DNS rebinding) and then talk to the app as a
  same-origin page. Its requests still say ``Host: evil.example``, so only the names the
  app is reached by are accepted: the loopback names, the ``--host`` address, and every
  ``--allowed-host``. Anything else gets 400.
- **Origin allow-list.** A request that carries an ``Origin`` (every cross-site fetch or
  form POST does) must come from an allowed host too, else 403 with no CORS header at
  all. Gradio's own CORS layer reflects any Origin when the Host is not loopback (for
  example with ``--host 0.0.0.0``); it only ever sees allowed origins now.
- **Login back-off.** After :data:`FREE_FAILURES` wrong passwords a client (by address)
  must wait, doubling with each further failure up to :data:`MAX_BACKOFF_S`; meanwhile
  ``/login`` answers 429 without checking the password.

:class:`RequestGuard` wraps the whole ASGI stack of Gradio's FastAPI app at startup,
before the first connection is accepted (see :func:`guard_lifespan`).
"""

from __future__ import annotations

import ipaddress
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::", "[::]"})
FREE_FAILURES = 5
FIRST_BACKOFF_S = 30.0
MAX_BACKOFF_S = 900.0
_MAX_TRACKED = 10_000
LOGIN_PATHS = frozenset({"/login", "/login/"})

Scope = dict[str, Any]
ASGIApp = Callable[..., Any]


def host_name(value: str) -> str:
    """The lower-cased host name of a ``Host`` header, URL netloc or address, without port,
    brackets or trailing dot (``[::1]:7860`` → ``::1``, ``Example.COM.:80`` → ``example.com``)."""
    value = (value or "").strip().lower()
    if "://" in value:
        value = urlsplit(value).netloc.rpartition("@")[2]
    if value.startswith("["):
        value = value[1 : value.find("]")] if "]" in value else value[1:]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    return value.rstrip(".")


def is_loopback_ip(address: str) -> bool:
    """Whether ``address`` is a loopback IP address (127.0.0.0/8, ::1, ::ffff:127.x)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or (mapped is not None and mapped.is_loopback)


def is_loopback_host(host_header: str) -> bool:
    """Whether a ``Host`` header names this machine by a loopback name or address."""
    name = host_name(host_header)
    return name == "localhost" or is_loopback_ip(name)


def allowed_hosts(host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The host names the app answers to: loopback, the bind address unless it is a
    wildcard (``0.0.0.0`` names no host), and the ``--allowed-host`` names."""
    names = set(LOOPBACK_NAMES)
    if host.strip() not in WILDCARD_HOSTS:
        names.add(host_name(host))
    names |= {host_name(h) for h in extra if host_name(h)}
    return frozenset(names)


class LoginLimiter:
    """Failed logins per client address, and how long each must wait before the next try."""

    def __init__(self, free: int = FREE_FAILURES, first: float = FIRST_BACKOFF_S,
                 cap: float = MAX_BACKOFF_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.free, self.first, self.cap, self.clock = free, first, cap, clock
        self._failures: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def wait(self, client: str) -> float:
        """Seconds ``client`` must still wait before its next login attempt (0: may try)."""
        with self._lock:
            count, last = self._failures.get(client, (0, 0.0))
        if count < self.free:
            return 0.0
        backoff = min(self.first * 2 ** (count - self.free), self.cap)
        return max(0.0, last + backoff - self.clock())

    def record(self, client: str, ok: bool) -> None:
        with self._lock:
            if ok:
                self._failures.pop(client, None)
                return
            if len(self._failures) >= _MAX_TRACKED:  # forget the oldest half
                for key, _ in sorted(self._failures.items(), key=lambda kv: kv[1][1])[: _MAX_TRACKED // 2]:
                    del self._failures[key]
            count, _ = self._failures.get(client, (0, 0.0))
            self._failures[client] = (count + 1, self.clock())


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


class RequestGuard:
    """ASGI middleware: Host and Origin allow-lists, and the login back-off."""

    def __init__(self, app: ASGIApp, allowed: frozenset[str], limiter: LoginLimiter | None = None) -> None:
        self.app = app
        self.allowed = allowed
        self.limiter = limiter or LoginLimiter()

    def host_ok(self, host_header: str | None) -> bool:
        name = host_name(host_header or "")
        return bool(name) and (name in self.allowed or is_loopback_ip(name))

    def origin_ok(self, origin: str) -> bool:
        parts = urlsplit(origin.strip())
        return parts.scheme in ("http", "https") and self.host_ok(parts.netloc)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        kind = scope.get("type")
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if not self.host_ok(_header(scope, b"host")):
            await self._refuse(scope, send, 400,
                               "不允许的主机名：请用 --allowed-host 写明访问知问用的地址或域名。")
            return
        origin = _header(scope, b"origin")
        if origin is not None and not self.origin_ok(origin):
            await self._refuse(scope, send, 403, "不允许来自其他网站的请求。")
            return
        if kind == "http" and scope.get("method") == "POST" and scope.get("path") in LOGIN_PATHS:
            await self._login(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _login(self, scope: Scope, receive: Any, send: Any) -> None:
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = self.limiter.wait(client)
        if wait > 0:
            await self._refuse(scope, send, 429, f"登录失败次数过多，请 {int(wait) + 1} 秒后再试。",
                               [(b"retry-after", str(int(wait) + 1).encode())])
            return
        status: list[int] = []

        async def watch(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
            await send(message)

        await self.app(scope, receive, watch)
        if status:
            self.limiter.record(client, ok=status[0] < 400)

    @staticmethod
    async def _refuse(scope: Scope, send: Any, status: int, message: str,
                      extra: list[tuple[bytes, bytes]] | None = None) -> None:
        if scope.get("type") == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = json.dumps({"detail": message}, ensure_ascii=False).encode("utf-8")
        headers = [(b"content-type", b"application/json; charset=utf-8"),
                   (b"content-length", str(len(body)).encode()), *(extra or [])]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def guard_lifespan(allowed: frozenset[str], limiter: LoginLimiter | None = None) -> Callable[[Any], Any]:
    """A FastAPI ``lifespan`` that puts :class:`RequestGuard` around the app's whole ASGI
    stack (Gradio's CORS layer included) at startup, before any connection is served."""

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        if app.middleware_stack is None:
            app.middleware_stack = app.build_middleware_stack()
        app.middleware_stack = RequestGuard(app.middleware_stack, allowed, limiter)
        yield

    return lifespan
