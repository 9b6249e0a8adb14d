"""Merged PRs of a week, their review comments and metadata, from GitHub's GraphQL API.

One search page brings 25 PRs with labels, their first 100 files, their first 100
reviews and their last ready-for-review event; one more request asks, for every
author of the week at once (aliased count-only searches), whether they had a PR
merged before the week, so ``author_association`` is the week's, not today's. A week
of N PRs costs ceil(N/25) + 1 requests, plus one per extra page of the rare PR with
more than 100 files or reviews; ``fetch_flow_counts`` adds one request for the
week's opened / closed / open-queue counts. Search stops at 1,000 results, so a
window with more matches is split in halves until every part fits.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import httpx
import pandas as pd

from report_pipeline import schema
from report_pipeline.sources.github import queries
from report_pipeline.sources.github.client import (
    TOKEN_ENV,
    FetchStats,
    GitHubError,
    GitHubNotFoundError,
    GraphQLSession,
)
from report_pipeline.weeks import WeekWindow

__all__ = ["GitHubClient", "SEARCH_CAP", "METADATA_COLUMNS"]

SEARCH_CAP = 1000
#: GitHub logins: letters, digits and single hyphens; anything else never reaches a search text.
_LOGIN_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
_FIRST_TIME = {"FIRST_TIME_CONTRIBUTOR", "FIRST_TIMER"}
METADATA_COLUMNS = ["number", "labels", "review_count", "comment_count", "author_association"]
_UTC = dt.timezone.utc
_SECOND = dt.timedelta(seconds=1)


def _parse_time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(_UTC)


def _split_repo(repo: str) -> tuple[str, str]:
    owner, sep, name = repo.partition("/")
    if not sep or not owner or not name or "/" in name:
        raise ValueError(f"repository must be 'owner/name' (got {repo!r})")
    return owner, name


class GitHubClient:
    """Reads merged PRs, review comments and PR metadata of one GitHub (or GHES) instance."""

    def __init__(
        self,
        token: str | None,
        graphql_url: str,
        api_url: str,
        *,
        page_size: int = queries.SEARCH_PAGE,
        timeout: float = 30.0,
        max_retries: int = 6,
        max_wait_seconds: float = 900.0,
        transport: httpx.BaseTransport | None = None,
        log: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        token_env: str = TOKEN_ENV,
    ):
        if not 1 <= int(page_size) <= queries.MAX_PAGE:
            raise ValueError(f"page_size must be 1 to {queries.MAX_PAGE} (got {page_size})")
        self.page_size = int(page_size)
        self.graphql_url = graphql_url
        self.api_url = api_url  # kept for REST fallbacks and web links; GraphQL does the work
        self._session = GraphQLSession(
            token, graphql_url, timeout=timeout, max_retries=max_retries,
            max_wait_seconds=max_wait_seconds, transport=transport, log=log, sleep=sleep, token_env=token_env,
        )
        #: stats of the most recent public call (fetch_merged_prs also returns its own)
        self.last_stats = FetchStats()

    def __repr__(self) -> str:
        return f"GitHubClient(graphql_url={self.graphql_url!r}, page_size={self.page_size}, token=***)"

    def close(self) -> None:
        """Release the HTTP connections."""
        self._session.close()

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- merged PRs -------------------------------------------------------

    def fetch_merged_prs(self, repo: str, window: WeekWindow) -> tuple[pd.DataFrame, FetchStats]:
        """All PRs of ``repo`` merged in ``window`` as RAW_SCHEMA rows, and what it cost.

        Returns the complete week or raises a ``GitHubError``; never a partial result.
        """
        _split_repo(repo)
        stats = self.last_stats = FetchStats()
        start = window.start.astimezone(_UTC)
        last = window.end.astimezone(_UTC) - _SECOND  # merged:A..B is inclusive
        tz = window.start.tzinfo
        nodes: dict[int, dict[str, Any]] = {}
        for node in self._search(repo, start, last, tz, stats):
            merged = _parse_time(node.get("mergedAt"))
            if merged is None or not window.contains(merged):
                stats.outside_window += 1
                continue
            if node["number"] in nodes:
                stats.duplicates += 1
                continue
            nodes[node["number"]] = node
        if stats.outside_window or stats.duplicates:
            self._session.log(
                f"dropped {stats.outside_window} PR(s) merged outside the window and "
                f"{stats.duplicates} duplicate(s)"
            )
        for node in nodes.values():
            self._complete_files(repo, node, stats)
            self._complete_reviews(repo, node, stats)
        rows = [self._row(repo, node) for node in nodes.values()]
        self._associations_as_of(repo, window, rows, stats)
        df = pd.DataFrame(rows, columns=[f.name for f in schema.RAW_SCHEMA])
        if rows:
            df = df.sort_values(["merged_at", "number"], kind="stable").reset_index(drop=True)
        return schema.normalize(df, schema.RAW_SCHEMA), stats

    def _search(self, repo, first, last, tz, stats) -> Iterator[dict[str, Any]]:
        """Nodes of every leaf window in chronological order (windows split at the cap)."""
        pending = [(first, last)]
        while pending:
            a, b = pending.pop()
            split = yield from self._search_window(repo, a, b, tz, stats)
            if split is not None:
                # pop() takes the last item: push the later half first to keep time order
                pending.extend(reversed(split))

    def _search_window(self, repo, a, b, tz, stats):
        def fmt(moment):
            return moment.astimezone(tz).isoformat(timespec="seconds")

        q = f"repo:{repo} is:pr is:merged merged:{fmt(a)}..{fmt(b)}"
        for attempt in range(2):
            after = None
            page = 0
            seen: dict[int, dict[str, Any]] = {}
            while True:
                data = self._session.execute(
                    queries.SEARCH_QUERY, {"q": q, "first": self.page_size, "after": after}, stats, repo=repo
                )
                search = data["search"]
                page += 1
                stats.search_pages += 1
                count = int(search["issueCount"])
                if page == 1 and count > SEARCH_CAP:
                    if a >= b:
                        raise GitHubError(
                            f"{count} PRs of {repo} merged within the second {fmt(a)}: "
                            f"more than the search cap of {SEARCH_CAP}, cannot split further"
                        )
                    mid = a + dt.timedelta(seconds=int((b - a).total_seconds()) // 2)
                    self._session.log(
                        f"{count} PRs merged {fmt(a)}..{fmt(b)} exceed the search cap of {SEARCH_CAP}: splitting"
                    )
                    # adjacent inclusive windows: [a, mid] and [mid + 1 s, b] neither overlap nor leave a gap
                    return [(a, mid), (mid + _SECOND, b)]
                for node in search["nodes"]:
                    if not node or "number" not in node:
                        raise GitHubError(f"search for {repo} returned a non-PR node: {node!r}")
                    seen.setdefault(node["number"], node)
                self._session.log(f"search page {page}: {len(seen)} of {count} PRs")
                if not search["pageInfo"]["hasNextPage"]:
                    break
                after = search["pageInfo"]["endCursor"]
            if len(seen) >= count:
                break
            # results shifting between pages can hide a PR: re-read the window once, then give up
            self._session.log(f"search {fmt(a)}..{fmt(b)} returned {len(seen)} of {count} PRs; re-reading")
            if attempt == 1:
                raise GitHubError(
                    f"search for {repo} merged {fmt(a)}..{fmt(b)} returned {len(seen)} of {count} PRs twice; "
                    "refusing an incomplete week"
                )
        stats.windows += 1
        stats.issue_count += count
        yield from seen.values()
        return None

    def _complete_files(self, repo: str, node: dict[str, Any], stats: FetchStats) -> None:
        files = node["files"]
        owner, name = _split_repo(repo)
        while files["pageInfo"]["hasNextPage"]:
            data = self._session.execute(
                queries.FILES_QUERY,
                {"owner": owner, "name": name, "number": node["number"], "after": files["pageInfo"]["endCursor"]},
                stats, repo=repo,
            )
            stats.extra_file_pages += 1
            page = data["repository"]["pullRequest"]["files"]
            files = {"pageInfo": page["pageInfo"], "nodes": files["nodes"] + page["nodes"]}
        node["files"] = files
        if node.get("changedFiles") is not None and len(files["nodes"]) != node["changedFiles"]:
            # GitHub lists at most 3,000 files of a PR: say so rather than hide it
            self._session.log(
                f"PR #{node['number']}: GitHub listed {len(files['nodes'])} of {node['changedFiles']} changed files"
            )

    def _complete_reviews(self, repo: str, node: dict[str, Any], stats: FetchStats) -> None:
        reviews = node.get("reviews") or {}
        if not (reviews.get("pageInfo") or {}).get("hasNextPage"):
            return
        owner, name = _split_repo(repo)
        before = stats.requests
        node["reviews"] = {
            "totalCount": reviews.get("totalCount"),
            "pageInfo": {"hasNextPage": False, "endCursor": None},
            "nodes": self._pages(
                reviews, queries.REVIEW_EVENTS_PAGE_QUERY,
                {"owner": owner, "name": name, "number": node["number"]}, stats, repo,
                lambda d: d["repository"]["pullRequest"]["reviews"],
            ),
        }
        stats.extra_review_pages += stats.requests - before

    def _associations_as_of(self, repo: str, window: WeekWindow, rows: list[dict], stats: FetchStats) -> None:
        """Set each row's ``author_association`` as of the week, not as GitHub says today.

        GitHub's value is today's: a contributor's first PR stays FIRST_TIME_CONTRIBUTOR only
        until the next one merges. One aliased count-only search per 100 authors asks how many
        PRs each had merged before the week started; none means first-time that week.
        """
        logins = sorted({r["author"] for r in rows if _searchable_author(r)})
        if not logins:
            return
        start = window.start.isoformat(timespec="seconds")
        earlier: dict[str, int] = {}
        for batch in _chunks(logins, queries.COUNTS_BATCH):
            searches = {f"a{i}": f"repo:{repo} is:pr is:merged author:{login} merged:<{start}"
                        for i, login in enumerate(batch)}
            data = self._session.execute(queries.counts_query(searches), {}, stats, repo=repo)
            stats.history_searches += 1
            for i, login in enumerate(batch):
                earlier[login] = int(data[f"a{i}"]["issueCount"])
        for row in rows:
            count = earlier.get(row["author"]) if row["author"] else None
            if count == 0:
                row["author_association"] = "FIRST_TIME_CONTRIBUTOR"
            elif count and row["author_association"] in _FIRST_TIME:
                row["author_association"] = "CONTRIBUTOR"

    # -- flow counts ------------------------------------------------------

    def fetch_flow_counts(self, repo: str, window: WeekWindow) -> dict[str, int]:
        """PRs opened, closed without merge and open at the end of ``window``: one request.

        Count-only searches (no nodes): ``opened`` = created in the week; ``closed_unmerged`` =
        closed in the week and not merged; ``open_at_week_end`` = created before the end and
        either still open or closed after the end.
        """
        _split_repo(repo)
        stats = self.last_stats = FetchStats()
        a = window.start.isoformat(timespec="seconds")
        b = (window.end - _SECOND).isoformat(timespec="seconds")
        end = window.end.isoformat(timespec="seconds")
        searches = {
            "opened": f"repo:{repo} is:pr created:{a}..{b}",
            "closed_unmerged": f"repo:{repo} is:pr is:unmerged is:closed closed:{a}..{b}",
            "open_now": f"repo:{repo} is:pr is:open created:<{end}",
            "closed_later": f"repo:{repo} is:pr is:closed created:<{end} closed:>={end}",
        }
        data = self._session.execute(queries.counts_query(searches), {}, stats, repo=repo)
        counts = {k: int(data[k]["issueCount"]) for k in searches}
        return {
            "opened": counts["opened"],
            "closed_unmerged": counts["closed_unmerged"],
            "open_at_week_end": counts["open_now"] + counts["closed_later"],
        }

    def _row(self, repo: str, node: dict[str, Any]) -> dict[str, Any]:
        labels = node.get("labels") or {}
        if (labels.get("totalCount") or 0) > len(labels.get("nodes") or []):
            self._session.log(f"PR #{node['number']}: only the first {len(labels['nodes'])} labels are kept")
        return {
            "repo": repo,
            "number": int(node["number"]),
            "title": node.get("title"),
            "body": node.get("body"),
            "url": node.get("url"),
            "author": (node.get("author") or {}).get("login"),  # null author: deleted account ("ghost")
            "author_type": (node.get("author") or {}).get("__typename"),
            "author_association": node.get("authorAssociation"),
            "created_at": _parse_time(node.get("createdAt")),
            "merged_at": _parse_time(node.get("mergedAt")),
            "labels": [label["name"] for label in labels.get("nodes") or []],
            "additions": node.get("additions"),
            "deletions": node.get("deletions"),
            "changed_files": node.get("changedFiles"),
            "files": [
                {
                    "path": f["path"],
                    "previous_path": None,  # not exposed by the GraphQL API
                    "additions": f.get("additions"),
                    "deletions": f.get("deletions"),
                    "change_type": f.get("changeType"),
                }
                for f in node["files"]["nodes"]
            ],
            "review_count": (node.get("reviews") or {}).get("totalCount"),
            "comment_count": (node.get("comments") or {}).get("totalCount"),
            "base_ref": node.get("baseRefName"),
            "merge_commit_sha": (node.get("mergeCommit") or {}).get("oid"),
            "source": "github",
            "ready_at": _ready_at(node),
            "reviews": [_review_event(r) for r in (node.get("reviews") or {}).get("nodes") or []
                        if r and r.get("state") != "PENDING"],
            "reviews_coverage": "all" if isinstance(node.get("reviews"), dict) else None,
        }

    # -- metadata ---------------------------------------------------------

    def fetch_pr_metadata(self, repo: str, numbers: Sequence[int]) -> pd.DataFrame:
        """Labels, review/comment counts and author association of ``numbers``; one query per 100 PRs.

        Numbers GitHub does not know as PRs (e.g. an issue reference) are logged and left out.
        """
        owner, name = _split_repo(repo)
        stats = self.last_stats = FetchStats()
        wanted = sorted({int(n) for n in numbers})
        rows = []
        for batch in _chunks(wanted, queries.METADATA_BATCH):
            data = self._session.execute(
                queries.metadata_query(batch), {"owner": owner, "name": name}, stats,
                repo=repo, tolerate_missing_prs=True,
            )
            repository = self._repository(data, repo)
            for n in batch:
                pr = repository.get(queries.alias(n))
                if pr is None:
                    self._session.log(f"#{n} is not a pull request of {repo}; no metadata")
                    continue
                rows.append({
                    "number": int(pr["number"]),
                    "labels": [label["name"] for label in pr["labels"]["nodes"]],
                    "review_count": int(pr["reviews"]["totalCount"]),
                    "comment_count": int(pr["comments"]["totalCount"]),
                    "author_association": pr.get("authorAssociation"),
                })
        df = pd.DataFrame(rows, columns=METADATA_COLUMNS)
        return df.astype({"number": "int64", "review_count": "int64", "comment_count": "int64"})

    @staticmethod
    def _repository(data: dict[str, Any], repo: str) -> dict[str, Any]:
        repository = data.get("repository")
        if repository is None:
            raise GitHubNotFoundError(f"repository {repo!r} not found or not visible to this token")
        return repository

    # -- review comments --------------------------------------------------

    def fetch_review_comments(self, repo: str, numbers: Sequence[int]) -> pd.DataFrame:
        """Review-thread comments and non-empty review bodies of ``numbers`` as REVIEWS_SCHEMA rows.

        Ten PRs per query; overflowing reviews, threads or thread comments are paged in full.
        """
        owner, name = _split_repo(repo)
        stats = self.last_stats = FetchStats()
        wanted = sorted({int(n) for n in numbers})
        rows: list[dict[str, Any]] = []
        base = {"owner": owner, "name": name}
        for batch in _chunks(wanted, queries.REVIEWS_BATCH):
            data = self._session.execute(
                queries.reviews_query(batch), base, stats, repo=repo, tolerate_missing_prs=True
            )
            repository = self._repository(data, repo)
            for n in batch:
                pr = repository.get(queries.alias(n))
                if pr is None:
                    self._session.log(f"#{n} is not a pull request of {repo}; no review comments")
                    continue
                reviews = self._pages(
                    pr["reviews"], queries.REVIEWS_PAGE_QUERY, {**base, "number": n}, stats, repo,
                    lambda d: d["repository"]["pullRequest"]["reviews"],
                )
                for review in reviews:
                    if (review.get("body") or "").strip():  # approvals without text are not comments
                        rows.append(self._review_row(n, review, path=None))
                threads = self._pages(
                    pr["reviewThreads"], queries.THREADS_PAGE_QUERY, {**base, "number": n}, stats, repo,
                    lambda d: d["repository"]["pullRequest"]["reviewThreads"],
                )
                for thread in threads:
                    comments = self._pages(
                        thread["comments"], queries.THREAD_COMMENTS_QUERY, {"id": thread["id"]}, stats, repo,
                        lambda d: d["node"]["comments"],
                    )
                    for comment in comments:
                        rows.append(self._review_row(n, comment, path=comment.get("path")))
        df = pd.DataFrame(rows, columns=[f.name for f in schema.REVIEWS_SCHEMA])
        if rows:
            df = df.sort_values(["number", "created_at"], kind="stable").reset_index(drop=True)
        return schema.normalize(df, schema.REVIEWS_SCHEMA)

    def _pages(self, first_page, query, variables, stats, repo, pick) -> list[dict[str, Any]]:
        """Nodes of a connection whose first page is ``first_page``, fetching the rest with ``query``."""
        nodes = list(first_page["nodes"])
        info = first_page["pageInfo"]
        while info["hasNextPage"]:
            data = self._session.execute(query, {**variables, "after": info["endCursor"]}, stats, repo=repo)
            page = pick(data)
            nodes.extend(page["nodes"])
            info = page["pageInfo"]
        return nodes

    @staticmethod
    def _review_row(number: int, node: dict[str, Any], path: str | None) -> dict[str, Any]:
        return {
            "number": number,
            "author": (node.get("author") or {}).get("login"),
            "path": path,
            "body": node.get("body"),
            "created_at": _parse_time(node.get("createdAt")),
        }


def _ready_at(node: dict[str, Any]) -> dt.datetime | None:
    """Creation, or the last READY_FOR_REVIEW_EVENT of a PR opened as a draft."""
    created = _parse_time(node.get("createdAt"))
    events = ((node.get("timelineItems") or {}).get("nodes")) or []
    times = [_parse_time((e or {}).get("createdAt")) for e in events]
    ready = [r for r in times if r is not None]
    if ready:
        # a timeline rewritten by force pushes can hold events older than the PR: never before creation
        return max([ready[-1]] + ([created] if created else []))
    return created


def _review_event(node: dict[str, Any]) -> dict[str, Any]:
    author = node.get("author") or {}
    return {
        "author": author.get("login"),
        "author_type": author.get("__typename"),
        "state": node.get("state"),
        "submitted_at": _parse_time(node.get("submittedAt") or node.get("createdAt")),
    }


def _searchable_author(row: dict[str, Any]) -> bool:
    login = row.get("author")
    if not login:
        return False
    # bots (app/NAME in search syntax) are never first-time contributors; ghosts cannot be searched
    return row.get("author_type") in (None, "User", "Mannequin") and bool(_LOGIN_RE.fullmatch(login))


_T = TypeVar("_T")


def _chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
