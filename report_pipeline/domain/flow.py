"""How the team worked: review and flow figures of one week's merged PRs (pure functions).

Definitions (printed under the report's flow section, CHAOSS names where one exists):

- ``time_to_merge_hours`` (CHAOSS *Change Request Duration*, from ready): hours from the PR
  becoming ready for review (creation, or the last READY_FOR_REVIEW_EVENT of a draft) to merge.
- ``time_to_first_review_hours`` (CHAOSS *Time to First Response*): hours from ready to the
  first review or review comment by someone other than the author and not a bot. A review
  on a draft counts as 0 h; reviews dated before the PR was opened (imports) are ignored.
- Both over human PRs only (bots kept apart), as ``{median, p75, p90, n}``; median and
  percentiles as pandas computes them (linear interpolation).
- ``merged_without_approval``: merged with no APPROVED review by someone other than the
  author and not a bot (a dismissed approval is no approval).
- ``reviewers``: reviews given per person on the week's PRs; concentration as the top
  reviewer's share and how many reviewers gave half of all reviews (CHAOSS *Contributor
  Absence Factor* applied to reviews).
- ``first_time_contributors``: authors whose first merged PR in the repository is this
  week's (as of the week, not today's GitHub association).
- ``opened``, ``closed_unmerged``, ``open_at_week_end`` and ``closure_ratio`` = (merged +
  closed unmerged) / opened (CHAOSS *Change Request Closure Ratio*).

A figure the source cannot know is ``None`` with a reason code in ``notes``, never 0.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

import pandas as pd

from report_pipeline.domain import stories
from report_pipeline.domain.memo import per_frame

FIRST_TIME = frozenset({"FIRST_TIME_CONTRIBUTOR", "FIRST_TIMER"})
DURATIONS = ("time_to_merge_hours", "time_to_first_review_hours")
STATS = ("median", "p75", "p90", "n")
#: a module gets its own flow figures from this many human PRs in the week
MIN_SCOPE_PRS = 5

# why a figure is empty (templates translate the codes)
NO_READY_TIME = "no_ready_time"  # git: commit times are not review-ready times
READY_IS_CREATION = "ready_is_creation"  # sample: no drafts, ready = creation
NO_REVIEWS = "no_reviews"  # git: no reviews at all
REVIEW_COMMENTS_ONLY = "review_comments_only"  # sample: comments with times, no verdicts
NO_COUNTS = "no_counts"  # only merged PRs are visible: nothing about opened/closed ones
NO_ASSOCIATION = "no_association"  # nobody says whose PR was their first


def is_bot(login, author_type) -> bool:
    """A bot account: GitHub's ``Bot`` type, or a ``[bot]`` login when the type is unknown."""
    if author_type == "Bot":
        return True
    return isinstance(login, str) and login.lower().endswith("[bot]")


def duration_stats(hours: Iterable[float]) -> dict:
    """``{median, p75, p90, n}`` of ``hours`` (pandas' median and linear quantiles); ``n`` = 0 -> None figures."""
    # in plain Python: a Series per call cost ~0.7 ms, for a few dozen values
    values = sorted(float(h) for h in hours if h is not None and not _nan(h))
    if not values:
        return {"median": None, "p75": None, "p90": None, "n": 0}
    return {
        "median": round(_median(values), 2),
        "p75": round(_quantile(values, 0.75), 2),
        "p90": round(_quantile(values, 0.90), 2),
        "n": len(values),
    }


def _median(ordered: list[float]) -> float:
    """numpy's median of sorted values: the middle one, or the mean of the middle two."""
    half = len(ordered) // 2
    return ordered[half] if len(ordered) % 2 else (ordered[half - 1] + ordered[half]) / 2


def _quantile(ordered: list[float], q: float) -> float:
    """numpy's 'linear' quantile of sorted values, in its arithmetic (so every bit is pandas')."""
    position = (len(ordered) - 1) * q
    below = math.floor(position)
    if below >= len(ordered) - 1:
        return ordered[-1]
    a, b = ordered[below], ordered[below + 1]
    t, step = position - below, b - a
    # numpy interpolates from the nearer end (its _lerp), which rounds differently
    return b - step * (1 - t) if t >= 0.5 else a + step * t


