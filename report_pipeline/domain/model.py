"""The report model: the JSON report's object, built from the week's aggregates.

Every template renders from this one dict, so every figure in the text is a figure of
``weekly_aggregates``. The schema is documented in ``docs/report-json.md``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionDtype
from pandas.core.dtypes.cast import maybe_box_native

from report_pipeline.domain import flow, stories
from report_pipeline.domain.order import pandas_order
from report_pipeline.domain.text import digest
from report_pipeline.weeks import WeekWindow

SCHEMA_VERSION = "1.1"
# a share must move this much (and the count by MIN_MOVE_COUNT) to be called a movement
MOVE_SHARE = 0.08
MOVE_COUNT = 3
MAX_MOVEMENTS = 6
# suggestions that name PRs keep the list short enough to act on
SUGGESTION_PRS = 8
# modules that support the code rather than being part of it: listed, but never a "theme"
AUXILIARY_MODULES = frozenset(
    {"tests", "docs", "ci/build", "ci", "build", "dependencies", "benchmarks", "examples", "tools", "scripts"}
)


def build_report_model(
    repository: str,
    window: WeekWindow,
    aggregates: pd.DataFrame,
    enriched: pd.DataFrame,
    reviews: pd.DataFrame | None = None,
    source: str = "sample",
    generated_at: dt.datetime | None = None,
    web_url: str = "https://github.com",
) -> dict:
    """The report model of one week (see ``docs/report-json.md``)."""
    generated_at = generated_at or dt.datetime.now(dt.timezone.utc)
    agg = aggregates[aggregates["week"] == window.key] if len(aggregates) else aggregates
    trend_rows = aggregates[aggregates["section"] == "trend"] if len(aggregates) else aggregates
    sections = _sections(agg)
    summary = _summary(window, sections["summary"], trend_rows)
    dims = {name: _dimension(sections[section], section) for name, section in
            (("kinds", "kind"), ("tags", "tag"), ("modules", "module"), ("risks", "risk"))}
    highlights = _highlights(enriched, reviews, repository, web_url)
    pull_requests = _pull_requests(enriched, repository, web_url)
    by_pr = {p["number"]: p for p in pull_requests}
    themes = _themes(agg, by_pr)
    events = stories.model_events(_rows(agg, "event"), by_pr)
    follow_ups = stories.model_follow_ups(_rows(agg, "follow_up"))

    return {
        "schema_version": SCHEMA_VERSION,
        "repository": repository,
        "repository_url": f"{web_url}/{repository}",
        "source": source,
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "week": {
            "key": window.key,
            "iso": window.iso_label,
            "start": window.start.date().isoformat(),
            "end": window.last_day.isoformat(),
            "timezone": window.timezone,
            "start_at": window.start.isoformat(),
            "end_at": window.end.isoformat(),
        },
        "summary": summary,
        **dims,
        "hot_files": [
            {"path": key, "pr_count": int(row["value"]), "additions": _int(row["additions"]),
             "deletions": _int(row["deletions"]), "prs": _ints(row["prs"])}
            for key, row in sections["hot_file"].items()
        ],
        "authors": [
            {"author": key, "count": int(row["value"]),
             "first_time": None if not _present(row["first_time"]) else bool(row["first_time"]),
             "prs": _ints(row["prs"])}
            for key, row in sections["author"].items()
        ],
        "movements": movements(dims),
        "trend": _trend(trend_rows),
        "themes": themes,
        "events": events,
        "follow_ups": follow_ups,
        "flow": flow.model_flow(agg),
        "highlights": [h | {"theme": by_pr.get(h["number"], {}).get("theme")} for h in highlights],
        # story-tied actions first, then the risk-derived ones for PRs they do not already name
        "suggestions": _merge_suggestions(stories.story_suggestions(themes, events, follow_ups, by_pr),
                                          suggestions(enriched, dims)),
        "pull_requests": pull_requests,
    }


def _summary(window: WeekWindow, summary_rows: dict[str, dict], trend_rows: pd.DataFrame) -> dict:
    """Headline figures with last week's and the trailing weeks' values where they exist."""
    summary = {key: _num(row["value"]) for key, row in summary_rows.items()}
    if summary.get("mean_score") is not None:
        summary["mean_score"] = round(float(summary["mean_score"]), 2)  # always a float in the JSON
    has_previous = any(_present(row["previous_value"]) for row in summary_rows.values())
    summary["previous"] = (
        {"week": window.previous().key}
        | {k: _num(row["previous_value"]) for k, row in summary_rows.items() if k != "first_time_author_count"}
        if has_previous
        else None
    )
    has_trailing = any(_present(row["trailing_value"]) for row in summary_rows.values())
    trailing_start = window.previous(4).key
    trailing_weeks = len({w for w in trend_rows["week"] if trailing_start <= w < window.key}) if len(trend_rows) else 0
    summary["trailing"] = (
        {"weeks": trailing_weeks}
        | {k: _num(summary_rows[k]["trailing_value"]) for k in ("pr_count", "mean_score") if k in summary_rows}
        if has_trailing
        else None
    )
    return summary


def _highlights(enriched: pd.DataFrame, reviews: pd.DataFrame | None, repository: str, web_url: str) -> list[dict]:
    """The week's highlight PRs, best first, with their digests and review comments."""
    if not len(enriched):
        return []
    review_map = _reviews(reviews)
    items = []
    for pr in _ranked_prs(enriched, ("summary", "body"), highlights_only=True):
        item = _pr(pr, repository, web_url)
        item["summary"] = _text(pr["summary"])
        item["digest"] = digest(pr["body"], item["title"])
        item["reviews"] = review_map.get(int(pr["number"])) if reviews is not None else None
        items.append(item)
    return items


