"""Resources injected into assets: the GitHub client."""

from __future__ import annotations

import os

import dagster as dg

from report_pipeline.config import Config, RepositoryConfig


class GitHubResource(dg.ConfigurableResource):
    """GitHub API access; the token comes from ``EnvVar`` and never reaches logs or metadata."""

    token: str | None = None
    token_env: str = "GITHUB_TOKEN"  # the variable's name, for messages; never its value
    page_size: int = 25  # PRs per search page: see sources/github/queries.SEARCH_PAGE
    timeout_seconds: float = 30.0
    max_retries: int = 6
    max_wait_seconds: float = 900.0

    def client_for(self, repo: RepositoryConfig, log=None):
        """A ``GitHubClient`` for ``repo``'s endpoints (github.com or GitHub Enterprise Server)."""
        from report_pipeline.sources.github import GitHubClient

        return GitHubClient(
            self.token,
            graphql_url=repo.graphql_url,
            api_url=repo.api_url,
            page_size=self.page_size,
            timeout=self.timeout_seconds,
            max_retries=self.max_retries,
            max_wait_seconds=self.max_wait_seconds,
            log=log,
            token_env=self.token_env,
        )


def uses_github(config: Config) -> bool:
    """True when some configured repository reads from GitHub (its PRs, labels or reviews)."""
    return any(r.source == "github" or r.enrich_from_github for r in config.repositories)


def github_resource(config: Config) -> GitHubResource:
    """The GitHub resource for ``config``: token through ``EnvVar`` when the variable is set.

    An unset variable is left to the client, which fails with a clear message only when a
    repository actually reads from GitHub (the sample and git sources need no token).
    """
    gh = config.github
    token = dg.EnvVar(gh.token_env) if os.environ.get(gh.token_env) else None
    return GitHubResource(
        token=token,
        token_env=gh.token_env,
        page_size=gh.page_size,
        timeout_seconds=gh.timeout_seconds,
        max_retries=gh.max_retries,
        max_wait_seconds=gh.max_wait_seconds,
    )