def pr_facts(df: pd.DataFrame) -> list[dict]:
    """Per PR: bot or not, hours to merge, hours to first review, approval, reviews given by others."""
    out: list[dict] = []
    if df is None or not len(df):
        return out
    get = lambda col: df[col] if col in df else pd.Series([None] * len(df), index=df.index)  # noqa: E731
    for number, author, atype, created, ready, merged, reviews, coverage, bot in zip(
        df["number"], df["author"], get("author_type"), get("created_at"), get("ready_at"),
        df["merged_at"], get("reviews"), get("reviews_coverage"), get("is_bot"),
    ):
        author = author if isinstance(author, str) and author else None
        created, ready, merged = _ts(created), _ts(ready), _ts(merged)
        coverage = coverage if isinstance(coverage, str) else None
        others = _reviews_by_others(author, reviews, created) if coverage else []
        first = min((r["at"] for r in others if not r["bot"]), default=None)
        out.append({
            "number": int(number),
            "author": author,
            # enrichment's verdict (rule set's people.bots too) where there is one
            "bot": bool(bot) if isinstance(bot, bool) else is_bot(author, atype),
            "coverage": coverage,
            "ready_known": ready is not None,
            "merge_hours": max(0.0, _hours(ready, merged)) if ready is not None and merged is not None else None,
            "first_review_hours": (max(0.0, _hours(ready, first)) if ready is not None and first is not None else None),
            "approved": (any(r["state"] == "APPROVED" and not r["bot"] for r in others)
                         if coverage == "all" else None),
            "reviewers": [r["login"] for r in others if r["login"] and not r["bot"]],
        })
    return out


def _reviews_by_others(author, reviews, created) -> list[dict]:
    """Reviews by someone other than the PR's author, dated at or after the PR was opened."""
    out = []
    for r in reviews if reviews is not None else ():
        login = r.get("author") if isinstance(r.get("author"), str) else None
        at = _ts(r.get("submitted_at"))
        if at is None or (created is not None and at < created):
            continue  # undated, or older than the PR itself (an import): no evidence of review
        if login is None and author is None:
            continue  # two deleted accounts: cannot tell whether the author reviewed their own PR
        if login is not None and login == author:
            continue
        out.append({"login": login, "bot": is_bot(login, r.get("author_type")), "state": r.get("state"), "at": at})
    return out


def week_flow(
    df: pd.DataFrame,
    counts: Mapping[str, int | None] | None = None,
    earlier_authors: Iterable[str] = (),
    week: str = "",
    history: Mapping[str, pd.DataFrame] | None = None,
    facts: list[dict] | None = None,
) -> dict:
    """The flow figures of one week's merged PRs ``df`` (RAW or ENRICHED rows).

    ``counts`` holds the week's ``opened``, ``closed_unmerged`` and ``open_at_week_end`` when the
    source can count them; ``earlier_authors`` are authors merged in earlier stored weeks (a
    first-time contributor cannot be among them); ``history`` (week key -> PRs) links reverts
    to PRs of earlier weeks; ``facts`` are ``pr_facts(df)`` when the caller has them already.
    """
    facts = pr_facts(df) if facts is None else facts
    humans = [f for f in facts if not f["bot"]]
    notes: dict[str, str] = {}
    out: dict = {"merged": len(facts)}
    out.update(_durations(humans, notes, df))
    out.update(_approval(humans, notes))
    out["reviewers"], out["review_concentration"] = reviewer_load(humans, notes)
    out["first_time_contributors"] = first_time_contributors(df, earlier_authors, notes)
    out["bot_prs"] = sorted(f["number"] for f in facts if f["bot"])
    out["reverts"] = _reverts(df, week, history)
    out.update(_counts(counts, len(facts), notes))
    out["notes"] = notes
    return out


