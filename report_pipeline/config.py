"""The project's configuration: one TOML file parsed once into typed objects.

Every problem is reported at load time with the key that holds it, e.g.
``report_pipeline.toml: repositories[1].source: must be one of git, github, sample (got 'gitlab')``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

CONFIG_ENV = "REPORT_PIPELINE_CONFIG"
DEFAULT_CONFIG_NAME = "report_pipeline.toml"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("git", "github", "sample")
LANGUAGES = ("en", "zh")
# GitHub's rules: owners are letters, digits, hyphens (underscores for managed users), no dots;
# repositories also allow dots, but never "." or ".." (which would walk out of output_dir).
OWNER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
REPO_PART = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or invalid."""


@dataclass(frozen=True)
class HighlightConfig:
    """How many PRs of a week are highlighted: ``share`` of the week, clamped to [min, max]."""

    share: float = 0.1
    min: int = 3
    max: int = 20

    def count(self, pr_count: int) -> int:
        """The number of highlights for a week of ``pr_count`` PRs."""
        if pr_count <= 0:
            return 0
        wanted = round(pr_count * self.share)
        return min(pr_count, max(self.min, min(self.max, wanted)))


@dataclass(frozen=True)
class GitHubConfig:
    """Settings shared by every repository read from GitHub."""

    token_env: str = "GITHUB_TOKEN"
    max_wait_seconds: float = 900.0
    page_size: int = 25  # PRs per search page: see sources/github/queries.SEARCH_PAGE
    timeout_seconds: float = 30.0
    max_retries: int = 6


@dataclass(frozen=True)
class NarratorConfig:
    """The optional language-model writer (``[narrator]``); absent means deterministic text only.

    ``api_key_env`` names the variable holding the key; the key itself never enters this object.
    ``max_requests`` bounds the HTTP requests of one run (retries included), so a backfill
    cannot cost more than that; weeks beyond it keep their deterministic text.
    """

    base_url: str
    model: str
    api_key_env: str | None = None
    languages: tuple[str, ...] = LANGUAGES
    timeout_seconds: float = 60.0
    max_retries: int = 2
    max_requests: int = 40
    max_tokens: int = 4000
    max_wait_seconds: float = 60.0


@dataclass(frozen=True)
class RepositoryConfig:
    """One repository to report on."""

    name: str
    source: str
    rules: str = "default"
    path: Path | None = None  # sample file or git clone
    branch: str | None = None  # git: default branch (HEAD's when unset)
    api_url: str = "https://api.github.com"
    graphql_url: str = "https://api.github.com/graphql"
    enrich_from_github: bool = False  # git: labels and reviews from GitHub when a token is set
    allow_quiet: bool = False  # git/sample: data that ends before a week means "no merges", not "stale"

    @property
    def owner(self) -> str:
        """The part before the slash."""
        return self.name.split("/", 1)[0]

    @property
    def repo(self) -> str:
        """The part after the slash."""
        return self.name.split("/", 1)[1]

    @property
    def slug(self) -> str:
        """A filesystem-safe name: ``owner__repo``."""
        return f"{self.owner}__{self.repo}"

    @property
    def local_path(self) -> Path:
        """The sample file or git clone; configuration requires it for those sources."""
        if self.path is None:
            raise ConfigError(f"repository {self.name!r}: path is required for source = {self.source!r}")
        return self.path


