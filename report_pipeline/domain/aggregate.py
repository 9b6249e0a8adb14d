"""Weekly figures as one tidy table: counts per dimension, hot files, authors, trends.

``aggregate_week`` takes the enriched PRs of the week and of earlier weeks (where they
exist) and returns a long-format frame, one row per figure, so that the report, the JSON
and the Dagster UI all read the same numbers.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping

import pandas as pd
import pyarrow as pa

from report_pipeline.domain.flow import flow_rows
from report_pipeline.domain.memo import per_frame
from report_pipeline.domain.stories import story_rows
from report_pipeline.schema import RISKS

AGGREGATES_SCHEMA = pa.schema(
    [
        # summary | kind | tag | module | risk | hot_file | author | bot | trend | theme | event | follow_up
        # | flow | flow_reviewer | flow_first_time | flow_revert | flow_module (domain/flow.py)
        pa.field("section", pa.string()),
        pa.field("key", pa.string()),
        pa.field("week", pa.string()),  # the week the figure describes (trend rows: an earlier week)
        pa.field("value", pa.float64()),
        pa.field("share", pa.float64()),
        pa.field("previous_value", pa.float64()),
        pa.field("previous_share", pa.float64()),
        pa.field("trailing_value", pa.float64()),
        pa.field("trailing_share", pa.float64()),
        pa.field("prs", pa.list_(pa.int64())),
        pa.field("additions", pa.int64()),
        pa.field("deletions", pa.int64()),
        pa.field("first_time", pa.bool_()),
        # theme | event | follow_up rows (domain/stories.py): the rest of the story as a JSON object
        pa.field("detail", pa.string()),
    ]
)

DIMENSIONS = {"kind": "kind", "tag": "tags", "module": "modules", "risk": "risks"}
SUMMARY_KEYS = (
    "pr_count",
    "highlight_count",
    "mean_score",
    "additions",
    "deletions",
    "changed_files",
    "author_count",
    "first_time_author_count",
    "bot_pr_count",  # PRs by bots (enrich.is_bot_author): counted apart, never contributors
    "unknown_author_pr_count",  # PRs without a known author (deleted account "ghost", no login): no person
)
FIRST_TIME = {"FIRST_TIME_CONTRIBUTOR", "FIRST_TIMER"}
TRAILING_WEEKS = 4
HOT_FILES = 10


def aggregate_week(
    week: str,
    current: pd.DataFrame,
    history: Mapping[str, pd.DataFrame] | None = None,
    trend_weeks: int = 12,
    flow_counts: Mapping[str, Mapping] | None = None,
) -> pd.DataFrame:
    """The tidy figures of ``week`` from its enriched PRs ``current``.

    ``history`` maps earlier week keys (``YYYY-MM-DD``) to their enriched PRs; weeks that
    were never built are simply absent. The previous week is the one 7 days before
    ``week``; the trailing baseline is the mean of the up to 4 weeks before it that exist.
    ``flow_counts`` maps week keys to the source's opened / closed / open-queue counts.
    """
    history = dict(history or {})
    history.pop(week, None)
    trailing_keys = [k for k in (_shift(week, -i) for i in range(1, TRAILING_WEEKS + 1)) if k in history]

    rows = _summary_rows(week, current, history, trailing_keys)
    rows.extend(_dimension_rows(week, current, history, trailing_keys))
    rows.extend(hot_files(current, week))
    rows.extend(_authors(current, week))
    rows.extend(story_rows(week, current, history))
    themes = {r["key"]: r["prs"] for r in rows if r["section"] == "theme"}
    rows.extend(flow_rows(week, current, history, flow_counts, TRAILING_WEEKS, themes))
    rows.extend(_trend_rows(week, current, history, trend_weeks))
    return pd.DataFrame(rows, columns=AGGREGATES_SCHEMA.names)


def _summary_rows(week: str, current: pd.DataFrame, history: dict[str, pd.DataFrame],
                  trailing_keys: list[str]) -> list[dict]:
    """Headline figures with last week's value and the trailing mean."""
    previous = history.get(_shift(week, -1))
    now = _summary_of(current)
    prev = _summary_of(previous) if previous is not None else None
    trail = [_summary_of(history[k]) for k in trailing_keys]
    return [
        _row("summary", key, week, now[key],
             previous_value=None if prev is None else prev[key],
             trailing_value=_mean([t[key] for t in trail]))
        for key in SUMMARY_KEYS
    ]


