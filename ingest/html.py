"""Extract the article text, title and date from an HTML page.

Parsing is done by selectolax's lexbor backend, which repairs malformed markup the way a
browser does. Page furniture (scripts, navigation, headers, footers, forms) is dropped;
block elements become line breaks so paragraphs survive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ingest.encoding import decode_bytes, sniff_binary

_DROP_TAGS = [
    "script", "style", "nav", "footer", "aside", "form", "noscript", "iframe", "svg",
    "template", "button", "select", "head",
]  # fmt: skip
# A page's <header> is furniture, but an article's own <header> holds its headline.
_HEADER = "header"

_BLOCK_TAGS = frozenset((
    "address", "article", "blockquote", "body", "caption", "center", "dd", "details", "div",
    "dl", "dt", "fieldset", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "li", "main", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "ul",
))  # fmt: skip

_DATE_META_KEYS = (
    "article:published_time", "pubdate", "publishdate", "date", "dc.date",
    "dc.date.issued", "og:published_time", "publish_date",
)  # fmt: skip

_CHARSET_RE = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_\-:.]+)", re.IGNORECASE)
_SPACES_RE = re.compile(r"[ \t\r\n\f\u00a0]+")

# An <article>/<main> shorter than this share of the body is a teaser, not the content.
_MIN_CONTENT_SHARE = 0.3


@dataclass(frozen=True, slots=True)
class HtmlContent:
    """What a page yields: its text (lines = blocks), title, and the raw date string."""

    text: str
    title: str | None
    date: str | None


def declared_charset(data: bytes) -> str | None:
    """The charset a ``<meta charset>`` or ``http-equiv`` tag declares in the first 4 KB."""
    match = _CHARSET_RE.search(data[:4096])
    return match.group(1).decode("ascii").lower() if match else None


def decode_html(data: bytes, path: str) -> tuple[str, str]:
    """Decode a page: a BOM or valid UTF-8 wins, else its ``<meta charset>`` if that decodes,
    else :func:`~ingest.encoding.decode_bytes`. Returns ``(text, encoding)``.

    Raises:
        InputError: the bytes are a known binary format or not text (see ``decode_bytes``).
    """
    sniff_binary(data[:16], path)
    charset = declared_charset(data)
    if charset and not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        # Browsers read gb2312/gbk labels as GB18030, their superset.
        codec = "gb18030" if charset in ("gb2312", "gbk", "x-gbk") else charset
        try:
            if not _is_utf8(data):
                return data.decode(codec), codec
        except (LookupError, UnicodeDecodeError):
            pass  # unknown or wrong label: detect instead
    return decode_bytes(data, path)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def extract_html(html: str) -> HtmlContent:
    """Parse ``html`` and return its main text, title and publication date (as written).

    The main text comes from the longest ``<article>`` or ``<main>`` element when it holds
    at least 30% of the body's text, else from the whole body. Title: ``og:title``, then
    ``<title>``, then the first ``<h1>``. Date: the first of the usual meta tags
    (``article:published_time``, ``pubdate``, ``publishdate``, ``date``, ``DC.date``), then
    the first ``<time datetime>``. The text may be empty; the caller decides what that means.
    """
    tree = LexborHTMLParser(html)
    title = _title(tree)
    date = _date(tree)
    _drop_furniture(tree)
    root = tree.body or tree.root
    if root is None:
        return HtmlContent(text="", title=title, date=date)
    return HtmlContent(text=block_text(_content_root(tree, root)), title=title, date=date)


def _drop_furniture(tree: LexborHTMLParser) -> None:
    tree.strip_tags(_DROP_TAGS, recursive=True)
    for node in tree.css(_HEADER):
        if not _inside_article(node):
            node.decompose()


def _inside_article(node: LexborNode) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag == "article":
            return True
        parent = parent.parent
    return False


def _content_root(tree: LexborHTMLParser, body: LexborNode) -> LexborNode:
    candidates = tree.css("article, main")
    if not candidates:
        return body
    best = max(candidates, key=_text_length)
    if _text_length(best) >= _MIN_CONTENT_SHARE * _text_length(body):
        return best
    return body


def _text_length(node: LexborNode) -> int:
    return len(_SPACES_RE.sub("", node.text(deep=True)))


def block_text(node: LexborNode) -> str:
    """Visible text under ``node``: one line per block element or ``<br>``, spaces collapsed.

    Walks the tree without recursion, so deeply nested (malformed) markup cannot exhaust
    the Python stack.
    """
    lines: list[str] = []
    current: list[str] = []

    def flush() -> None:
        line = _SPACES_RE.sub(" ", "".join(current)).strip()
        if line:
            lines.append(line)
        current.clear()

    stack: list[tuple[LexborNode, bool]] = [(node, False)]
    while stack:
        item, leaving = stack.pop()
        if leaving:
            flush()
            continue
        if item.is_text_node:
            current.append(item.text_content or "")
            continue
        tag = item.tag or ""
        if tag == "br":
            flush()
            continue
        if tag.startswith("-"):  # comments, doctype
            continue
        is_block = tag in _BLOCK_TAGS
        if is_block:
            flush()
            stack.append((item, True))
        children: list[LexborNode] = []
        child = item.child
        while child is not None:
            children.append(child)
            child = child.next
        stack.extend((c, False) for c in reversed(children))
    flush()
    return "\n".join(lines)


def _title(tree: LexborHTMLParser) -> str | None:
    for selector in ('meta[property="og:title"]', 'meta[name="og:title"]'):
        node = tree.css_first(selector)
        if node is not None:
            value = _clean(node.attributes.get("content"))
            if value:
                return value
    for selector in ("title", "h1"):
        node = tree.css_first(selector)
        if node is not None:
            value = _clean(node.text(deep=True))
            if value:
                return value
    return None


def _date(tree: LexborHTMLParser) -> str | None:
    found: dict[str, str] = {}
    for node in tree.css("meta"):
        attrs = node.attributes
        key = (attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or "").lower()
        value = _clean(attrs.get("content"))
        if key in _DATE_META_KEYS and value and key not in found:
            found[key] = value
    for key in _DATE_META_KEYS:
        if key in found:
            return found[key]
    for node in tree.css("time"):
        value = _clean(node.attributes.get("datetime")) or _clean(node.text(deep=True))
        if value:
            return value
    return None


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = _SPACES_RE.sub(" ", value).strip()
    return value or None
