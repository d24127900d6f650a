"""The 问答 tab: streamed answers with clickable citation markers and a sources panel.

The conversation lives in a per-session ``gr.State`` (a list of turn records, see
:func:`ui.render.turn_record`); the chat messages are rebuilt from it, never taken from
the client. ``/chat`` streams for the page; ``/ask`` answers one question in one call
for programs (``gradio_client``).
"""

from __future__ import annotations

import json
import queue
import re
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr

from qa.engine import Turn
from ui import render
from ui.errors import Problem, chinese_errors, field_error, for_users, info, user_error, warning
from ui.state import AppState
from zhiwen.records import Answer
from zhiwen.session import Session

MAX_QUESTION_CHARS = 500
# Limits on what /ask accepts as earlier turns; every field is embedded or sent to the
# model, so none may be unbounded (a 100,000-character query once froze the server).
MAX_HISTORY_TURNS = 20
MAX_HISTORY_QUESTION_CHARS = MAX_QUESTION_CHARS
MAX_HISTORY_QUERY_CHARS = 2 * MAX_QUESTION_CHARS
MAX_HISTORY_ANSWER_CHARS = 4000
# Runs in the browser on Enter, before any request: the question and a 正在检索… bubble
# appear at once (the server's first update replaces them with the same two messages).
PENDING_JS = r"""
(question, history) => {  // one output: the chat, so its value comes wrapped in a list
  const q = (question || '').trim();
  if (!q || q.length > MAX) { return [history]; }
  const md = (t) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/([\\`*_{}\[\]()#+\-.!|~>])/g, '\\$1');
  const msg = (role, text) => ({role: role, metadata: null, options: null,
                                content: [{type: 'text', text: text}]});
  return [[...(history || []), msg('user', md(q)), msg('assistant', PENDING)]];
}
""".replace("MAX", str(MAX_QUESTION_CHARS)).replace("PENDING", json.dumps(render.pending_markdown()))
COPY_JS = """
(text) => {
  if (!text) { return text; }
  const fallback = () => {
    const area = document.createElement('textarea');
    area.value = text; document.body.appendChild(area); area.select();
    document.execCommand('copy'); area.remove();
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).catch(fallback);
  } else { fallback(); }
  return text;
}
"""


def _check_question(question: Any) -> str:
    """The question of an /ask call, or a Chinese error (programs get no hint box)."""
    if problem := question_problem(question):
        raise Problem(problem)
    return str(question).strip()


def _check_history(history: Any) -> list[Turn]:
    """The earlier turns a program sent to /ask, within the limits, or a Chinese gr.Error."""
    if history is None:
        return []
    if not isinstance(history, list):
        raise Problem("history 应为列表，每项形如 {\"question\": …, \"answer\": …, \"query\": …}。")
    if len(history) > MAX_HISTORY_TURNS:
        raise Problem(f"对话历史太长（{len(history)} 轮），最多 {MAX_HISTORY_TURNS} 轮。")
    limits = {"question": MAX_HISTORY_QUESTION_CHARS, "answer": MAX_HISTORY_ANSWER_CHARS,
              "query": MAX_HISTORY_QUERY_CHARS}
    turns = []
    for n, t in enumerate(history, 1):
        if not isinstance(t, dict):
            raise Problem(f"对话历史第 {n} 项应为对象（question、answer、query）。")
        values = {k: t.get(k, "") for k in limits}
        for key, limit in limits.items():
            if not isinstance(values[key], str):
                raise Problem(f"对话历史第 {n} 项的 {key} 应为文字。")
            if len(values[key]) > limit:
                raise Problem(f"对话历史第 {n} 项的 {key} 太长（{len(values[key])} 字），上限 {limit} 字。")
        turns.append(Turn(values["question"], values["answer"], values["query"]))
    return turns


def _history(turns: list[dict[str, Any]]) -> list[Turn]:
    return [Turn(t["question"], t["answer"], t["query"]) for t in turns]


def _query_of(answer: Answer) -> str:
    return answer.query or answer.question


def _record(session: Session, turn: int, answer: Answer, script: str = "original") -> dict[str, Any]:
    docs = {c.doc_id: session.doc(c.doc_id) for c in answer.citations}
    texts = {d: doc.text for d, doc in docs.items()}
    info = {d: {"title": doc.title, "date": doc.date} for d, doc in docs.items()}
    return render.turn_record(turn, answer, _query_of(answer), texts, script, info)