def _reverts(df, week: str, history) -> list[dict]:
    """Reverts and what they revert, with the same detection as the week's events (stories)."""
    if df is None or not len(df):
        return []
    if history is None:  # a trailing week's count: the same for each of the 4 weeks after it
        return _unlinked_reverts(df, week)
    return _found_reverts(df, week, history)


def _found_reverts(df: pd.DataFrame, week: str, history) -> list[dict]:
    if "kind" not in df:
        df = df.assign(kind=None)
    return [{"number": e["prs"][0], "reverts": [t["number"] for t in e["detail"]["reverts"]]}
            for e in stories.reverts(week, df, history)]


@per_frame
def _unlinked_reverts(df: pd.DataFrame, week: str) -> list[dict]:
    return _found_reverts(df, week, None)


def _durations(humans: list[dict], notes: dict, df) -> dict:
    ready_known = [f for f in humans if f["ready_known"]]
    with_reviews = [f for f in ready_known if f["coverage"]]
    out: dict[str, dict | None] = {
        "time_to_merge_hours": duration_stats(f["merge_hours"] for f in ready_known),
        "time_to_first_review_hours": duration_stats(f["first_review_hours"] for f in with_reviews),
    }
    if humans and not ready_known:
        notes["time_to_merge_hours"] = notes["time_to_first_review_hours"] = NO_READY_TIME
        out = {k: None for k in DURATIONS}
    elif humans and not with_reviews:
        notes["time_to_first_review_hours"] = NO_REVIEWS
        out["time_to_first_review_hours"] = None
    elif any(f["coverage"] == "comments" for f in with_reviews):
        notes["time_to_first_review_hours"] = REVIEW_COMMENTS_ONLY
    if ready_known and df is not None and _from_sample(df):
        notes.setdefault("time_to_merge_hours", READY_IS_CREATION)
    return out


@per_frame  # each week's figures are computed again for the 4 weeks after it
def _from_sample(df: pd.DataFrame) -> bool:
    return bool("source" in df and (df["source"] == "sample").any())


def _approval(humans: list[dict], notes: dict) -> dict:
    known = [f for f in humans if f["approved"] is not None]
    if humans and not known:
        notes["merged_without_approval"] = (
            REVIEW_COMMENTS_ONLY if any(f["coverage"] == "comments" for f in humans) else NO_REVIEWS
        )
        return {"merged_without_approval": None}
    prs = sorted(f["number"] for f in known if not f["approved"])
    return {"merged_without_approval": {"count": len(prs), "prs": prs, "of": len(known)}}


def reviewer_load(humans: list[dict], notes: dict | None = None) -> tuple[list[dict] | None, dict | None]:
    """Reviews given per reviewer on these PRs, most first, and how concentrated they are."""
    covered = [f for f in humans if f["coverage"]]
    if humans and not covered:
        if notes is not None:
            notes["reviewers"] = NO_REVIEWS
        return None, None
    given: Counter = Counter()
    prs: dict[str, set[int]] = defaultdict(set)
    for f in covered:
        for login in f["reviewers"]:
            given[login] += 1
            prs[login].add(f["number"])
    if notes is not None and any(f["coverage"] == "comments" for f in covered):
        notes["reviewers"] = REVIEW_COMMENTS_ONLY
    ranked = sorted(given, key=lambda r: (-given[r], r.lower()))
    load = [{"reviewer": r, "reviews": given[r], "prs": sorted(prs[r])} for r in ranked]
    return load, concentration([given[r] for r in ranked])


def concentration(counts: list[int]) -> dict:
    """Top reviewer's share of reviews and the fewest reviewers who gave half of them."""
    total = sum(counts)
    if not total:
        return {"reviews": 0, "reviewer_count": 0, "top_share": None, "half_by": None}
    ordered = sorted(counts, reverse=True)
    running, half_by = 0, 0
    for c in ordered:
        running += c
        half_by += 1
        if running * 2 >= total:
            break
    return {"reviews": total, "reviewer_count": len(ordered),
            "top_share": round(ordered[0] / total, 4), "half_by": half_by}


