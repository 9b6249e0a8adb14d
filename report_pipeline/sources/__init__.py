"""Where pull requests come from: the bundled sample, a local git clone, or GitHub.

Every source returns rows in ``schema.RAW_SCHEMA``; ``extract_week`` picks the one a
repository is configured with and reports what it did as plain metadata.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, is_dataclass

import pandas as pd

from report_pipeline.config import RepositoryConfig
from report_pipeline.schema import RAW_SCHEMA, REVIEWS_SCHEMA, empty_frame, normalize
from report_pipeline.weeks import WeekWindow

Log = Callable[[str], None]


def extract_week(
    repo: RepositoryConfig,
    window: WeekWindow,
    github_client: Callable[[RepositoryConfig], object] | None = None,
    log: Log | None = None,
) -> tuple[pd.DataFrame, dict]:
    """The PRs of ``repo`` merged in ``window`` and metadata about the extraction.

    ``github_client`` builds a ``GitHubClient`` for a repository; it is only called for
    sources that need GitHub.
    """
    log = log or (lambda _msg: None)
    if repo.source == "sample":
        from report_pipeline.sources.sample import read_sample_week

        frame = read_sample_week(repo.path, repo.name, window, allow_quiet=repo.allow_quiet)
        return frame, {"source": "sample", "file": str(repo.path.name)}
    if repo.source == "git":
        from report_pipeline.sources.git import read_git_week

        frame, stats = read_git_week(repo.path, repo.name, window, branch=repo.branch,
                                     allow_quiet=repo.allow_quiet)
        meta = {"source": "git"} | _plain(stats)
        if repo.enrich_from_github and github_client is not None and len(frame):
            frame, extra = _labels_from_github(frame, repo, github_client, log)
            meta |= extra
        return frame, meta
    if repo.source == "github":
        if github_client is None:
            raise ValueError("source 'github' needs a GitHub client")
        with github_client(repo) as client:
            frame, stats = client.fetch_merged_prs(repo.name, window)
        return frame, {"source": "github"} | _plain(stats)
    raise ValueError(f"unknown source {repo.source!r}")


def extract_reviews(
    repo: RepositoryConfig,
    numbers: list[int],
    github_client: Callable[[RepositoryConfig], object] | None = None,
) -> tuple[pd.DataFrame | None, dict]:
    """Review comments of PRs ``numbers``; ``None`` when the source has no reviews at all."""
    if not numbers:
        return empty_frame(REVIEWS_SCHEMA), {"requested_prs": 0}
    if repo.source == "sample":
        from report_pipeline.sources.sample import read_sample_reviews

        return read_sample_reviews(repo.path, repo.name, numbers), {"requested_prs": len(numbers)}
    uses_github = repo.source == "github" or (repo.source == "git" and repo.enrich_from_github)
    if uses_github and github_client is not None:
        with github_client(repo) as client:
            frame = client.fetch_review_comments(repo.name, numbers)
        return frame, {"requested_prs": len(numbers)}
    return None, {"requested_prs": 0, "skipped": f"source {repo.source!r} has no review comments"}


def _labels_from_github(frame, repo, github_client, log) -> tuple[pd.DataFrame, dict]:
    numbers = [int(n) for n in frame["number"]]
    with github_client(repo) as client:
        meta = client.fetch_pr_metadata(repo.name, numbers)
    log(f"labels and review counts for {len(meta)} of {len(numbers)} PRs from GitHub")
    if not len(meta):
        return frame, {"github_metadata_prs": 0}
    meta = meta.set_index("number")
    frame = frame.copy()
    for column in ("labels", "review_count", "comment_count", "author_association"):
        if column in meta:
            values = meta[column].to_dict()
            frame[column] = [values.get(int(n), old) for n, old in zip(frame["number"], frame[column])]
    return normalize(frame, RAW_SCHEMA), {"github_metadata_prs": len(meta)}


def _plain(stats) -> dict:
    if is_dataclass(stats):
        stats = asdict(stats)
    return {k: v for k, v in dict(stats).items()}