def _dimension_rows(week: str, current: pd.DataFrame, history: dict[str, pd.DataFrame],
                    trailing_keys: list[str]) -> list[dict]:
    """Counts and shares per kind, tag, module and risk, beside last week and the trailing weeks."""
    previous = history.get(_shift(week, -1))
    rows: list[dict] = []
    for section, column in DIMENSIONS.items():
        counts, prs = _counts(current, column)
        prev_counts = _counts(previous, column)[0] if previous is not None else None
        trail_counts = [_counts(history[k], column)[0] for k in trailing_keys]
        trail_total = sum(len(history[k]) for k in trailing_keys)
        n = len(current)
        prev_n = len(previous) if previous is not None else 0
        keys = set(counts)
        # keys that vanished this week still matter for "fell from X%"
        if prev_counts:
            keys |= set(prev_counts)
        if section == "risk":
            keys |= set(RISKS) if n else set()
        for key in sorted(keys):
            value = counts.get(key, 0)
            trailing_count = sum(c.get(key, 0) for c in trail_counts)
            rows.append(
                _row(
                    section, key, week, value,
                    share=_share(value, n),
                    previous_value=None if prev_counts is None else prev_counts.get(key, 0),
                    previous_share=None if prev_counts is None else _share(prev_counts.get(key, 0), prev_n),
                    trailing_value=trailing_count / len(trail_counts) if trail_counts else None,
                    trailing_share=_share(trailing_count, trail_total) if trail_counts else None,
                    prs=prs.get(key, []),
                )
            )
    return rows


def _trend_rows(week: str, current: pd.DataFrame, history: dict[str, pd.DataFrame], trend_weeks: int) -> list[dict]:
    """PR, highlight, risk and kind counts of each week in the trend window that was built."""
    rows: list[dict] = []
    trend_keys = [k for k in sorted(history) if k >= _shift(week, -(trend_weeks - 1))] + [week]
    for key in trend_keys:
        frame = current if key == week else history[key]
        figures = _summary_of(frame)
        for name in ("pr_count", "highlight_count", "mean_score"):
            rows.append(_row("trend", name, key, figures[name]))
        risk_counts = _counts(frame, "risks")[0]
        for risk in RISKS:
            rows.append(_row("trend", f"risk:{risk}", key, risk_counts.get(risk, 0)))
        kind_counts = _counts(frame, "kind")[0]
        for kind, count in kind_counts.items():
            rows.append(_row("trend", f"kind:{kind}", key, count))
    return rows


def summary_figures(df: pd.DataFrame | None) -> dict[str, float | None]:
    """Headline figures of one week's enriched PRs."""
    if df is None or len(df) == 0:
        return {k: 0 for k in SUMMARY_KEYS} | {"mean_score": None, "first_time_author_count": None}
    people = author_kinds(df)
    authors = df["author"].fillna("").astype(str)
    assoc = df["author_association"] if "author_association" in df else pd.Series([None] * len(df))
    known = assoc.notna().any()
    first_time = {a for a, s, who in zip(authors, assoc, people) if s in FIRST_TIME and who == "person"}
    paths = set()
    for files in df["files"]:
        for f in files or ():
            paths.add(f["path"])
    return {
        "pr_count": len(df),
        "highlight_count": int(df["highlight"].sum()),
        "mean_score": round(float(df["score"].mean()), 2),
        "additions": int(df["additions"].fillna(0).sum()),
        "deletions": int(df["deletions"].fillna(0).sum()),
        "changed_files": len(paths),
        "author_count": len({a for a, who in zip(authors, people) if who == "person"}),
        "first_time_author_count": len(first_time) if known else None,
        "bot_pr_count": people.count("bot"),
        "unknown_author_pr_count": people.count("unknown"),
    }


#: ``summary_figures`` once per week's frame: a backfill's next 12 weeks read it again
_summary_of = per_frame(summary_figures)


# GitHub shows a deleted account as "ghost"; many PRs by it are not one person's work
_UNKNOWN_AUTHORS = frozenset({"", "ghost", "unknown", "none", "null"})


