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
    text = unicodedata.normalize("NFC", body).replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", text)
    text = _HTML_COMMENT.sub("", text)
    text = _FENCE.sub("", text)
    text = _DETAILS.sub("", text)
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _TAG.sub("", text)

    units: list[str] = []  # paragraphs and bullet items, each becomes at least one sentence
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
        if not stripped:
            flush()
            continue
        if _NOISE_LINE.match(stripped):
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
                break
        if len(sentences) >= max_sentences:
            break
    return _truncate(" ".join(sentences), max_chars)


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
