"""Sources that cannot see a week fail, naming the fix; they never report "no PRs".

Real clones over file:// (shallow with ``--depth``, stale with old reflog dates, reset
behind the remote branch) and a truncated sample file, through the sources and the CLI.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from report_pipeline.cli import main
from report_pipeline.sources.git import GitSourceError, read_git_week
from report_pipeline.sources.sample import SampleSourceError, read_sample_week
from report_pipeline.weeks import week_window
from report_pipeline_tests.conftest import SAMPLE, write_config
from report_pipeline_tests.test_git_source import commit, git, write

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")

REPO = "acme/widgets"
WEEK_A, WEEK_B = "2026-04-06", "2026-04-13"
# (PR number, committer date): two PRs in week A, three in week B
HISTORY = [(1, "2026-04-01T10:00:00Z"), (2, "2026-04-07T10:00:00Z"), (3, "2026-04-08T10:00:00Z"),
           (4, "2026-04-14T10:00:00Z"), (5, "2026-04-15T10:00:00Z"), (6, "2026-04-16T10:00:00Z")]


def _origin(root: Path, upto: int) -> Path:
    origin = root / "origin"
    origin.mkdir()
    git(origin, "init", "-q", "-b", "main")
    _extend(origin, 0, upto)
    return origin


def _extend(origin: Path, after: int, upto: int) -> None:
    for number, date in HISTORY[after:upto]:
        # the first commit is big: read as a PR, a shallow boundary would look like a huge change
        content = "".join(f"line {i}\n" for i in range(2000)) if number == 1 else f"pr {number}\n"
        write(origin, f"f{number}.txt", content)
        commit(origin, f"Change {number} (#{number})", date)


def _clone(origin: Path, name: str, *args: str, date: str | None = None) -> Path:
    git(origin.parent, "clone", "-q", *args, f"file://{origin}", name, date=date)
    return origin.parent / name


def _numbers(path: Path, week: str, **kwargs) -> list[int]:
    frame, _ = read_git_week(path, REPO, week_window(week), **kwargs)
    return sorted(int(n) for n in frame["number"])


@needs_git
def test_shallow_clone_that_misses_the_week_start_fails_with_the_fix(tmp_path):
    origin = _origin(tmp_path, 6)
    shallow = _clone(origin, "shallow", "--depth", "2")  # #6 and #5; #5 is the boundary, inside week B
    with pytest.raises(GitSourceError, match=r"shallow clone.*week 2026-04-13.*fetch --unshallow"):
        read_git_week(shallow, REPO, week_window(WEEK_B))
    deeper = _clone(origin, "deeper", "--depth", "4")  # boundary #3, before week B
    frame, _ = read_git_week(deeper, REPO, week_window(WEEK_B))
    assert sorted(frame["number"]) == [4, 5, 6]
    assert frame["additions"].max() == 1, "no commit is diffed against an empty tree"
    with pytest.raises(GitSourceError, match="fetch --unshallow"):
        read_git_week(deeper, REPO, week_window(WEEK_A))
    git(deeper, "fetch", "-q", "--unshallow")  # the fix the message names works
    assert _numbers(deeper, WEEK_A) == [2, 3]


@needs_git
def test_depth_one_clone_of_a_later_tip_does_not_report_an_empty_week(tmp_path):
    origin = _origin(tmp_path, 6)
    shallow = _clone(origin, "one", "--depth", "1")
    with pytest.raises(GitSourceError, match=r"stops at commit \w{12} of 2026-04-16"):
        read_git_week(shallow, REPO, week_window(WEEK_A))


@needs_git
def test_clone_not_fetched_since_the_week_fails_with_the_tip_date(tmp_path):
    origin = _origin(tmp_path, 3)
    # cloned on 04-09 (the reflog keeps that date), after which origin got three PRs
    stale = _clone(origin, "stale", date="2026-04-09T00:00:00Z")
    _extend(origin, 3, 6)
    with pytest.raises(GitSourceError) as err:
        read_git_week(stale, REPO, week_window(WEEK_B))
    message = str(err.value)
    assert "2026-04-08T10:00:00+00:00" in message, "names the tip's date"
    assert "last fetched 2026-04-09" in message and f"git -C {stale} fetch" in message
    assert "allow_quiet = true" in message
    assert _numbers(stale, WEEK_B, allow_quiet=True) == []  # the operator's explicit choice
    git(stale, "pull", "-q", "--ff-only")
    assert _numbers(stale, WEEK_B) == [4, 5, 6]


@needs_git
def test_branch_reset_behind_its_remote_branch_fails(tmp_path):
    origin = _origin(tmp_path, 6)
    clone = _clone(origin, "clone")
    git(clone, "reset", "-q", "--hard", "HEAD~3")  # local main back at #3, origin/main at #6
    with pytest.raises(GitSourceError, match=r"refs/remotes/origin/main has newer commits.*merge --ff-only"):
        read_git_week(clone, REPO, week_window(WEEK_B))
    git(clone, "merge", "-q", "--ff-only", "origin/main")
    assert _numbers(clone, WEEK_B) == [4, 5, 6]


@needs_git
def test_freshly_fetched_quiet_repository_reports_an_empty_week(tmp_path):
    origin = _origin(tmp_path, 3)  # nothing after 04-08, and the clone is made today
    assert _numbers(_clone(origin, "fresh"), WEEK_B) == []


def _truncated_sample(tmp_path: Path, before: str) -> Path:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if json.loads(line)["merged_at"] < before]
    path = tmp_path / "sample.jsonl"
    path.write_text("".join(kept), encoding="utf-8")
    return path


def test_sample_that_ends_before_the_week_fails(tmp_path):
    path = _truncated_sample(tmp_path, "2026-11-0")  # every merge before November
    with pytest.raises(SampleSourceError, match=r"ends at its last merge 2026-10-.*before week 2026-11-16"):
        read_sample_week(path, "lumen-ai/lumen", week_window("2026-11-16"))
    assert read_sample_week(path, "lumen-ai/lumen", week_window("2026-11-16"), allow_quiet=True).empty
    assert len(read_sample_week(path, "lumen-ai/lumen", week_window("2026-10-26")))  # weeks it covers still read


def test_truncated_sample_never_replaces_a_good_report(project, capsys):
    path = tmp = project / "data.jsonl"
    shutil.copy(SAMPLE, tmp)
    repos = f'[[repositories]]\nname = "lumen-ai/lumen"\nsource = "sample"\npath = "{path}"\nrules = "lumen"\n'
    write_config(project, repos=repos)
    assert main(["build", "--week", "2026-11-16"]) == 0
    report = project / "out" / "reports" / "lumen-ai" / "lumen" / "2026-11-16.json"
    good = report.read_bytes()
    assert json.loads(good)["summary"]["pr_count"] > 0
    truncated = _truncated_sample(project, "2026-11-0")
    shutil.move(truncated, path)
    capsys.readouterr()
    assert main(["build", "--week", "2026-11-16"]) == 1
    err = capsys.readouterr().err
    assert "SampleSourceError" in err and "ends at its last merge" in err
    assert report.read_bytes() == good
