"""Turn a PR description into a short plain summary: the first meaningful sentences.

PR bodies are mostly template: headings, checklists, "Test Plan" sections, sign-offs,
version footers. What is left after stripping those is usually the author's own
explanation, and its first sentence or two is what a weekly report wants.
"""

from __future__ import annotations

import re
import unicodedata

# Sections whose content is never a summary (skipped up to the next heading).
_SKIP_SECTION = re.compile(
    r"test(s|ing)?\s*(plan|result|results)|how (was|is) (this|the) (patch|pr|change) tested|"
    r"user[- ]facing change|checklist|before submitting|screenshots?|benchmark results?|"
    r"^\W*(related )?issues?\W*$|release notes?|documentation update|"
    r"essential elements|reviewers?|notes? for reviewers?",
    re.IGNORECASE,
)
_HTML_COMMENT = re.compile(r"<!--.*?(-->|\Z)", re.DOTALL)
_FENCE = re.compile(r"^[ \t]*(```|~~~).*?(^[ \t]*\1[^\n]*$|\Z)", re.DOTALL | re.MULTILINE)
_DETAILS = re.compile(r"<details\b.*?(</details>|\Z)", re.DOTALL | re.IGNORECASE)
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)|<img\b[^>]*>", re.IGNORECASE)
_LINK = re.compile(r"\[([^\]]+)\]\((?:[^()]|\([^)]*\))*\)")
_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_HEADING = re.compile(r"^\s{0,3}(#{1,6}\s*(.*?)\s*#*\s*$|\*\*([^*]{2,80})\*\*:?\s*$)")
_NOISE_LINE = re.compile(
    r"^\s*("
    r"[-*+]\s*\[[ xX]\]"                               # checklist items
    r"|(signed-off-by|co-authored-by|reviewed-by|acked-by|tested-by|cc|change-id)\s*:"
    r"|[-=*_~]{3,}\s*$"                                 # separators such as ---------
    r"|(https?://|www\.)\S+\s*$"                        # a bare URL
    r"|[-*+]?\s*vllm (version|main)\s*:"               # vllm-ascend template footer
    r"|(closes|fixes|fix|resolves|resolve|related|refs?|part of|follow[- ]up( to| of)?|cherry[- ]pick(ed)?( of| from)?)\s*:?\s*(#\d+|https?://\S+|[\w.-]+/[\w.-]+#\d+)[\s.,]*(to \S+)?\s*$"  # noqa: E501
    r"|(please )?fill in the pr description here.*$"
    r"|(please (fill|provide|describe)|pr description|n/?a|none|no|yes|todo|tbd)\W*$"
    r"|\|.*\|\s*$"                                     # table rows
    r"|>\s*\[!(note|warning|tip|important)\]"
    r")",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^\s*([-*+•]|\d+[.)])\s+")
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u00ad]")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+(?=[^\s])|(?<=[。！？])")
_ABBREV = re.compile(r"\b(e\.g|i\.e|etc|vs|approx|cf|resp|incl)\.$", re.IGNORECASE)


def clean_description(body: str | None, max_sentences: int = 2, max_chars: int = 400) -> str:
    """The first ``max_sentences`` meaningful sentences of a PR body, at most ``max_chars`` long.

    Strips template headings and sections (test plan, checklists), HTML comments, code
    blocks, images, sign-offs, separators and bare URLs. Returns "" for None, non-text
    or an all-template body; never raises.
    """
    if not isinstance(body, str) or not body.strip() or max_sentences <= 0 or max_chars <= 0:
        return ""
    units = _text_units(_strip_markup(body))
    return _truncate(" ".join(_first_sentences(units, max_sentences)), max_chars)


def _strip_markup(body: str) -> str:
    """The body without HTML comments, code blocks, details, images, link targets and tags."""
    text = unicodedata.normalize("NFC", body).replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", text)
    text = _HTML_COMMENT.sub("", text)
    text = _FENCE.sub("", text)
    text = _DETAILS.sub("", text)
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    return _TAG.sub("", text)


def _text_units(text: str) -> list[str]:
    """Paragraphs and bullet items outside skipped sections (test plan, checklists); each becomes a sentence or more."""
    units: list[str] = []
    current: list[str] = []
    skipping = False

    def flush() -> None:
        if current:
            units.append(" ".join(current))
            current.clear()

    for line in text.split("\n"):
        heading = _HEADING.match(line)
        if heading:
            flush()
            title = heading.group(2) or heading.group(3) or ""
            skipping = bool(_SKIP_SECTION.search(title))
            continue
        if skipping:
            continue
        stripped = line.strip().lstrip(">").strip()
        if not stripped or _NOISE_LINE.match(stripped):
            flush()
            continue
        if _BULLET.match(stripped):
            flush()
            stripped = _BULLET.sub("", stripped)
            if stripped:
                current.append(stripped)
                flush()
            continue
        current.append(stripped)
    flush()
    return units


def _first_sentences(units: list[str], max_sentences: int) -> list[str]:
    """Up to ``max_sentences`` sentences from the units, each ending in punctuation."""
    sentences: list[str] = []
    for unit in units:
        unit = re.sub(r"\*\*|__", "", unit)
        unit = re.sub(r"\s+", " ", unit).strip(" -:")
        if len(re.sub(r"\W", "", unit)) < 3:  # punctuation or a stray word, not a sentence
            continue
        for sentence in _split_sentences(unit):
            if sentence[-1] not in ".!?。！？:;)":
                sentence += "."
            sentences.append(sentence)
            if len(sentences) >= max_sentences:
                return sentences
    return sentences


