"""Merged pull requests read from a local JSONL file (the bundled sample, or benchmark data).

The format is the one of ``/work/shared/data/pulls`` (one PR object per line, plain or
gzip-compressed) plus optional ``labels``, ``review_count``, ``comment_count``,
``author_association`` and ``review_comments`` fields, which ``data/sample/README.md`` describes.

A backfill reads the file once for its whole range; the parsed file is also cached in-process,
keyed by (path, mtime, size): an edited or regenerated file is parsed again.
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import json
import zlib
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from report_pipeline import schema
from report_pipeline.weeks import WeekWindow

__all__ = [
    "SampleSourceError", "check_sample_covers", "read_sample_range", "read_sample_week", "read_sample_reviews",
    "sample_weeks",
]

_GZIP_MAGIC = b"\x1f\x8b"
_FILE_KEYS = ("path", "previous_path", "additions", "deletions", "change_type")


class SampleSourceError(ValueError):
    """The sample file is missing or malformed; the message names the path and line."""


class _Parsed:
    """One parsed file: RAW_SCHEMA columns (object dtype) plus a UTC merge-time column."""

    def __init__(self, frame: pd.DataFrame, merged: pd.Series, repos: pd.Series, reviews: dict):
        self.frame = frame
        self.merged = merged
        self.repos = repos.astype(str).str.lower()  # GitHub names are case-insensitive
        self.reviews = reviews  # (repo, number) -> list of review dicts


def _open_lines(path: Path):
    # sniff the magic bytes instead of trusting the suffix: a renamed .gz still reads
    with open(path, "rb") as fh:
        gzipped = fh.read(2) == _GZIP_MAGIC
    return gzip.open(path, "rb") if gzipped else open(path, "rb")


def _timestamp(value, field: str, where: str, required: bool) -> dt.datetime | None:
    if value is None:
        if required:
            raise SampleSourceError(f"{where}: field {field!r} is missing")
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise SampleSourceError(f"{where}: field {field!r} is not an ISO 8601 timestamp: {value!r}") from exc
    if moment.tzinfo is None:
        # a naive time would silently shift by the reader's local zone
        raise SampleSourceError(f"{where}: field {field!r} has no UTC offset: {value!r}")
    return moment.astimezone(dt.timezone.utc)


def _labels(value, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise SampleSourceError(f"{where}: field 'labels' is not a list")
    # GitHub's REST shape ({"name": ...}) is accepted as well as plain names
    return [v["name"] if isinstance(v, dict) else str(v) for v in value]


def _files(value, where: str) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(f, dict) for f in value):
        raise SampleSourceError(f"{where}: field 'files' is not a list of objects")
    return [{k: f.get(k) for k in _FILE_KEYS} for f in value]


def _row(obj: dict, where: str) -> dict:
    for key in ("repo", "number", "merged_at"):
        if obj.get(key) is None:
            raise SampleSourceError(f"{where}: field {key!r} is missing")
    if not isinstance(obj["number"], int) or isinstance(obj["number"], bool):
        raise SampleSourceError(f"{where}: field 'number' is not an integer: {obj['number']!r}")
    return {
        "repo": obj["repo"],
        "number": obj["number"],
        "title": obj.get("title"),
        "body": obj.get("body"),
        "url": obj.get("url"),
        "author": obj.get("author_login") or obj.get("author_name"),
        "author_association": obj.get("author_association"),
        "created_at": _timestamp(obj.get("created_at"), "created_at", where, required=False),
        "merged_at": _timestamp(obj["merged_at"], "merged_at", where, required=True),
        "labels": _labels(obj.get("labels"), where),
        "additions": obj.get("additions"),
        "deletions": obj.get("deletions"),
        "changed_files": obj.get("changed_files"),
        "files": _files(obj.get("files"), where),
        "review_count": obj.get("review_count"),
        "comment_count": obj.get("comment_count"),
        "base_ref": obj.get("base_ref"),
        "merge_commit_sha": obj.get("merge_commit_sha"),
        "source": "sample",
        **_flow_fields(obj, where),
    }


def _flow_fields(obj: dict, where: str) -> dict:
    """Review and readiness facts (issue 11), as far as the file has them; null otherwise.

    ``reviews`` ([{author, author_type, state, submitted_at}]) and ``ready_at`` are used when
    present. Without them: a GitHub-shaped record (one carrying ``review_count``) has no drafts,
    so ready = creation, and its ``review_comments`` are the reviews it knows (no verdicts).
    Git-reconstructed data (no ``review_count``: ``created_at`` is a commit date) stays unknown.
    """
    created = _timestamp(obj.get("created_at"), "created_at", where, required=False)
    ready = _timestamp(obj.get("ready_at"), "ready_at", where, required=False)
    github_shaped = obj.get("review_count") is not None
    if ready is None and github_shaped:
        ready = created
    reviews, coverage = None, None
    if isinstance(obj.get("reviews"), list):
        reviews, coverage = [
            {"author": r.get("author"), "author_type": r.get("author_type"), "state": r.get("state"),
             "submitted_at": _timestamp(r.get("submitted_at"), "reviews.submitted_at", where, required=False)}
            for r in obj["reviews"] if isinstance(r, dict)
        ], "all"
    elif isinstance(obj.get("review_comments"), list) and github_shaped:
        reviews, coverage = [
            {"author": c.get("author"), "author_type": None, "state": None,
             "submitted_at": _timestamp(c.get("created_at"), "review_comments.created_at", where, required=False)}
            for c in obj["review_comments"] if isinstance(c, dict)
        ], "comments"
    return {"author_type": obj.get("author_type"), "ready_at": ready, "reviews": reviews, "reviews_coverage": coverage}


def _reviews(obj: dict, where: str) -> list[dict]:
    comments = obj.get("review_comments") or []
    if not isinstance(comments, list) or not all(isinstance(c, dict) for c in comments):
        raise SampleSourceError(f"{where}: field 'review_comments' is not a list of objects")
    return [
        {
            "number": obj["number"],
            "author": c.get("author"),
            "path": c.get("path"),
            "body": c.get("body"),
            "created_at": _timestamp(c.get("created_at"), "review_comments.created_at", where, required=False),
        }
        for c in comments
    ]


@functools.lru_cache(maxsize=8)
def _parse(path_str: str, mtime_ns: int, size: int) -> _Parsed:
    # mtime_ns and size are only part of the cache key: a rewritten file misses the cache
    path = Path(path_str)
    rows: list[dict] = []
    reviews: dict[tuple[str, int], list[dict]] = {}
    lineno = 0
    try:
        with _open_lines(path) as fh:
            for lineno, raw in enumerate(fh, start=1):
                where = f"{path}: line {lineno}"
                try:
                    text = raw.decode("utf-8").strip()
                except UnicodeDecodeError as exc:
                    raise SampleSourceError(f"{where}: not UTF-8: {exc}") from exc
                if not text:
                    continue
                try:
                    obj = json.loads(text)
                except json.JSONDecodeError as exc:
                    raise SampleSourceError(f"{where}: malformed JSON: {exc.msg} (column {exc.colno})") from exc
                if not isinstance(obj, dict):
                    raise SampleSourceError(f"{where}: expected a JSON object, got {type(obj).__name__}")
                row = _row(obj, where)
                rows.append(row)
                found = _reviews(obj, where)
                if found:
                    reviews[(str(row["repo"]).lower(), row["number"])] = found
    except (OSError, EOFError, zlib.error) as exc:
        # a truncated or corrupt .gz surfaces here, after ``lineno`` good lines
        raise SampleSourceError(f"{path}: unreadable after line {lineno}: {exc}") from exc
    frame = pd.DataFrame({name: pd.Series([r[name] for r in rows], dtype=object) for name in schema.RAW_SCHEMA.names})
    merged = pd.Series(pd.to_datetime([r["merged_at"] for r in rows], utc=True), dtype="datetime64[us, UTC]")
    return _Parsed(frame, merged, frame["repo"], reviews)


def _load(path: Path) -> _Parsed:
    path = Path(path)
    try:
        stat = path.stat()
    except FileNotFoundError as exc:
        raise SampleSourceError(f"{path}: sample file not found") from exc
    except OSError as exc:
        raise SampleSourceError(f"{path}: cannot stat: {exc}") from exc
    if not path.is_file():
        raise SampleSourceError(f"{path}: not a file")
    return _parse(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


def check_sample_covers(parsed: _Parsed, path: Path, repo: str, window: WeekWindow,
                        *, allow_quiet: bool = False) -> None:
    """Fail when the file holds no PR of ``repo`` or its last merge is before the week's start.

    A truncated or outdated file would otherwise produce a confident "no PRs" report.
    """
    merged = parsed.merged[(parsed.repos == repo.lower()).to_numpy()]
    if not len(merged):
        others = sorted(set(parsed.frame["repo"].dropna().astype(str)))[:5]
        raise SampleSourceError(
            f"{path}: holds no pull request of {repo}"
            + (f" (it holds {', '.join(others)})" if others else " (it is empty)")
        )
    last = merged.max()
    if last < pd.Timestamp(window.start) and not allow_quiet:
        raise SampleSourceError(
            f"{path}: the data of {repo} ends at its last merge {last.isoformat()}, before week "
            f"{window.key} ({window.start.isoformat()} to {window.end.isoformat()}): the file is "
            "truncated or out of date, so the week cannot be reported. Regenerate or re-export it; "
            "if the repository really had no merges since, set allow_quiet = true on this repository."
        )


def read_sample_week(path: Path, repo: str, window: WeekWindow, *, allow_quiet: bool = False) -> pd.DataFrame:
    """PRs of ``repo`` merged in ``[window.start, window.end)``, as RAW_SCHEMA rows.

    ``path`` is a ``.jsonl`` or ``.jsonl.gz`` file; lines of other repositories are ignored.
    Raises :class:`SampleSourceError` for a missing file, a malformed line, or a file whose
    data of ``repo`` ends before the week (unless ``allow_quiet``).
    """
    return read_sample_range(path, repo, [window], allow_quiet=allow_quiet)[window.key]


def read_sample_range(path: Path, repo: str, windows: Sequence[WeekWindow], *, allow_quiet: bool = False
                      ) -> dict[str, pd.DataFrame]:
    """:func:`read_sample_week` for every window, keyed by week: the repository's rows are
    selected and sorted once, then cut at the week boundaries."""
    parsed = _load(path)
    # the latest week is the one the coverage check can fail for: it holds for the earlier ones then
    check_sample_covers(parsed, Path(path), repo, max(windows, key=lambda w: w.start), allow_quiet=allow_quiet)
    mine = (parsed.repos == repo.lower()).to_numpy()
    merged = parsed.merged[mine].reset_index(drop=True)
    order = merged.argsort(kind="stable").to_numpy()
    rows = parsed.frame.loc[mine].iloc[order].reset_index(drop=True)
    times = merged.iloc[order].reset_index(drop=True)
    bounds = {
        window.key: (times.searchsorted(pd.Timestamp(window.start).tz_convert("UTC"), side="left"),
                     times.searchsorted(pd.Timestamp(window.end).tz_convert("UTC"), side="left"))
        for window in windows
    }
    first, last = min(lo for lo, _ in bounds.values()), max(hi for _, hi in bounds.values())
    # normalize() builds fresh Arrow arrays, so callers never share the cached objects; once
    # for the span of all windows, each week then being its slice (per week, the round
    # trip's fixed cost was most of a long range's reading)
    span = schema.normalize(rows.iloc[first:last].reset_index(drop=True), schema.RAW_SCHEMA)
    return {key: span.iloc[lo - first:hi - first].reset_index(drop=True) for key, (lo, hi) in bounds.items()}


def read_sample_reviews(path: Path, repo: str, numbers: Sequence[int]) -> pd.DataFrame:
    """Review comments (REVIEWS_SCHEMA rows) of the PRs ``numbers`` of ``repo``; empty when none."""
    parsed = _load(path)
    rows = [dict(r) for n in dict.fromkeys(int(n) for n in numbers) for r in parsed.reviews.get((repo.lower(), n), [])]
    frame = pd.DataFrame({name: pd.Series([r[name] for r in rows], dtype=object) for name in schema.REVIEWS_SCHEMA.names})
    return schema.normalize(frame, schema.REVIEWS_SCHEMA)


def sample_weeks(path: Path, timezone: str = "UTC") -> dict[str, list[str]]:
    """The weeks (Monday keys in ``timezone``) holding merges, per repository named in the file."""
    from report_pipeline.weeks import week_of

    parsed = _load(path)
    out: dict[str, set[str]] = {}
    for repo, merged in zip(parsed.frame["repo"], parsed.merged):
        out.setdefault(str(repo), set()).add(week_of(merged.to_pydatetime(), timezone))
    return {repo: sorted(weeks) for repo, weeks in sorted(out.items())}
