"""Where pull requests come from: the bundled sample, a local git clone, or GitHub.

Every source returns rows in ``schema.RAW_SCHEMA``; ``extract_week`` (one week) and
``extract_range`` (many weeks, the source read once) pick the one a repository is
configured with and report what they did as plain metadata.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, is_dataclass
from typing import TYPE_CHECKING

import pandas as pd

from report_pipeline.config import RepositoryConfig
from report_pipeline.schema import RAW_SCHEMA, REVIEWS_SCHEMA, empty_frame, normalize
from report_pipeline.weeks import WeekWindow

if TYPE_CHECKING:
    from report_pipeline.sources.github import GitHubClient

Log = Callable[[str], None]
ClientFactory = Callable[[RepositoryConfig], "GitHubClient"]


def extract_week(
    repo: RepositoryConfig,
    window: WeekWindow,
    github_client: ClientFactory | None = None,
    log: Log | None = None,
) -> tuple[pd.DataFrame, dict]:
    """The PRs of ``repo`` merged in ``window`` and metadata about the extraction.

    ``github_client`` builds a ``GitHubClient`` for a repository; it is only called for
    sources that need GitHub.
    """
    return extract_range(repo, [window], github_client, log)[window.key]


def extract_range(
    repo: RepositoryConfig,
    windows: Sequence[WeekWindow],
    github_client: ClientFactory | None = None,
    log: Log | None = None,
    concurrency: int = 1,
) -> dict[str, tuple[pd.DataFrame, dict]]:
    """:func:`extract_week` for many weeks at once, keyed by week.

    The source is read once for the whole range: one pass over the sample file, one
    ``git log`` over the span, and for GitHub one client (one connection pool, one
    rate-limit budget) whose week windows run ``concurrency`` at a time.
    """
    log = log or (lambda _msg: None)
    windows = list(windows)
    if not windows:
        return {}
    if repo.source == "sample":
        from report_pipeline.sources.sample import read_sample_range

        frames = read_sample_range(repo.local_path, repo.name, windows, allow_quiet=repo.allow_quiet)
        return {k: (f, {"source": "sample", "file": str(repo.local_path.name)}) for k, f in frames.items()}
    if repo.source == "git":
        return _git_range(repo, windows, github_client, log)
    if repo.source == "github":
        if github_client is None:
            raise ValueError("source 'github' needs a GitHub client")
        return _github_range(repo, windows, github_client, concurrency)
    raise ValueError(f"unknown source {repo.source!r}")


def _git_range(repo, windows, github_client, log) -> dict[str, tuple[pd.DataFrame, dict]]:
    from report_pipeline.sources.git import read_git_range

    weeks = read_git_range(repo.local_path, repo.name, windows, branch=repo.branch, allow_quiet=repo.allow_quiet)
    out = {k: (frame, {"source": "git"} | _plain(stats)) for k, (frame, stats) in weeks.items()}
    if not (repo.enrich_from_github and github_client is not None):
        return out
    # one metadata request batch for the whole range, applied back week by week
    numbers = [int(n) for frame, _ in out.values() for n in frame["number"]]
    if not numbers:
        return out
    with github_client(repo) as client:
        meta = client.fetch_pr_metadata(repo.name, numbers)
    log(f"labels and review counts for {len(meta)} of {len(numbers)} PRs from GitHub")
    for key, (frame, info) in out.items():
        if len(frame):
            frame, found = _with_metadata(frame, meta)
            out[key] = (frame, info | {"github_metadata_prs": found})
    return out


def _github_range(repo, windows, github_client, concurrency) -> dict[str, tuple[pd.DataFrame, dict]]:
    """Every window through one client; up to ``concurrency`` windows in flight at once."""
    with github_client(repo) as client:
        def one(window: WeekWindow) -> tuple[str, tuple[pd.DataFrame, dict]]:
            frame, stats = client.fetch_merged_prs(repo.name, window)
            return window.key, (frame, {"source": "github"} | _plain(stats))

        workers = max(1, min(int(concurrency), len(windows)))
        if workers == 1:
            return dict(map(one, windows))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="github-week") as pool:
            return dict(pool.map(one, windows))


def extract_flow_counts(
    repo: RepositoryConfig,
    window: WeekWindow,
    github_client: ClientFactory | None = None,
) -> tuple[dict, dict]:
    """PRs opened, closed without merge and open at the end of ``window`` (one GitHub request).

    Only GitHub can count PRs that were not merged; other sources return nulls and the reason.
    """
    if repo.source == "github" and github_client is not None:
        with github_client(repo) as client:
            counts = client.fetch_flow_counts(repo.name, window)
        return counts | {"note": None}, {"requests": client.last_stats.requests}
    empty = {"opened": None, "closed_unmerged": None, "open_at_week_end": None, "note": "no_counts"}
    return empty, {"skipped": f"source {repo.source!r} sees merged PRs only"}


def extract_reviews(
    repo: RepositoryConfig,
    numbers: list[int],
    github_client: ClientFactory | None = None,
) -> tuple[pd.DataFrame | None, dict]:
    """Review comments of PRs ``numbers``; ``None`` when the source has no reviews at all."""
    if not numbers:
        return empty_frame(REVIEWS_SCHEMA), {"requested_prs": 0}
    if repo.source == "sample":
        from report_pipeline.sources.sample import read_sample_reviews

        return read_sample_reviews(repo.local_path, repo.name, numbers), {"requested_prs": len(numbers)}
    uses_github = repo.source == "github" or (repo.source == "git" and repo.enrich_from_github)
    if uses_github and github_client is not None:
        with github_client(repo) as client:
            frame = client.fetch_review_comments(repo.name, numbers)
        return frame, {"requested_prs": len(numbers)}
    return None, {"requested_prs": 0, "skipped": f"source {repo.source!r} has no review comments"}


def _with_metadata(frame: pd.DataFrame, meta: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """``frame`` with GitHub's labels, review counts and association where ``meta`` has the PR."""
    meta = meta[meta["number"].isin(set(frame["number"]))].set_index("number") if len(meta) else meta
    if not len(meta):
        return frame, 0
    frame = frame.copy()
    for column in ("labels", "review_count", "comment_count", "author_association"):
        if column in meta:
            values = meta[column].to_dict()
            frame[column] = [values.get(int(n), old) for n, old in zip(frame["number"], frame[column])]
    return normalize(frame, RAW_SCHEMA), len(meta)


def _plain(stats) -> dict:
    if is_dataclass(stats) and not isinstance(stats, type):
        stats = asdict(stats)
    return {k: v for k, v in dict(stats).items()}
