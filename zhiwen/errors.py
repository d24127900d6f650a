"""Domain errors. Front ends (CLI, Gradio app) translate them into a message for a person.

Every message is in Chinese, names the file or setting at fault and, where there is one,
the command that fixes it.
"""

from __future__ import annotations


class ZhiwenError(Exception):
    """Base class of every error zhiwen raises on purpose."""


class InputError(ZhiwenError):
    """A source file or path cannot be read as a document (names the file and the problem)."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class IndexMissingError(ZhiwenError):
    """No index exists at the given folder yet."""


class IndexMismatchError(ZhiwenError):
    """The index on disk was built differently (embedder, dimension, format version)."""


class IndexCorruptError(ZhiwenError):
    """The index on disk fails its checksums or cannot be parsed."""


class EmbedderError(ZhiwenError):
    """An embedding model cannot be loaded or used."""


class LLMError(ZhiwenError):
    """The configured LLM endpoint failed (down, refused, malformed reply)."""


class ConfigError(ZhiwenError):
    """A setting has an invalid value."""