@dataclass(frozen=True)
class Config:
    """The whole configuration."""

    path: Path | None
    timezone: str = "UTC"
    languages: tuple[str, ...] = LANGUAGES
    output_dir: Path = PROJECT_ROOT / "data" / "reports"
    warehouse_dir: Path | str = PROJECT_ROOT / "data" / "warehouse"  # str: an object-store URI
    first_week: str = "2025-01-06"
    rules_dirs: tuple[Path, ...] = ()
    highlights: HighlightConfig = field(default_factory=HighlightConfig)
    github: GitHubConfig = field(default_factory=GitHubConfig)
    repositories: tuple[RepositoryConfig, ...] = ()
    trend_weeks: int = 12
    narrator: NarratorConfig | None = None  # None: no [narrator] table, deterministic text only

    def repository(self, name: str) -> RepositoryConfig:
        """The repository called ``name``; ``ConfigError`` when it is not configured."""
        for repo in self.repositories:
            if repo.name == name:
                return repo
        known = ", ".join(r.name for r in self.repositories) or "none"
        similar = [r.name for r in self.repositories if r.name.lower() == name.lower()]
        hint = f"; did you mean {similar[0]!r}?" if similar else ""
        raise ConfigError(f"repository {name!r} is not configured (configured: {known}){hint}")


def config_path() -> Path:
    """Where the configuration is read from.

    ``$REPORT_PIPELINE_CONFIG``, else ``./report_pipeline.toml``, else the project root's.
    """
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env).expanduser()
    local = Path.cwd() / DEFAULT_CONFIG_NAME
    if local.exists():
        return local
    return PROJECT_ROOT / DEFAULT_CONFIG_NAME


def load_config(path: str | os.PathLike | None = None) -> Config:
    """Read and validate the configuration file (see ``config_path`` for the default)."""
    path = Path(path) if path is not None else config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found (set {CONFIG_ENV} or create it)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(raw, base_dir=path.resolve().parent, path=path)


def parse_config(raw: dict[str, Any], base_dir: Path, path: Path | None = None) -> Config:
    """Validate an already-parsed TOML document; relative paths resolve against ``base_dir``."""
    where = f"{path}: " if path else ""
    try:
        return _parse(raw, base_dir, path)
    except ConfigError as exc:
        raise ConfigError(f"{where}{exc}") from None


_TOP_KEYS = {
    "timezone", "languages", "output_dir", "warehouse_dir", "first_week", "rules_dirs",
    "highlights", "github", "repositories", "trend_weeks", "narrator",
}
_REPO_KEYS = {
    "name", "source", "rules", "path", "branch", "api_url", "graphql_url", "enrich_from_github", "allow_quiet",
}


