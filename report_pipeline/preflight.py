"""``check-config``: what ``build`` will need, checked before any run starts.

Each check calls the same function ``build`` calls (rule set loading, the sample reader,
the git repository and branch lookup, token validation), so a problem is reported with
the very message ``build`` would fail with.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from report_pipeline.config import Config, RepositoryConfig


@dataclass(frozen=True)
class Problem:
    """One thing ``build`` would fail on: where (a repository or a key) and the error."""

    where: str
    error: str  # "ErrorClass: message", as build prints it

    def __str__(self) -> str:
        return f"{self.where}: {self.error}"


def check_config(config: Config) -> list[Problem]:
    """Every problem ``build`` would meet with ``config``; empty when it can run."""
    problems = []
    for key in ("output_dir", "warehouse_dir"):
        message = _writable_dir(str(getattr(config, key)))
        if message:
            problems.append(Problem(key, f"NotADirectoryError: {message}"))
    for repo in config.repositories:
        problems += [Problem(repo.name, p) for p in check_repository(config, repo)]
    return problems


def check_repository(config: Config, repo: RepositoryConfig) -> list[str]:
    """Problems of one repository: its rule set, its source, the GitHub token it needs."""
    from report_pipeline.domain.rules import load_rule_set

    found = []
    for check in (lambda: load_rule_set(repo.rules, config.rules_dirs), lambda: _check_source(repo),
                  lambda: _check_token(config, repo)):
        try:
            check()
        except ValueError as exc:  # RuleSetError, SampleSourceError, GitSourceError ...
            found.append(f"{type(exc).__name__}: {exc}")
        except RuntimeError as exc:  # GitHubError
            found.append(f"{type(exc).__name__}: {exc}")
    return found


def _check_source(repo: RepositoryConfig) -> None:
    if repo.source == "sample":
        from report_pipeline.sources.sample import _load

        _load(repo.local_path)  # parses the file: a malformed line is named as build would
    elif repo.source == "git":
        from report_pipeline.sources.git import _check_repo, _resolve_branch

        env = _check_repo(repo.local_path)
        _resolve_branch(repo.local_path, repo.branch, env)


def _check_token(config: Config, repo: RepositoryConfig) -> None:
    from report_pipeline.sources.github.client import validate_token

    if repo.source == "github" or repo.enrich_from_github:
        validate_token(os.environ.get(config.github.token_env), config.github.token_env)


def _writable_dir(value: str) -> str | None:
    """Why ``value`` cannot hold our files (exists as a file, unwritable parent), or None."""
    if "://" in value:
        return None  # object storage: checked by its own credentials at write time
    path = Path(value)
    if path.exists():
        if not path.is_dir():
            return f"{path} exists and is not a directory"
        return None if os.access(path, os.W_OK | os.X_OK) else f"{path} is not writable"
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"{path} cannot be created: {parent} is not a directory"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"{path} cannot be created: {parent} is not writable"
    return None
