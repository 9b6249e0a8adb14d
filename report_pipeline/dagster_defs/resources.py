"""Resources injected into assets: run-time report settings, the GitHub client and the optional narrator."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
from pydantic import field_validator

from report_pipeline.config import LANGUAGES, Config, HighlightConfig, RepositoryConfig


class ReportSettings(dg.ConfigurableResource):
    """What a run writes and how it judges: output folder, languages, highlight share, trend length.

    The values come from report_pipeline.toml (``report_settings``); the UI's launchpad can
    override them for one run (e.g. ``output_dir`` for a trial build) and shows them on the
    Resources page. What defines the partitions (timezone, first_week, repositories) stays in
    the configuration file: it shapes the asset graph, not one run.
    """

    output_dir: str
    languages: list[str]
    trend_weeks: int = 12
    highlight_share: float = 0.1
    highlight_min: int = 3
    highlight_max: int = 20

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: list[str]) -> list[str]:
        unknown = [lang for lang in value if lang not in LANGUAGES]
        if not value or unknown:
            raise ValueError(f"languages: unsupported {unknown} (supported: {', '.join(LANGUAGES)})")
        return value

    @field_validator("trend_weeks")
    @classmethod
    def _trend_range(cls, value: int) -> int:
        if not 2 <= value <= 52:
            raise ValueError("trend_weeks: must be an integer from 2 to 52")
        return value

    @property
    def output_path(self) -> Path:
        return Path(self.output_dir)

    @property
    def language_tuple(self) -> tuple[str, ...]:
        return tuple(self.languages)

    @property
    def highlights(self) -> HighlightConfig:
        return HighlightConfig(share=self.highlight_share, min=self.highlight_min, max=self.highlight_max)


def report_settings(config: Config) -> ReportSettings:
    """The run-time settings of ``config``."""
    return ReportSettings(
        output_dir=str(config.output_dir),
        languages=list(config.languages),
        trend_weeks=config.trend_weeks,
        highlight_share=config.highlights.share,
        highlight_min=config.highlights.min,
        highlight_max=config.highlights.max,
    )


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


class NarratorResource(dg.ConfigurableResource):
    """The optional language-model writer (``[narrator]``); the key comes from ``EnvVar``, never logged.

    Without ``[narrator]`` it is registered switched off (``enabled`` false): ``session`` is None,
    nothing is asked and the ``openai`` package is never imported.
    """

    enabled: bool = False
    base_url: str = ""
    model: str = ""
    api_key: str | None = None
    api_key_env: str | None = None  # the variable's name, for messages; never its value
    languages: list[str] = []
    timeout_seconds: float = 60.0
    max_retries: int = 2
    max_requests: int = 40
    max_tokens: int = 4000
    max_wait_seconds: float = 60.0
    cache_dir: str = ""

    def session(self, log=None):
        """A ``Narrator`` for one run (its request budget starts full here); None when switched off."""
        if not self.enabled:
            return None
        from report_pipeline.narrate import AnswerCache, Budget, ChatClient, Narrator

        if self.api_key_env and not self.api_key and log is not None:
            log.warning(f"narrator: ${self.api_key_env} is not set; asking {self.base_url} without a key")
        client = ChatClient(
            base_url=self.base_url, model=self.model, api_key=self.api_key, budget=Budget(self.max_requests),
            timeout_seconds=self.timeout_seconds, max_retries=self.max_retries, max_tokens=self.max_tokens,
            max_wait_seconds=self.max_wait_seconds,
        )
        return Narrator(client=client, languages=tuple(self.languages), cache=AnswerCache(self.cache_dir))


def narrator_resource(config: Config) -> NarratorResource:
    """The narrator resource; switched off when ``[narrator]`` is absent (deterministic text only)."""
    n = config.narrator
    if n is None:
        return NarratorResource()
    key = dg.EnvVar(n.api_key_env) if n.api_key_env and os.environ.get(n.api_key_env) else None
    return NarratorResource(
        enabled=True, base_url=n.base_url, model=n.model, api_key=key, api_key_env=n.api_key_env, languages=list(n.languages),
        timeout_seconds=n.timeout_seconds, max_retries=n.max_retries, max_requests=n.max_requests,
        max_tokens=n.max_tokens, max_wait_seconds=n.max_wait_seconds, cache_dir=str(config.warehouse_dir),
    )