def stream_answer(session: Session, question: str, history: list[Turn]) -> Iterator[str | Answer]:
    """Yield the streamed text so far as it grows, then the final :class:`Answer`.

    The session answers in a worker thread (in LLM mode under one overall deadline, see
    :meth:`~zhiwen.session.Session.answer`); its tokens pass through a queue.

    Raises:
        gr.Error: with a Chinese message when answering fails.
    """
    pieces: queue.Queue[str | None] = queue.Queue()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["answer"] = session.answer(question, history, on_token=pieces.put)
        except BaseException as exc:  # re-raised in the caller's thread below
            outcome["error"] = exc
        finally:
            pieces.put(None)

    threading.Thread(target=work, name="zhiwen-answer", daemon=True).start()
    text = ""
    while (piece := pieces.get()) is not None:
        text += piece
        yield text
    if "error" in outcome:
        raise user_error(outcome["error"])
    yield outcome["answer"]


def question_problem(question: Any) -> str:
    """What is wrong with a question typed on the page (said under the box), or ``""``.
    Input no page can send (not text, thousands of characters) raises instead."""
    if question is not None and not isinstance(question, str):
        raise Problem("问题应为文字。")
    if question is not None and len(question) > 4 * MAX_QUESTION_CHARS:  # before any work on it
        raise Problem(f"问题太长（{len(question)} 字），请控制在 {MAX_QUESTION_CHARS} 字以内。")
    q = (question or "").strip()
    if not q:
        return "请先输入问题，例如：今年社会捐赠一共多少？"
    if len(q) > MAX_QUESTION_CHARS:
        return f"问题太长（{len(q)} 字），请删减到 {MAX_QUESTION_CHARS} 字以内再提问。"
    return ""


def make_chat_fn(state: AppState) -> Callable[..., Iterator[tuple[Any, ...]]]:
    """The streaming handler of the chat box:
    (question, turns) → box, chat, sources, turns, copy, hint under the box."""

    def chat(question: str, turns: list[dict[str, Any]] | None) -> Iterator[tuple[Any, ...]]:
        turns = list(turns or [])
        if problem := question_problem(question):
            yield (gr.skip(), render.chat_messages(turns), gr.skip(), gr.skip(), gr.skip(),
                   field_error(problem))
            return
        q = question.strip()
        session = state.session()
        done = render.chat_messages(turns)
        user = {"role": "user", "content": render.md_text(q)}
        if session is None:
            hint = for_users(state.problem) or render.EMPTY_LIBRARY
            msg = {"role": "assistant", "content": f'<div class="zw-abstain">{render.esc(hint)}</div>'}
            yield "", [*done, user, msg], render.sources_html(turns, empty_library=True), turns, "", ""
            return
        pending = {"role": "assistant", "content": render.pending_markdown()}
        yield "", [*done, user, pending], gr.skip(), gr.skip(), gr.skip(), ""
        script = state.settings().script
        for item in stream_answer(session, q, _history(turns)):
            if isinstance(item, str):
                streaming = {"role": "assistant", "content": render.streaming_markdown(item)}
                yield gr.skip(), [*done, user, streaming], gr.skip(), gr.skip(), gr.skip(), gr.skip()
            else:
                record = _record(session, len(turns) + 1, item, script)
                turns.append(record)
                yield (gr.skip(), render.chat_messages(turns), render.sources_html(turns), turns,
                       render.copy_text(record), "")

    return chat


def make_regenerate_fn(state: AppState) -> Callable[..., Iterator[tuple[Any, ...]]]:
    """Handler of 重新回答: the last question asked again, its earlier answer replaced."""
    chat = make_chat_fn(state)

    def regenerate(turns: list[dict[str, Any]] | None) -> Iterator[tuple[Any, ...]]:
        turns = list(turns or [])
        if not turns:
            yield (gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(),
                   field_error("还没有可以重新回答的问题，请先提问。"))
            return
        last = turns.pop()
        for out in chat(last["question"], turns):
            yield (gr.skip(), *out[1:])

    return regenerate


