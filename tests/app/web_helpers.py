"""Talking to a running app the way a browser, or an attacker, does: raw HTTP.

:func:`queue_call` runs any event handler, the hidden ones (``api_visibility="private"``)
included, through ``/gradio_api/queue/join`` exactly as the page's JavaScript does; which
handler is meant is found from ``/config`` by the ``elem_id`` of the button that fires it.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import httpx


def fn_index(http: httpx.Client, elem_id: str) -> int:
    """The dependency id of the handler that the component ``elem_id`` triggers."""
    config = http.get("/config").json()
    ids = {c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == elem_id}
    for dep in config["dependencies"]:
        if any(t[0] in ids for t in dep.get("targets", [])):
            return int(dep["id"])
    raise AssertionError(f"no handler is triggered by #{elem_id}")


def queue_call(http: httpx.Client, elem_id: str, data: list[Any],
               headers: dict[str, str] | None = None) -> tuple[bool, Any]:
    """Run the handler of ``#elem_id`` with ``data``: ``(True, outputs)`` or ``(False, error)``."""
    session = secrets.token_hex(8)
    payload = {"data": data, "fn_index": fn_index(http, elem_id), "session_hash": session,
               "event_data": None, "trigger_id": None}
    joined = http.post("/gradio_api/queue/join", json=payload, headers=headers)
    if joined.status_code != 200:
        return False, f"HTTP {joined.status_code}: {joined.text}"
    with http.stream("GET", "/gradio_api/queue/data", params={"session_hash": session},
                     headers=headers, timeout=120) as resp:
        for line in resp.iter_lines():
            if not line.startswith("data: "):
                continue
            msg = json.loads(line[6:])
            if msg.get("msg") == "process_completed":
                output = msg.get("output") or {}
                if msg.get("success"):
                    return True, output.get("data")
                return False, output.get("error") or output
    raise AssertionError("the queue closed without a result")


def auth_header(headers: dict[str, str]) -> str | None:
    """The Authorization header among ``headers``, whatever its case."""
    return next((v for k, v in headers.items() if k.lower() == "authorization"), None)