def first_time_contributors(df, earlier_authors: Iterable[str] = (), notes: dict | None = None) -> list[dict] | None:
    """Human authors whose first merged PR is this week's, with their PRs; None when unknown."""
    if df is None or not len(df):
        return []
    candidates = _first_timers(df)
    if candidates is None:
        if notes is not None:
            notes["first_time_contributors"] = NO_ASSOCIATION
        return None
    earlier = set(earlier_authors)
    found: dict[str, list[int]] = defaultdict(list)
    for author, number in candidates:
        if author not in earlier:
            found[author].append(number)
    return [{"author": a, "prs": sorted(found[a])} for a in sorted(found, key=str.lower)]


@per_frame  # a week is read again for the 4 weeks after it; only the earlier authors differ
def _first_timers(df: pd.DataFrame) -> list[tuple[str, int]] | None:
    """``(author, number)`` of human PRs marked first-time; None when no PR has an association."""
    assoc = df["author_association"] if "author_association" in df else pd.Series([None] * len(df))
    if not assoc.notna().any():
        return None
    types = df["author_type"] if "author_type" in df else [None] * len(df)
    return [(author, int(number)) for number, author, a, t in zip(df["number"], df["author"], assoc, types)
            if isinstance(author, str) and author and a in FIRST_TIME and not is_bot(author, t)]


def _counts(counts, merged: int, notes: dict) -> dict:
    keys = ("opened", "closed_unmerged", "open_at_week_end")
    if not counts or any(counts.get(k) is None or _nan(counts.get(k)) for k in keys):
        for k in keys + ("closure_ratio",):
            notes[k] = NO_COUNTS
        return {k: None for k in keys} | {"closure_ratio": None}
    values = {k: int(counts[k]) for k in keys}
    opened = values["opened"]
    ratio = round((merged + values["closed_unmerged"]) / opened, 4) if opened else None
    return values | {"closure_ratio": ratio}


def _ts(value):
    if value is None or value is pd.NaT or _nan(value):
        return None
    return pd.Timestamp(value)


def _hours(start, end) -> float:
    return (end - start).total_seconds() / 3600.0