def _parse(raw: dict[str, Any], base_dir: Path, path: Path | None) -> Config:
    _no_unknown(raw, _TOP_KEYS, "")
    timezone = _str(raw, "timezone", "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"timezone: unknown time zone {timezone!r} (use an IANA name such as 'Asia/Shanghai')") from None

    languages = raw.get("languages", list(LANGUAGES))
    if not isinstance(languages, list) or not languages or not all(isinstance(x, str) for x in languages):
        raise ConfigError("languages: must be a non-empty list of language codes")
    for lang in languages:
        if lang not in LANGUAGES:
            raise ConfigError(f"languages: unsupported language {lang!r} (supported: {', '.join(LANGUAGES)})")

    first_week = _str(raw, "first_week", "2025-01-06")
    try:
        day = dt.date.fromisoformat(first_week)
    except ValueError:
        raise ConfigError(f"first_week: {first_week!r} is not a date YYYY-MM-DD") from None
    if day.weekday() != 0:
        raise ConfigError(f"first_week: {first_week} is a {day:%A}; weeks start on Monday")

    trend_weeks = raw.get("trend_weeks", 12)
    if not isinstance(trend_weeks, int) or isinstance(trend_weeks, bool) or not 2 <= trend_weeks <= 52:
        raise ConfigError("trend_weeks: must be an integer from 2 to 52")

    rules_dirs = raw.get("rules_dirs", [])
    if not isinstance(rules_dirs, list) or not all(isinstance(x, str) for x in rules_dirs):
        raise ConfigError("rules_dirs: must be a list of directory paths")

    repos_raw = raw.get("repositories", [])
    if not isinstance(repos_raw, list) or not repos_raw:
        raise ConfigError("repositories: at least one [[repositories]] table is required")
    repos = []
    for i, entry in enumerate(repos_raw):
        repos.append(_parse_repo(entry, f"repositories[{i}]", base_dir))
    _no_duplicates(repos)

    return Config(
        path=path,
        timezone=timezone,
        languages=tuple(languages),
        output_dir=_path(raw, "output_dir", base_dir, "data/reports"),
        warehouse_dir=_location(raw, "warehouse_dir", base_dir, "data/warehouse"),
        first_week=first_week,
        rules_dirs=tuple((base_dir / d).resolve() for d in rules_dirs),
        highlights=_parse_highlights(raw.get("highlights", {})),
        github=_parse_github(raw.get("github", {})),
        repositories=tuple(repos),
        trend_weeks=trend_weeks,
        narrator=_parse_narrator(raw["narrator"], tuple(languages)) if "narrator" in raw else None,
    )


def _parse_repo(entry: Any, key: str, base_dir: Path) -> RepositoryConfig:
    if not isinstance(entry, dict):
        raise ConfigError(f"{key}: must be a table")
    _no_unknown(entry, _REPO_KEYS, key + ".")
    name = validate_repo_name(entry.get("name"), f"{key}.name")
    source = entry.get("source")
    if source not in SOURCES:
        raise ConfigError(f"{key}.source: must be one of {', '.join(SOURCES)} (got {source!r})")
    rules = _str(entry, "rules", "default", key + ".")
    repo_path = None
    if "path" in entry:
        if not isinstance(entry["path"], str) or not entry["path"]:
            raise ConfigError(f"{key}.path: must be a non-empty string")
        if _URI.match(entry["path"]) or entry["path"].startswith("git@"):
            raise ConfigError(f"{key}.path: must be a local folder, not a URL (got {entry['path']!r}); "
                              "for source = \"git\" clone it first (git clone URL FOLDER) and give the folder")
        repo_path = (base_dir / Path(entry["path"]).expanduser()).resolve()
    if source in ("sample", "git") and repo_path is None:
        raise ConfigError(f"{key}.path: required for source = {source!r}")
    api_url = _str(entry, "api_url", "https://api.github.com", key + ".").rstrip("/")
    graphql_default = "https://api.github.com/graphql"
    if "api_url" in entry and "graphql_url" not in entry and api_url.endswith("/api/v3"):
        # GitHub Enterprise Server: https://HOST/api/v3 -> https://HOST/api/graphql
        graphql_default = api_url[: -len("/v3")] + "/graphql"
    graphql_url = _str(entry, "graphql_url", graphql_default, key + ".")
    for url_key, url in (("api_url", api_url), ("graphql_url", graphql_url)):
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"{key}.{url_key}: must be an http(s) URL (got {url!r})")
    enrich = _bool(entry, "enrich_from_github", key + ".")
    allow_quiet = _bool(entry, "allow_quiet", key + ".")
    branch = entry.get("branch")
    if branch is not None and (not isinstance(branch, str) or not branch):
        raise ConfigError(f"{key}.branch: must be a non-empty string")
    return RepositoryConfig(
        name=name, source=source, rules=rules, path=repo_path, branch=branch,
        api_url=api_url, graphql_url=graphql_url, enrich_from_github=enrich, allow_quiet=allow_quiet,
    )


def validate_repo_name(name: Any, key: str = "name") -> str:
    """``name`` when it is a GitHub ``owner/repo``; ``ConfigError`` naming ``key`` otherwise.

    Names become directories under output_dir and warehouse_dir, so anything GitHub would
    refuse (``..``, ``.``, dotted owners, slashes, other characters) is refused here too.
    """
    if not isinstance(name, str) or name.count("/") != 1:
        raise ConfigError(f"{key}: must be 'owner/repo' (got {name!r})")
    owner, repo = name.split("/")
    if not OWNER_NAME.match(owner):
        raise ConfigError(
            f"{key}: owner {owner!r} is not a GitHub owner name (letters, digits, '-' and '_', "
            f"starting with a letter or digit, no dots) in {name!r}"
        )
    if repo in (".", "..") or not REPO_PART.match(repo):
        raise ConfigError(
            f"{key}: {repo!r} is not a GitHub repository name (letters, digits, '.', '-' and '_', "
            f"not '.' or '..') in {name!r}"
        )
    if repo.lower().endswith(".git"):
        raise ConfigError(f"{key}: {name!r} ends in '.git'; use the repository's name without it")
    return name