def _pull_requests(enriched: pd.DataFrame, repository: str, web_url: str) -> list[dict]:
    """Every PR of the week, best score first."""
    if not len(enriched):
        return []
    items = []
    for pr in _ranked_prs(enriched):
        item = _pr(pr, repository, web_url)
        item["highlight"] = bool(pr["highlight"])
        items.append(item)
    return items


def _themes(agg: pd.DataFrame, by_pr: dict[int, dict]) -> list[dict]:
    """The week's themes; each PR item learns its theme, and its gist the theme's name where it has none."""
    themes = stories.model_themes(_rows(agg, "theme"), by_pr)
    for theme in themes:
        for number in theme["prs"]:
            by_pr[number]["theme"] = theme["name"]
            # a PR of a found theme without a name of its own is named by the theme ("Aurora-2"), not its module
            gist = by_pr[number]["gist"]
            if theme["basis"] != "module" and (not gist["subject"] or gist["subject"] in stories.GENERIC_SUBJECTS) \
                    and stories.term_key(theme["name"]) in stories.term_key(by_pr[number]["title"]):
                by_pr[number]["gist"]["subject"] = theme["name"]
        stories.name_by_object([by_pr[n]["gist"] for n in theme["leads"]], theme["name"])
    return themes


def movements(dims: dict[str, list[dict]]) -> list[dict]:
    """Notable rises and falls of kind, module and risk shares against last week or the trailing mean."""
    found = []
    for name, dimension in (("kinds", "kind"), ("modules", "module"), ("risks", "risk")):
        for item in dims[name]:
            for baseline, share_key, count_key in (
                ("previous", "previous_share", "previous_count"),
                ("trailing", "trailing_share", None),
            ):
                base = item[share_key]
                if base is None or item["share"] is None:
                    continue
                diff = item["share"] - base
                base_count = item[count_key] if count_key else None
                count_change = abs(item["count"] - base_count) if base_count is not None else abs(diff) * 100
                if abs(diff) >= MOVE_SHARE and max(item["count"], base_count or 0) >= MOVE_COUNT and count_change >= 2:
                    found.append({
                        "dimension": dimension, "key": item["key"], "share": item["share"],
                        "baseline_share": base, "baseline": baseline, "count": item["count"],
                        "baseline_count": base_count, "direction": "up" if diff > 0 else "down",
                    })
                    break  # one movement per key: last week's comparison wins
    found.sort(key=lambda m: -abs(m["share"] - m["baseline_share"]))
    return found[:MAX_MOVEMENTS]


