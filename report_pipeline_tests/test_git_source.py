"""The git source against small real repositories built in a temp dir."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from report_pipeline import schema
from report_pipeline.sources.git import GitExtractStats, GitSourceError, read_git_week
from report_pipeline.weeks import week_window

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")

TZ = "Asia/Shanghai"
REPO = "acme/widgets"
ALICE = ("Alice Liddell", "12345+alice@users.noreply.github.com")
CAROL = ("Carol Danvers", "carol@users.noreply.github.com")
BOB = ("Bob Builder", "bob@example.com")
MERGER = ("Mergy McMerge", "merger@example.com")


def git(repo: Path, *args: str, date: str | None = None, author=BOB, committer=None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    committer = committer or author
    env.update(
        GIT_AUTHOR_NAME=author[0], GIT_AUTHOR_EMAIL=author[1],
        GIT_COMMITTER_NAME=committer[0], GIT_COMMITTER_EMAIL=committer[1],
        GIT_CONFIG_NOSYSTEM="1", HOME=str(repo.parent),
    )
    if date:
        env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    out = subprocess.run(["git", "-C", str(repo), *args], env=env, check=True,
                         capture_output=True)
    return out.stdout.decode().strip()


def write(repo: Path, rel: str, content: str | bytes) -> None:
    target = repo / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content, encoding="utf-8")


def commit(repo: Path, message: str, date: str, author=BOB, committer=None) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message, date=date, author=author,
        committer=committer)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> dict:
    """A main branch whose first-parent history covers three Shanghai weeks."""
    root = tmp_path_factory.mktemp("gitsrc") / "widgets"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    shas: dict[str, str] = {}

    lines = "".join(f"line {i}\n" for i in range(10))
    write(root, "old_name.py", lines)
    write(root, "src/app.py", "a\nb\nc\n")
    write(root, "src/legacy.py", "1\n2\n3\n4\n5\n")
    write(root, "kind", "plain file\n")
    shas["pr1"] = commit(root, "Initial import (#1)", "2026-04-06T10:00:00+08:00")

    # week 2026-04-13 starts: Monday 00:00:00 Shanghai exactly
    (root / "old_name.py").unlink()
    write(root, "new_name.py", lines.replace("line 3\n", "line three\n"))
    write(root, "logo.png", b"\x89PNG\x00\x01\x02binary\x00data")
    write(root, "docs/中文 文档.md", "第一行\n第二行\n")
    shas["pr2"] = commit(root, "Add parser (#2)\n\nParser body\n\nmore", "2026-04-13T00:00:00+08:00",
                         author=ALICE)

    write(root, "README.md", "typo fixed\n")
    shas["push"] = commit(root, "Fix typo in README", "2026-04-14T12:00:00+08:00")

    git(root, "checkout", "-q", "-b", "feature")
    write(root, "feature.py", "f1\nf2\nf3\nf4\n")
    write(root, "src/app.py", "a\nB\nc\n")
    shas["feature"] = commit(root, "feature work", "2026-04-14T15:00:00+08:00", author=CAROL)
    git(root, "checkout", "-q", "main")
    git(root, "merge", "-q", "--no-ff", "feature", "-m",
        "Merge pull request #12 from alice/feature\n\nAdd feature X\n\nbody",
        date="2026-04-15T09:00:00+08:00", author=MERGER)
    shas["pr12"] = git(root, "rev-parse", "HEAD")

    # local date is Monday 04-20 but +14:00 puts it at 04-19 19:00 Shanghai
    (root / "kind").unlink()
    os.symlink("src/app.py", root / "kind")
    shas["pr6"] = commit(root, "Make kind a link (#6)", "2026-04-20T01:00:00+14:00", author=ALICE)

    (root / "src/legacy.py").unlink()
    shas["pr3"] = commit(root, "Remove legacy (#3)", "2026-04-19T23:59:59+08:00")

    # week 2026-04-20
    write(root, "next.txt", "x\n")
    shas["pr4"] = commit(root, "Next week (#4)", "2026-04-20T00:00:00+08:00")
    # local date Sunday 04-19, but -07:00 puts it at Monday 01:00 Shanghai
    write(root, "next.txt", "x\ny\n")
    shas["pr5"] = commit(root, "Offset PR (#5)", "2026-04-19T10:00:00-07:00", author=CAROL)
    return {"path": root, "shas": shas}


def read(repo, week, branch=None):
    return read_git_week(repo["path"], REPO, week_window(week, TZ), branch=branch)


def by_number(df: pd.DataFrame) -> dict[int, dict]:
    return {int(r["number"]): r for r in df.to_dict("records")}


def test_pr_numbers_per_week(repo):
    assert sorted(read(repo, "2026-04-06")[0]["number"]) == [1]
    assert sorted(read(repo, "2026-04-13")[0]["number"]) == [2, 3, 6, 12]
    assert sorted(read(repo, "2026-04-20")[0]["number"]) == [4, 5]
    assert len(read(repo, "2026-04-27")[0]) == 0


def test_frame_follows_raw_schema(repo):
    df, _ = read(repo, "2026-04-13")
    assert list(df.columns) == schema.RAW_SCHEMA.names
    schema.to_table(df, schema.RAW_SCHEMA)  # raises if a value does not fit
    empty, _ = read(repo, "2026-04-27")
    assert list(empty.columns) == schema.RAW_SCHEMA.names
    schema.to_table(empty, schema.RAW_SCHEMA)
    # all-null int columns become float64 when full; everything else must match
    same = [c for c in df.columns if c not in ("review_count", "comment_count")]
    assert list(empty[same].dtypes) == list(df[same].dtypes)


def test_stats_count_direct_pushes(repo):
    _, stats = read(repo, "2026-04-13")
    assert stats == GitExtractStats(commits=5, squash_merges=3, merge_commits=1, other_commits=1,
                                    other_shas=[repo["shas"]["push"]])
    _, stats = read(repo, "2026-04-20")
    assert stats == GitExtractStats(commits=2, squash_merges=2, merge_commits=0, other_commits=0,
                                    other_shas=[])


def test_squash_commit_fields(repo):
    pr = by_number(read(repo, "2026-04-13")[0])[2]
    assert pr["title"] == "Add parser"
    assert pr["body"] == "Parser body\n\nmore"
    assert pr["url"] == "https://github.com/acme/widgets/pull/2"
    assert pr["author"] == "alice"
    assert pr["author_association"] == "FIRST_TIME_CONTRIBUTOR"
    assert pr["merged_at"] == pd.Timestamp("2026-04-12T16:00:00Z")
    assert pr["created_at"] == pd.Timestamp("2026-04-12T16:00:00Z")
    assert pr["labels"] == []
    assert pr["review_count"] is None or pd.isna(pr["review_count"])
    assert pr["comment_count"] is None or pd.isna(pr["comment_count"])
    assert pr["base_ref"] == "main"
    assert pr["merge_commit_sha"] == repo["shas"]["pr2"]
    assert pr["source"] == "git"
    files = sorted(pr["files"], key=lambda f: f["path"])
    assert files == [
        {"path": "docs/中文 文档.md", "previous_path": None, "additions": 2, "deletions": 0,
         "change_type": "ADDED"},
        {"path": "logo.png", "previous_path": None, "additions": 0, "deletions": 0,
         "change_type": "ADDED"},
        {"path": "new_name.py", "previous_path": "old_name.py", "additions": 1, "deletions": 1,
         "change_type": "RENAMED"},
    ]
    assert (pr["additions"], pr["deletions"], pr["changed_files"]) == (3, 1, 3)


def test_merge_commit_diffed_against_first_parent(repo):
    pr = by_number(read(repo, "2026-04-13")[0])[12]
    assert pr["title"] == "Add feature X"
    assert pr["body"] == "body"
    # the PR's head author, not whoever pressed "merge"
    assert pr["author"] == "carol"
    assert pr["author_association"] == "FIRST_TIME_CONTRIBUTOR"
    assert pr["merge_commit_sha"] == repo["shas"]["pr12"]
    assert sorted((f["path"], f["change_type"], f["additions"], f["deletions"]) for f in pr["files"]) == [
        ("feature.py", "ADDED", 4, 0),
        ("src/app.py", "MODIFIED", 1, 1),
    ]
    assert (pr["additions"], pr["deletions"], pr["changed_files"]) == (5, 1, 2)


def test_deletion_type_change_and_association(repo):
    prs = by_number(read(repo, "2026-04-13")[0])
    assert prs[3]["files"] == [{"path": "src/legacy.py", "previous_path": None, "additions": 0,
                                "deletions": 5, "change_type": "DELETED"}]
    assert prs[3]["author"] == "Bob Builder"  # not a no-reply address: the name
    assert prs[3]["author_association"] == "CONTRIBUTOR"  # PR #1 came before
    assert [f["change_type"] for f in prs[6]["files"]] == ["CHANGED"]
    assert prs[6]["author_association"] == "CONTRIBUTOR"  # alice's #2 earlier this week


def test_week_boundaries_use_committer_offset(repo):
    w13 = by_number(read(repo, "2026-04-13")[0])
    w20 = by_number(read(repo, "2026-04-20")[0])
    assert w13[3]["merged_at"] == pd.Timestamp("2026-04-19T15:59:59Z")
    assert w13[6]["merged_at"] == pd.Timestamp("2026-04-19T11:00:00Z")
    assert w20[4]["merged_at"] == pd.Timestamp("2026-04-19T16:00:00Z")
    assert w20[5]["merged_at"] == pd.Timestamp("2026-04-19T17:00:00Z")
    assert w20[5]["author"] == "carol"
    assert w20[5]["author_association"] == "CONTRIBUTOR"  # carol's #12 counts
    assert list(read(repo, "2026-04-13")[0]["number"]) == [2, 12, 6, 3]  # merge order


def test_branch_argument(repo):
    df, stats = read(repo, "2026-04-13", branch="feature")
    # feature's first parent history: #2, the push, the feature commit itself
    assert sorted(df["number"]) == [2]
    assert set(df["base_ref"]) == {"feature"}
    assert stats.other_shas == [repo["shas"]["push"], repo["shas"]["feature"]]


def test_missing_branch(repo):
    with pytest.raises(GitSourceError, match="'nope' does not exist"):
        read(repo, "2026-04-13", branch="nope")


def test_not_a_repository(tmp_path):
    with pytest.raises(GitSourceError, match="is not a git repository"):
        read_git_week(tmp_path, REPO, week_window("2026-04-13", TZ))
    missing = tmp_path / "missing"
    with pytest.raises(GitSourceError, match=str(missing)):
        read_git_week(missing, REPO, week_window("2026-04-13", TZ))


def test_plain_dir_inside_a_repo_is_not_that_repo(repo):
    inner = repo["path"] / "src"
    with pytest.raises(GitSourceError, match="is not a git repository"):
        read_git_week(inner, REPO, week_window("2026-04-13", TZ))


def test_git_not_installed(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    with pytest.raises(GitSourceError, match="git is not installed"):
        read_git_week(tmp_path, REPO, week_window("2026-04-13", TZ))
