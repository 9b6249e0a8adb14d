"""GitHub as a source: merged PRs of a week via GraphQL search (httpx transport)."""

from report_pipeline.sources.github.client import (
    TOKEN_ENV,
    FetchStats,
    GitHubAuthError,
    GitHubError,
    GitHubGraphQLError,
    GitHubNotFoundError,
    GitHubRateLimitError,
    GitHubTransportError,
)
from report_pipeline.sources.github.extract import GitHubClient

__all__ = [
    "TOKEN_ENV",
    "FetchStats",
    "GitHubClient",
    "GitHubError",
    "GitHubAuthError",
    "GitHubNotFoundError",
    "GitHubRateLimitError",
    "GitHubGraphQLError",
    "GitHubTransportError",
]