def make_ask_fn(state: AppState) -> Callable[..., dict[str, Any]]:
    """The ``/ask`` API: one question (plus optional earlier turns) → the answer as a dict."""

    def ask(question: str, history: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Answer a question from the document library; history is a list of
        {"question", "answer", "query"} of earlier turns (optional)."""
        q = _check_question(question)
        turns = _check_history(history)
        session = state.session()
        if session is None:
            raise Problem(state.problem or render.EMPTY_LIBRARY)
        try:
            answer = session.answer(q, turns)
        except Exception as exc:
            raise user_error(exc) from exc
        out = answer.to_dict()
        out["query"] = _query_of(answer)
        return out

    return chinese_errors(ask)


EXAMPLES = ("今年社会捐赠一共多少？", "德江班共免费招收了多少名学生？", "劳务协作输入了多少务工人员？",
            "镇长沈志攀赴德江做了什么？")
_TITLE_END = re.compile(r"[，,。；;：:！!？?\s(（【\[]")
_examples: weakref.WeakKeyDictionary[Session, tuple[str, ...]] = weakref.WeakKeyDictionary()


def library_examples(session: Session | None, limit: int = 4) -> tuple[str, ...]:
    """Example questions that this library answers: the stock ones (about the seed article)
    that the extractive reader answers here with a citation, else "总结一下<title>" of the
    first documents, kept only when answered too. A chip never leads to "资料中没有找到答案".
    Checked once per session (a few questions, ~50 ms each) and never sent to a model."""
    if session is None:
        return ()
    if session not in _examples:
        def answered(q: str) -> bool:
            a = session.engine.extractive(q)
            return not a.abstained and bool(a.citations)

        found = [q for q in EXAMPLES if answered(q)]
        for doc in list(session.documents().values())[:8]:
            if len(found) >= 2:
                break
            title = _TITLE_END.split((doc.title or "").strip(), maxsplit=1)[0][:20]
            if len(title) >= 4 and answered(q := f"总结一下{title}"):
                found.append(q)
        _examples[session] = tuple(found[:limit])
    return _examples[session]


def examples_html(examples: tuple[str, ...] = EXAMPLES) -> str:
    """Clickable example questions (the page script asks them); nothing when there are none."""
    if not examples:
        return '<div class="zw-examples"></div>'
    chips = "".join(f'<button type="button" class="zw-example">{render.esc(q)}</button>' for q in examples)
    return f'<div class="zw-examples"><span class="zw-examples-label">试试这样问：</span>{chips}</div>'


def build_chat_tab(state: AppState) -> dict[str, Any]:
    """Lay out the chat tab inside the current ``gr.Blocks``; returns its components."""
    turns = gr.State([])
    with gr.Row(equal_height=False, elem_id="zw-chat-row"):
        with gr.Column(scale=3, min_width=300):
            chatbot = gr.Chatbot(label="问答", show_label=False, elem_id="zw-chat", height=560,
                                 allow_tags=False, buttons=[], feedback_options=None,
                                 group_consecutive_messages=False,
                                 placeholder="问一个关于资料的问题，例如：今年社会捐赠一共多少？")
            examples = gr.HTML(examples_html(()), elem_id="zw-examples")  # filled on page load
            box = gr.Textbox(label="问题", show_label=False, elem_id="zw-question", submit_btn="提问",
                             placeholder=f"输入问题后按回车（{MAX_QUESTION_CHARS} 字以内），"
                                         "例如：今年社会捐赠一共多少？")
            hint = gr.HTML("", elem_id="zw-question-hint")
            with gr.Row():
                copy_btn = gr.Button("复制答案和出处", elem_id="zw-copy", size="sm", min_width=80)
                again_btn = gr.Button("重新回答", elem_id="zw-regenerate", size="sm", min_width=80)
                clear_btn = gr.Button("新对话", size="sm", min_width=80)
        with gr.Column(scale=2, min_width=300, elem_id="zw-sources-col"):
            gr.Markdown("#### 出处")
            sources = gr.HTML(render.sources_html([]), elem_id="zw-sources", label="出处")
    copy_box = gr.Textbox(label="带出处的答案", visible=False, elem_id="zw-copy-text")
    outputs = [box, chatbot, sources, turns, copy_box, hint]
    box.submit(None, [box, chatbot], [chatbot], js=PENDING_JS, queue=False,
               api_visibility="private").then(
        make_chat_fn(state), [box, turns], outputs,
        api_name="chat", concurrency_limit=8, concurrency_id="answer", show_progress="hidden")
    again_btn.click(make_regenerate_fn(state), [turns], outputs, api_visibility="private",
                    concurrency_limit=8, concurrency_id="answer", show_progress="hidden")
    copy_btn.click(_copied, copy_box, None, js=COPY_JS, api_visibility="private")
    clear_btn.click(lambda: ([], render.sources_html([]), [], "", ""), None,
                    [chatbot, sources, turns, copy_box, hint], api_visibility="private")
    chatbot.clear(lambda: (render.sources_html([]), [], ""), None, [sources, turns, copy_box],
                  api_visibility="private")
    gr.api(make_ask_fn(state), api_name="ask", concurrency_limit=8, concurrency_id="answer")
    return {"chatbot": chatbot, "sources": sources, "turns": turns, "examples": examples}


def _copied(text: str) -> None:
    if text:
        info("已复制答案和出处，可直接粘贴到文稿中。")
    else:
        warning("还没有可复制的答案，请先提问。")
