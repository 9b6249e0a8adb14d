"""Flow figures (domain/flow.py, domain/reverts.py) against independent recounts."""

from __future__ import annotations

import datetime as dt
import json
import random
import statistics

import pandas as pd

from report_pipeline import schema
from report_pipeline.domain import flow

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 4, 13, 9, 0, tzinfo=UTC)


def _h(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def _rev(author, hours, state="COMMENTED", author_type="User"):
    return {"author": author, "author_type": author_type, "state": state, "submitted_at": _h(hours) if hours is not None else None}


def _pr(number, *, author="ada", author_type="User", created=0.0, ready=None, merged=10.0, reviews=(),
        coverage="all", association="CONTRIBUTOR", title=None, body="", sha=None):
    return {
        "repo": "o/r", "number": number, "title": title or f"change {number}", "body": body, "url": None,
        "author": author, "author_association": association, "created_at": _h(created),
        "merged_at": _h(merged), "labels": [], "additions": 1, "deletions": 0, "changed_files": 1,
        "files": [], "review_count": len(reviews), "comment_count": 0, "base_ref": "main",
        "merge_commit_sha": sha or f"{number:040x}", "source": "github", "author_type": author_type,
        "ready_at": _h(ready if ready is not None else created), "reviews": list(reviews),
        "reviews_coverage": coverage,
    }


def _frame(rows) -> pd.DataFrame:
    return schema.normalize(pd.DataFrame(rows), schema.RAW_SCHEMA)


def _linear_quantile(values, q):
    """Independent recount of pandas' default (linear) quantile."""
    xs = sorted(values)
    pos = (len(xs) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def test_duration_stats_match_a_recount():
    rng = random.Random(3)
    for n in (1, 2, 5, 40):
        values = [rng.uniform(0, 300) for _ in range(n)]
        got = flow.duration_stats(values)
        assert got["n"] == n
        assert got["median"] == round(statistics.median(values), 2)
        assert got["p75"] == round(_linear_quantile(values, 0.75), 2)
        assert got["p90"] == round(_linear_quantile(values, 0.90), 2)
    assert flow.duration_stats([]) == {"median": None, "p75": None, "p90": None, "n": 0}


def test_week_figures_against_recount():
    rows = [
        # draft made ready at 5 h: merge 20-5 = 15 h, first review (bob) at 8 h -> 3 h
        _pr(1, created=0, ready=5, merged=20, reviews=[_rev("ada", 6), _rev("bob", 8), _rev("cy", 9, "APPROVED")]),
        # self-approval and a bot approval are no approval; bot review is not a first review
        _pr(2, merged=30, reviews=[_rev("ada", 2, "APPROVED"), _rev("ci", 3, "APPROVED", "Bot"), _rev("bob", 12)]),
        # no reviews at all
        _pr(3, author="dee", merged=4, association="FIRST_TIME_CONTRIBUTOR"),
        # imported review older than the PR is ignored; dismissed approval is none
        _pr(4, author="eve", created=10, merged=50, reviews=[_rev("bob", 1, "APPROVED"), _rev("cy", 20, "DISMISSED")]),
        # a bot's PR: kept apart
        _pr(5, author="dependabot", author_type="Bot", merged=1, reviews=[_rev("bob", 0.5, "APPROVED")]),
        # deleted author (null) and a deleted reviewer: the reviewer's identity is unknown -> skipped
        _pr(6, author=None, merged=7, reviews=[_rev(None, 2, "APPROVED"), _rev("cy", 3, "APPROVED")]),
        # reviewed while still a draft: 0 h to first review
        _pr(7, created=0, ready=6, merged=9, reviews=[_rev("bob", 2), _rev("cy", 7, "APPROVED")]),
    ]
    got = flow.week_flow(_frame(rows), counts={"opened": 9, "closed_unmerged": 2, "open_at_week_end": 14},
                         earlier_authors={"eve"})
    humans = [1, 2, 3, 4, 6, 7]
    merge = {1: 15, 2: 30, 3: 4, 4: 40, 6: 7, 7: 3}
    first = {1: 3, 2: 12, 4: 10, 6: 3, 7: 0}
    assert got["merged"] == 7
    assert got["time_to_merge_hours"] == {
        "median": statistics.median(merge.values()), "p75": round(_linear_quantile(list(merge.values()), .75), 2),
        "p90": round(_linear_quantile(list(merge.values()), .9), 2), "n": len(humans)}
    assert got["time_to_first_review_hours"]["median"] == statistics.median(first.values())
    assert got["time_to_first_review_hours"]["n"] == 5
    assert got["merged_without_approval"] == {"count": 3, "prs": [2, 3, 4], "of": 6}
    # bob's review of #4 predates the PR (an import): not counted; cy's dismissed review was given
    reviews = {"bob": [1, 2, 7], "cy": [1, 4, 6, 7]}
    assert [(r["reviewer"], r["reviews"], r["prs"]) for r in got["reviewers"]] == [
        ("cy", 4, reviews["cy"]), ("bob", 3, reviews["bob"])]
    assert got["review_concentration"] == {"reviews": 7, "reviewer_count": 2, "top_share": round(4 / 7, 4), "half_by": 1}
    assert got["first_time_contributors"] == [{"author": "dee", "prs": [3]}]
    assert got["bot_prs"] == [5]
    assert (got["opened"], got["closed_unmerged"], got["open_at_week_end"]) == (9, 2, 14)
    assert got["closure_ratio"] == round((7 + 2) / 9, 4)
    assert got["notes"] == {}


def test_git_like_week_says_why_not_zero():
    row = _pr(1) | {"ready_at": None, "reviews": None, "reviews_coverage": None, "author_association": None,
                    "source": "git", "author_type": None}
    got = flow.week_flow(_frame([row]))
    assert got["time_to_merge_hours"] is None and got["time_to_first_review_hours"] is None
    assert got["merged_without_approval"] is None and got["reviewers"] is None
    assert got["first_time_contributors"] is None and got["opened"] is None
    assert got["notes"]["time_to_merge_hours"] == flow.NO_READY_TIME
    assert got["notes"]["merged_without_approval"] == flow.NO_REVIEWS
    assert got["notes"]["opened"] == flow.NO_COUNTS


def test_frame_without_flow_columns_reads_as_unknown():
    old = _frame([_pr(1)]).drop(columns=["ready_at", "reviews", "reviews_coverage", "author_type"])
    padded = schema.normalize(old, schema.RAW_SCHEMA)  # older stored partitions lack the columns
    assert padded["ready_at"].isna().all() and padded["reviews_coverage"].isna().all()
    assert flow.week_flow(padded)["notes"]["time_to_merge_hours"] == flow.NO_READY_TIME


def test_empty_week():
    got = flow.week_flow(schema.empty_frame(schema.RAW_SCHEMA))
    assert got["merged"] == 0 and got["time_to_merge_hours"]["n"] == 0
    assert got["merged_without_approval"] == {"count": 0, "prs": [], "of": 0}
    assert got["reverts"] == [] and got["first_time_contributors"] == []


def test_reverts_are_linked_across_weeks():
    earlier = _frame([_pr(10, title="Add FP8 kernels"), _pr(11, sha="abcdef" + "0" * 34)])
    week = _frame([
        _pr(20, title='Revert "Add FP8 kernels"', merged=1),
        _pr(21, title="Revert speedup", body="This reverts commit abcdef0.", merged=2),
        _pr(22, title='Revert "Something unknown"', merged=3),
        _pr(23, title="Fix revert handling in the parser", merged=4),
    ])
    got = flow.week_flow(week, week="2026-04-13", history={"2026-04-06": earlier})["reverts"]
    assert got == [{"number": 20, "reverts": [10]}, {"number": 21, "reverts": [11]}, {"number": 22, "reverts": []}]


# -- aggregate rows, model and reports ------------------------------------------------------

def _two_weeks():
    last = _frame([_pr(1, merged=-100, created=-120, reviews=[_rev("bob", -110, "APPROVED")]),
                   _pr(2, merged=-90, created=-95, author="cy")])
    week = _frame([_pr(10, created=0, merged=30, reviews=[_rev("bob", 5)]),
                   _pr(11, created=0, merged=10, author="new", association="FIRST_TIME_CONTRIBUTOR",
                       reviews=[_rev("cy", 2, "APPROVED")])])
    return last, week


def test_flow_rows_carry_last_week_and_trailing():
    last, week = _two_weeks()
    rows = {r["key"]: r for r in flow.flow_rows("2026-04-13", week, {"2026-04-06": last},
                                                {"2026-04-13": {"opened": 5, "closed_unmerged": 1, "open_at_week_end": 7}})
            if r["section"] == "flow"}
    now, before = flow.week_flow(week), flow.week_flow(last)
    assert rows["time_to_merge_hours.median"]["value"] == now["time_to_merge_hours"]["median"] == 20
    assert rows["time_to_merge_hours.median"]["previous_value"] == before["time_to_merge_hours"]["median"] == 12.5
    assert rows["time_to_merge_hours.median"]["trailing_value"] == 12.5  # the one earlier week that exists
    assert rows["merged_without_approval"]["value"] == 1 and rows["merged_without_approval"]["prs"] == [10]
    assert rows["merged_without_approval"]["previous_value"] == 1  # #2 last week
    assert rows["first_time_contributors"]["value"] == 1 and rows["first_time_contributors"]["prs"] == [11]
    assert rows["opened"]["value"] == 5 and rows["opened"]["previous_value"] is None
    assert rows["closure_ratio"]["value"] == round((2 + 1) / 5, 4)
    # last week had no counts: its figure is unknown, not 0
    assert rows["closed_unmerged"]["previous_value"] is None


def _model(week_frame, history, counts=None):
    from report_pipeline.domain.aggregate import aggregate_week
    from report_pipeline.domain.enrich import HighlightConfig, enrich
    from report_pipeline.domain.model import build_report_model
    from report_pipeline.domain.rules import load_rule_set
    from report_pipeline.weeks import week_window

    rules = load_rule_set("default")
    enriched = enrich(week_frame, rules, HighlightConfig())
    hist = {k: enrich(v, rules, HighlightConfig()) for k, v in history.items()}
    agg = aggregate_week("2026-04-13", enriched, hist, flow_counts=counts)
    return build_report_model("o/r", week_window("2026-04-13", "UTC"), agg, enriched, source="github")


def test_model_and_reports_show_flow_in_both_languages():
    from report_pipeline.domain.render import render_html, render_markdown

    last, week = _two_weeks()
    model = _model(week, {"2026-04-06": last}, {"2026-04-13": {"opened": 5, "closed_unmerged": 1, "open_at_week_end": 7}})
    fl = model["flow"]
    assert fl["time_to_merge_hours"] == {"median": 20, "p75": 25, "p90": 28, "n": 2}
    assert fl["merged_without_approval"] == {"count": 1, "prs": [10]}
    assert fl["first_time_contributors"] == [{"author": "new", "prs": [11]}]
    assert fl["opened"] == 5 and fl["notes"] == {}
    md = render_markdown(model, "en")
    assert "## How the team worked" in md and "CHAOSS Time to First Response" in md
    assert "| Time to merge, median \\(h\\) | 20 | 12.5 | +7.5 |" in md
    zh = render_markdown(model, "zh")
    assert "## 团队协作情况" in zh and "指标定义" in zh
    assert 'id="flow"' in render_html(model, "en") and "团队协作情况" in render_html(model, "zh")
    json.dumps(model)  # the JSON report serialises it


def test_git_week_says_what_it_cannot_know():
    from report_pipeline.domain.render import render_markdown

    git = _frame([_pr(1) | {"ready_at": None, "reviews": None, "reviews_coverage": None, "source": "git"}])
    fl = _model(git, {})["flow"]
    assert fl["time_to_merge_hours"] is None and fl["merged_without_approval"] is None and fl["opened"] is None
    assert fl["notes"]["time_to_merge_hours"] == flow.NO_READY_TIME and fl["notes"]["opened"] == flow.NO_COUNTS
    md = render_markdown(_model(git, {}), "en")
    section = md[md.index("## How the team worked"):]
    # figures unknown in every column are no rows of dashes: named once, with the reason
    assert "| Time to merge, median \\(h\\) |" not in section and "(see notes)" not in section
    assert "Not in the table: Time to merge, median \\(h\\), " in section
    assert "first commit to merge is not review time" in section


def test_theme_figures_need_enough_prs():
    week = _frame([_pr(n, created=0, merged=n, reviews=[_rev("bob", 1)]) for n in range(1, 8)])
    rows = flow.flow_rows("2026-04-13", week, themes={"FP8": [1, 2, 3, 4, 5, 6], "tiny": [7]})
    theme = {r["key"]: r for r in rows if r["section"] == "flow_theme"}
    assert set(theme) == {f"FP8|{k}" for k in flow.MODULE_FIGURES}
    assert theme["FP8|prs"]["value"] == 6 and theme["FP8|prs"]["prs"] == [1, 2, 3, 4, 5, 6]
    assert theme["FP8|time_to_merge_hours.median"]["value"] == statistics.median(range(1, 7))
    assert theme["FP8|time_to_first_review_hours.median"]["value"] == 1


def test_scope_figures_are_week_flow_of_the_scope_alone():
    # module and theme figures come from the week's PR facts: they must equal week_flow of the slice
    rows = [_pr(n, author="dep[bot]" if n % 5 == 0 else f"a{n % 3}", ready=n % 2, merged=n + 3,
                reviews=[_rev("bob", n % 4, "APPROVED" if n % 3 else "COMMENTED")] if n % 4 else [],
                coverage="all" if n % 6 else "comments") for n in range(1, 20)]
    week = _frame(rows)
    facts = flow.pr_facts(week)
    for picked in ([1, 2, 3], list(range(1, 20, 2)), [5, 10, 15], [6, 12, 18]):
        alone = flow.week_flow(week[week["number"].isin(picked)])
        scope = flow.scope_figures([f for f in facts if f["number"] in picked])
        assert scope["prs"] == alone["merged"] - len(alone["bot_prs"])
        for key in flow.MODULE_FIGURES[1:]:
            assert flow.scalar(scope, key) == flow.scalar(alone, key), (picked, key)
