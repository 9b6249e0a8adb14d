"""Merged pull requests of one week, read from a local git clone.

A PR is recognised on the branch's first-parent history either as a squash
commit (subject ending in ``(#N)``) or as a GitHub merge commit (subject
``Merge pull request #N from owner/branch``). Everything else (direct pushes,
rebase merges) is counted in :class:`GitExtractStats`, never silently dropped.

A week, or a range of weeks read at once by :func:`read_git_range`, costs a
handful of ``git`` processes, not one per commit or per week: one ``git log``
with raw + numstat diffs for the whole span, one cheap ``git log`` of older
history for author association, one batch lookup of merge commits' second
parents, and the coverage checks, each run once for the range.
"""

from __future__ import annotations

import bisect
import concurrent.futures
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

__all__ = [
    "GitSourceError",
    "GitExtractStats",
    "read_git_range",
    "read_git_week",
    "check_history_covers",
    "check_tip_is_current",
    "refuse_shallow_boundary",
]

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
    # a PR number carried by two commits of the week (a squash pushed twice): the later one is
    # the PR's merge, the earlier ones are counted here instead of reporting the PR twice
    repeated_prs: int = 0


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


def _resolve_branch(path: Path, branch: str | None, env: dict[str, str]) -> tuple[str, str | None, str]:
    """(commit sha to walk from, base_ref name, full ref read such as ``refs/heads/main``)."""
    if branch is None:
        proc = _git(path, ["symbolic-ref", "--quiet", "HEAD"], check=False, env=env)
        full = proc.stdout.decode("utf-8", "replace").strip()
        name = full.removeprefix("refs/heads/") or None  # None: detached HEAD
        candidates = [full or "HEAD"]
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
            return proc.stdout.decode().strip(), name, ref
    raise GitSourceError(f"branch {label!r} does not exist (or has no commits) in {path}")