def suggestions(enriched: pd.DataFrame, dims: dict[str, list[dict]]) -> list[dict]:
    """Follow-up suggestions derived from the week's risks, most urgent first."""
    if not len(enriched):
        return []
    out = []
    ranked = enriched.sort_values(["score", "number"], ascending=[False, True])

    def prs_where(pred) -> list[int]:
        return [int(n) for n, risks in zip(ranked["number"], ranked["risks"]) if pred(set(risks or ()))]

    rules = (
        ("core_without_tests", lambda r: {"core_path", "missing_tests"} <= r),
        ("kernel_review", lambda r: "kernel_safety" in r),
        ("interface_docs", lambda r: "interface_change" in r),
        ("platform_coverage", lambda r: "platform_compat" in r),
        ("dependency_audit", lambda r: "dependency_change" in r),
        ("large_change_followup", lambda r: "large_change" in r),
    )
    for code, pred in rules:
        prs = prs_where(pred)
        if prs:
            out.append({"code": code, "prs": prs[:SUGGESTION_PRS], "count": len(prs)})
    bugfix = next((k for k in dims["kinds"] if k["key"] == "bugfix"), None)
    if bugfix and bugfix["share"] is not None:
        base = bugfix["previous_share"] if bugfix["previous_share"] is not None else bugfix["trailing_share"]
        if base is not None and bugfix["share"] - base >= MOVE_SHARE and bugfix["count"] >= MOVE_COUNT:
            out.append({"code": "bugfix_surge", "prs": bugfix["prs"][:SUGGESTION_PRS], "count": bugfix["count"]})
    if not out:
        out.append({"code": "no_risk", "prs": [], "count": 0})
    return out


def _merge_suggestions(specific: list[dict], generic: list[dict], limit: int = 6) -> list[dict]:
    """Specific suggestions first; a generic one stays only for PRs no specific one names."""
    named = {p for sg in specific for p in sg["prs"]}
    rest = []
    for sg in generic:
        prs = [p for p in sg["prs"] if p not in named]
        if sg["code"] == "no_risk" and specific:
            continue
        if prs or sg["code"] == "no_risk":
            rest.append(sg | {"prs": prs, "count": sg["count"] - (len(sg["prs"]) - len(prs))})
    return (specific + rest)[:limit]


def _dimension(rows: dict[str, dict], section: str) -> list[dict]:
    items = []
    for key, row in rows.items():
        count = int(row["value"])
        if count == 0 and section != "risk" and not _present(row["previous_value"]):
            continue
        item = {
            "key": key, "count": count, "share": _float(row["share"]),
            "previous_count": _int(row["previous_value"]), "previous_share": _float(row["previous_share"]),
            "trailing_share": _float(row["trailing_share"]), "prs": _ints(row["prs"]),
        }
        if section == "module":
            item["auxiliary"] = key in AUXILIARY_MODULES
        items.append(item)
    items.sort(key=lambda i: (-i["count"], i["key"]))
    # zero-count entries only serve movements ("fell to 0"); keep them last
    return items


def _trend(rows: pd.DataFrame) -> list[dict]:
    weeks: dict[str, dict] = {}
    for week, key, value in zip(rows["week"], rows["key"], rows["value"]):
        entry = weeks.setdefault(week, {"week": week, "pr_count": 0, "highlight_count": 0,
                                        "mean_score": None, "risks": {}, "kinds": {}})
        if key.startswith("risk:"):
            entry["risks"][key[5:]] = int(value)
        elif key.startswith("kind:"):
            entry["kinds"][key[5:]] = int(value)
        elif key == "mean_score":
            entry[key] = _num(value)
        else:
            entry[key] = int(value)
    return [weeks[w] for w in sorted(weeks)]


def _pr(pr: dict, repository: str, web_url: str) -> dict:
    url = pr["url"] if isinstance(pr["url"], str) and pr["url"] else f"{web_url}/{repository}/pull/{int(pr['number'])}"
    merged = pr["merged_at"]
    return {
        "number": int(pr["number"]),
        "title": _text(pr["title"]),
        "url": url,
        "author": pr["author"] if isinstance(pr["author"], str) else None,
        "kind": pr["kind"],
        "tags": list(pr["tags"] or []),
        "modules": list(pr["modules"] or []),
        "risks": list(pr["risks"] or []),
        # what raised each risk (a file, path rule or words), shown beside the PR
        "risk_reasons": [
            {"id": r["id"], "reason": r["reason"]} for r in (pr["risk_reasons"] if "risk_reasons" in pr else None) or []
        ],
        "score": round(float(pr["score"]), 2),
        "additions": _int(pr["additions"]) or 0,
        "deletions": _int(pr["deletions"]) or 0,
        "changed_files": _int(pr["changed_files"]) or 0,
        "merged_at": merged.isoformat() if isinstance(merged, (pd.Timestamp, dt.datetime)) else None,
        # what the PR does as an action and a subject, for noun phrases in any language
        "gist": stories.pr_gist(_text(pr["title"]), pr["kind"], list(pr["modules"] or [])),
        # why the PR scored what it did: shown beside every score, not only for highlights
        "reasons": [
            {"code": r["code"], "points": round(float(r["points"]), 2), "value": r["value"]}
            for r in (pr["score_reasons"] or [])
        ],
    }


