"""Reverts and what they revert: one function shared by the flow figures and the week's events.

GitHub's "Revert" button writes the title ``Revert "<original title>"`` and the body
``Reverts owner/repo#123``; ``git revert`` writes ``This reverts commit <sha>.``. Both are
recognised; the target is then looked up among known PRs by number, merge commit or title.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

_TITLE_RE = re.compile(r'^\s*(?:\[revert\]\s*|revert\b[:\s]*)(?:"(?P<quoted>.+)"|(?P<plain>.+))?\s*$', re.I)
_REVERTS_PR_RE = re.compile(r"\breverts?\s+(?:[\w.-]+/[\w.-]+)?#(?P<number>\d+)", re.I)
_REVERTS_SHA_RE = re.compile(r"\bthis reverts commit (?P<sha>[0-9a-f]{7,40})", re.I)


@dataclass(frozen=True)
class RevertRef:
    """What a revert PR names as its target (any of the three may be missing)."""

    number: int | None = None
    sha: str | None = None
    title: str | None = None


def revert_reference(title: str | None, body: str | None) -> RevertRef | None:
    """The target a PR says it reverts, or ``None`` when the PR is not a revert."""
    title = title if isinstance(title, str) else ""
    body = body if isinstance(body, str) else ""
    m = _TITLE_RE.match(title)
    pr = _REVERTS_PR_RE.search(body)
    sha = _REVERTS_SHA_RE.search(body)
    if not m and not pr and not sha:
        return None
    original = None
    if m:
        original = (m.group("quoted") or m.group("plain") or "").strip() or None
    return RevertRef(
        number=int(pr.group("number")) if pr else None,
        sha=sha.group("sha").lower() if sha else None,
        title=original,
    )


def link_reverts(prs: pd.DataFrame, known: Iterable[pd.DataFrame] = ()) -> list[dict]:
    """Every revert among ``prs`` with the PR it reverts, looked up in ``prs`` and ``known``.

    Returns ``[{"number", "reverts", "reverts_sha", "reverts_title"}]``; ``reverts`` is the
    reverted PR's number when it is named or found (by merge commit or exact title), else None.
    """
    frames = [f for f in (prs, *known) if f is not None and len(f)]
    by_sha: dict[str, int] = {}
    by_title: dict[str, int] = {}
    for frame in frames:
        shas = frame["merge_commit_sha"] if "merge_commit_sha" in frame else [None] * len(frame)
        for number, sha, title in zip(frame["number"], shas, frame["title"]):
            if isinstance(sha, str) and sha:
                by_sha[sha.lower()] = int(number)
            if isinstance(title, str) and title:
                by_title.setdefault(title.strip(), int(number))
    out = []
    if prs is None or not len(prs):
        return out
    for number, title, body in zip(prs["number"], prs["title"], prs["body"]):
        ref = revert_reference(title, body)
        if ref is None:
            continue
        target = ref.number
        if target is None and ref.sha:
            target = next((n for s, n in by_sha.items() if s.startswith(ref.sha)), None)
        if target is None and ref.title:
            target = by_title.get(ref.title)
        if target == int(number):
            target = None  # a PR cannot revert itself; a title lookup can hit its own title
        out.append({"number": int(number), "reverts": target, "reverts_sha": ref.sha, "reverts_title": ref.title})
    return out
