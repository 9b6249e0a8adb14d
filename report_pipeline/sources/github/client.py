"""Transport for GitHub's GraphQL API: auth, retries, rate limits, error mapping.

Exception hierarchy (modelled on httpx's: one base class, one subclass per
thing a caller may want to handle differently)::

    GitHubError
    ├── GitHubAuthError         no token, or GitHub rejected it
    ├── GitHubNotFoundError     repository unknown or private
    ├── GitHubRateLimitError    primary limit exhausted beyond max_wait_seconds
    ├── GitHubGraphQLError      ``errors`` in an HTTP 200 answer
    └── GitHubTransportError    retries exhausted (5xx, timeouts, resets, bad JSON)

The token never leaves the ``Authorization`` header: messages built from
server text pass through ``_redact`` and ``repr`` hides it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

__all__ = [
    "TOKEN_ENV",
    "FetchStats",
    "GitHubError",
    "GitHubAuthError",
    "GitHubNotFoundError",
    "GitHubRateLimitError",
    "GitHubGraphQLError",
    "GitHubTransportError",
    "GraphQLSession",
    "validate_token",
    "redacted_error",
]

TOKEN_ENV = "GITHUB_TOKEN"
_SECONDARY_BASE = 60.0  # GitHub: "wait at least one minute" without retry-after
_TRANSIENT_BASE = 1.0
_USER_AGENT = "report-pipeline/0.1 (+httpx)"


class GitHubError(RuntimeError):
    """Base class of every error raised by the GitHub source."""


class GitHubAuthError(GitHubError):
    """No token configured, or GitHub rejected it (401)."""


class GitHubNotFoundError(GitHubError):
    """The repository does not exist or the token cannot see it."""


class GitHubRateLimitError(GitHubError):
    """The primary rate limit is exhausted and resets later than ``max_wait_seconds``."""

    def __init__(self, message: str, reset_at: dt.datetime | None = None):
        super().__init__(message)
        self.reset_at = reset_at


class GitHubGraphQLError(GitHubError):
    """GitHub answered 200 with an ``errors`` list; ``messages`` holds their texts."""

    def __init__(self, message: str, messages: list[str]):
        super().__init__(message)
        self.messages = messages


class GitHubTransportError(GitHubError):
    """A request kept failing (5xx, timeout, reset, invalid body) until retries ran out."""


@dataclass
class FetchStats:
    """What one fetch cost; every HTTP request sent counts in ``requests`` (retries included)."""

    requests: int = 0
    search_pages: int = 0
    extra_file_pages: int = 0
    windows: int = 0  # leaf time windows actually paged after splitting at the 1000 cap
    retries: int = 0
    rate_limit_cost: int = 0
    rate_limit_remaining: int | None = None
    issue_count: int = 0
    outside_window: int = 0  # search hits whose mergedAt fell outside the window, dropped
    duplicates: int = 0  # the same PR seen twice across pages/windows, kept once
    extra_review_pages: int = 0  # later pages of the reviews of a PR with more than 100
    history_searches: int = 0  # requests of aliased "merged before the week?" counts (first-time contributors)


def validate_token(token: str | None, token_env: str = TOKEN_ENV) -> str:
    """The token without surrounding whitespace; ``GitHubAuthError`` naming ``token_env`` otherwise.

    A trailing newline (a token file, a secret mount) is dropped. Anything else that cannot
    go into an HTTP header fails here with a message that never shows the value: libraries
    that reject it later quote the whole header, token included.
    """
    token = (token or "").strip()
    if not token:
        raise GitHubAuthError(
            f"no GitHub token: set the {token_env} environment variable "
            "(a token with read access to the repository)"
        )
    if any(ch.isspace() for ch in token):
        raise GitHubAuthError(
            f"{token_env} contains whitespace inside it (a two-line token file?): a token is one "
            "word; the value is not shown"
        )
    bad = next((i for i, ch in enumerate(token) if not (ch.isascii() and ch.isprintable())), None)
    if bad is not None:
        raise GitHubAuthError(
            f"{token_env} contains a character that is not printable ASCII (at position {bad + 1}): "
            "GitHub tokens are plain ASCII; the value is not shown"
        )
    return token


def redacted_error(exc: BaseException, token: str) -> GitHubError:
    """A ``GitHubError`` describing ``exc`` (any library's) with the token masked.

    Raise it ``from None``: the original, whose message, arguments or causes may quote the
    token (httpx and h11 quote headers), must not reach a log or Dagster's event store.
    """
    if isinstance(exc, GitHubError) and not (token and token in _exception_text(exc)):
        return exc
    text = str(exc).replace(token, "***") if token else str(exc)
    return GitHubTransportError(f"{type(exc).__name__}: {text}")


def _exception_text(exc: BaseException) -> str:
    """Messages and arguments of ``exc`` and everything chained to it."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts.append(f"{current} {current.args!r}")
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


def _plain_http_remote(url: str) -> str | None:
    """The host of a plain ``http://`` URL that is not a loopback address, else None."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        return None
    host = parts.hostname
    if host == "localhost" or host.endswith(".localhost"):
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    return host


class _Retry(Exception):
    """Internal: the attempt failed in a way worth retrying after ``wait`` seconds."""

    def __init__(self, reason: str, wait: float, final: Callable[[], GitHubError]):
        super().__init__(reason)
        self.reason = reason
        self.wait = wait
        self.final = final


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


class GraphQLSession:
    """POSTs GraphQL documents with retries and rate-limit handling; one per ``GitHubClient``."""

    def __init__(
        self,
        token: str | None,
        graphql_url: str,
        *,
        timeout: float = 30.0,
        max_retries: int = 6,
        max_wait_seconds: float = 900.0,
        transport: httpx.BaseTransport | None = None,
        log: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        token_env: str = TOKEN_ENV,
    ):
        self._token_env = token_env  # named in messages, so users know which variable to fix
        token = validate_token(token, token_env)
        self._token = token
        self.graphql_url = graphql_url
        self.max_retries = int(max_retries)
        self.max_wait_seconds = float(max_wait_seconds)
        self._log = log or (lambda _msg: None)
        host = _plain_http_remote(graphql_url)
        if host is not None:
            self._log(
                f"warning: the {token_env} token will be sent unencrypted over http:// to {host}; "
                "use an https:// graphql_url/api_url unless this network is trusted"
            )
        self._sleep = sleep
        self._random = random.Random()
        self._http = httpx.Client(
            transport=transport,
            timeout=timeout,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "User-Agent": _USER_AGENT,
            },
        )

    def __repr__(self) -> str:
        return f"GraphQLSession(graphql_url={self.graphql_url!r}, token=***)"

    def close(self) -> None:
        """Close the underlying HTTP connections."""
        self._http.close()

    def log(self, message: str) -> None:
        """Emit one progress line (redacted)."""
        self._log(self._redact(message))

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text

    # -- the request loop -------------------------------------------------

    def execute(
        self,
        query: str,
        variables: dict[str, Any],
        stats: FetchStats,
        *,
        repo: str,
        tolerate_missing_prs: bool = False,
    ) -> dict[str, Any]:
        """Run ``query`` and return its ``data``; raise a ``GitHubError`` subclass otherwise.

        With ``tolerate_missing_prs`` a NOT_FOUND error for one aliased ``pullRequest``
        is accepted (its key is null in the data; the caller reports it).
        """
        attempt = 0
        secondary = 0
        while True:
            stats.requests += 1
            try:
                return self._attempt(query, variables, stats, repo, tolerate_missing_prs, secondary, attempt)
            except GitHubError as exc:
                raise redacted_error(exc, self._token) from None
            except _Retry as retry:
                if attempt >= self.max_retries:
                    raise retry.final() from None
                attempt += 1
                if "secondary" in retry.reason:
                    secondary += 1
                stats.retries += 1
                self.log(f"retry {attempt}/{self.max_retries} in {retry.wait:.1f}s: {retry.reason}")
                self._sleep(retry.wait)

    def _transient(self, reason: str, attempt_hint: int) -> _Retry:
        # full exponential backoff with jitter so parallel runs do not retry in lockstep
        base = min(self.max_wait_seconds, _TRANSIENT_BASE * 2 ** attempt_hint)
        wait = base * (0.5 + self._random.random() / 2)
        reason = self._redact(reason)
        return _Retry(
            reason,
            wait,
            lambda: GitHubTransportError(
                f"GitHub request to {self.graphql_url} failed after {self.max_retries} retries: {reason}"
            ),
        )

    def _attempt(self, query, variables, stats, repo, tolerate_missing_prs, secondary, hint) -> dict[str, Any]:
        try:
            resp = self._http.post(self.graphql_url, json={"query": query, "variables": variables})
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise self._transient(f"{type(exc).__name__}: {exc}", hint) from None
        except Exception as exc:  # any library's error may quote the request's headers
            raise redacted_error(exc, self._token) from None

        headers = resp.headers
        remaining = headers.get("x-ratelimit-remaining")
        if remaining is not None and remaining.isdigit():
            stats.rate_limit_remaining = int(remaining)
        status = resp.status_code

        if status == 401:
            raise GitHubAuthError(
                f"GitHub rejected the token (401 Bad credentials) at {self.graphql_url}: "
                f"check that {self._token_env} holds a valid, unexpired token"
            )
        if status in (403, 429):
            raise self._rate_limited(resp, secondary, hint)
        if status >= 500:
            raise self._transient(f"HTTP {status} from GitHub", hint)
        if status != 200:
            raise GitHubError(
                f"GitHub answered HTTP {status} for {self.graphql_url}: {self._server_message(resp)}"
                + (" (is graphql_url right? GitHub Enterprise uses https://HOST/api/graphql)" if status == 404 else "")
            )
        try:
            payload = resp.json()
        except (ValueError, UnicodeDecodeError) as exc:
            raise self._transient(f"invalid JSON body ({exc})", hint) from None
        if not isinstance(payload, dict) or not ("data" in payload or "errors" in payload):
            raise self._transient("a 200 answer without data or errors", hint)

        data = payload.get("data") or {}
        rate = data.get("rateLimit") if isinstance(data, dict) else None
        if isinstance(rate, dict):
            stats.rate_limit_cost += int(rate.get("cost") or 0)
            if rate.get("remaining") is not None:
                stats.rate_limit_remaining = int(rate["remaining"])
        errors = payload.get("errors") or []
        if errors:
            self._raise_for_errors(errors, resp, repo, tolerate_missing_prs, secondary, hint)
        if payload.get("data") is None:
            raise GitHubGraphQLError("GitHub answered without data and without errors", [])
        return data

    def _raise_for_errors(self, errors, resp, repo, tolerate_missing_prs, secondary, hint) -> None:
        messages = [self._redact(str(e.get("message", e))) if isinstance(e, dict) else self._redact(str(e)) for e in errors]
        types = [e.get("type") if isinstance(e, dict) else None for e in errors]
        if "RATE_LIMITED" in types:
            raise self._primary(resp, "GraphQL RATE_LIMITED", secondary)
        if any("secondary rate limit" in m.lower() for m in messages):
            raise self._secondary(None, secondary, "GraphQL error: secondary rate limit")
        fatal = []
        for err, msg, typ in zip(errors, messages, types):
            path = err.get("path") if isinstance(err, dict) else None
            if "cannot be searched" in msg or (typ == "NOT_FOUND" and (not path or path == ["repository"])):
                raise GitHubNotFoundError(
                    f"repository {repo!r} not found or not visible to this token: {msg}"
                )
            if tolerate_missing_prs and typ == "NOT_FOUND" and path and len(path) == 2 and path[0] == "repository":
                continue
            fatal.append(msg)
        if fatal:
            raise GitHubGraphQLError(
                f"GitHub returned {len(fatal)} GraphQL error(s) for {repo}: " + "; ".join(fatal), fatal
            )

    # -- rate limits ------------------------------------------------------

    def _rate_limited(self, resp: httpx.Response, secondary: int, hint: int) -> Exception:
        headers = resp.headers
        message = self._server_message(resp)
        if headers.get("retry-after") is not None:
            return self._secondary(headers["retry-after"], secondary, f"HTTP {resp.status_code} retry-after")
        if headers.get("x-ratelimit-remaining") == "0":
            return self._primary(resp, f"HTTP {resp.status_code}", secondary)
        if "secondary rate limit" in message.lower() or resp.status_code == 429:
            return self._secondary(None, secondary, f"HTTP {resp.status_code} secondary rate limit")
        return GitHubError(f"GitHub refused the request (HTTP {resp.status_code}): {message}")

    def _secondary(self, retry_after: str | None, secondary: int, reason: str) -> Exception:
        try:
            wait = float(retry_after) if retry_after is not None else None
        except ValueError:
            wait = None
        if wait is None:
            wait = min(self.max_wait_seconds, _SECONDARY_BASE * 2 ** secondary)
        elif wait > self.max_wait_seconds:
            return GitHubRateLimitError(
                f"GitHub secondary rate limit asks to wait {wait:.0f}s, more than max_wait_seconds={self.max_wait_seconds:.0f}"
            )
        return _Retry(
            f"secondary rate limit ({reason})",
            wait,
            lambda: GitHubRateLimitError(f"GitHub secondary rate limit persisted after {self.max_retries} retries"),
        )

    def _primary(self, resp: httpx.Response, reason: str, secondary: int) -> Exception:
        reset = resp.headers.get("x-ratelimit-reset")
        try:
            reset_ts = float(reset) if reset is not None else None
        except ValueError:
            reset_ts = None
        if reset_ts is None:
            # reset unknown: back off like a secondary limit rather than hammering
            return self._secondary(None, secondary, f"primary limit, reset unknown ({reason})")
        reset_iso = _iso(reset_ts)
        wait = max(0.0, reset_ts - time.time()) + 1.0  # +1 s: the reset second itself
        reset_at = dt.datetime.fromtimestamp(reset_ts, dt.timezone.utc)
        if wait > self.max_wait_seconds:
            return GitHubRateLimitError(
                f"GitHub API rate limit exhausted; it resets at {reset_iso} (UTC), "
                f"{wait:.0f}s away, beyond max_wait_seconds={self.max_wait_seconds:.0f}",
                reset_at,
            )
        return _Retry(
            f"primary rate limit exhausted ({reason}), waiting for reset at {reset_iso}",
            wait,
            lambda: GitHubRateLimitError(
                f"GitHub API rate limit still exhausted after {self.max_retries} retries (reset {reset_iso})", reset_at
            ),
        )

    def _server_message(self, resp: httpx.Response) -> str:
        try:
            body = resp.json()
            text = body.get("message") if isinstance(body, dict) else None
            text = text or json.dumps(body)[:300]
        except (ValueError, UnicodeDecodeError):
            text = resp.text[:300]
        return self._redact(str(text))
