"""What the app's users share: the live session, the corpus folder and the settings.

Questions read :meth:`AppState.session` once and keep that session for their whole answer.
An ingest writes a new index version beside the old one (see :mod:`index.store`); only
then is a new :class:`~zhiwen.session.Session` opened and swapped in under a short lock, so
questions in flight finish on the version they started with and never see a half-built
index.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingest.pipeline import IngestReport, ingest
from ingest.remove import remove_files, set_document_date
from ui.uploads import store_upload
from zhiwen.errors import IndexMissingError, InputError, ZhiwenError
from zhiwen.session import Session
from zhiwen.session import open as open_session
from zhiwen.settings import AppSettings, load_settings

log = logging.getLogger(__name__)

UPLOAD_SUBDIR = "uploads"
TRASH_SUBDIR = ".removed"  # hidden: ingest skips names starting with "."
ProgressFn = Callable[[int, int], None]


@dataclass(slots=True)
class UploadResult:
    """What an upload did: the files stored, the ingest report, and files refused up front."""

    stored: list[Path] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    report: IngestReport | None = None


class AppState:
    """The index, corpus and session behind one running app.

    Args:
        index_dir: the index folder (also holds the settings, see :mod:`zhiwen.settings`).
        corpus_dir: the document folder that ingests read; uploads go to ``uploads/`` in it.
    """

    def __init__(self, index_dir: Path, corpus_dir: Path) -> None:
        self.index_dir = index_dir.resolve()
        self.corpus_dir = corpus_dir.resolve()
        self.upload_dir = self.corpus_dir / UPLOAD_SUBDIR
        self._swap = threading.Lock()
        self._writing = threading.Lock()
        self._session: Session | None = None
        self.problem = ""  # why there is no session, or why the LLM is off (Chinese)
        self.last_failed: list[tuple[str, str]] = []
        # who may change the settings: the admins of the login, or None without a login
        # (then only loopback requests may; see ui.settings_tab.admin_problem)
        self.admins: frozenset[str] | None = None
        self.reload()

    # -- the session ---------------------------------------------------------------------
    def session(self) -> Session | None:
        """The current session, or ``None`` while the library is empty or unreadable."""
        with self._swap:
            return self._session

    def settings(self) -> AppSettings:
        """The saved settings (defaults when the file is missing or unreadable)."""
        try:
            return load_settings(self.index_dir)
        except ZhiwenError:
            return AppSettings()

    def reload(self) -> None:
        """Open the live index version with the saved settings and swap the session in."""
        problem = ""
        session: Session | None = None
        try:
            session = open_session(self.index_dir, llm_fallback=True)
            problem = session.problem
        except IndexMissingError:
            pass
        except ZhiwenError as exc:
            problem = f"索引无法打开：{exc}"
        if session is not None:
            session.search("预热", 1)  # loads the embedder model and jieba once, before any question
            _warm_up(session)
        with self._swap:
            self._session = session
            self.problem = problem

    # -- documents -----------------------------------------------------------------------
    def upload(self, files: Sequence[Path], progress: ProgressFn | None = None) -> UploadResult:
        """Store uploaded temporary files under the corpus and ingest the corpus folder.

        Each stored name is generated (see :mod:`ui.uploads`); a stored upload that the
        ingest cannot read is deleted again and listed with its reason.
        """
        result = UploadResult()
        for tmp in files:
            try:
                result.stored.append(store_upload(Path(tmp), Path(tmp).name, self.upload_dir))
            except InputError as exc:
                result.refused.append((exc.path, exc.problem))
        if not result.stored:
            result.report = IngestReport(failed=list(result.refused))
            self.last_failed = list(result.refused)
            return result
        with self._writing:
            report = ingest([self.corpus_dir], self.index_dir, progress=progress)
        failed = {path for path, _ in report.failed}
        for path in result.stored:
            if self._rel(path) in failed:
                path.unlink(missing_ok=True)
        report.failed[:0] = result.refused
        result.report = report
        self.last_failed = list(report.failed)
        if report.version:
            self.reload()
        return result

    def remove_file(self, source: str) -> str:
        """Drop a source file's documents and move the file to the corpus' ``.removed/``.

        Returns:
            A Chinese confirmation naming the file.

        Raises:
            InputError: ``source`` is not a file of the current index.
        """
        session = self.session()
        if session is None or source not in session.files():
            raise InputError(source, "资料库里没有这个文件，请刷新列表后再选")
        with self._writing:
            result = remove_files([source], self.index_dir)
            moved = self._to_trash(source) if source in result.removed else False
        if source not in result.removed:
            raise InputError(source, "资料库里没有这个文件，请刷新列表后再选")
        self.reload()
        where = "，可在下方「恢复已移除的文件」中恢复" if moved else ""
        return "；".join(result.messages()) + where

    def removed_files(self) -> list[str]:
        """The files moved to ``.removed/`` that can be restored (corpus-relative paths)."""
        trash = self.corpus_dir / TRASH_SUBDIR
        if not trash.is_dir():
            return []
        return sorted(p.relative_to(trash).as_posix() for p in trash.rglob("*") if p.is_file())

    def restore_file(self, source: str, progress: ProgressFn | None = None) -> IngestReport:
        """Move a removed file back from ``.removed/`` to its place and ingest it again.

        Raises:
            InputError: no such removed file, or a file of that name is back in its place.
        """
        trash = (self.corpus_dir / TRASH_SUBDIR).resolve()
        path = (trash / source).resolve()
        if not path.is_relative_to(trash) or not path.is_file():
            raise InputError(source, "没有这个已移除的文件，请刷新列表后再选")
        target = self.corpus_dir / source
        if target.exists():
            raise InputError(source, "资料文件夹里已有同名文件，无法恢复")
        with self._writing:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(path), str(target))
            report = ingest([self.corpus_dir], self.index_dir, progress=progress)
        self.last_failed = list(report.failed)
        if report.version:
            self.reload()
        return report

    def set_date(self, doc_id: str, value: str | None) -> str:
        """Correct a document's publication date (``None`` or ``""`` clears it); returns
        the stored ISO date or ``""``. Raises InputError for an unknown document or date."""
        with self._writing:
            entry = set_document_date(doc_id, value or None, self.index_dir)
        self.reload()
        return entry.date or ""

    def _rel(self, path: Path) -> str:
        return path.resolve().relative_to(self.corpus_dir).as_posix()

    def _to_trash(self, source: str) -> bool:
        """Move the corpus file ``source`` into the trash folder; False when it is not there."""
        path = (self.corpus_dir / source).resolve()
        if not path.is_relative_to(self.corpus_dir) or not path.is_file():
            return False
        target = self.corpus_dir / TRASH_SUBDIR / source
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(path), str(target))
        return True


WARM_QUESTIONS = ("How much was donated this year?", "今年社会捐赠一共多少？")


def _warm_up(session: Session) -> None:
    """In the background, load the English word lists (~1.3 s) and answer one English and
    one Chinese question (the reader's models load on first use, ~1 s), so that the first
    questions of users wait for neither. With a model configured the questions are not
    asked: they would be sent to it."""
    from text.crosslingual import warm_up

    def work() -> None:
        try:
            warm_up()
            for q in WARM_QUESTIONS if session.llm_settings is None else ():
                session.answer(q)
        except Exception:  # a warm-up failure must not stop the app; the question will tell
            log.debug("warm-up failed", exc_info=True)

    threading.Thread(target=work, name="zhiwen-warm-up", daemon=True).start()