def _no_duplicates(repos: list[RepositoryConfig]) -> None:
    """GitHub names are case-insensitive: ``Lumen-AI/Lumen`` and ``lumen-ai/lumen`` are one repository."""
    seen: dict[str, tuple[int, str]] = {}
    for i, repo in enumerate(repos):
        folded = repo.name.lower()
        if folded in seen:
            j, other = seen[folded]
            same = "configured twice" if other == repo.name else "the same repository (names ignore case)"
            raise ConfigError(
                f"repositories[{j}].name {other!r} and repositories[{i}].name {repo.name!r}: {same}; keep one"
            )
        seen[folded] = (i, repo.name)


def _parse_highlights(raw: Any) -> HighlightConfig:
    if not isinstance(raw, dict):
        raise ConfigError("highlights: must be a table")
    _no_unknown(raw, {"share", "min", "max"}, "highlights.")
    share = raw.get("share", 0.1)
    if not isinstance(share, (int, float)) or isinstance(share, bool) or not 0 < share <= 1:
        raise ConfigError("highlights.share: must be a number in (0, 1]")
    lo, hi = raw.get("min", 3), raw.get("max", 20)
    for k, v in (("min", lo), ("max", hi)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise ConfigError(f"highlights.{k}: must be a non-negative integer")
    if lo > hi:
        raise ConfigError(f"highlights.min: {lo} is larger than highlights.max {hi}")
    return HighlightConfig(share=float(share), min=lo, max=hi)


def _numbers(raw: dict, prefix: str, specs: tuple[tuple[str, float, float, float], ...]) -> dict[str, float]:
    """The numeric keys ``specs`` (name, default, low, high) of ``raw``, each checked against its range."""
    nums = {}
    for k, default, lo, hi in specs:
        v = raw.get(k, default)
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not lo <= v <= hi:
            raise ConfigError(f"{prefix}{k}: must be a number from {lo} to {hi}")
        nums[k] = v
    return nums


def _parse_github(raw: Any) -> GitHubConfig:
    if not isinstance(raw, dict):
        raise ConfigError("github: must be a table")
    _no_unknown(raw, {"token_env", "max_wait_seconds", "page_size", "timeout_seconds", "max_retries"}, "github.")
    token_env = _str(raw, "token_env", "GITHUB_TOKEN", "github.")
    nums = _numbers(raw, "github.", (
        ("max_wait_seconds", 900.0, 0, 86400),
        ("page_size", 25, 1, 100),
        ("timeout_seconds", 30.0, 1, 600),
        ("max_retries", 6, 0, 20),
    ))
    if not float(nums["page_size"]).is_integer() or not float(nums["max_retries"]).is_integer():
        raise ConfigError("github.page_size and github.max_retries: must be integers")
    return GitHubConfig(
        token_env=token_env,
        max_wait_seconds=float(nums["max_wait_seconds"]),
        page_size=int(nums["page_size"]),
        timeout_seconds=float(nums["timeout_seconds"]),
        max_retries=int(nums["max_retries"]),
    )


_NARRATOR_KEYS = {
    "base_url", "model", "api_key_env", "languages", "timeout_seconds", "max_retries",
    "max_requests", "max_tokens", "max_wait_seconds",
}


def _parse_narrator(raw: Any, report_languages: tuple[str, ...]) -> NarratorConfig:
    if not isinstance(raw, dict):
        raise ConfigError("narrator: must be a table")
    _no_unknown(raw, _NARRATOR_KEYS, "narrator.")
    base_url = _str(raw, "base_url", "", "narrator.").rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"narrator.base_url: must be an http(s) URL such as https://api.openai.com/v1 (got {base_url!r})")
    model = _str(raw, "model", "", "narrator.")
    key_env = raw.get("api_key_env")
    if key_env is not None and (not isinstance(key_env, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key_env)):
        raise ConfigError("narrator.api_key_env: must be the name of an environment variable (the key never goes in this file)")
    languages = raw.get("languages", list(report_languages))
    if not isinstance(languages, list) or not all(isinstance(x, str) for x in languages):
        raise ConfigError("narrator.languages: must be a list of language codes")
    for lang in languages:
        if lang not in report_languages:
            raise ConfigError(f"narrator.languages: {lang!r} is not a report language ({', '.join(report_languages)})")
    nums = _numbers(raw, "narrator.", (
        ("timeout_seconds", 60.0, 1, 600),
        ("max_retries", 2, 0, 10),
        ("max_requests", 40, 0, 100000),
        ("max_tokens", 4000, 100, 32000),
        ("max_wait_seconds", 60.0, 0, 3600),
    ))
    for k in ("max_retries", "max_requests", "max_tokens"):
        if not float(nums[k]).is_integer():
            raise ConfigError(f"narrator.{k}: must be an integer")
    return NarratorConfig(
        base_url=base_url, model=model, api_key_env=key_env, languages=tuple(languages),
        timeout_seconds=float(nums["timeout_seconds"]), max_retries=int(nums["max_retries"]),
        max_requests=int(nums["max_requests"]), max_tokens=int(nums["max_tokens"]),
        max_wait_seconds=float(nums["max_wait_seconds"]),
    )