def _nan(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


# ---------------------------------------------------------------- weekly_aggregates rows

#: the scalar figures, in report order: ``(key, how to read it from a week_flow dict)``
SCALARS = (
    [(f"{d}.{s}", (d, s)) for d in DURATIONS for s in STATS]
    + [("merged_without_approval", ("merged_without_approval", "count")),
       ("reviews", ("review_concentration", "reviews")),
       ("reviewer_count", ("review_concentration", "reviewer_count")),
       ("top_reviewer_share", ("review_concentration", "top_share")),
       ("half_of_reviews_by", ("review_concentration", "half_by")),
       ("first_time_contributors", ("first_time_contributors", len)),
       ("bot_prs", ("bot_prs", len)),
       ("reverts", ("reverts", len)),
       ("merged", ("merged", None)),
       ("opened", ("opened", None)),
       ("closed_unmerged", ("closed_unmerged", None)),
       ("open_at_week_end", ("open_at_week_end", None)),
       ("closure_ratio", ("closure_ratio", None))]
)
#: where the reason of an empty scalar is recorded in ``notes``
_NOTE_OF = {"reviews": "reviewers", "reviewer_count": "reviewers", "top_reviewer_share": "reviewers",
            "half_of_reviews_by": "reviewers"}
_PRS_OF = {"merged_without_approval": lambda f: (f["merged_without_approval"] or {}).get("prs", []),
           "first_time_contributors": lambda f: [n for c in f["first_time_contributors"] or [] for n in c["prs"]],
           "bot_prs": lambda f: f["bot_prs"], "reverts": lambda f: [r["number"] for r in f["reverts"]]}


def scalar(figures: dict, key: str):
    """One scalar of a ``week_flow`` dict by its row key (None when unknown)."""
    name, part = dict(SCALARS)[key]
    value = figures.get(name)
    if value is None:
        return None
    if part is None:
        return value
    if callable(part):
        return part(value)
    return value.get(part)


def flow_rows(week: str, current: pd.DataFrame, history: Mapping[str, pd.DataFrame] | None = None,
              counts: Mapping[str, Mapping] | None = None, trailing_weeks: int = 4,
              themes: Mapping[str, list[int]] | None = None) -> list[dict]:
    """The week's flow figures as ``weekly_aggregates`` rows (sections ``flow``, ``flow_reviewer``,
    ``flow_first_time``, ``flow_revert``, ``flow_module``).

    ``previous_value`` is last week's figure, ``trailing_value`` the mean of the figure over the
    up to ``trailing_weeks`` earlier weeks that exist; ``detail`` holds the reason of an empty figure.
    ``themes`` (name -> PR numbers, from stories) get the module figures too (``flow_theme``).
    """
    history = {k: v for k, v in (history or {}).items() if k < week}
    counts = counts or {}
    weeks = [_shift(week, -i) for i in range(1, trailing_weeks + 1)]
    facts = _facts_of(current)
    now = _flow_of(week, current, history, counts, facts=facts)
    # earlier weeks give only scalars: a revert's count needs no search of older weeks for its target
    trail = [_flow_of(w, history[w], history, counts, link_reverts=False) for w in weeks if w in history]
    prev = trail[0] if weeks[0] in history else None
    rows = []
    for key, _ in SCALARS:
        value = scalar(now, key)
        note = now["notes"].get(_NOTE_OF.get(key, key.split(".")[0]))
        rows.append(_flow_row("flow", key, week, value, prs=_PRS_OF.get(key, lambda f: [])(now),
                              previous=None if prev is None else scalar(prev, key),
                              trailing=_mean([scalar(t, key) for t in trail]),
                              detail={"note": note} if note else None))
    for r in now["reviewers"] or []:
        rows.append(_flow_row("flow_reviewer", r["reviewer"], week, r["reviews"], prs=r["prs"]))
    for c in now["first_time_contributors"] or []:
        rows.append(_flow_row("flow_first_time", c["author"], week, len(c["prs"]), prs=c["prs"]))
    for r in now["reverts"]:
        rows.append(_flow_row("flow_revert", str(r["number"]), week, len(r["reverts"]), prs=[r["number"]] + r["reverts"]))
    rows.extend(_module_rows(week, current, facts, history.get(weeks[0])))
    rows.extend(_theme_rows(week, current, facts, themes or {}))
    return rows


def _theme_rows(week: str, current: pd.DataFrame, facts: list[dict],
                themes: Mapping[str, list[int]]) -> list[dict]:
    """The module figures for each of the week's themes with at least MIN_SCOPE_PRS human PRs."""
    rows: list[dict] = []
    if current is None or not len(current):
        return rows
    for name, numbers in themes.items():
        wanted = {int(n) for n in numbers}
        members = [f for f in facts if f["number"] in wanted]
        if _humans(members) < MIN_SCOPE_PRS:
            continue
        figures = scope_figures(members)
        for key in MODULE_FIGURES:
            rows.append(_flow_row("flow_theme", f"{name}|{key}", week, _scope_value(figures, key),
                                  prs=[f["number"] for f in members] if key == "prs" else []))
    return rows


def _flow_of(week: str, frame: pd.DataFrame, history: Mapping[str, pd.DataFrame], counts: Mapping,
             facts: list[dict] | None = None, link_reverts: bool = True) -> dict:
    """``week_flow`` of ``week`` against the weeks of ``history`` before it."""
    before = {k: v for k, v in history.items() if k < week}
    earlier = set().union(*(_authors_of(f) for f in before.values() if f is not None and len(f)))
    return week_flow(frame, counts.get(week), earlier, week=week, history=before if link_reverts else None,
                     facts=_facts_of(frame) if facts is None else facts)


# an earlier week's facts and authors are read again by each of the weeks after it
_facts_of = per_frame(pr_facts)


@per_frame
def _authors_of(frame: pd.DataFrame) -> frozenset[str]:
    return frozenset(a for a in frame["author"] if isinstance(a, str))


#: per-module figures: the PR count and the two medians
MODULE_FIGURES = ("prs", "time_to_merge_hours.median", "time_to_first_review_hours.median", "merged_without_approval")


def _module_rows(week: str, current: pd.DataFrame, facts: list[dict], previous: pd.DataFrame | None) -> list[dict]:
    """Per module with at least MIN_SCOPE_PRS human PRs: PRs, median times, unapproved merges.

    ``facts`` are ``pr_facts(current)``: a module's figures come from its PRs' facts, so no
    frame is sliced per module.
    """
    if current is None or not len(current) or "modules" not in current:
        return []
    before = _module_facts(previous, _facts_of(previous)) if previous is not None and "modules" in previous else {}
    rows = []
    for module, members in _module_facts(current, facts).items():
        if _humans(members) < MIN_SCOPE_PRS:  # most modules have too few PRs: no figures computed for them
            continue
        figures = scope_figures(members)
        prev = scope_figures(before[module]) if module in before else None
        for key in MODULE_FIGURES:
            rows.append(_flow_row("flow_module", f"{module}|{key}", week, _scope_value(figures, key),
                                  previous=None if prev is None else _scope_value(prev, key),
                                  prs=[f["number"] for f in members] if key == "prs" else []))
    return rows


def _module_facts(df: pd.DataFrame, facts: list[dict]) -> dict[str, list[dict]]:
    """The facts of ``df``'s PRs grouped by module (a PR once per module), modules sorted."""
    grouped: dict[str, list[dict]] = defaultdict(list)
    for fact, modules in zip(facts, df["modules"]):
        for m in dict.fromkeys(modules if modules is not None else ()):
            if m:
                grouped[m].append(fact)
    return dict(sorted(grouped.items()))


def scope_figures(facts: list[dict]) -> dict:
    """A module's or theme's figures from its PRs' facts: ``prs`` (human PRs), durations, approvals.

    The same values ``week_flow`` gives for a frame of these PRs, without the week-level
    parts (reverts, first-time contributors) a scope does not report.
    """
    humans = [f for f in facts if not f["bot"]]
    return {"prs": len(humans), **_durations(humans, {}, None), **_approval(humans, {})}


def _humans(facts: list[dict]) -> int:
    return sum(1 for f in facts if not f["bot"])


def _scope_value(figures: dict, key: str):
    return figures["prs"] if key == "prs" else scalar(figures, key)


def _flow_row(section, key, week, value, *, prs=(), previous=None, trailing=None, detail=None) -> dict:
    return {"section": section, "key": key, "week": week,
            "value": None if value is None else float(value), "share": None,
            "previous_value": None if previous is None else float(previous), "previous_share": None,
            "trailing_value": trailing, "trailing_share": None, "prs": [int(p) for p in prs],
            "additions": None, "deletions": None, "first_time": None,
            "detail": json.dumps(detail, sort_keys=True) if detail else None}


def _mean(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return round(sum(values) / len(values), 2) if values else None


def _shift(week: str, weeks: int) -> str:
    return (dt.date.fromisoformat(week) + dt.timedelta(weeks=weeks)).isoformat()


# ---------------------------------------------------------------- the report model's section

def model_flow(agg: pd.DataFrame) -> dict:
    """The report model's ``flow`` section from the week's ``weekly_aggregates`` rows.

    ``figures`` lists every scalar with last week's value, the trailing mean and the changes;
    the two durations are also given as ``{median, p75, p90, n}`` objects; ``notes`` names
    each figure the source cannot know (with the reason code), so nothing unknown reads as 0.
    """
    part = agg[agg["section"].isin(["flow", "flow_reviewer", "flow_first_time", "flow_revert", "flow_module",
                                    "flow_theme"])] \
        if len(agg) and "section" in agg else agg.iloc[0:0] if len(agg.columns) else pd.DataFrame()
    rows: dict[str, list[dict]] = {
        s: [] for s in ("flow", "flow_reviewer", "flow_first_time", "flow_revert", "flow_module", "flow_theme")
    }
    for r in part.to_dict("records"):  # plain dicts: a Series per row cost more than the section
        rows[r["section"]].append(r)
    if not rows["flow"]:
        return {"available": False, "figures": [], "notes": {}}
    figures, notes = [], {}
    for r in rows["flow"]:
        value, prev, trail = _num(r["value"]), _num(r["previous_value"]), _num(r["trailing_value"])
        note = json.loads(r["detail"]).get("note") if isinstance(r["detail"], str) else None
        if note:
            notes[r["key"].split(".")[0]] = note
        figures.append({"key": r["key"], "value": value, "previous": prev, "trailing": trail,
                        "change": _diff(value, prev), "change_trailing": _diff(value, trail),
                        "prs": [int(p) for p in (r["prs"] if r["prs"] is not None else [])], "note": note})
    by_key = {f["key"]: f for f in figures}
    out = {"available": True, "figures": figures, "notes": notes}
    for d in DURATIONS:
        out[d] = None if by_key[f"{d}.median"]["note"] in (NO_READY_TIME, NO_REVIEWS) else {
            s: by_key[f"{d}.{s}"]["value"] for s in STATS}
        out[d + "_previous"] = _stats_of(by_key, d, "previous")
    out["merged_without_approval"] = None if by_key["merged_without_approval"]["value"] is None else {
        "count": by_key["merged_without_approval"]["value"], "prs": by_key["merged_without_approval"]["prs"]}
    out["reviewers"] = None if by_key["reviews"]["value"] is None else [
        {"reviewer": r["key"], "reviews": int(r["value"]), "prs": [int(p) for p in r["prs"]]} for r in rows["flow_reviewer"]]
    out["review_concentration"] = None if by_key["reviews"]["value"] is None else {
        "reviews": by_key["reviews"]["value"], "reviewer_count": by_key["reviewer_count"]["value"],
        "top_share": by_key["top_reviewer_share"]["value"], "half_by": by_key["half_of_reviews_by"]["value"]}
    out["first_time_contributors"] = None if by_key["first_time_contributors"]["value"] is None else [
        {"author": r["key"], "prs": [int(p) for p in r["prs"]]} for r in rows["flow_first_time"]]
    out["bot_prs"] = by_key["bot_prs"]["prs"]
    out["reverts"] = [{"number": int(r["prs"][0]), "reverts": [int(p) for p in r["prs"][1:]]} for r in rows["flow_revert"]]
    for k in ("opened", "closed_unmerged", "open_at_week_end", "closure_ratio"):
        out[k] = by_key[k]["value"]
    out["modules"] = _model_modules(rows["flow_module"])
    out["themes"] = [{"theme": m.pop("module")} | m for m in _model_modules(rows["flow_theme"])]
    return out


def _model_modules(rows: list) -> list[dict]:
    modules: dict[str, dict] = {}
    for r in rows:
        module, _, key = r["key"].partition("|")
        entry = modules.setdefault(module, {"module": module})
        entry[key] = _num(r["value"])
        entry[key + "_previous"] = _num(r["previous_value"])
        if key == "prs":
            entry["pr_numbers"] = [int(p) for p in r["prs"]]
    return sorted(modules.values(), key=lambda m: (-(m.get("prs") or 0), m["module"]))


def _stats_of(by_key: dict, d: str, which: str) -> dict | None:
    values = {s: by_key[f"{d}.{s}"][which] for s in STATS}
    return values if values["n"] else None


def _num(value):
    if value is None or _nan(value):
        return None
    value = float(value)
    return int(value) if value.is_integer() else round(value, 4)


def _diff(value, base):
    return None if value is None or base is None else round(value - base, 4)
