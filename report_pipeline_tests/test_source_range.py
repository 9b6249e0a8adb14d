"""Range-aware extraction: many weeks from one read of the source, equal to week-by-week reads."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from report_pipeline.config import RepositoryConfig
from report_pipeline.sources import extract_range, extract_week
from report_pipeline.sources.git import read_git_range, read_git_week
from report_pipeline.sources.github import GitHubClient
from report_pipeline.sources.sample import read_sample_range, read_sample_week
from report_pipeline.weeks import week_window
from report_pipeline_tests.conftest import SAMPLE
from report_pipeline_tests.github_server import FakeGitHub, synthetic_prs
from report_pipeline_tests.test_git_source import REPO, TZ, commit, git, repo, write  # noqa: F401 - the fixture

WEEKS = ["2026-04-06", "2026-04-13", "2026-04-20", "2026-04-27"]
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")


def windows(keys, tz=TZ):
    return [week_window(k, tz) for k in keys]


@pytest.fixture
def git_calls(tmp_path, monkeypatch) -> Path:
    """A ``git`` on PATH that records each invocation's arguments, then runs the real git."""
    real = shutil.which("git")
    log = tmp_path / "git-calls.log"
    shim = tmp_path / "bin" / "git"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\nexec "{real}" "$@"\n')
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim.parent}{os.pathsep}{os.environ['PATH']}")
    log.touch()
    return log


@needs_git
def test_git_range_equals_week_by_week(repo):  # noqa: F811
    ranged = read_git_range(repo["path"], REPO, windows(WEEKS))
    assert list(ranged) == WEEKS
    for window in windows(WEEKS):
        frame, stats = read_git_week(repo["path"], REPO, window)
        pd.testing.assert_frame_equal(ranged[window.key][0], frame)
        assert ranged[window.key][1] == stats
    assert sorted(ranged["2026-04-13"][0]["number"]) == [2, 3, 6, 12]


@needs_git
def test_git_range_tracks_first_time_authors_across_weeks(repo):  # noqa: F811
    ranged = read_git_range(repo["path"], REPO, windows(WEEKS[1:3]))
    assoc = {int(n): a for frame, _ in ranged.values()
             for n, a in zip(frame["number"], frame["author_association"])}
    # carol's first PR is the merge #12 in week 04-13; her #5 a week later is not her first
    assert assoc[12] == "FIRST_TIME_CONTRIBUTOR"
    assert assoc[5] == "CONTRIBUTOR"
    # Bob's #1 precedes the range: read from the history before it, not from the range
    assert assoc[3] == "CONTRIBUTOR"
    assert assoc[2] == "FIRST_TIME_CONTRIBUTOR"


@needs_git
def test_git_range_reads_history_once_whatever_the_week_count(repo, git_calls):  # noqa: F811
    def calls(keys):
        git_calls.write_text("")
        read_git_range(repo["path"], REPO, windows(keys))
        return [c for c in git_calls.read_text().split("\n") if c]  # not splitlines(): \x1e in formats

    four = calls(WEEKS)
    weekly = sum(len(calls([week])) for week in WEEKS)
    logs = [c.split(" log ", 1)[1] for c in four if " log " in c]
    assert len([c for c in logs if "--numstat" in c]) == 1, four  # the span's diffs, once
    assert len([c for c in logs if "--since" not in c and "--stdin" not in c and "-g" not in c.split()]) <= 1
    assert len([c for c in logs if "--stdin" in c]) <= 1  # merge authors, one batch
    assert len(four) < weekly / 2, (len(four), weekly)


