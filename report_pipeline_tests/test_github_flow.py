"""Flow data from the fake GitHub on loopback: reviews, ready events, counts, first-time authors."""

from __future__ import annotations

import datetime as dt
import math
import random
import statistics

import pytest

from report_pipeline.domain.flow import is_bot, week_flow
from report_pipeline.weeks import week_window
from report_pipeline_tests.github_server import FakeGitHub, make_pr, review, timeline_event

REPO = "acme/widgets"
WEEK = week_window("2026-04-13", "Asia/Shanghai")
UTC = dt.timezone.utc
START = WEEK.start.astimezone(UTC)
END = WEEK.end.astimezone(UTC)
PEOPLE = ["ada", "bob", "cy", "dee", "eve", "fox", "gus"]


def _week(seed: int = 11, n: int = 60) -> list[dict]:
    """A random week: drafts, bots, ghosts, imports, force-pushed timelines, PRs without reviews."""
    rng = random.Random(seed)
    prs = []
    for i in range(n):
        number = 100 + i
        merged = START + dt.timedelta(seconds=rng.randrange(int((END - START).total_seconds())))
        created = merged - dt.timedelta(hours=rng.uniform(1, 200))
        author = rng.choice(PEOPLE + ["renovate", None])
        atype = "Bot" if author == "renovate" else "User"
        timeline = []
        if rng.random() < 0.3:  # a draft made ready (sometimes twice, last one wins)
            for _ in range(rng.choice([1, 2])):
                timeline.append(timeline_event("ReadyForReviewEvent",
                                               created + (merged - created) * rng.uniform(0.1, 0.6)))
            timeline.sort(key=lambda e: e["createdAt"])
        if rng.random() < 0.1:  # force pushes and a timeline older than the PR
            timeline.insert(0, timeline_event("HeadRefForcePushedEvent", created + dt.timedelta(minutes=5)))
            timeline.insert(0, timeline_event("ReadyForReviewEvent", created - dt.timedelta(days=3)))
        reviews = []
        for _ in range(rng.choice([0, 0, 1, 2, 3, 5])):
            who = rng.choice(PEOPLE + ["ci-bot", None])
            at = created + (merged - created) * rng.uniform(-0.2, 1.0)  # some before creation (imports)
            reviews.append(review(who, at, rng.choice(["COMMENTED", "APPROVED", "CHANGES_REQUESTED", "DISMISSED"]),
                                  typename="Bot" if who == "ci-bot" else "User"))
        reviews.sort(key=lambda r: r["createdAt"])
        prs.append(make_pr(REPO, number, merged, author=author, author_type=atype, created_at=created,
                           review_events=reviews, timeline=timeline, association="CONTRIBUTOR"))
    # history: ada, bob, cy merged before the week; dee only after it started
    for j, who in enumerate(["ada", "bob", "cy"]):
        prs.append(make_pr(REPO, 10 + j, START - dt.timedelta(days=30 + j), author=who))
    # unmerged PRs for the counts
    prs.append(make_pr(REPO, 900, START, state="OPEN", created_at=START + dt.timedelta(hours=3)))
    prs.append(make_pr(REPO, 901, START, state="CLOSED", created_at=START - dt.timedelta(days=9),
                       closed_at=START + dt.timedelta(days=1)))
    prs.append(make_pr(REPO, 902, START, state="CLOSED", created_at=START - dt.timedelta(days=9),
                       closed_at=END + dt.timedelta(days=1)))  # open at week end, closed later
    prs.append(make_pr(REPO, 903, START, state="OPEN", created_at=END + dt.timedelta(hours=1)))  # after the week
    return prs


def _t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _recount(prs: list[dict]) -> dict:
    """The figures straight from the fake's data, written independently of domain/flow.py."""
    week = [p for p in prs if p["mergedAt"] and START <= _t(p["mergedAt"]) < END]
    merge_h, first_h, unapproved, load = [], [], [], {}
    for p in week:
        author = (p["author"] or {}).get("login")
        if p["author"] and p["author"]["__typename"] == "Bot":
            continue
        created = _t(p["createdAt"])
        ready_events = [_t(e["createdAt"]) for e in p["timelineItems"] if e["__typename"] == "ReadyForReviewEvent"]
        ready = max(created, ready_events[-1]) if ready_events else created
        merge_h.append((_t(p["mergedAt"]) - ready).total_seconds() / 3600)
        valid = [r for r in p["reviews"] if _t(r["submittedAt"]) >= created
                 and not (r["author"] is None and author is None)
                 and (r["author"] is None or r["author"]["login"] != author)
                 and not (r["author"] and r["author"]["__typename"] == "Bot")]
        if valid:
            first_h.append(max(0.0, (min(_t(r["submittedAt"]) for r in valid) - ready).total_seconds() / 3600))
        if not any(r["state"] == "APPROVED" for r in valid):
            unapproved.append(p["number"])
        for r in valid:
            if r["author"]:
                load[r["author"]["login"]] = load.get(r["author"]["login"], 0) + 1
    return {"merge": merge_h, "first": first_h, "unapproved": sorted(unapproved), "load": load}


