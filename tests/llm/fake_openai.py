"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat completions protocol.

It replays scripted replies, one per request, in order, and records every request body::

    with FakeOpenAI() as fake:
        fake.queue("清溪镇捐赠27万元[1]。")        # streamed two characters at a time
        fake.queue(["清溪", "镇"])                  # or in exactly these pieces
        fake.queue_error(500, "boom")               # an HTTP error with an OpenAI error body
        fake.queue_raw(b"data: {oops\\n\\n", "text/event-stream")   # a malformed reply
        fake.queue("迟到的回答", delay=5)           # answer only after 5 s
        fake.queue("慢慢来", interval=0.5)          # one streamed piece every 0.5 s
        fake.queue("想很久", pings=3.0, interval=0.3)  # SSE ": ping" every 0.3 s for 3 s first
        ... make_llm(LLMSettings(fake.base_url, "fake-model")) ...
        fake.requests[0]["messages"]              # what the client sent

Streaming requests (``"stream": true``) get SSE chunks carrying ``choices[0].delta.content``
then ``data: [DONE]``; others get one ``chat.completion`` object. A request with no reply
left gets HTTP 500, so a test that under-scripts fails loudly. Usable by any test: import
it after putting this folder on ``sys.path``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    """One scripted reply: text pieces, or an HTTP error, or raw bytes; after ``delay`` s."""

    pieces: tuple[str, ...] = ()
    status: int = 200
    error: str = ""
    raw: bytes | None = None
    content_type: str = "application/json"
    delay: float = 0.0
    interval: float = 0.0  # seconds between streamed pieces (or pings)
    pings: float = 0.0  # seconds of SSE comment pings before the first piece


def _pieces(text: str | list[str]) -> tuple[str, ...]:
    if isinstance(text, str):
        return tuple(text[i : i + 2] for i in range(0, len(text), 2))
    return tuple(text)


class FakeOpenAI:
    """Context manager running the fake endpoint; ``base_url`` ends in ``/v1``."""

    def __init__(self, model: str = "fake-model") -> None:
        self.model = model
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.paths: list[str] = []
        self._replies: list[Reply] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "FakeOpenAI is not running"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def queue(self, text: str | list[str], *, delay: float = 0.0, interval: float = 0.0,
              pings: float = 0.0) -> None:
        """Script a successful reply; a str is cut into two-character pieces when streamed.

        ``interval`` waits between streamed pieces; ``pings`` sends an SSE comment line
        every ``interval`` (or 0.2 s) for that many seconds before the first piece, as
        llama.cpp's server does while it reads a long prompt.
        """
        self._push(Reply(pieces=_pieces(text), delay=delay, interval=interval, pings=pings))

    def queue_error(self, status: int, message: str = "scripted error") -> None:
        self._push(Reply(status=status, error=message))

    def queue_raw(self, body: bytes, content_type: str = "application/json", status: int = 200) -> None:
        self._push(Reply(raw=body, content_type=content_type, status=status))

    def _push(self, reply: Reply) -> None:
        with self._lock:
            self._replies.append(reply)

    def _next(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> Reply | None:
        with self._lock:
            self.paths.append(path)
            self.headers.append(headers)
            self.requests.append(body)
            return self._replies.pop(0) if self._replies else None

    @property
    def pending(self) -> int:
        """Scripted replies not yet served."""
        with self._lock:
            return len(self._replies)

    def __enter__(self) -> FakeOpenAI:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def _completion(fake: FakeOpenAI, text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": fake.model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }  # fmt: skip


def _chunk(fake: FakeOpenAI, delta: dict[str, str], finish: str | None = None) -> bytes:
    data = {
        "id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0,
        "model": fake.model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }  # fmt: skip
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def _handler_for(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, obj: dict[str, Any]) -> None:
            self._send(status, json.dumps(obj, ensure_ascii=False).encode(), "application/json")

        def do_GET(self) -> None:
            if self.path.endswith("/models"):
                self._json(200, {"object": "list", "data": [{"id": fake.model, "object": "model"}]})
            else:
                self._json(404, {"error": {"message": f"no route {self.path}"}})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            reply = fake._next(self.path, dict(self.headers.items()), body)
            if reply is None:
                self._json(500, {"error": {"message": "FakeOpenAI: no scripted reply left"}})
                return
            if reply.delay and fake._stop.wait(reply.delay):
                return
            try:
                self._answer(reply, bool(body.get("stream")))
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up first (a timeout test)

        def _answer(self, reply: Reply, stream: bool) -> None:
            if reply.raw is not None:
                self._send(reply.status, reply.raw, reply.content_type)
            elif reply.status != 200:
                self._json(reply.status, {"error": {"message": reply.error, "type": "fake_error"}})
            elif not stream:
                self._json(200, _completion(fake, "".join(reply.pieces)))
            else:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                self.wfile.write(_chunk(fake, {"role": "assistant", "content": ""}))
                self.wfile.flush()
                step = reply.interval or 0.2
                waited = 0.0
                while waited < reply.pings:
                    if fake._stop.wait(step):
                        return
                    waited += step
                    self.wfile.write(b": ping\n\n")
                    self.wfile.flush()
                for piece in reply.pieces:
                    if reply.interval and fake._stop.wait(reply.interval):
                        return
                    self.wfile.write(_chunk(fake, {"content": piece}))
                    self.wfile.flush()
                self.wfile.write(_chunk(fake, {}, finish="stop"))
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

    return Handler
