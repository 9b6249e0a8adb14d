"""Data-quality findings over a week's rows: each function returns readable problems, empty when sound.

The Dagster layer turns them into asset check results; the ones that mean a report would be
wrong block publishing it (docs in README, "Checks").
"""

from __future__ import annotations

import pandas as pd

from report_pipeline.weeks import WeekWindow

HEADLINE_FIGURES = ("pr_count", "highlight_count", "additions", "deletions")


def duplicate_numbers(frame: pd.DataFrame) -> list[str]:
    """PR numbers that occur more than once in the week."""
    counts = frame["number"].value_counts()
    return [f"PR #{int(n)} appears {int(c)} times" for n, c in sorted(counts[counts > 1].items())]


def merged_outside(frame: pd.DataFrame, window: WeekWindow) -> list[str]:
    """PRs whose merge time lies outside ``window`` (e.g. rows built for another timezone)."""
    merged = pd.to_datetime(frame["merged_at"], utc=True)
    start, end = pd.Timestamp(window.start), pd.Timestamp(window.end)
    mask = (merged < start) | (merged >= end)
    return [
        f"PR #{int(n)} merged {t.isoformat()}, outside {window.start.isoformat()} .. {window.end.isoformat()}"
        for n, t in zip(frame["number"][mask], merged[mask])
    ]


def scores_out_of_range(frame: pd.DataFrame) -> list[str]:
    """PRs without a score in [0, 10]."""
    scores = frame["score"]
    bad = scores.isna() | (scores < 0) | (scores > 10)
    return [f"PR #{int(n)} has score {s}" for n, s in zip(frame["number"][bad], scores[bad])]


def highlight_count_mismatch(frame: pd.DataFrame, expected: int) -> list[str]:
    """The week's highlight count when it exceeds the configured ``expected`` count.

    Fewer is sound: only PRs that earn a highlight get one, so a quiet week has fewer.
    """
    found = int(frame["highlight"].sum()) if len(frame) else 0
    return [] if found <= expected else [f"{found} highlights, at most {expected} expected"]


def summary_values(aggregates: pd.DataFrame, week: str) -> dict[str, float]:
    """The headline figures of ``week`` from its tidy aggregates table."""
    rows = aggregates[(aggregates["section"] == "summary") & (aggregates["week"] == week)]
    return {str(k): v for k, v in rows.set_index("key")["value"].items()}


def aggregates_vs_rows(aggregates: pd.DataFrame, enriched: pd.DataFrame, week: str) -> list[str]:
    """Headline figures of the aggregates that differ from the enriched rows they claim to count."""
    summary = summary_values(aggregates, week)
    actual = {
        "pr_count": len(enriched),
        "highlight_count": int(enriched["highlight"].sum()) if len(enriched) else 0,
        "additions": int(enriched["additions"].sum()) if len(enriched) else 0,
        "deletions": int(enriched["deletions"].sum()) if len(enriched) else 0,
    }
    return [
        f"aggregates say {name} = {_int(summary.get(name))}, the week's PRs give {actual[name]}"
        for name in HEADLINE_FIGURES
        if _int(summary.get(name)) != actual[name]
    ]


def report_vs_aggregates(model: dict, aggregates: pd.DataFrame) -> list[str]:
    """Headline figures of a report model that differ from the aggregates or from the PRs it lists."""
    summary = summary_values(aggregates, model["week"]["key"])
    figures = model["summary"]
    problems = [
        f"report says {name} = {figures.get(name)}, aggregates say {_int(summary.get(name))}"
        for name in HEADLINE_FIGURES
        if figures.get(name) != _int(summary.get(name))
    ]
    listed = {
        "pr_count": len(model["pull_requests"]),
        "highlight_count": len(model["highlights"]),
    }
    problems += [
        f"report says {name} = {figures.get(name)} but lists {count}"
        for name, count in listed.items()
        if figures.get(name) != count
    ]
    return problems


def _int(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)