def author_kinds(df: pd.DataFrame) -> list[str]:
    """Per PR: ``"bot"`` (the enriched ``is_bot`` flag, or a ``[bot]`` login), ``"unknown"`` or ``"person"``."""
    flags = df["is_bot"].tolist() if "is_bot" in df else [None] * len(df)
    out = []
    for author, flag in zip(df["author"], flags):
        name = author.strip() if isinstance(author, str) else ""
        if flag is True or (flag is None and name.lower().endswith("[bot]")):
            out.append("bot")
        elif name.lower() in _UNKNOWN_AUTHORS:
            out.append("unknown")
        else:
            out.append("person")
    return out


def hot_files(df: pd.DataFrame, week: str, limit: int = HOT_FILES) -> list[dict]:
    """The most often changed paths of the week with the PRs behind them.

    Paths changed by one PR only are listed after those changed by several, and only when
    there is room, so that a single huge PR cannot crowd out the truly hot files.
    """
    prs: dict[str, list[int]] = defaultdict(list)
    adds: Counter = Counter()
    dels: Counter = Counter()
    for number, files in zip(df["number"], df["files"]):
        for f in files or ():
            path = f["path"]
            if not prs[path] or prs[path][-1] != number:
                prs[path].append(int(number))
            adds[path] += int(f.get("additions") or 0)
            dels[path] += int(f.get("deletions") or 0)
    ranked = sorted(prs, key=lambda p: (-len(prs[p]), -(adds[p] + dels[p]), p))[:limit]
    return [
        _row("hot_file", p, week, len(prs[p]), prs=sorted(prs[p]), additions=adds[p], deletions=dels[p])
        for p in ranked
    ]


def _authors(df: pd.DataFrame, week: str) -> list[dict]:
    """``author`` rows for people (most PRs first), then ``bot`` rows: bots are never contributors."""
    prs: dict[str, list[int]] = defaultdict(list)
    bots: dict[str, list[int]] = defaultdict(list)
    first: dict[str, bool | None] = {}
    assoc = df["author_association"] if "author_association" in df else [None] * len(df)
    for number, author, association, who in zip(df["number"], df["author"], assoc, author_kinds(df)):
        if who == "bot":
            bots[author.strip()].append(int(number))
        if who != "person":  # unknown authors are not one person called "ghost"
            continue
        name = author.strip()
        prs[name].append(int(number))
        if association is None or (isinstance(association, float) and math.isnan(association)):
            first.setdefault(name, None)
        else:
            first[name] = bool(first.get(name)) or association in FIRST_TIME
    ranked = sorted(prs, key=lambda a: (-len(prs[a]), a.lower()))
    rows = [_row("author", a, week, len(prs[a]), prs=sorted(prs[a]), first_time=first.get(a)) for a in ranked]
    return rows + [_row("bot", b, week, len(bots[b]), prs=sorted(bots[b]))
                   for b in sorted(bots, key=lambda b: (-len(bots[b]), b.lower()))]


@per_frame  # the trend and the trailing figures count the same earlier weeks again each week
def _counts(df: pd.DataFrame | None, column: str) -> tuple[Counter, dict[str, list[int]]]:
    """PRs per value of ``column`` (a PR once per value) and their numbers; shared: read only."""
    counts: Counter = Counter()
    prs: dict[str, list[int]] = defaultdict(list)
    if df is None or len(df) == 0:
        return counts, prs
    for number, value in zip(df["number"], df[column]):
        values = [value] if isinstance(value, str) else list(value if value is not None else ())
        for v in dict.fromkeys(values):  # a PR counts once per key
            if v:
                counts[v] += 1
                prs[v].append(int(number))
    return counts, dict(prs)


def _row(section, key, week, value, *, share=None, previous_value=None, previous_share=None,
         trailing_value=None, trailing_share=None, prs=(), additions=None, deletions=None, first_time=None) -> dict:
    return {
        "section": section, "key": key, "week": week,
        "value": None if value is None else float(value),
        "share": share, "previous_value": None if previous_value is None else float(previous_value),
        "previous_share": previous_share, "trailing_value": trailing_value, "trailing_share": trailing_share,
        "prs": list(prs), "additions": additions, "deletions": deletions, "first_time": first_time,
        "detail": None,
    }


def _share(count: float, total: float) -> float | None:
    return round(count / total, 4) if total else None


def _mean(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return round(sum(values) / len(values), 2) if values else None


def _shift(week: str, weeks: int) -> str:
    import datetime as dt

    return (dt.date.fromisoformat(week) + dt.timedelta(weeks=weeks)).isoformat()
