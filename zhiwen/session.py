"""One way to open the product: :func:`open` gives a :class:`Session` over an index folder.

Every front end (the ``zhiwen`` command, the web app, the evaluation) opens its index here,
so that all of them resolve the LLM settings the same way, once:

1. what the caller passes (command-line flags);
2. what the app saved beside the index (``settings.json`` and ``llm_key``, see
   :mod:`zhiwen.settings`);
3. the environment (``ZHIWEN_LLM_BASE_URL``, ``ZHIWEN_LLM_MODEL``, ``ZHIWEN_LLM_API_KEY``).

A key goes only with the address it belongs to: a key passed in with the address passed
in, the stored key with the address it was saved for (:func:`zhiwen.settings.api_key_for`),
``ZHIWEN_LLM_API_KEY`` with ``ZHIWEN_LLM_BASE_URL``.

A session holds one engine, and in LLM mode one client, which answering, fact-checking and
talking points share.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from zhiwen.errors import ConfigError
from zhiwen.settings import AppSettings, api_key_for, load_settings, norm_url

if TYPE_CHECKING:
    from check.check import Checker, CheckReport
    from index.retrievers import SearchIndex
    from index.store import DocumentEntry, FileEntry, Location
    from llm.settings import LLMSettings
    from points.points import PointsResult
    from qa.engine import Engine, Turn
    from zhiwen.records import Answer, Hit

CHECK_K = 8  # passages read for each claim of a draft


def resolve_llm(index_dir: Path, base_url: str | None = None, model: str | None = None,
                api_key: str | None = None, saved: AppSettings | None = None) -> LLMSettings | None:
    """The LLM settings to use, or ``None`` for extractive mode (see the module's order);
    ``saved``: the settings of ``index_dir`` when the caller has read them already.

    Raises:
        ConfigError: the saved settings cannot be read, or an endpoint is set but
            malformed or has no model.
    """
    from llm.settings import ENV_API_KEY, ENV_BASE_URL, ENV_MODEL, LLMSettings

    saved = saved if saved is not None else load_settings(index_dir)
    env_url = norm_url(os.environ.get(ENV_BASE_URL, ""))
    url = norm_url(base_url or saved.llm_base_url or env_url)
    if not url:
        return None
    name = (model or saved.llm_model or os.environ.get(ENV_MODEL, "")).strip()
    key = (api_key or "").strip() or api_key_for(index_dir, url)
    if not key and url == env_url:
        key = os.environ.get(ENV_API_KEY, "").strip()
    return LLMSettings(base_url=url, model=name, api_key=key)


@dataclass(frozen=True, slots=True)
class Overrides:
    """What a front end asked for explicitly; ``None`` leaves each to the saved settings,
    then the environment, then the default.

    Attributes:
        embedder: the query embedder (default: the one the index was built with).
        k: passages read per answer (default :data:`qa.engine.DEFAULT_K`).
        script: ``"simplified"`` or ``"original"`` answers (default: saved, else simplified).
        llm_base_url, llm_model, llm_api_key: the LLM endpoint (see :func:`resolve_llm`).
        extractive: no LLM, whatever is configured (the evaluation's extractive column).
        llm_fallback: a broken LLM configuration opens the session in extractive mode and
            says why in :attr:`Session.problem`, instead of raising (the web app).
    """

    embedder: str | None = None
    k: int | None = None
    script: str | None = None
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    extractive: bool = False
    llm_fallback: bool = False


def open(index_dir: Location | str | None = None, *, embedder: str | None = None, k: int | None = None,
         script: str | None = None, llm_base_url: str | None = None, llm_model: str | None = None,
         llm_api_key: str | None = None, extractive: bool = False, llm_fallback: bool = False) -> Session:
    """Open the live index version in ``index_dir`` (a folder, or a location string as
    ``--index`` takes it: ``milvus-lite:<file>.db``, ``milvus://host:port/name``; default
    ``$ZHIWEN_INDEX`` or ``./.zhiwen/index``) as a :class:`Session`; the other arguments are
    :class:`Overrides`.

    Raises:
        IndexMissingError: no index has been built there yet.
        ZhiwenError: the index cannot be read, or (without ``llm_fallback``) the LLM
            settings are wrong.
    """
    from index.milvus_location import MilvusLocation
    from index.retrievers import SearchIndex
    from index.store import index_location

    wanted = Overrides(embedder, k, script, llm_base_url, llm_model, llm_api_key, extractive, llm_fallback)
    folder = index_location(index_dir) if index_dir is None or isinstance(index_dir, str) else index_dir
    home = folder.local if isinstance(folder, MilvusLocation) else folder  # settings live here
    index = SearchIndex.open(folder, wanted.embedder)
    problem = ""
    try:
        saved = load_settings(home)
        llm = None if wanted.extractive else resolve_llm(
            home, wanted.llm_base_url, wanted.llm_model, wanted.llm_api_key, saved)
    except ConfigError as exc:
        if not wanted.llm_fallback:
            raise
        saved, llm, problem = AppSettings(), None, f"大模型设置有误，暂用抽取式回答：{exc}"
    return Session(folder, index, wanted, script=wanted.script or saved.script, llm=llm,
                   problem=problem)


class Session:
    """One opened index with its engine: what every front end asks questions of.

    Use :func:`open` rather than this constructor.
    """

    def __init__(self, index_dir: Location, index: SearchIndex, overrides: Overrides, *, script: str,
                 llm: LLMSettings | None, problem: str = "") -> None:
        from qa.engine import DEFAULT_K, Engine

        self.index_dir = index_dir
        self.overrides = overrides
        self.problem = problem  # why LLM mode is off although configured (Chinese), or ""
        self.engine: Engine = Engine(index, k=overrides.k or DEFAULT_K, script=script, llm=llm)

    def reopen(self) -> Session:
        """A new session over the live index version (after an ingest or a removal) with
        the same overrides and the settings as saved now."""
        return open(self.index_dir, **asdict(self.overrides))

    # -- what is in the library ---------------------------------------------------------
    @property
    def index(self) -> SearchIndex:
        return self.engine.index

    @property
    def llm_settings(self) -> LLMSettings | None:
        """The resolved LLM settings; ``None`` in extractive mode."""
        return self.engine.llm_settings

    def documents(self) -> Mapping[str, DocumentEntry]:
        return self.index.documents()

    def files(self) -> Mapping[str, FileEntry]:
        return self.index.files()

    def doc(self, doc_id: str) -> DocumentEntry:
        return self.index.doc(doc_id)

    def chunk_count(self) -> int:
        return len(self.index.chunks)

    def search(self, query: str, k: int = 5) -> list[Hit]:
        """The ``k`` best passages for ``query`` (semantic and keyword ranks fused)."""
        return self.index.search(query, k)

    # -- the three features -------------------------------------------------------------
    def answer(self, question: str, history: Sequence[Turn] = (),
               on_token: Callable[[str], None] | None = None) -> Answer:
        """Answer ``question`` (follow-ups read against ``history``); in LLM mode under one
        overall deadline, so a server that drips cannot hold a caller past its timeout."""
        return self.timed_answer(question, history, on_token)[0]

    def timed_answer(self, question: str, history: Sequence[Turn] = (),
                     on_token: Callable[[str], None] | None = None) -> tuple[Answer, dict[str, float]]:
        """:meth:`answer` with the time it took: ``total_ms`` for the whole answer and, in
        LLM mode, ``llm_ms`` spent waiting for the model (which the engine's own
        ``answer_ms`` leaves out when it falls back to an extractive answer)."""
        started = time.perf_counter()
        settings = self.engine.llm_settings
        if settings is None:
            ans = self.engine.answer(question, history, on_token=on_token)
            return ans, {"total_ms": round((time.perf_counter() - started) * 1000, 2)}
        from llm.client import answer_deadline, llm_time

        with llm_time() as spent, answer_deadline(settings.timeout):
            ans = self.engine.answer(question, history, on_token=on_token)
        return ans, {"llm_ms": round(spent[0] * 1000, 2),
                     "total_ms": round((time.perf_counter() - started) * 1000, 2)}

    def checker(self, k: int = CHECK_K) -> Checker:
        """The fact-checker over this session, reading ``k`` passages per claim."""
        from check.check import Checker

        return Checker(self.engine, k=k, llm=self.engine.llm)

    def check(self, draft: str, k: int = CHECK_K) -> CheckReport:
        """核稿: every claim of ``draft`` checked against the library."""
        return self.checker(k).check(draft)

    def points(self, topic: str, n: int | None = None) -> PointsResult:
        """讲话要点: at most ``n`` points on ``topic``, grouped by theme, each with its source."""
        from points.points import DEFAULT_N, talking_points

        return talking_points(self.engine, topic, n or DEFAULT_N, llm=self.engine.llm)