def _no_unknown(raw: dict, allowed: set[str], prefix: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ConfigError(f"{prefix}{unknown[0]}: unknown key (allowed: {', '.join(sorted(allowed))})")


def _str(raw: dict, key: str, default: str, prefix: str = "") -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{prefix}{key}: must be a non-empty string (got {value!r})")
    return value


def _bool(raw: dict, key: str, prefix: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"{prefix}{key}: must be true or false")
    return value


# URI schemes pyarrow.fs opens as object storage (hdfs needs a JVM; file:// is a local path)
OBJECT_STORES = ("s3", "gs", "gcs", "abfs", "abfss")
# scheme://bucket/rest: what a location given as a URI looks like (Path() would make it local)
_URI = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)(.*)$")


def _location(raw: dict, key: str, base_dir: Path, default: str) -> Path | str:
    """A local path, or an object-store URI (``s3://bucket/prefix``) kept as written."""
    value = _str(raw, key, default)
    uri = _URI.match(value)
    if uri is None:
        return _path(raw, key, base_dir, default)
    scheme, bucket, rest = uri.groups()
    if scheme.lower() not in OBJECT_STORES:
        raise ConfigError(f"{key}: {scheme}:// is not object storage this tool can write to; use a local "
                          f"folder or one of {', '.join(s + '://' for s in OBJECT_STORES)} (got {value!r})")
    if not bucket:
        raise ConfigError(f"{key}: {value!r} names no bucket; write {scheme}://BUCKET/prefix")
    if any(c.isspace() for c in value):
        raise ConfigError(f"{key}: {value!r} contains a space, which no bucket or object name here may")
    # kept as a string: Path() would fold "s3://" into the local "s3:/"
    return f"{scheme.lower()}://{bucket}{rest.rstrip('/')}"


def _path(raw: dict, key: str, base_dir: Path, default: str) -> Path:
    value = _str(raw, key, default)
    if _URI.match(value):  # Path() would make "s3://b" the local folder "s3:/b"
        raise ConfigError(f"{key}: must be a local folder, not a URI (got {value!r}); "
                          "publish the reports to a bucket by syncing this folder after each build")
    return (base_dir / Path(value).expanduser()).resolve()
