"""Merged pull requests of one week, read from a local git clone.

A PR is recognised on the branch's first-parent history either as a squash
commit (subject ending in ``(#N)``) or as a GitHub merge commit (subject
``Merge pull request #N from owner/branch``). Everything else (direct pushes,
rebase merges) is counted in :class:`GitExtractStats`, never silently dropped.

The whole week costs a handful of ``git`` processes, not one per commit:
one ``git log`` with raw + numstat diffs for the window, one cheap
``git log`` of older history for author association, and one batch lookup
of merge commits' second parents.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from report_pipeline import schema
from report_pipeline.weeks import WeekWindow

__all__ = ["GitSourceError", "GitExtractStats", "read_git_week"]

# Committer dates on a first-parent chain are nearly monotonic, but clocks skew and
# git's --since stops the walk at the first older commit: scan a wider range, then
# filter exactly in Python.
_MARGIN = dt.timedelta(days=3)

_SQUASH_RE = re.compile(r"^(?P<title>.*?)\s*\(#(?P<number>\d+)\)\s*$")
_MERGE_RE = re.compile(r"^Merge pull request #(?P<number>\d+) from \S+")
_NOREPLY_RE = re.compile(r"^(?:\d+\+)?(?P<login>[^@+]+)@users\.noreply\.github\.com$", re.IGNORECASE)

_CHANGE_TYPES = {
    "A": "ADDED",
    "M": "MODIFIED",
    "D": "DELETED",
    "R": "RENAMED",
    "C": "COPIED",
    "T": "CHANGED",  # type change (file <-> symlink ...)
}

# Settings that would otherwise change git's machine output under a user's config.
_GIT_CONFIG = [
    "-c", "core.quotepath=off",
    "-c", "log.showSignature=false",
    "-c", "diff.noprefix=false",
    "-c", "i18n.logOutputEncoding=UTF-8",
]


class GitSourceError(ValueError):
    """The git source cannot be read: not a repository, unknown branch, git missing."""


@dataclass
class GitExtractStats:
    """What the week's first-parent commits were, PR or not."""

    commits: int = 0
    squash_merges: int = 0
    merge_commits: int = 0
    other_commits: int = 0
    other_shas: list[str] = field(default_factory=list)


@dataclass
class _Commit:
    sha: str
    parents: list[str]
    author_name: str
    author_email: str
    author_date: dt.datetime
    committer_date: dt.datetime
    message: str
    diff: list[str]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # an inherited GIT_DIR (e.g. running inside a hook) would redirect every call
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                 "GIT_COMMON_DIR", "GIT_NAMESPACE"):
        env.pop(name, None)
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["GIT_PAGER"] = "cat"
    return env