def _git_date(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S +0000")


# -- coverage: can this clone see the whole week? -----------------------------------------
# A clone that cannot see a week would otherwise report "no PRs" (or a shallow boundary
# commit as one huge PR) with full confidence; these checks fail first, naming the fix.

_SYNC_REFLOG = re.compile(r"^(clone|fetch|pull)\b")


def _commit_date(path: Path, rev: str, env: dict[str, str]) -> dt.datetime:
    out = _git(path, ["log", "-1", "--no-walk", "--format=%cI", rev, "--"], env=env).stdout
    return dt.datetime.fromisoformat(out.decode().strip())


def _shallow_boundary(path: Path, env: dict[str, str]) -> frozenset[str]:
    """Commits whose parents a shallow clone does not have (empty for a full clone)."""
    proc = _git(path, ["rev-parse", "--is-shallow-repository", "--git-path", "shallow"], env=env)
    lines = proc.stdout.decode("utf-8", "replace").splitlines()
    if not lines or lines[0].strip() != "true":
        return frozenset()
    shallow = Path(lines[1].strip())
    shallow = shallow if shallow.is_absolute() else path / shallow
    try:
        return frozenset(shallow.read_text(encoding="ascii").split())
    except OSError:
        return frozenset()


def check_history_covers(path: Path, tip: str, window: WeekWindow, env: dict[str, str] | None = None
                         ) -> frozenset[str]:
    """Fail when a shallow clone's first-parent history from ``tip`` ends after the week's start.

    Returns the shallow boundary commits (empty for a full clone) for
    :func:`refuse_shallow_boundary`.
    """
    env = env or _env()
    boundary = _shallow_boundary(path, env)
    if not boundary:
        return boundary
    before = _git_date(window.start - dt.timedelta(seconds=1))
    older = _git(path, ["rev-list", "-1", "--first-parent", f"--before={before}", tip, "--"], env=env)
    if older.stdout.strip():
        return boundary  # the chain reaches a commit older than the week: every week commit is seen
    ends = _git(path, ["rev-list", "--first-parent", "--max-parents=0", tip, "--"], env=env)
    cut = [sha for sha in ends.stdout.decode().split() if sha in boundary]
    if cut:
        raise GitSourceError(_shallow_message(path, cut[0], _commit_date(path, cut[0], env), window))
    return boundary  # the repository's real first commit is younger than the week


def refuse_shallow_boundary(path: Path, shas: list[str], boundary: frozenset[str],
                            window: WeekWindow, env: dict[str, str] | None = None) -> None:
    """Fail when a commit read for the week is a shallow boundary (git diffs it against nothing)."""
    for sha in shas:
        if sha in boundary:
            raise GitSourceError(_shallow_message(path, sha, _commit_date(path, sha, env or _env()), window))


def _shallow_message(path: Path, sha: str, date: dt.datetime, window: WeekWindow) -> str:
    return (
        f"{path} is a shallow clone: its history stops at commit {sha[:12]} of {date.isoformat()}, "
        f"which is not before the start of week {window.key} ({window.start.isoformat()}), so the "
        f"week's pull requests cannot all be seen. Fetch the full history: git -C {path} fetch --unshallow"
    )


def check_tip_is_current(path: Path, tip: str, ref: str, window: WeekWindow,
                         env: dict[str, str] | None = None, *, allow_quiet: bool = False,
                         now: dt.datetime | None = None) -> None:
    """Fail when the branch tip is older than the week's end and the clone may be out of date.

    A tip older than the week's end is fine when the clone was fetched after the week ended
    (the repository really was quiet), when the repository has no remote to fetch from, when
    the week has not ended yet, or with ``allow_quiet``. A local branch behind its remote
    branch always fails.
    """
    env = env or _env()
    now = now or dt.datetime.now(dt.timezone.utc)
    if allow_quiet or now < window.end:
        return
    tip_date = _commit_date(path, tip, env)
    if tip_date >= window.end:
        return
    upstream = _upstream(path, ref, env)
    if upstream is not None and _commit_date(path, upstream, env) > tip_date:
        raise GitSourceError(
            f"{ref} in {path} ends at commit {tip[:12]} of {tip_date.isoformat()}, before the end of "
            f"week {window.key}, but {upstream} has newer commits: bring the branch up to date with "
            f"git -C {path} merge --ff-only {upstream} (or git pull --ff-only)"
        )
    if not _git(path, ["remote"], env=env).stdout.strip():
        return  # nothing to fetch from: the local history is the whole truth
    synced = _last_sync(path, [ref, "HEAD"] + ([upstream] if upstream else []), env)
    if synced is not None and synced >= window.end:
        return
    when = f"last fetched {synced.isoformat()}" if synced else "never fetched since it was cloned"
    raise GitSourceError(
        f"{ref} in {path} ends at commit {tip[:12]} of {tip_date.isoformat()}, before the end of week "
        f"{window.key} ({window.end.isoformat()}), and the clone was {when}: it cannot show the week's "
        f"pull requests. Update it: git -C {path} fetch (then git merge --ff-only, or git pull --ff-only "
        f"for a local branch). If the repository really had no merges since, set allow_quiet = true "
        f"on this repository in the configuration."
    )


def _upstream(path: Path, ref: str, env: dict[str, str]) -> str | None:
    """The remote-tracking ref a local branch follows (its upstream, else origin/<name>)."""
    if not ref.startswith("refs/heads/"):
        return None
    proc = _git(path, ["for-each-ref", "--format=%(upstream)", ref], check=False, env=env)
    candidates = [proc.stdout.decode().strip(), "refs/remotes/origin/" + ref.removeprefix("refs/heads/")]
    for candidate in candidates:
        if candidate and _git(path, ["rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}"],
                              check=False, env=env).returncode == 0:
            return candidate
    return None


def _last_sync(path: Path, refs: list[str], env: dict[str, str]) -> dt.datetime | None:
    """When the clone last talked to a remote: FETCH_HEAD's time, clone/fetch/pull reflog entries."""
    moments: list[float] = []
    fetch_head = _git(path, ["rev-parse", "--git-path", "FETCH_HEAD"], env=env).stdout.decode().strip()
    fetch_path = Path(fetch_head) if Path(fetch_head).is_absolute() else path / fetch_head
    if fetch_path.exists():
        moments.append(fetch_path.stat().st_mtime)
    for ref in refs:
        proc = _git(path, ["log", "-g", "--date=unix", "--format=%gd%x00%gs", ref, "--"],
                    check=False, env=env)
        for line in proc.stdout.decode("utf-8", "replace").splitlines():
            selector, _, subject = line.partition("\x00")
            stamp = selector.rpartition("@{")[2].rstrip("}")
            if _SYNC_REFLOG.match(subject) and stamp.isdigit():
                moments.append(float(stamp))
    return dt.datetime.fromtimestamp(max(moments), dt.timezone.utc) if moments else None


def _log_window(path: Path, tip: str, since: dt.datetime, until: dt.datetime,
                env: dict[str, str]) -> list[_Commit]:
    """First-parent commits in [since, until] with raw + numstat diffs, newest first.

    A long span (a backfill) is listed first, cheaply, and its diffs are then read in
    chunks by concurrent ``git log --no-walk`` processes, one per core: the same commits
    in the same order, the diff work spread over the machine.
    """
    token = uuid.uuid4().hex
    limits = [f"--since={_git_date(since)}", f"--until={_git_date(until)}"]
    workers = min(os.cpu_count() or 1, _MAX_GIT_PROCESSES)
    if until - since <= _SERIAL_SPAN or workers == 1:
        return _parse_log(_git(path, ["log", *_LOG_OPTIONS, *limits, _log_format(token), tip, "--"], env=env), token)
    shas = _git(path, ["rev-list", "--first-parent", *limits, tip, "--"], env=env).stdout.decode().split()

    def read(chunk: list[str]) -> list[_Commit]:
        listed = "\n".join(chunk).encode() + b"\n"
        args = ["log", "--no-walk=unsorted", "--stdin", *_LOG_OPTIONS, _log_format(token)]
        return _parse_log(_git(path, args, stdin=listed, env=env), token)

    chunks = _chunks(shas, workers)
    with concurrent.futures.ThreadPoolExecutor(max(len(chunks), 1)) as pool:
        return [c for part in pool.map(read, chunks) for c in part]


_LOG_OPTIONS = ["--first-parent", "--diff-merges=first-parent", "--root", "-M",
                "--raw", "--numstat", "-z", "--no-color", "--no-ext-diff", "--no-textconv"]
_SERIAL_SPAN = dt.timedelta(weeks=8)  # shorter spans: one process (a week's build pays no extra listing)
_MAX_GIT_PROCESSES = 4


def _log_format(token: str) -> str:
    return f"--format=\x1e{token}S%H%x00%P%x00%an%x00%ae%x00%aI%x00%cI%x00%B\x1e{token}E"


def _chunks(items: list[str], n: int) -> list[list[str]]:
    size = max(1, -(-len(items) // max(n, 1)))
    return [items[i:i + size] for i in range(0, len(items), size)]


def _parse_log(proc: subprocess.CompletedProcess, token: str) -> list[_Commit]:
    """Commits of a ``git log`` in ``_log_format``, in its order."""
    start, end = f"\x1e{token}S", f"\x1e{token}E"
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
        additions, deletions = by_path.get(path, (0, 0))
        files.append({
            "path": path,
            "previous_path": previous,
            "additions": additions,
            "deletions": deletions,
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


def read_git_week(path: Path, repo: str, window: WeekWindow, branch: str | None = None,
                  *, allow_quiet: bool = False) -> tuple[pd.DataFrame, GitExtractStats]:
    """PRs merged into ``branch`` (default: HEAD's branch) of the clone at ``path`` during ``window``.

    Returns a ``RAW_SCHEMA`` frame (oldest merge first) and statistics of all
    first-parent commits of the week, including those that are not PRs.
    Raises :class:`GitSourceError` for a missing path, a non-repository, an
    unknown branch, a missing git executable, or a clone that cannot see the
    whole week (shallow history, or a branch older than the week's end that
    was not fetched since; ``allow_quiet`` accepts the latter).
    """
    return read_git_range(path, repo, [window], branch=branch, allow_quiet=allow_quiet)[window.key]


def read_git_range(path: Path, repo: str, windows: list[WeekWindow], branch: str | None = None,
                   *, allow_quiet: bool = False) -> dict[str, tuple[pd.DataFrame, GitExtractStats]]:
    """:func:`read_git_week` for every window at once, keyed by week: one history pass.

    One ``git log`` reads the whole span with its diffs and one reads what precedes it
    (first-time authors); authors are then tracked while walking the span oldest first,
    so a year costs what a week costs plus the diffs of the year.
    """
    if not windows:
        return {}
    windows = sorted(windows, key=lambda w: w.start)
    path = Path(path)
    env = _check_repo(path)
    tip, base_ref, ref = _resolve_branch(path, branch, env)
    boundary = _check_range_coverage(path, tip, ref, windows, env, allow_quiet)
    scanned = _log_window(path, tip, windows[0].start - _MARGIN, windows[-1].end + _MARGIN, env)
    chain = scanned[::-1]  # oldest first, so "earlier PR by the same author" is tracked while walking
    week_of_commit = _weeks_of(chain, windows)
    for window in windows if boundary else []:
        inside = [sha for sha, key in week_of_commit.items() if key == window.key]
        refuse_shallow_boundary(path, inside, boundary, window, env)
    kinds = [_classify(c.message.split("\n", 1)[0], c.parents) for c in chain]
    stats = {w.key: GitExtractStats() for w in windows}
    for c, (kind, _) in zip(chain, kinds):
        key = week_of_commit.get(c.sha)
        if key is not None:
            _count(stats[key], c, kind)
    rows: dict[str, list[dict]] = {w.key: [] for w in windows}
    if any(s.squash_merges or s.merge_commits for s in stats.values()):
        # a merge commit's author is whoever pressed the button; the PR author wrote its head
        merge_authors = _second_parent_authors(
            path, [c.parents[1] for c, (kind, _) in zip(chain, kinds) if kind == "merge"], env)
        seen = _earlier_pr_authors(path, chain[0].parents[0], env) if chain[0].parents else set()
        for c, (kind, number) in zip(chain, kinds):
            if kind == "other" or number is None:  # the same: only PR commits carry a number
                continue
            author = _author(c.author_name, c.author_email)
            if kind == "merge":
                author = merge_authors.get(c.parents[1], author)
            key = week_of_commit.get(c.sha)
            if key is not None:
                association = "CONTRIBUTOR" if author in seen else "FIRST_TIME_CONTRIBUTOR"
                rows[key].append(_pr_row(repo, c, kind, number, author, association, base_ref))
            seen.add(author)
    frames = _frames_by_week({w.key: _last_per_number(rows[w.key], stats[w.key]) for w in windows})
    return {w.key: (frames[w.key], stats[w.key]) for w in windows}


def _last_per_number(rows: list[dict], stats: GitExtractStats) -> list[dict]:
    latest = {row["number"]: i for i, row in enumerate(rows)}
    stats.repeated_prs = len(rows) - len(latest)
    return [row for i, row in enumerate(rows) if latest[row["number"]] == i]


def _check_range_coverage(path: Path, tip: str, ref: str, windows: list[WeekWindow],
                          env: dict[str, str], allow_quiet: bool) -> frozenset[str]:
    """The coverage checks of every week, each run once for the range: a history that
    reaches before the first week reaches before all; a tip current for the last week
    that has ended is current for the earlier ones."""
    boundary = check_history_covers(path, tip, windows[0], env)
    now = dt.datetime.now(dt.timezone.utc)
    ended = [w for w in windows if w.end <= now]
    if ended:
        check_tip_is_current(path, tip, ref, ended[-1], env, allow_quiet=allow_quiet, now=now)
    return boundary


def _weeks_of(chain: list[_Commit], windows: list[WeekWindow]) -> dict[str, str]:
    """Week key of each commit whose committer time (with its own offset) falls in a window."""
    starts = [w.start for w in windows]
    out = {}
    for c in chain:
        i = bisect.bisect_right(starts, c.committer_date) - 1
        if i >= 0 and c.committer_date < windows[i].end:
            out[c.sha] = windows[i].key
    return out


def _count(stats: GitExtractStats, c: _Commit, kind: str) -> None:
    stats.commits += 1
    if kind == "squash":
        stats.squash_merges += 1
    elif kind == "merge":
        stats.merge_commits += 1
    else:
        stats.other_commits += 1
        stats.other_shas.append(c.sha)


def _pr_row(repo: str, c: _Commit, kind: str, number: int, author: str, association: str,
            base_ref: str | None) -> dict:
    subject, _, rest = c.message.partition("\n")
    if kind == "squash":
        squash = _SQUASH_RE.match(subject)  # it matched in _classify
        title = squash.group("title") if squash else subject
        body = rest.strip("\n")
    else:
        title, _, body = rest.strip("\n").partition("\n")
        body = body.strip("\n")
        title = title or subject  # a merge without a PR title in its body
    files = _parse_diff(c.diff)
    return {
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
        # git knows commits, not PRs: no reviews, no ready-for-review time, no account type
        "author_type": None,
        "ready_at": None,
        "reviews": None,
        "reviews_coverage": None,
    }


def _frames_by_week(rows: dict[str, list[dict]]) -> dict[str, pd.DataFrame]:
    """``_frame`` of each week's rows, normalised in one Arrow round trip for the whole range.

    Per week, the round trip's fixed cost (one Arrow array per column) was most of a
    year's frame building; each week's frame is then its slice, indexed from 0 as before.
    """
    everything = [row for week_rows in rows.values() for row in week_rows]
    if not everything:
        return {key: _empty_frame() for key in rows}
    frame = _frame(everything)
    frames, start = {}, 0
    for key, week_rows in rows.items():
        end = start + len(week_rows)
        frames[key] = frame.iloc[start:end].reset_index(drop=True) if week_rows else _empty_frame()
        start = end
    return frames


def _frame(rows: list[dict]) -> pd.DataFrame:
    if not rows:
        return _empty_frame()
    return schema.normalize(pd.DataFrame(rows), schema.RAW_SCHEMA)