@needs_git
def test_git_long_range_reads_diffs_in_parallel_chunks_with_the_same_result(repo, git_calls, monkeypatch):  # noqa: F811
    from report_pipeline.sources import git as git_source

    monkeypatch.setattr(git_source.os, "cpu_count", lambda: 3)
    keys = [(dt.date(2026, 3, 2) + dt.timedelta(weeks=i)).isoformat() for i in range(12)]  # > 8 weeks
    ranged = read_git_range(repo["path"], REPO, windows(keys))
    chunked = [c for c in git_calls.read_text().split("\n") if " log --no-walk=unsorted --stdin" in c and "--numstat" in c]
    assert len(chunked) == 3, chunked  # the span's commits split over three concurrent readers
    for window in windows(keys):
        frame, stats = read_git_week(repo["path"], REPO, window)
        pd.testing.assert_frame_equal(ranged[window.key][0], frame)
        assert ranged[window.key][1] == stats
    assert sum(len(f) for f, _ in ranged.values()) > 5


@needs_git
def test_git_pr_squashed_twice_is_reported_once(tmp_path):
    root = tmp_path / "twice"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, "a.txt", "1\n")
    commit(root, "Start (#1)", "2026-04-06T10:00:00+08:00")
    write(root, "a.txt", "1\n2\n")
    commit(root, 'Revert "Thing" (#7)', "2026-04-14T10:00:00+08:00")
    write(root, "a.txt", "1\n2\n3\n")
    last = commit(root, 'Revert "Thing" (#7)', "2026-04-14T10:00:30+08:00")
    frame, stats = read_git_week(root, REPO, week_window("2026-04-13", TZ))
    assert list(frame["number"]) == [7]
    assert frame["merge_commit_sha"].iloc[0] == last  # the later commit is the PR's merge
    assert (stats.squash_merges, stats.repeated_prs) == (2, 1)


def test_sample_range_equals_week_by_week():
    keys = [(dt.date(2026, 8, 24) + dt.timedelta(weeks=i)).isoformat() for i in range(13)]
    ranged = read_sample_range(SAMPLE, "lumen-ai/lumen", windows(keys, "UTC"))
    assert sum(len(f) for f in ranged.values()) == 680
    for window in windows(keys, "UTC"):
        pd.testing.assert_frame_equal(ranged[window.key], read_sample_week(SAMPLE, "lumen-ai/lumen", window))


def test_sample_range_in_another_timezone_splits_at_local_mondays():
    keys = [(dt.date(2026, 8, 31) + dt.timedelta(weeks=i)).isoformat() for i in range(12)]
    ranged = read_sample_range(SAMPLE, "lumen-ai/lumen", windows(keys, "America/Los_Angeles"))
    for window in windows(keys, "America/Los_Angeles"):
        frame = ranged[window.key]
        assert ((frame["merged_at"] >= window.start) & (frame["merged_at"] < window.end)).all()
        pd.testing.assert_frame_equal(frame, read_sample_week(SAMPLE, "lumen-ai/lumen", window))


def test_github_windows_share_one_client_and_run_concurrently():
    gh_weeks = ["2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23"]
    start = dt.datetime(2026, 3, 2, tzinfo=dt.timezone.utc)
    fake = FakeGitHub(prs={"acme/widgets": synthetic_prs("acme/widgets", 160, start, start + dt.timedelta(weeks=4))})
    fake.delay = 0.15
    repo_cfg = RepositoryConfig(name="acme/widgets", source="github", rules="default", path=None)
    built = []

    with fake.serve():
        def client(_repo):
            built.append(1)
            return GitHubClient(fake.token, graphql_url=fake.graphql_url, api_url=fake.api_url, page_size=50)

        ranged = extract_range(repo_cfg, windows(gh_weeks, "UTC"), github_client=client, concurrency=3)
        assert len(built) == 1  # one client (connection pool, rate-limit handling) for the range
        assert 2 <= fake.max_in_flight <= 3  # concurrent, never past the limit
        fake.max_in_flight = 0
        for window in windows(gh_weeks, "UTC"):
            frame, meta = extract_week(repo_cfg, window, github_client=client)
            pd.testing.assert_frame_equal(ranged[window.key][0], frame)
            assert ranged[window.key][1]["source"] == meta["source"] == "github"
        assert fake.max_in_flight == 1
    assert sum(len(f) for f, _ in ranged.values()) == 160