@pytest.fixture
def fake():
    fake = FakeGitHub(prs={REPO: _week()})
    with fake.serve():
        yield fake


def _client(fake):
    from report_pipeline.sources.github import GitHubClient

    return GitHubClient(fake.token, fake.graphql_url, fake.api_url, timeout=5.0)


def test_flow_figures_from_github_match_recount(fake):
    with _client(fake) as client:
        df, stats = client.fetch_merged_prs(REPO, WEEK)
        counts = client.fetch_flow_counts(REPO, WEEK)
    n = len(df)
    assert n == 60
    # ceil(N/25) search pages + one first-time request; + one for the counts: within ceil(N/25) + 3
    assert stats.requests == math.ceil(n / 25) + 1
    assert stats.requests + client.last_stats.requests <= math.ceil(n / 25) + 3
    got = week_flow(df, counts)
    want = _recount(list(fake.repos[REPO].values()))
    assert got["time_to_merge_hours"]["n"] == len(want["merge"])
    assert got["time_to_merge_hours"]["median"] == pytest.approx(statistics.median(want["merge"]), abs=0.01)
    assert got["time_to_first_review_hours"]["n"] == len(want["first"])
    assert got["time_to_first_review_hours"]["median"] == pytest.approx(statistics.median(want["first"]), abs=0.01)
    assert got["merged_without_approval"]["prs"] == want["unapproved"]
    assert {r["reviewer"]: r["reviews"] for r in got["reviewers"]} == want["load"]
    bots = sorted(p["number"] for p in fake.repos[REPO].values()
                  if p["mergedAt"] and START <= _t(p["mergedAt"]) < END and p["author"] and p["author"]["__typename"] == "Bot")
    assert got["bot_prs"] == bots and bots
    assert all(is_bot(a, t) == (t == "Bot") for a, t in zip(df["author"], df["author_type"]))
    # counts: 60 merged + #900 opened this week; #901 closed unmerged; open at end: #900, #902
    opened = sum(1 for p in fake.repos[REPO].values() if START <= _t(p["createdAt"]) < END)
    assert counts == {"opened": opened, "closed_unmerged": 1, "open_at_week_end": 2}


def test_first_time_contributors_are_those_of_the_week(fake):
    with _client(fake) as client:
        df, _ = client.fetch_merged_prs(REPO, WEEK)
    got = week_flow(df)["first_time_contributors"]
    humans = {a for a in df["author"].dropna() if a != "renovate"}
    # ada, bob and cy merged before the week (history PRs); everyone else is new this week
    assert {c["author"] for c in got} == humans - {"ada", "bob", "cy"}
    assert set(df.loc[df["author"].isin(["ada", "bob", "cy"]), "author_association"]) == {"CONTRIBUTOR"}
    # a later week: nobody is first-time any more, whatever GitHub says today
    later = week_window("2026-04-20", "Asia/Shanghai")
    fake.add_prs(REPO, [make_pr(REPO, 990, later.start + dt.timedelta(hours=1), author="dee",
                                association="FIRST_TIME_CONTRIBUTOR")])
    with _client(fake) as client:
        df2, _ = client.fetch_merged_prs(REPO, later)
    assert df2["author_association"].tolist() == ["CONTRIBUTOR"]


def test_pr_with_more_than_100_reviews_is_paged(fake):
    many = [review(f"r{i}", START + dt.timedelta(minutes=i), "COMMENTED") for i in range(130)]
    fake.add_prs(REPO, [make_pr(REPO, 777, START + dt.timedelta(days=1), author="ada", created_at=START,
                                review_events=many + [review("zed", START + dt.timedelta(hours=5), "APPROVED")])])
    with _client(fake) as client:
        df, stats = client.fetch_merged_prs(REPO, WEEK)
    row = df.set_index("number").loc[777]
    assert len(row["reviews"]) == 131 and row["reviews"][-1]["state"] == "APPROVED"
    assert stats.extra_review_pages == 1
    assert 777 not in week_flow(df)["merged_without_approval"]["prs"]