def _split_sentences(unit: str) -> list[str]:
    parts = [p.strip() for p in _SENTENCE_END.split(unit) if p and p.strip()]
    # glue back splits after abbreviations such as "e.g."
    out: list[str] = []
    for part in parts:
        if out and _ABBREV.search(out[-1]):
            out[-1] += " " + part
        else:
            out.append(part)
    return out


def _truncate(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1]
    space = cut.rfind(" ")
    if space > max_chars * 0.6:  # prefer a word boundary unless that loses too much
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"


# ---------------------------------------------------------------- highlight digests

_WHAT = re.compile(r"what (this|the) (pr|patch|change)|purpose|summary|description|overview|changes?|what\b|details?"
                   r"|proposal|solution", re.IGNORECASE)
_WHY = re.compile(r"motivation|why|background|problem|context|root cause|rationale", re.IGNORECASE)
_TESTED = re.compile(r"test(s|ing)?\s*(plan|result|results)|how (was|is) (this|the) (patch|pr|change) tested"
                     r"|verification", re.IGNORECASE)
_HISTORY = re.compile(
    r"^(this (pr|patch|change) (is|was) (inherited|based|split|extracted|ported|cherry[- ]picked|a follow[- ]?up|part)"
    r"|this (pr|patch) (continues|follows|supersedes|replaces)|follow[- ]?up (to|of|on)|following (up )?(on )?#"
    r"|as (discussed|mentioned|suggested|requested)"
    r"|(related|similar) to|continuation of|cherry[- ]pick|split (out )?(of|from)|same as|see #|part of|depends on|blocked by"
    r"|(co-)?authored|thanks|cc\b|@)",
    re.IGNORECASE,
)
# a sentence that only announces a list ("The following changes are included:")
_LEAD_IN = re.compile(r"^(the following|here (is|are)|this pr (includes|contains)( the following)?)\b|:$"
                      r"|\bfollowing[^.]*\.$", re.IGNORECASE)
_WHY_SENTENCE = re.compile(
    r"\b(so that|because|otherwise|in order to|to avoid|to prevent|which (cause[sd]?|led|leads|made|makes)|"
    r"this (causes|caused|fixes|improves|reduces|speeds)|improv\w+|reduc\w+|speed\w* up|faster|slower|crash\w*"
    r"|fail\w*|regress\w*)\b",
    re.IGNORECASE,
)
_FIXES = re.compile(r"\b(?:fix(?:es|ed)?|close[sd]?|resolve[sd]?)\s*:?\s+(?:[\w.-]+/[\w.-]+)?#(\d+)|"
                    r"\b(?:fix(?:es|ed)?|close[sd]?|resolve[sd]?)\s*:?\s+https?://\S+/issues/(\d+)", re.IGNORECASE)


def _sections(body: str) -> list[tuple[str, str]]:
    """(heading, text) pairs of a PR body; text before the first heading has heading ""."""
    out: list[tuple[str, list[str]]] = [("", [])]
    for line in _FENCE.sub("", _HTML_COMMENT.sub("", body.replace("\r\n", "\n"))).split("\n"):
        heading = _HEADING.match(line)
        if heading:
            out.append(((heading.group(2) or heading.group(3) or "").strip(), []))
        else:
            out[-1][1].append(line)
    return [(h, "\n".join(lines)) for h, lines in out]


def _sentences(text: str) -> list[str]:
    cleaned = clean_description(text, max_sentences=4, max_chars=2000)
    return [s for s in _split_sentences(cleaned) if not _HISTORY.match(s) and not _LEAD_IN.search(s)]


def digest(body: str | None, title: str | None = None) -> dict:
    """What a PR changes and why it matters, from the structure of its description.

    ``what``: the first sentence of the "what this PR does / purpose / summary" part (or of
    the untitled opening) that states the change rather than history ("This PR is inherited
    from ..."); ``why``: the first sentence of a motivation part, or a later sentence giving
    a reason or an effect. ``fixes`` lists issue numbers the PR closes, ``tested`` whether a
    test-plan section has content (None without any). Never raises.
    """
    out: dict = {"what": "", "why": "", "fixes": [], "tested": None}
    if not isinstance(body, str) or not body.strip():
        return out
    parts = _sections(unicodedata.normalize("NFC", _INVISIBLE.sub("", body)))
    what_parts = [t for h, t in parts if not h or (_WHAT.search(h) and not _WHY.search(h) and not _TESTED.search(h))]
    why_parts = [t for h, t in parts if h and _WHY.search(h) and not _TESTED.search(h)]
    what = [s for t in what_parts for s in _sentences(t)]
    why = [s for t in why_parts for s in _sentences(t)]
    if what:
        out["what"] = _truncate(what[0], 240)
    reasons = why or [s for s in what[1:3] if _WHY_SENTENCE.search(s)]
    if reasons and reasons[0] != out["what"]:
        out["why"] = _truncate(reasons[0], 240)
    if not out["what"] and why:
        out["what"], out["why"] = _truncate(why[0], 240), (_truncate(why[1], 240) if len(why) > 1 else "")
    out["fixes"] = sorted({int(a or b) for a, b in _FIXES.findall(body)})[:5]
    tests = [t for h, t in parts if h and _TESTED.search(h)]
    if tests:
        out["tested"] = any(len(re.sub(r"\W", "", _HTML_COMMENT.sub("", t))) > 20 for t in tests)
    return out
