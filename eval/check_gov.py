"""Check the gov question set (``eval/gov/questions.jsonl``) against its documents.

    python -m eval.check_gov                 # the set of record
    python -m eval.check_gov more.jsonl      # another file over the same documents

Each record must be well formed (the fields of ``eval/gov/README.md``), name a document of
``eval/gov/docs/``, and, when answerable, quote its ``evidence`` verbatim from one line of
that document; every ``expect`` item (its first alias) must occur in the evidence's search
form (a list's or a summary's, in the document's) and no ``forbid`` item may be expected too
(a forbidden figure may stand in the evidence: 今年's sentence often gives 累计's as well).
An unanswerable record says how it was made (``trap``) and has no expect or evidence. The
question's script must match its ``lang``. Prints one line per problem, naming the file,
line and question; exits 1 when there is any.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from eval.sets import GOV_DIR, GOV_QUESTIONS
from ingest.normalize import search_form
from ingest.repair import HAN

FIELDS = {"id": str, "doc": str, "question": str, "kind": str, "lang": str, "answerable": bool,
          "expect": list, "forbid": list, "evidence": str, "trap": str}
KINDS = {"quantity", "date", "person", "place", "org", "title", "quote", "list", "summary", "other"}
LANGS = {"zh-Hans", "zh-Hant", "en"}
TRAPS = {"time_shift", "entity_swap", "attribute_swap", "absent"}
_HAN = re.compile(f"[{HAN}]")  # the Han characters ingest repairs (the seed set's test used them)


def field_problems(rec: Any, fields: dict[str, type]) -> list[str]:
    """Missing, unknown and mistyped fields of one record (``fields``: name → type); a record
    that is not a JSON object is one problem. Shared with the seed set's test."""
    if not isinstance(rec, dict):
        return ["不是 JSON 对象"]
    problems = [f"缺少字段 {k}" for k in fields if k not in rec]
    problems += [f"未知字段 {k}" for k in rec if k not in fields]
    return problems + [f"{k} 应为 {t.__name__}" for k, t in fields.items()
                       if k in rec and not isinstance(rec[k], t)]


def item_problem(key: str, item: Any) -> str:
    """What is wrong with one ``expect`` or ``forbid`` item, which must be a non-empty string
    or a non-empty list of them (aliases); "" when nothing. Shared with the seed set's test."""
    aliases = item if isinstance(item, list) else [item]
    if not aliases or not all(isinstance(a, str) and a.strip() for a in aliases):
        return f"{key} 项 {item!r} 应为非空字符串（或其列表）"
    return ""


def record_problems(rec: Any, docs: dict[str, str]) -> list[str]:
    """What is wrong with one record (empty when nothing); ``docs``: file name → text."""
    problems = field_problems(rec, FIELDS)
    if problems:
        return problems
    if not re.fullmatch(r"g\d{3,}", rec["id"]):
        problems.append(f"id {rec['id']!r} 不是 g001 这样的形式")
    if not rec["question"].strip():
        problems.append("问题为空")
    if rec["kind"] not in KINDS:
        problems.append(f"kind {rec['kind']!r} 不在 {sorted(KINDS)} 中")
    if rec["doc"] not in docs:
        problems.append(f"doc {rec['doc']!r} 不在 eval/gov/docs/ 中")
    problems += lang_problems(rec)
    problems += [p for key in ("expect", "forbid") for item in rec[key] if (p := item_problem(key, item))]
    if not rec["answerable"]:
        if rec["expect"] or rec["evidence"]:
            problems.append("无答案的问题，expect 和 evidence 应为空")
        if rec["trap"] not in TRAPS:
            problems.append(f"无答案的问题，trap 应为 {sorted(TRAPS)} 之一")
        return problems
    if rec["trap"]:
        problems.append("有答案的问题，trap 应为空")
    if not rec["expect"] or not rec["evidence"]:
        return [*problems, "有答案的问题需要 expect 和 evidence"]
    text = docs.get(rec["doc"], "")
    if not any(rec["evidence"] in line for line in text.splitlines()):
        problems.append(f"evidence 不是 {rec['doc']} 中某一行的原文")
    # a list or a summary gathers from several sentences: its items need only be in the document
    gathered = rec["kind"] in ("list", "summary")
    form = search_form(text if gathered else rec["evidence"])
    where = rec["doc"] if gathered else "evidence"
    for item in rec["expect"]:
        first = (item if isinstance(item, list) else [item])[0]
        if search_form(first) not in form:
            problems.append(f"expect {first!r} 不在 {where} 中")
    expected = {search_form(a) for item in rec["expect"]
                for a in (item if isinstance(item, list) else [item])}
    problems += [f"forbid {f!r} 也是 expect" for f in rec["forbid"] if search_form(f) in expected]
    return problems


def lang_problems(rec: dict[str, Any]) -> list[str]:
    """Whether the question's script matches its ``lang`` (the seed set's test uses it too)."""
    han = _HAN.findall(rec["question"])
    if rec["lang"] not in LANGS:
        return [f"lang {rec['lang']!r} 不在 {sorted(LANGS)} 中"]
    if rec["lang"] == "en":
        return ["英文问题里有汉字"] if han else []
    if not han:
        return ["中文问题里没有汉字"]
    traditional = [c for c in han if search_form(c) != c]
    if rec["lang"] == "zh-Hant" and not traditional:
        return ["zh-Hant 问题里没有繁体字"]
    if rec["lang"] == "zh-Hans" and traditional:
        return [f"zh-Hans 问题里有繁体字 {traditional}"]
    return []


def file_problems(path: Path, docs_dir: Path = GOV_DIR / "docs") -> list[str]:
    """Every problem of the question file ``path``, as "file:line (id): problem"."""
    docs = {p.name: p.read_text(encoding="utf-8") for p in sorted(docs_dir.glob("*.txt"))}
    out: list[str] = []
    seen: dict[str, int] = {}
    asked: dict[str, int] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            out.append(f"{path}:{n}: 不是合法的 JSON（{e.msg}）")
            continue
        where = f"{path}:{n} ({rec.get('id', '?') if isinstance(rec, dict) else '?'})"
        out += [f"{where}: {p}" for p in record_problems(rec, docs)]
        if isinstance(rec, dict):
            for key, table in (("id", seen), ("question", asked)):
                value = rec.get(key)
                if isinstance(value, str) and value in table:
                    out.append(f"{where}: {key} 与第 {table[value]} 行重复")
                elif isinstance(value, str):
                    table[value] = n
    return out


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else GOV_QUESTIONS
    problems = file_problems(path)
    for p in problems:
        print(p)
    print(f"{path}: {'发现 ' + str(len(problems)) + ' 个问题' if problems else '没有问题'}", file=sys.stderr)
    raise SystemExit(1 if problems else 0)


if __name__ == "__main__":
    main()
