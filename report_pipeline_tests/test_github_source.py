"""The GitHub source against a fake GitHub served on 127.0.0.1 (no mocks of our code)."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from report_pipeline import schema
from report_pipeline.sources.github import (
    GitHubAuthError,
    GitHubClient,
    GitHubError,
    GitHubGraphQLError,
    GitHubNotFoundError,
    GitHubRateLimitError,
    GitHubTransportError,
)
from report_pipeline.weeks import week_window
from report_pipeline_tests.github_server import (
    VLLM_ASCEND,
    FakeGitHub,
    Fault,
    load_records,
    make_pr,
    pr_from_record,
    synthetic_prs,
)

REPO = "acme/widgets"
WEEK = week_window("2026-04-13", "Asia/Shanghai")
UTC = dt.timezone.utc


class Recorder:
    """Collects log lines and injected sleeps."""

    def __init__(self):
        self.logs: list[str] = []
        self.sleeps: list[float] = []

    def client(self, fake: FakeGitHub, token: str | None = "__fake__", **kw) -> GitHubClient:
        kw.setdefault("timeout", 5.0)
        return GitHubClient(
            fake.token if token == "__fake__" else token, fake.graphql_url, fake.api_url,
            log=self.logs.append, sleep=self.sleeps.append, **kw,
        )


def _week_prs() -> list[dict]:
    start, end = WEEK.start.astimezone(UTC), WEEK.end.astimezone(UTC)
    prs = synthetic_prs(REPO, 120, start - dt.timedelta(days=7), end + dt.timedelta(days=7), first_number=1)
    # the edges: start is in, end - 1 s is in, end is out, start - 1 s is out
    prs += [
        make_pr(REPO, 901, start),
        make_pr(REPO, 902, end - dt.timedelta(seconds=1)),
        make_pr(REPO, 903, end),
        make_pr(REPO, 904, start - dt.timedelta(seconds=1)),
    ]
    return prs


def _expected(prs: list[dict], window=WEEK) -> set[int]:
    return {
        p["number"] for p in prs
        if window.contains(dt.datetime.fromisoformat(p["mergedAt"].replace("Z", "+00:00")))
    }


@pytest.fixture
def fake():
    fake = FakeGitHub(prs={REPO: _week_prs()})
    with fake.serve():
        yield fake


@pytest.fixture
def rec():
    return Recorder()


def _numbers(df: pd.DataFrame) -> list[int]:
    return df["number"].tolist()


# -- normal weeks ------------------------------------------------------------

def test_normal_week_synthetic(fake, rec):
    expected = _expected(list(fake.repos[REPO].values()))
    assert {901, 902} <= expected and not {903, 904} & expected
    with rec.client(fake) as client:
        df, stats = client.fetch_merged_prs(REPO, WEEK)
    assert set(_numbers(df)) == expected and len(df) == len(expected)
    assert list(df.columns) == schema.RAW_SCHEMA.names
    assert (df["source"] == "github").all()
    # 25 PRs a page, then one aliased "merged before the week?" search for the week's authors
    assert stats.search_pages == math.ceil(len(expected) / 25) and stats.history_searches == 1
    assert stats.requests == stats.search_pages + 1
    assert stats.windows == 1 and stats.issue_count == len(expected) and stats.retries == 0
    assert stats.rate_limit_cost == stats.requests and stats.rate_limit_remaining is not None
    assert df["merged_at"].is_monotonic_increasing
    # the query sent uses the window's offset and an inclusive end one second early
    q = fake.graphql_requests[0]["variables"]["q"]
    assert q == f"repo:{REPO} is:pr is:merged merged:2026-04-13T00:00:00+08:00..2026-04-19T23:59:59+08:00"
    assert rec.logs[-1] == f"search page {stats.search_pages}: {len(expected)} of {len(expected)} PRs"


def test_row_contents(fake, rec):
    pr = fake.repos[REPO][901]
    with rec.client(fake) as client:
        df, _ = client.fetch_merged_prs(REPO, WEEK)
    row = df.set_index("number").loc[901]
    assert row["title"] == pr["title"] and row["author"] == "octocat"
    assert row["merged_at"] == WEEK.start
    assert row["additions"] == pr["additions"] and row["changed_files"] == 1
    assert row["files"][0]["previous_path"] is None and row["files"][0]["change_type"] == "MODIFIED"
    assert row["review_count"] == len(pr["reviews"]) and row["comment_count"] == len(pr["comments"])
    assert row["merge_commit_sha"] == pr["mergeCommit"]["oid"] and row["base_ref"] == "main"


@pytest.mark.skipif(not VLLM_ASCEND.exists(), reason="shared PR data not present")
def test_normal_week_real_data(rec):
    records = load_records()
    window = week_window("2026-03-02", "Asia/Shanghai")
    data = pd.DataFrame(records)
    merged = pd.to_datetime(data["merged_at"], utc=True)
    expected = set(data.loc[(merged >= window.start) & (merged < window.end), "number"])
    assert len(expected) > 50
    fake = FakeGitHub(prs={"vllm-project/vllm-ascend": [pr_from_record(r) for r in records]})
    with fake.serve(), rec.client(fake) as client:
        df, stats = client.fetch_merged_prs("vllm-project/vllm-ascend", window)
    assert set(_numbers(df)) == expected and len(df) == len(expected)
    assert stats.requests == math.ceil(len(expected) / 25) + 1
    by_number = {r["number"]: r for r in records}
    for row in df.itertuples():
        src = by_number[row.number]
        assert (row.additions, row.deletions, row.changed_files) == (src["additions"], src["deletions"], src["changed_files"])
        assert [f["path"] for f in row.files] == [f["path"] for f in src["files"]]
    assert any("module:core" in labels or "ci/build" in labels for labels in df["labels"])


def test_empty_week(rec):
    fake = FakeGitHub(prs={REPO: []})
    with fake.serve(), rec.client(fake) as client:
        df, stats = client.fetch_merged_prs(REPO, WEEK)
    assert df.empty and list(df.columns) == schema.RAW_SCHEMA.names and stats.requests == 1


def test_request_count_is_ceil_n_over_page_size(rec):
    start = WEEK.start.astimezone(UTC)
    prs = synthetic_prs(REPO, 183, start, WEEK.end.astimezone(UTC))
    fake = FakeGitHub(prs={REPO: prs})
    with fake.serve():
        for page_size in (50, 100, 7):
            with rec.client(fake, page_size=page_size) as client:
                df, stats = client.fetch_merged_prs(REPO, WEEK)
            assert len(df) == 183 and stats.requests == math.ceil(183 / page_size) + 1


# -- the 1000 cap ------------------------------------------------------------

def test_week_over_search_cap_is_split(rec):
    start, end = WEEK.start.astimezone(UTC), WEEK.end.astimezone(UTC)
    prs = synthetic_prs(REPO, 1150, start, end)
    fake = FakeGitHub(prs={REPO: prs})
    with fake.serve(), rec.client(fake, page_size=100) as client:
        df, stats = client.fetch_merged_prs(REPO, WEEK)
    numbers = _numbers(df)
    assert len(numbers) == len(set(numbers)) == 1150
    assert set(numbers) == _expected(prs)
    assert stats.windows >= 2 and stats.issue_count == 1150 and stats.duplicates == 0
    assert any("exceed the search cap" in line for line in rec.logs)


def test_split_down_to_adjacent_seconds(rec):
    # 1,200 PRs in two consecutive seconds: the split must land between them, no overlap, no gap
    moment = WEEK.start.astimezone(UTC) + dt.timedelta(days=3, seconds=17)
    prs = [make_pr(REPO, i, moment) for i in range(1, 601)]
    prs += [make_pr(REPO, i, moment + dt.timedelta(seconds=1)) for i in range(601, 1201)]
    fake = FakeGitHub(prs={REPO: prs})
    with fake.serve(), rec.client(fake, page_size=100) as client:
        df, stats = client.fetch_merged_prs(REPO, WEEK)
    assert sorted(_numbers(df)) == list(range(1, 1201))
    assert stats.duplicates == 0 and stats.issue_count == 1200


def test_more_than_cap_in_one_second_raises(rec):
    moment = WEEK.start.astimezone(UTC) + dt.timedelta(days=1)
    fake = FakeGitHub(prs={REPO: [make_pr(REPO, i, moment) for i in range(1, 1002)]})
    with fake.serve(), rec.client(fake, page_size=100) as client:
        with pytest.raises(GitHubError, match="cannot split further"):
            client.fetch_merged_prs(REPO, WEEK)


def test_outside_window_hits_are_dropped_and_counted(fake, rec):
    fake.leak_seconds = 1  # the search answers one second too generously at both ends
    with rec.client(fake) as client:
        df, stats = client.fetch_merged_prs(REPO, WEEK)
    assert set(_numbers(df)) == _expected(list(fake.repos[REPO].values()))
    assert stats.outside_window == 2  # #903 at end, #904 at start - 1 s


# -- files paging ------------------------------------------------------------

def test_pr_with_more_than_100_files(fake, rec):
    files = [
        {"path": f"pkg/f{i:03d}.py", "previous_path": None, "change_type": "ADDED", "additions": i, "deletions": i % 5}
        for i in range(250)
    ]
    fake.add_prs(REPO, [make_pr(REPO, 950, WEEK.start + dt.timedelta(days=2), files=files)])
    with rec.client(fake) as client:
        df, stats = client.fetch_merged_prs(REPO, WEEK)
    row = df.set_index("number").loc[950]
    assert [f["path"] for f in row["files"]] == [f["path"] for f in files]
    assert sum(f["additions"] for f in row["files"]) == row["additions"] == sum(range(250))
    assert sum(f["deletions"] for f in row["files"]) == row["deletions"]
    assert row["changed_files"] == 250
    assert stats.extra_file_pages == 2
    assert stats.requests == stats.search_pages + 2 + stats.history_searches


# -- faults ------------------------------------------------------------------

FAULTS = [
    Fault("502"), Fault("secondary", 1), Fault("secondary_no_retry_after"), Fault("429", 1),
    Fault("reset"), Fault("truncated"), Fault("invalid_json"), Fault("timeout", 30),
    Fault("rate_limited", 2), Fault("primary", 2),
]
# The client's timeout covers every request, the fault-free ones too: it is short only where
# the fault needs it, and long enough that a loaded machine's normal answers never reach it
# (the hung answer of a ``timeout`` fault lasts until the fake stops, far beyond it).
_FAULT_TIMEOUT = {"timeout": 1.0}


@pytest.mark.parametrize("fault", FAULTS, ids=[f.kind for f in FAULTS])
def test_each_fault_gives_the_clean_rows(fake, rec, fault):
    with rec.client(fake) as client:
        clean, clean_stats = client.fetch_merged_prs(REPO, WEEK)
    fake.faults = [fault, Fault(fault.kind, fault.seconds)]  # first page and second page
    rec.sleeps.clear()
    with rec.client(fake, timeout=_FAULT_TIMEOUT.get(fault.kind, 5.0)) as client:
        df, stats = client.fetch_merged_prs(REPO, WEEK)
    pd.testing.assert_frame_equal(df, clean)
    assert stats.retries == 2 and stats.requests == clean_stats.requests + 2
    assert len(rec.sleeps) == 2
    if fault.kind in ("secondary", "429"):
        assert rec.sleeps == [1.0, 1.0]
    if fault.kind == "secondary_no_retry_after":
        assert rec.sleeps == [60.0, 120.0]  # exponential from a minute
    if fault.kind in ("primary", "rate_limited"):
        assert all(0 < s <= 3.5 for s in rec.sleeps)


def test_primary_limit_beyond_max_wait_raises_with_reset_time(fake, rec):
    fake.faults = [Fault("primary", 3600)]
    with rec.client(fake, max_wait_seconds=900) as client:
        with pytest.raises(GitHubRateLimitError) as info:
            client.fetch_merged_prs(REPO, WEEK)
    reset = info.value.reset_at
    assert reset is not None and reset.tzinfo is not None
    assert reset.strftime("%Y-%m-%dT%H:%M:%SZ") in str(info.value) and "UTC" in str(info.value)
    assert rec.sleeps == []


def test_primary_limit_within_max_wait_waits_then_succeeds(fake, rec):
    fake.faults = [Fault("primary", 30)]
    with rec.client(fake, max_wait_seconds=900) as client:
        df, stats = client.fetch_merged_prs(REPO, WEEK)
    assert len(rec.sleeps) == 1 and 28 <= rec.sleeps[0] <= 32
    assert set(_numbers(df)) == _expected(list(fake.repos[REPO].values())) and stats.retries == 1


def test_secondary_retry_after_beyond_max_wait_raises(fake, rec):
    fake.faults = [Fault("secondary", 120)]
    with rec.client(fake, max_wait_seconds=60) as client:
        with pytest.raises(GitHubRateLimitError, match="secondary"):
            client.fetch_merged_prs(REPO, WEEK)


def test_retries_exhausted_raise_transport_error(fake, rec):
    fake.faults = ["502"] * 10
    with rec.client(fake, max_retries=3) as client:
        with pytest.raises(GitHubTransportError, match="after 3 retries"):
            client.fetch_merged_prs(REPO, WEEK)
    assert len(rec.sleeps) == 3 and rec.sleeps == sorted(rec.sleeps)
    assert len(fake.graphql_requests) == 4


# -- errors ------------------------------------------------------------------

def test_bad_token_401(fake, rec):
    with rec.client(fake, token="ghp_wrong_secret_42") as client:
        with pytest.raises(GitHubAuthError, match=r"401 Bad credentials") as info:
            client.fetch_merged_prs(REPO, WEEK)
    assert "ghp_wrong_secret_42" not in str(info.value) + repr(client) + "".join(rec.logs)


@pytest.mark.parametrize("token", [None, "", "  "])
def test_missing_token(fake, rec, token):
    with pytest.raises(GitHubAuthError, match="GITHUB_TOKEN"):
        rec.client(fake, token=token)
    assert fake.requests == []


def test_unknown_repository(fake, rec):
    with rec.client(fake) as client:
        with pytest.raises(GitHubNotFoundError, match="acme/missing"):
            client.fetch_merged_prs("acme/missing", WEEK)
        with pytest.raises(GitHubNotFoundError, match="acme/missing"):
            client.fetch_pr_metadata("acme/missing", [1])
        with pytest.raises(GitHubNotFoundError, match="acme/missing"):
            client.fetch_review_comments("acme/missing", [1])


def test_graphql_errors_in_200(fake, rec):
    fake.faults = ["graphql_error"]
    with rec.client(fake) as client:
        with pytest.raises(GitHubGraphQLError) as info:
            client.fetch_merged_prs(REPO, WEEK)
    assert info.value.messages == [
        "Something went wrong while executing your query.", "Field 'x' doesn't exist on type 'PullRequest'",
    ]
    assert "Something went wrong" in str(info.value) and rec.sleeps == []


def test_wrong_graphql_url_names_it(fake, rec):
    client = GitHubClient(fake.token, fake.base_url + "/graphql", fake.api_url, sleep=rec.sleeps.append)
    with client, pytest.raises(GitHubError, match="HTTP 404.*/graphql"):
        client.fetch_merged_prs(REPO, WEEK)


def test_token_never_in_messages_logs_repr_or_stats(fake, rec):
    token = fake.token
    seen: list[str] = []
    fake.faults = ["echo_token"]
    with rec.client(fake) as client:
        with pytest.raises(GitHubGraphQLError) as info:
            client.fetch_merged_prs(REPO, WEEK)
        seen += [str(info.value), repr(info.value), *info.value.messages, repr(client), repr(client._session)]
        fake.faults = ["502", "reset", "truncated"]
        with pytest.raises(GitHubTransportError) as info2:
            client2 = rec.client(fake, max_retries=2, timeout=0.3)
            client2.fetch_merged_prs(REPO, WEEK)
        seen += [str(info2.value), repr(client2.last_stats)]
        df, stats = client.fetch_merged_prs(REPO, WEEK)
        seen += [repr(stats), df.to_string()]
    seen += rec.logs
    assert "***" in str(info.value)  # the echo was redacted, not just absent
    assert rec.logs and all(token not in text for text in seen)


# -- reviews and metadata ----------------------------------------------------

def _expected_reviews(prs: list[dict]) -> list[tuple]:
    rows = []
    for pr in prs:
        for r in pr["reviews"]:
            if r["body"].strip():
                rows.append((pr["number"], r["author"]["login"], None, r["body"]))
        for t in pr["reviewThreads"]:
            for c in t["comments"]:
                rows.append((pr["number"], c["author"]["login"], c["path"], c["body"]))
    return sorted(rows, key=repr)


def test_fetch_review_comments(fake, rec):
    numbers = sorted(fake.repos[REPO])[:25]
    with rec.client(fake) as client:
        df = client.fetch_review_comments(REPO, numbers)
        stats = client.last_stats
    assert list(df.columns) == schema.REVIEWS_SCHEMA.names
    got = sorted(((r.number, r.author, None if pd.isna(r.path) else r.path, r.body) for r in df.itertuples()), key=repr)
    assert got == _expected_reviews([fake.repos[REPO][n] for n in numbers]) and got
    assert stats.requests == 3  # ten PRs per query
    assert df["created_at"].dt.tz is not None


def test_fetch_review_comments_pages_overflowing_connections(fake, rec):
    big = make_pr(REPO, 960, WEEK.start, reviews=130, threads=60, comments_per_thread=3)
    big["reviewThreads"][5]["comments"] = [
        {"author": {"__typename": "User", "id": "U_x", "login": "x"}, "path": "a.py", "body": f"c{i}", "createdAt": big["mergedAt"]}
        for i in range(230)
    ]
    fake.add_prs(REPO, [big])
    with rec.client(fake) as client:
        df = client.fetch_review_comments(REPO, [960])
        stats = client.last_stats
    got = sorted(((r.number, r.author, None if pd.isna(r.path) else r.path, r.body) for r in df.itertuples()), key=repr)
    assert got == _expected_reviews([big])
    # 1 batch + 1 reviews page + 1 threads page + 2 pages of the long thread
    assert stats.requests == 5


def test_fetch_pr_metadata(fake, rec):
    numbers = sorted(fake.repos[REPO])[:110] + [5000]  # 5000 is not a PR
    with rec.client(fake) as client:
        df = client.fetch_pr_metadata(REPO, numbers)
        stats = client.last_stats
    assert list(df.columns) == ["number", "labels", "review_count", "comment_count", "author_association"]
    assert stats.requests == 2  # one query per 100 PRs
    assert sorted(df["number"]) == numbers[:-1]
    for row in df.itertuples():
        pr = fake.repos[REPO][row.number]
        assert row.labels == [label["name"] for label in pr["labels"]]
        assert row.review_count == len(pr["reviews"]) and row.comment_count == len(pr["comments"])
        assert row.author_association == pr["authorAssociation"]
    assert any("#5000" in line for line in rec.logs)


def test_metadata_labels_match_search(fake, rec):
    with rec.client(fake) as client:
        df, _ = client.fetch_merged_prs(REPO, WEEK)
        meta = client.fetch_pr_metadata(REPO, df["number"].tolist())
    merged = df.merge(meta, on="number", suffixes=("", "_meta"))
    assert len(merged) == len(df)
    assert (merged["labels"] == merged["labels_meta"]).all()