def _git(path: Path, args: list[str], *, stdin: bytes | None = None, check: bool = True,
         env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    try:
        proc = subprocess.run(
            ["git", *_GIT_CONFIG, "-C", str(path), *args],
            input=stdin,
            capture_output=True,
            env=env or _env(),
        )
    except FileNotFoundError as exc:
        raise GitSourceError("git is not installed (no 'git' executable on PATH)") from exc
    if check and proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()
        raise GitSourceError(f"git {' '.join(args[:2])} failed in {path}: {err}")
    return proc


def _check_repo(path: Path) -> dict[str, str]:
    if not path.is_dir():
        raise GitSourceError(f"{path} is not a git repository: no such directory")
    env = _env()
    # without a ceiling a plain directory inside some other repository would be
    # silently read as that repository
    env["GIT_CEILING_DIRECTORIES"] = str(path.resolve().parent)
    proc = _git(path, ["rev-parse", "--git-dir"], check=False, env=env)
    if proc.returncode != 0:
        raise GitSourceError(f"{path} is not a git repository")
    return env


def _resolve_branch(path: Path, branch: str | None, env: dict[str, str]) -> tuple[str, str | None]:
    """(commit sha to walk from, base_ref name)."""
    if branch is None:
        proc = _git(path, ["symbolic-ref", "--quiet", "--short", "HEAD"], check=False, env=env)
        name = proc.stdout.decode("utf-8", "replace").strip() or None  # None: detached HEAD
        candidates = ["HEAD"]
        label = name or "HEAD"
    else:
        name = branch
        # a fresh clone only has the default branch locally; others live under origin/
        candidates = [f"refs/heads/{branch}", f"refs/remotes/origin/{branch}"]
        if branch.startswith("refs/"):
            candidates.insert(0, branch)
        label = branch
    for ref in candidates:
        proc = _git(path, ["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
                    check=False, env=env)
        if proc.returncode == 0:
            return proc.stdout.decode().strip(), name
    raise GitSourceError(f"branch {label!r} does not exist (or has no commits) in {path}")


def _git_date(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S +0000")


def _log_window(path: Path, tip: str, since: dt.datetime, until: dt.datetime,
                env: dict[str, str]) -> list[_Commit]:
    """First-parent commits in [since, until] with raw + numstat diffs, newest first."""
    token = uuid.uuid4().hex
    start, end = f"\x1e{token}S", f"\x1e{token}E"
    fmt = f"{start}%H%x00%P%x00%an%x00%ae%x00%aI%x00%cI%x00%B{end}"
    proc = _git(path, [
        "log", "--first-parent", "--diff-merges=first-parent", "--root", "-M",
        "--raw", "--numstat", "-z", "--no-color", "--no-ext-diff", "--no-textconv",
        f"--since={_git_date(since)}", f"--until={_git_date(until)}",
        f"--format={fmt}", tip, "--",
    ], env=env)
    out = proc.stdout.decode("utf-8", "replace")
    commits = []
    for chunk in out.split(start)[1:]:
        head, _, diff = chunk.partition(end)
        sha, parents, an, ae, ad, cd, message = head.split("\x00", 6)
        diff_tokens = diff.lstrip("\x00\n").split("\x00")
        commits.append(_Commit(
            sha=sha,
            parents=parents.split(),
            author_name=an,
            author_email=ae,
            author_date=dt.datetime.fromisoformat(ad),
            committer_date=dt.datetime.fromisoformat(cd),
            message=message,
            diff=diff_tokens,
        ))
    return commits


def _parse_diff(tokens: list[str]) -> list[dict]:
    """Pair ``--raw -z`` entries with the ``--numstat -z`` entries that follow them."""
    raw: list[tuple[str, str | None, str]] = []  # (status letter, previous_path, path)
    stats: list[tuple[int, int, str]] = []
    i, n = 0, len(tokens)
    # raw entries come first, each ":modes shas STATUS" then one path (two for R/C)
    while i < n and tokens[i].startswith(":"):
        status = tokens[i].split()[-1]
        letter = status[0]
        if letter in "RC":
            raw.append((letter, tokens[i + 1], tokens[i + 2]))
            i += 3
        else:
            raw.append((letter, None, tokens[i + 1]))
            i += 2
    while i < n:
        tok = tokens[i]
        if not tok:
            i += 1
            continue
        added, deleted, rest = tok.split("\t", 2)
        if rest == "":  # rename/copy: old and new paths follow as their own tokens
            rest = tokens[i + 2]
            i += 3
        else:
            i += 1
        # binary files show "-": they count 0 lines, like GitHub's additions
        stats.append((int(added) if added != "-" else 0, int(deleted) if deleted != "-" else 0, rest))
    by_path = {p: (a, d) for a, d, p in stats}
    files = []
    for letter, previous, path in raw:
        added, deleted = by_path.get(path, (0, 0))
        files.append({
            "path": path,
            "previous_path": previous,
            "additions": added,
            "deletions": deleted,
            "change_type": _CHANGE_TYPES.get(letter, "CHANGED"),
        })
    return files


def _author(name: str, email: str) -> str:
    match = _NOREPLY_RE.match(email.strip())
    return match.group("login") if match else name


def _classify(subject: str, parents: list[str]) -> tuple[str, int | None]:
    """("squash" | "merge" | "other", PR number)."""
    if len(parents) > 1:
        m = _MERGE_RE.match(subject)
        return ("merge", int(m.group("number"))) if m else ("other", None)
    m = _SQUASH_RE.match(subject)
    return ("squash", int(m.group("number"))) if m else ("other", None)


def _second_parent_authors(path: Path, shas: list[str], env: dict[str, str]) -> dict[str, str]:
    """Author of each given commit, in one git process."""
    if not shas:
        return {}
    proc = _git(path, ["log", "--no-walk=unsorted", "--stdin", "-z",
                       "--format=%H%x00%an%x00%ae"],
                stdin=("\n".join(shas) + "\n").encode(), env=env)
    fields = proc.stdout.decode("utf-8", "replace").split("\x00")
    out = {}
    for k in range(0, len(fields) - 2, 3):
        out[fields[k].strip()] = _author(fields[k + 1], fields[k + 2])
    return out


def _earlier_pr_authors(path: Path, before: str, env: dict[str, str]) -> set[str]:
    """Authors of PR commits on the first-parent history of ``before`` (inclusive)."""
    proc = _git(path, ["log", "--first-parent", "-z",
                       "--format=%H%x00%P%x00%an%x00%ae%x00%s", before], env=env)
    fields = proc.stdout.decode("utf-8", "replace").split("\x00")
    authors: set[str] = set()
    merge_parents: list[str] = []
    for k in range(0, len(fields) - 4, 5):
        sha, parents, an, ae, subject = fields[k:k + 5]
        parents_list = parents.split()
        kind, _ = _classify(subject, parents_list)
        if kind == "squash":
            authors.add(_author(an, ae))
        elif kind == "merge":
            merge_parents.append(parents_list[1])
    authors.update(_second_parent_authors(path, merge_parents, env).values())
    return authors


def _empty_frame() -> pd.DataFrame:
    df = schema.normalize(pd.DataFrame(columns=schema.RAW_SCHEMA.names), schema.RAW_SCHEMA)
    # normalize() turns an empty list column into float64; keep the dtypes of a full frame
    for f in schema.RAW_SCHEMA:
        if f.type.num_fields or str(f.type).startswith("list"):
            df[f.name] = df[f.name].astype(object)
    return df


def read_git_week(path: Path, repo: str, window: WeekWindow, branch: str | None = None
                  ) -> tuple[pd.DataFrame, GitExtractStats]:
    """PRs merged into ``branch`` (default: HEAD's branch) of the clone at ``path`` during ``window``.

    Returns a ``RAW_SCHEMA`` frame (oldest merge first) and statistics of all
    first-parent commits of the week, including those that are not PRs.
    Raises :class:`GitSourceError` for a missing path, a non-repository, an
    unknown branch or a missing git executable.
    """
    path = Path(path)
    env = _check_repo(path)
    tip, base_ref = _resolve_branch(path, branch, env)
    scanned = _log_window(path, tip, window.start - _MARGIN, window.end + _MARGIN, env)
    # exact filter on the committer timestamp with its own offset; oldest first so
    # "earlier PR by the same author" can be tracked while walking
    commits = [c for c in reversed(scanned) if window.start <= c.committer_date < window.end]

    stats = GitExtractStats(commits=len(commits))
    prs: list[tuple[_Commit, str, int]] = []
    for c in commits:
        kind, number = _classify(c.message.split("\n", 1)[0], c.parents)
        if kind == "squash":
            stats.squash_merges += 1
            prs.append((c, kind, number))
        elif kind == "merge":
            stats.merge_commits += 1
            prs.append((c, kind, number))
        else:
            stats.other_commits += 1
            stats.other_shas.append(c.sha)
    if not prs:
        return _empty_frame(), stats

    # a merge commit's author is whoever pressed the button; the PR author wrote its head
    merge_authors = _second_parent_authors(
        path, [c.parents[1] for c, kind, _ in prs if kind == "merge"], env)
    oldest = commits[0]
    if oldest.parents:
        seen = _earlier_pr_authors(path, oldest.parents[0], env)
    else:
        seen = set()

    rows = []
    for c, kind, number in prs:
        subject, _, rest = c.message.partition("\n")
        if kind == "squash":
            title = _SQUASH_RE.match(subject).group("title")
            body = rest.strip("\n")
            author = _author(c.author_name, c.author_email)
        else:
            title, _, body = rest.strip("\n").partition("\n")
            body = body.strip("\n")
            title = title or subject  # a merge without a PR title in its body
            author = merge_authors.get(c.parents[1], _author(c.author_name, c.author_email))
        association = "CONTRIBUTOR" if author in seen else "FIRST_TIME_CONTRIBUTOR"
        seen.add(author)
        files = _parse_diff(c.diff)
        rows.append({
            "repo": repo,
            "number": number,
            "title": title.strip(),
            "body": body,
            "url": f"https://github.com/{repo}/pull/{number}",
            "author": author,
            "author_association": association,
            "created_at": c.author_date.astimezone(dt.timezone.utc),
            "merged_at": c.committer_date.astimezone(dt.timezone.utc),
            "labels": [],
            "additions": sum(f["additions"] for f in files),
            "deletions": sum(f["deletions"] for f in files),
            "changed_files": len(files),
            "files": files,
            "review_count": None,
            "comment_count": None,
            "base_ref": base_ref,
            "merge_commit_sha": c.sha,
            "source": "git",
        })
    return schema.normalize(pd.DataFrame(rows), schema.RAW_SCHEMA), stats
