"""知问 web app: chat with clickable citations, fact-check, talking points, library, settings.

Run ``python app.py [--port N] [--host H] [--allowed-host NAME …] [--index DIR] [--corpus DIR]``
or ``zhiwen serve``. The app binds to 127.0.0.1 unless ``--host`` says otherwise, never
creates a share link, asks for a login when ``ZHIWEN_AUTH`` or ``ZHIWEN_AUTH_FILE`` is
set (see :mod:`zhiwen.settings`), caps uploads at 50 MB, refuses to serve the index
folder (which holds the settings and the key) and the corpus folder, answers only to the
allowed host names and origins, and slows down login guessing (see :mod:`ui.guard`).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home; read on gradio import

import gradio as gr

from ui import render
from ui.chat import build_chat_tab, examples_html, library_examples
from ui.check_tab import build_check_tab
from ui.guard import allowed_hosts, guard_lifespan
from ui.library import build_library_tab, library_view
from ui.points_tab import build_points_tab
from ui.settings_tab import build_settings_tab, settings_view
from ui.state import AppState
from ui.uploads import MAX_UPLOAD_MB
from zhiwen.errors import ZhiwenError
from zhiwen.settings import load_admins, load_auth

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
# Gradio's temporary copies of uploads and downloads: every hour, those older than a day go.
DELETE_CACHE = (3600, 86400)
STATIC = Path(__file__).resolve().parent / "ui" / "static"

# Local fonts only: a Google web font would make every page load try to reach the internet.
THEME = gr.themes.Soft(
    primary_hue="blue",
    font=["Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "sans-serif"],
    font_mono=["Noto Sans Mono CJK SC", "monospace"],
).set(  # white on blue-500 is 3.7:1; blue-600 keeps primary buttons at 5.2:1 (WCAG AA)
    button_primary_background_fill="*primary_600",
    button_primary_background_fill_hover="*primary_700",
    button_primary_text_color="#ffffff",
)


def build_app(state: AppState) -> gr.Blocks:
    """The Blocks of the whole app over ``state`` (not launched)."""
    with gr.Blocks(title="知问", analytics_enabled=False, delete_cache=DELETE_CACHE) as demo:
        gr.Markdown("## 知问 · 资料问答\n每个答案都附原文出处，可逐条核对。", elem_id="zw-title")
        with gr.Tabs(overflow_behavior="wrap", elem_id="zw-tabs"):  # never hide a tab in a … menu
            with gr.Tab("问答", id="chat"):
                chat = build_chat_tab(state)
            with gr.Tab("核稿", id="check"):
                build_check_tab(state)
            with gr.Tab("讲话要点", id="points"):
                build_points_tab(state)
            with gr.Tab("资料库", id="library"):
                library = build_library_tab(state)
            with gr.Tab("设置", id="settings"):
                settings = build_settings_tab(state)

        def on_load() -> tuple[Any, ...]:
            sources = render.sources_html([], empty_library=state.session() is None)
            return (sources, *library_view(state), *settings_view(state))

        def on_load_examples() -> str:
            return examples_html(library_examples(state.session()))

        demo.load(on_load, None, [chat["sources"], *library["view"], *settings["form"]],
                  api_visibility="private")
        # the example questions are answered to be checked, which takes a moment: they come
        # on their own, so that a question asked meanwhile is never wiped by the empty panel
        demo.load(on_load_examples, None, [chat["examples"]], api_visibility="private")
    return demo


def launch_options(state: AppState, host: str, port: int,
                   extra_hosts: tuple[str, ...] = ()) -> dict[str, Any]:
    """The keyword arguments of ``Blocks.launch``: the app's safety settings in one place."""
    return {
        "app_kwargs": {"lifespan": guard_lifespan(allowed_hosts(host, extra_hosts))},
        "server_name": host,
        "server_port": port,
        "share": False,
        "auth": load_auth(),
        "auth_message": "请输入知问的用户名和密码。",
        "max_file_size": f"{MAX_UPLOAD_MB}mb",
        "allowed_paths": [],
        "blocked_paths": [str(state.index_dir), str(state.corpus_dir)],
        "ssr_mode": False,
        "mcp_server": False,
        "pwa": False,
        "enable_monitoring": False,
        "show_error": False,
        "footer_links": [],  # no 通过 API 使用 for office staff; programs read /?view=api
        "theme": THEME,
        "css_paths": [STATIC / "app.css"],
        "head_paths": [STATIC / "head.html"],
    }


@dataclass(frozen=True, slots=True)
class Running:
    """A launched app: its Blocks (``demo.close()`` stops it), local URL and shared state."""

    demo: gr.Blocks
    url: str
    state: AppState


def serve(index_dir: Path, corpus_dir: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          *, block: bool = True, allowed_host: tuple[str, ...] | list[str] = ()) -> Running:
    """Build and launch the app over ``index_dir`` and ``corpus_dir``.

    With ``block`` True (the command line) this returns only when the server stops; with
    False the server runs in a background thread, as tests need. ``allowed_host`` adds
    host names (besides loopback and ``host``) that browsers may use to reach the app.
    """
    if block:
        print("正在加载索引和模型（约 20–30 秒）…", file=sys.stderr, flush=True)
    state = AppState(index_dir, corpus_dir)
    options = launch_options(state, host, port, tuple(allowed_host))
    state.admins = load_admins()
    demo = build_app(state)
    demo.queue(default_concurrency_limit=4)
    if block:
        _announce(host, port, options["auth"] is not None, tuple(allowed_host))
    _, url, _ = demo.launch(prevent_thread_lock=not block, quiet=True, **options)
    return Running(demo, url, state)


def _announce(host: str, port: int, has_login: bool, extra_hosts: tuple[str, ...] = ()) -> None:
    where = "仅本机可访问" if host in ("127.0.0.1", "localhost", "::1") else f"已向网络开放（{host}）"
    print(f"知问已启动：http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}（{where}）",
          file=sys.stderr)
    if not has_login and where != "仅本机可访问":
        print("警告：没有设置登录（ZHIWEN_AUTH 或 ZHIWEN_AUTH_FILE），同一网络中的任何人都能打开。",
              file=sys.stderr)
    if where != "仅本机可访问" and not extra_hosts and host in ("0.0.0.0", "::"):
        print("提示：其他电脑访问时用的地址或域名须用 --allowed-host 写明"
              "（例如 --allowed-host 192.168.1.20），否则请求会被拒绝。", file=sys.stderr)
    print("按 Ctrl-C 停止。", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    """``python app.py``: parse the flags, launch, and turn setup errors into one Chinese line."""
    from index.store import default_index_dir

    parser = argparse.ArgumentParser(description="知问网页界面")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="端口（默认 7860）")
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help="监听地址（默认 127.0.0.1，仅本机可访问；改为 0.0.0.0 会向局域网开放）")
    parser.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                        help="浏览器访问知问时可用的主机名或地址（可重复；本机名总是允许）")
    parser.add_argument("--index", default=None, help="索引文件夹（默认 $ZHIWEN_INDEX 或 ./.zhiwen/index）")
    parser.add_argument("--corpus", default="docs",
                        help="资料文件夹，上传的文件存到其中的 uploads/（默认 docs）")
    args = parser.parse_args(argv)
    try:
        serve(Path(args.index) if args.index else default_index_dir(), Path(args.corpus),
              args.host, args.port, allowed_host=args.allowed_host)
    except ZhiwenError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        sys.exit(1)
    except OSError as exc:
        print(f"错误：无法在 {args.host}:{args.port} 启动（{exc}）。端口可能已被占用，请用 --port 换一个。",
              file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
