"""Neutralising untrusted text (PR titles, bodies, labels, paths, names) for Markdown and HTML.

Everything here returns :class:`markupsafe.Markup` so that jinja2's autoescape (which both
report environments run with) leaves the already-neutralised text alone, while any value a
template forgets to filter is still escaped by the environment's ``finalize`` hook.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from markupsafe import Markup, escape

# C0/C1 controls (tab and newline are folded to spaces first), bidi overrides/isolates and
# invisible marks that can reorder or hide text; ZWJ/ZWNJ stay because emoji sequences need them
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufff9-\ufffb]")
_SPACES = re.compile(r"[ \t\r\n\u2028\u2029]+")
# HTML metacharacters become entities (every renderer honours them); every character with a
# meaning in CommonMark/GFM inline syntax or GFM tables gets a backslash
_MD_TABLE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", **{c: "\\" + c for c in "\\`*_[]()|~$"}})
# only meaningful at the start of a line (headings, list items, setext underlines)
_MD_LEADING = re.compile(r"^(#|[+\-=](?=\s|$)|\d+[.)](?=\s|$))")
_SAFE_URL = re.compile(r"^https?://[^\s<>\"'`\\]+$", re.IGNORECASE)
_CODE_OK = re.compile(r"^[\w./@=,+\-~ ]+$")


def clean(value: object) -> str:
    """One line of plain text: controls and bidi marks removed, whitespace runs folded."""
    if value is None:
        return ""
    text = str(value)
    if text.isascii() and text.isprintable() and "  " not in text:
        return text  # the common case, and what the substitutions below would return
    # no strip(): templates print literals with meaningful spaces through the same path
    return _CONTROL.sub("", _SPACES.sub(" ", text))


def md_text(value: object) -> Markup:
    """Untrusted text as inert Markdown: no markup, links, HTML or table breaks survive."""
    # one C-level pass does both the entities and the backslashes (their outputs contain no
    # character either step would rewrite again, so one pass equals the two in sequence)
    text = clean(value).translate(_MD_TABLE)
    lead = _MD_LEADING.match(text)  # anchored: only the start can match, so no sub() scan
    if lead:
        head = lead.group(0)
        head = "\\" + head if not head[0].isdigit() else head[:-1] + "\\" + head[-1]
        text = head + text[lead.end():]
    return Markup(text)


def md_code(value: object) -> Markup:
    """A path or identifier as an inline code span when that is safe, escaped text otherwise."""
    text = clean(value)
    if text and _CODE_OK.match(text):
        return Markup(f"`{text}`")
    return md_text(text)


def safe_url(url: object) -> str | None:
    """The URL when it is a plain http(s) URL, else None (``javascript:`` and friends are dropped)."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not _SAFE_URL.match(url):
        return None
    return url


def md_link(text: object, url: object, text_is_markup: bool = False) -> Markup:
    """``[text](url)`` for http(s) URLs; only the escaped text for anything else."""
    label = text if text_is_markup and isinstance(text, Markup) else md_text(text)
    href = safe_url(url)
    if href is None:
        return Markup(label)
    # parentheses, pipes and backticks would end the link or a table cell early
    href = quote(href, safe="/:?#&=%@!$'*+,;~.-_")
    href = href.replace("(", "%28").replace(")", "%29").replace("*", "%2A").replace("'", "%27")
    return Markup(f"[{label}]({href})")


def html_text(value: object) -> Markup:
    """Untrusted text escaped for HTML (and SVG) element content or attributes."""
    return escape(clean(value))


def html_link(text: object, url: object, text_is_markup: bool = False) -> Markup:
    """``<a href>`` for http(s) URLs; only the escaped text for anything else."""
    label = text if text_is_markup and isinstance(text, Markup) else html_text(text)
    href = safe_url(url)
    if href is None:
        return Markup(label)
    return Markup('<a href="%s" rel="noopener noreferrer">%s</a>') % (href, label)


def truncate(value: object, limit: int) -> str:
    """Cleaned text cut at ``limit`` characters (on a word boundary when one is near), with an ellipsis."""
    text = clean(value).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,.;:") + "…"