def _reviews(reviews: pd.DataFrame | None) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {}
    if reviews is None or not len(reviews):
        return out
    for r in _records(reviews.sort_values(["number", "created_at"])):
        out.setdefault(int(r["number"]), []).append(
            {"author": r["author"] if isinstance(r["author"], str) else None,
             "path": r["path"] if isinstance(r["path"], str) else None, "body": _text(r["body"])}
        )
    return out


def _rows(agg: pd.DataFrame, section: str) -> pd.DataFrame:
    if not len(agg) or "detail" not in agg:
        return agg.iloc[0:0] if len(agg.columns) else pd.DataFrame(columns=["key", "prs", "detail"])
    return agg[agg["section"] == section]


def _sections(agg: pd.DataFrame) -> defaultdict[str, dict[str, dict]]:
    """The week's rows by section, then key: read in one pass (one frame filter per section cost more)."""
    out: defaultdict[str, dict[str, dict]] = defaultdict(dict)
    for row in _records(agg) if len(agg) else ():
        out[row["section"]][row["key"]] = row
    return out


#: the columns ``_pr`` reads (the rest, e.g. files and reviews, would be copied into every row for nothing)
_PR_COLUMNS = ("number", "title", "url", "author", "kind", "tags", "modules", "risks", "risk_reasons", "score",
               "additions", "deletions", "changed_files", "merged_at", "score_reasons", "highlight")


def _ranked_prs(enriched: pd.DataFrame, extra: tuple[str, ...] = (), highlights_only: bool = False) -> list[dict]:
    """PRs (or only the highlights) best score first, then by number, as dicts of the columns the model reads.

    Ordered in Python as pandas sorts on these two keys (stable, no score last), and read
    from the week's frame: a selected, filtered and sorted copy of it cost more than the rows.
    """
    columns = [c for c in _PR_COLUMNS + extra if c in enriched]
    if highlights_only and enriched["highlight"].dtype != bool:  # a frame no schema normalised: pandas decides
        enriched = enriched[enriched["highlight"]]
        highlights_only = False
    rows = [i for i, h in enumerate(enriched["highlight"]) if h] if highlights_only else list(range(len(enriched)))
    scores, numbers = enriched["score"].tolist(), enriched["number"].tolist()
    rows.sort(key=lambda i: pandas_order(scores[i], numbers[i], descending=True))
    return _records(enriched, rows, columns)


def _records(frame: pd.DataFrame, rows: list[int] | None = None, columns: list[str] | None = None) -> list[dict]:
    """``frame.to_dict("records")`` of the ``columns`` and ``rows`` (positions) asked for, all by default.

    Built column by column, values boxed as to_dict boxes them: to_dict reads a frame row by
    row, and a sub-frame per call cost more than the rows themselves.
    """
    names = list(frame.columns) if columns is None else columns
    if not frame.columns.is_unique:
        return frame.iloc[rows if rows is not None else slice(None)][names].to_dict("records")
    values = [_boxed(frame[name]) for name in names]
    return [dict(zip(names, [v[i] for v in values])) for i in (range(len(frame)) if rows is None else rows)]


def _boxed(column: pd.Series) -> list:
    """A column's values as to_dict("records") gives them (numpy scalars of object columns as Python's)."""
    values = list(column)
    if column.dtype == np.dtype(object) or isinstance(column.dtype, ExtensionDtype):
        return [maybe_box_native(v) for v in values]
    return values


def _text(value) -> str:
    """A string column's value; missing values (None, NaN) become ""."""
    return value if isinstance(value, str) else ""


def _present(value) -> bool:
    if value is None:
        return False
    try:
        return not (isinstance(value, float) and math.isnan(value)) and value is not pd.NA
    except TypeError:
        return True


def _num(value):
    if not _present(value):
        return None
    value = float(value)
    return int(value) if value.is_integer() else round(value, 2)


def _int(value):
    return int(value) if _present(value) else None


def _float(value):
    return round(float(value), 4) if _present(value) else None


def _ints(values: Iterable | None) -> list[int]:
    return [int(v) for v in (values if values is not None else [])]
