"""The import graph points only downward, and no product file is over 400 lines.

The layers, lowest first; a module may import its own layer and any below it:

0. ``zhiwen.records``, ``zhiwen.errors``, ``zhiwen.settings``: low-level records, errors
   and saved settings that every stage uses;
1. ``ingest``, which reads and splits documents; 2. ``index``, and the two modules of
   ``ingest`` that write it (``ingest.pipeline``, ``ingest.remove``); 3. ``text``;
4. ``llm``; 5. ``qa``; 6. ``check``; 7. ``points`` (the features, in the order they build
   on each other: answering uses the LLM, checking and points read the answer engine,
   points reword with the checker's LLM checks);
8. the upper layer of the ``zhiwen`` package: ``zhiwen`` itself (``zhiwen.open``),
   ``zhiwen.session`` and the command line ``zhiwen.cli*``;
9. the front ends: ``ui``, ``app``, ``eval``.

One arrow goes up on purpose: ``zhiwen serve`` (in ``zhiwen.cli``) starts the web app in
``app.py``. Every import counts, also one inside a function or under TYPE_CHECKING.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("zhiwen", "ingest", "index", "text", "llm", "qa", "check", "points", "ui")
PACKAGES = (*PRODUCT, "eval")
BOTTOM = {"zhiwen.records", "zhiwen.errors", "zhiwen.settings"}
RANKS = {"ingest": 1, "index": 2, "text": 3, "llm": 4, "qa": 5, "check": 6, "points": 7,
         "zhiwen": 8, "ui": 9, "app": 9, "eval": 9}
INDEX_WRITERS = {"ingest.pipeline", "ingest.remove"}
ALLOWED_UP = {("zhiwen.cli", "app")}
MAX_LINES = 400


def _rank(module: str) -> int:
    if module in BOTTOM:
        return 0
    if module in INDEX_WRITERS:
        return RANKS["index"]
    return RANKS[module.split(".")[0]]


def _modules() -> dict[str, Path]:
    found = {"app": ROOT / "app.py"}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: a relative import"
            base = node.module or ""
            names.add(base)
            names |= {f"{base}.{a.name}" for a in node.names}  # ``from zhiwen import session``
    return names


def _local(name: str, modules: dict[str, Path]) -> str | None:
    """The project module ``name`` refers to (the longest known prefix), if any."""
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        candidate = ".".join(parts[:n])
        if candidate in modules:
            return candidate
    return None


def test_imports_point_only_downward() -> None:
    modules = _modules()
    upward = []
    for module, path in sorted(modules.items()):
        for name in sorted(_imports(path)):
            target = _local(name, modules)
            if target is None or target == module or (module, target.split(".")[0]) in ALLOWED_UP:
                continue
            if _rank(target) > _rank(module):
                upward.append(f"{module} → {target}")
    assert not upward, "imports that point upward:\n" + "\n".join(sorted(set(upward)))


@pytest.mark.parametrize("package", [*PRODUCT, "app.py"])
def test_no_product_file_is_over_400_lines(package: str) -> None:
    paths = [ROOT / package] if package.endswith(".py") else sorted((ROOT / package).rglob("*.py"))
    long = {str(p.relative_to(ROOT)): n for p in paths
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"over {MAX_LINES} lines: {long}"
