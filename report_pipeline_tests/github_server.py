"""A fake GitHub GraphQL endpoint on 127.0.0.1 for the GitHub source's tests and benchmark.

It executes the posted documents with graphql-core against a subset of
GitHub's schema (same type and field names), so aliases, fragments, variables
and connection paging behave like the real thing: ``first`` is required and
capped at 100, search honours ``merged:A..B`` and stops at 1,000 results while
``issueCount`` reports every match. ``FakeGitHub.faults`` is consumed one
entry per request to inject failures (see ``Fault``).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import gzip
import json
import random
import re
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from graphql import GraphQLError, build_schema, execute, parse, validate

SHARED_PULLS = Path("/work/shared/data/pulls")
VLLM_ASCEND = SHARED_PULLS / "vllm-project__vllm-ascend.jsonl.gz"
SEARCH_CAP = 1000
CANNOT_SEARCH = (
    "The listed users and repositories cannot be searched either because the resources "
    "do not exist or you do not have permission to view them."
)

SDL = """
scalar DateTime
scalar URI
scalar GitObjectID
enum SearchType { ISSUE ISSUE_ADVANCED REPOSITORY USER DISCUSSION }
enum CommentAuthorAssociation { COLLABORATOR CONTRIBUTOR FIRST_TIMER FIRST_TIME_CONTRIBUTOR MANNEQUIN MEMBER NONE OWNER }
enum PatchStatus { ADDED CHANGED COPIED DELETED MODIFIED RENAMED }
enum PullRequestReviewState { APPROVED CHANGES_REQUESTED COMMENTED DISMISSED PENDING }
enum PullRequestTimelineItemsItemType { READY_FOR_REVIEW_EVENT CONVERT_TO_DRAFT_EVENT HEAD_REF_FORCE_PUSHED_EVENT }
interface Node { id: ID! }
interface Actor { login: String! }
type User implements Actor & Node { id: ID! login: String! }
type Bot implements Actor & Node { id: ID! login: String! }
type Mannequin implements Actor & Node { id: ID! login: String! }
type Organization implements Actor & Node { id: ID! login: String! }
type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! endCursor: String startCursor: String }
type Label { name: String! }
type LabelConnection { totalCount: Int! nodes: [Label] pageInfo: PageInfo! }
type PullRequestChangedFile { path: String! additions: Int! deletions: Int! changeType: PatchStatus! }
type PullRequestChangedFileConnection { totalCount: Int! nodes: [PullRequestChangedFile] pageInfo: PageInfo! }
type Commit { oid: GitObjectID! }
type IssueComment { body: String! }
type IssueCommentConnection { totalCount: Int! nodes: [IssueComment] pageInfo: PageInfo! }
type PullRequestReview { author: Actor body: String! createdAt: DateTime! state: PullRequestReviewState! submittedAt: DateTime }
type PullRequestReviewConnection { totalCount: Int! nodes: [PullRequestReview] pageInfo: PageInfo! }
type PullRequestReviewComment { author: Actor path: String! body: String! createdAt: DateTime! }
type PullRequestReviewCommentConnection { totalCount: Int! nodes: [PullRequestReviewComment] pageInfo: PageInfo! }
type PullRequestReviewThread implements Node {
  id: ID!
  comments(first: Int, after: String, last: Int, before: String): PullRequestReviewCommentConnection!
}
type PullRequestReviewThreadConnection { totalCount: Int! nodes: [PullRequestReviewThread] pageInfo: PageInfo! }
type ReadyForReviewEvent implements Node { id: ID! createdAt: DateTime! actor: Actor }
type ConvertToDraftEvent implements Node { id: ID! createdAt: DateTime! actor: Actor }
type HeadRefForcePushedEvent implements Node { id: ID! createdAt: DateTime! actor: Actor }
union PullRequestTimelineItems = ReadyForReviewEvent | ConvertToDraftEvent | HeadRefForcePushedEvent
type PullRequestTimelineItemsConnection { totalCount: Int! nodes: [PullRequestTimelineItems] pageInfo: PageInfo! }
type PullRequest implements Node {
  id: ID!
  number: Int!
  title: String!
  body: String!
  url: URI!
  author: Actor
  authorAssociation: CommentAuthorAssociation!
  createdAt: DateTime!
  mergedAt: DateTime
  isDraft: Boolean!
  baseRefName: String!
  mergeCommit: Commit
  additions: Int!
  deletions: Int!
  changedFiles: Int!
  labels(first: Int, after: String, last: Int, before: String): LabelConnection
  files(first: Int, after: String, last: Int, before: String): PullRequestChangedFileConnection
  reviews(first: Int, after: String, last: Int, before: String): PullRequestReviewConnection
  comments(first: Int, after: String, last: Int, before: String): IssueCommentConnection!
  reviewThreads(first: Int, after: String, last: Int, before: String): PullRequestReviewThreadConnection!
  timelineItems(first: Int, after: String, last: Int, before: String, since: DateTime,
                itemTypes: [PullRequestTimelineItemsItemType!]): PullRequestTimelineItemsConnection!
}
type Issue implements Node { id: ID! number: Int! }
union SearchResultItem = Issue | PullRequest
type SearchResultItemConnection { issueCount: Int! pageInfo: PageInfo! nodes: [SearchResultItem] }
type Repository { pullRequest(number: Int!): PullRequest }
type RateLimit { cost: Int! remaining: Int! resetAt: DateTime! limit: Int! used: Int! }
type Query {
  search(query: String!, type: SearchType!, first: Int, after: String, last: Int, before: String): SearchResultItemConnection!
  repository(owner: String!, name: String!): Repository
  rateLimit: RateLimit
  node(id: ID!): Node
}
"""


# -- data ----------------------------------------------------------------

_LABELER = [  # vllm-ascend's .github/labeler.yml, as facts
    ("documentation", re.compile(r"^docs/|\.md$")),
    ("ci/build", re.compile(r"^\.github/(actions|workflows)/[^/]+\.yaml$")),
    ("module:tests", re.compile(r"^tests/")),
    ("module:tools", re.compile(r"^tools/")),
    ("module:ops", re.compile(r"^vllm_ascend/ops/")),
    ("module:quantization", re.compile(r"^vllm_ascend/quantization/")),
    ("module:core", re.compile(r"^vllm_ascend/[^/]+\.py$")),
]


def labels_for(paths: list[str]) -> list[str]:
    """Synthetic labels: vllm-ascend's labeler rules applied to changed paths."""
    return [name for name, rx in _LABELER if any(rx.search(p) for p in paths)]


def _synthetic_labels(number: int, paths: list[str]) -> list[str]:
    # labeler labels plus a triage label, so every PR has at least one
    return labels_for(paths) + [("bug", "enhancement", "performance", "ready")[number % 4]]


def _utc(value: str | dt.datetime) -> str:
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _user(login: str | None, typename: str = "User") -> dict | None:
    return None if login is None else {"__typename": typename, "id": f"U_{login}", "login": login}


def review(login: str | None, at: str | dt.datetime, state: str = "COMMENTED", *,
           typename: str = "User", body: str = "") -> dict[str, Any]:
    """One submitted review in the fake's shape (``login=None``: a deleted account)."""
    return {"author": _user(login, typename), "body": body, "createdAt": _utc(at),
            "submittedAt": None if state == "PENDING" else _utc(at), "state": state}


def timeline_event(kind: str, at: str | dt.datetime) -> dict[str, Any]:
    """A timeline item: ``ReadyForReviewEvent``, ``ConvertToDraftEvent`` or ``HeadRefForcePushedEvent``."""
    return {"__typename": kind, "id": f"E_{kind}_{_utc(at)}", "createdAt": _utc(at), "actor": None}


def make_pr(
    repo: str,
    number: int,
    merged_at: str | dt.datetime,
    *,
    files: list[dict] | None = None,
    title: str | None = None,
    body: str = "",
    author: str | None = "octocat",
    created_at: str | dt.datetime | None = None,
    merge_commit_sha: str | None = None,
    labels: list[str] | None = None,
    reviews: int | None = None,
    threads: int | None = None,
    comments_per_thread: int | None = None,
    issue_comments: int | None = None,
    author_type: str = "User",
    review_events: list[dict] | None = None,
    timeline: list[dict] | None = None,
    state: str = "MERGED",
    closed_at: str | dt.datetime | None = None,
    association: str | None = None,
) -> dict[str, Any]:
    """A PR in the fake's internal shape (GraphQL field names; lists behind connections).

    ``review_events`` (see ``review``) replace the default synthetic reviews; ``timeline``
    holds ``timeline_event`` items; ``state`` OPEN or CLOSED makes an unmerged PR
    (``merged_at`` is then ignored, ``closed_at`` says when a CLOSED one was closed).
    """
    files = files if files is not None else [
        {"path": f"src/mod{number % 7}.py", "previous_path": None, "change_type": "MODIFIED",
         "additions": number % 50 + 1, "deletions": number % 9}
    ]
    paths = [f["path"] for f in files]
    merged = _utc(merged_at)
    n_reviews = number % 3 if reviews is None else reviews
    n_threads = number % 2 if threads is None else threads
    per_thread = (number % 3 + 1) if comments_per_thread is None else comments_per_thread
    review_nodes = review_events if review_events is not None else [
        # every third review is a bare approval: no body
        review(f"reviewer{i}", merged, "APPROVED" if i % 3 == 2 else "COMMENTED",
               body="" if i % 3 == 2 else f"review {i} of #{number}")
        for i in range(n_reviews)
    ]
    thread_nodes = [
        {"__typename": "PullRequestReviewThread", "id": f"PRRT_{number}_{t}",
         "comments": [
             {"author": _user(f"reviewer{c % 2}"), "path": paths[t % len(paths)] if paths else "README.md",
              "body": f"comment {c} on thread {t} of #{number}", "createdAt": merged}
             for c in range(per_thread)
         ]}
        for t in range(n_threads)
    ]
    return {
        "__typename": "PullRequest",
        "id": f"PR_{number}",
        "number": number,
        "title": title or f"Synthetic change {number}",
        "body": body or "",
        "url": f"https://github.com/{repo}/pull/{number}",
        "author": _user(author, author_type),
        "authorAssociation": association or ("MEMBER", "CONTRIBUTOR", "FIRST_TIME_CONTRIBUTOR")[number % 3],
        "createdAt": _utc(created_at) if created_at else merged,
        "mergedAt": merged if state == "MERGED" else None,
        "closedAt": merged if state == "MERGED" else (_utc(closed_at) if closed_at else None),
        "state": state,
        "isDraft": False,
        "timelineItems": list(timeline or []),
        "baseRefName": "main",
        "mergeCommit": {"oid": merge_commit_sha or f"{number:040x}"},
        "additions": sum(f["additions"] for f in files),
        "deletions": sum(f["deletions"] for f in files),
        "changedFiles": len(files),
        "labels": [{"name": n} for n in (labels if labels is not None else _synthetic_labels(number, paths))],
        "files": [
            {"path": f["path"], "additions": f["additions"], "deletions": f["deletions"],
             "changeType": f["change_type"]}
            for f in files
        ],
        "reviews": review_nodes,
        "comments": [{"body": "lgtm"}] * (number % 4 if issue_comments is None else issue_comments),
        "reviewThreads": thread_nodes,
    }


def pr_from_record(rec: dict[str, Any]) -> dict[str, Any]:
    """A fake PR from one line of the shared JSONL data (labels from the labeler rules)."""
    return make_pr(
        rec["repo"], int(rec["number"]), rec["merged_at"], files=rec["files"], title=rec["title"],
        body=rec.get("body") or "", author=rec.get("author_login") or None,
        created_at=rec.get("created_at"), merge_commit_sha=rec.get("merge_commit_sha"),
    )


def load_records(path: Path = VLLM_ASCEND) -> list[dict[str, Any]]:
    """The shared JSONL records (raises FileNotFoundError when the data is absent)."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def synthetic_prs(repo: str, count: int, start: dt.datetime, end: dt.datetime, *,
                  first_number: int = 1, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` PRs merged at random seconds in [start, end)."""
    rng = random.Random(seed)
    span = int((end - start).total_seconds())
    out = []
    for i in range(count):
        merged = start + dt.timedelta(seconds=rng.randrange(span))
        out.append(make_pr(repo, first_number + i, merged))
    return out


# -- faults --------------------------------------------------------------

@dataclass
class Fault:
    """One injected failure. ``kind`` is one of:

    ``502``, ``secondary`` (403 + retry-after), ``secondary_no_retry_after`` (403, message only),
    ``429`` (429 + retry-after), ``reset`` (close without answering), ``truncated``
    (Content-Length larger than the body), ``invalid_json`` (a complete 200 whose body is
    not JSON; the connection stays usable), ``timeout`` (no answer for ``seconds``, or
    until the server stops, then close), ``primary`` (403, x-ratelimit-remaining 0, reset in ``seconds``),
    ``rate_limited`` (200 with a RATE_LIMITED error, reset in ``seconds``),
    ``graphql_error`` (200 with an error and no data), ``echo_token`` (a 200 error whose
    message repeats the Authorization header, as a careless proxy might).
    """

    kind: str
    seconds: float = 1.0


# -- server --------------------------------------------------------------

def _cursor(index: int) -> str:
    return base64.b64encode(f"cursor:{index}".encode()).decode()


def _uncursor(cursor: str) -> int:
    try:
        return int(base64.b64decode(cursor).decode().split(":", 1)[1])
    except Exception as exc:
        raise GraphQLError(f"`{cursor}` does not appear to be a valid cursor.") from exc


def _connection(key: str):
    def resolve(source, info, first=None, after=None, last=None, before=None, itemTypes=None, since=None):
        items = source[key]
        if itemTypes is not None:  # READY_FOR_REVIEW_EVENT -> ReadyForReviewEvent
            names = {"".join(w.capitalize() for w in t.split("_")) for t in itemTypes}
            items = [i for i in items if i["__typename"] in names]
        wants_nodes = any(
            getattr(sel, "name", None) is not None and sel.name.value in ("nodes", "edges")
            for sel in info.field_nodes[0].selection_set.selections
        )
        if first is None and last is None and wants_nodes:
            raise GraphQLError(f"You must provide a `first` or `last` value to properly paginate the `{key}` connection.")
        for arg, value in (("first", first), ("last", last)):
            if value is not None and not 0 <= value <= 100:
                raise GraphQLError(f"Requesting {value} records on the `{key}` connection exceeds the `{arg}` limit of 100 records.")
        if last is not None and first is None and not after:
            first = min(last, len(items))
            after = _cursor(len(items) - first - 1) if len(items) > first else None
        start = _uncursor(after) + 1 if after else 0
        page = items[start : start + first] if first is not None else items
        return {
            "totalCount": len(items),
            "nodes": page,
            "pageInfo": {
                "hasNextPage": start + len(page) < len(items),
                "hasPreviousPage": start > 0,
                "startCursor": _cursor(start) if page else None,
                "endCursor": _cursor(start + len(page) - 1) if page else after,
            },
        }
    return resolve


def _not_found(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"type": "NOT_FOUND"})


_QUERY_RE = re.compile(r"repo:(?P<repo>\S+)")
_DATE_RE = re.compile(r"(?P<field>created|closed|merged):(?P<value>\S+)")
_FIELDS = {"created": "createdAt", "closed": "closedAt", "merged": "mergedAt"}


def _moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _date_matches(value: str | None, cond: str, leak: int) -> bool:
    """GitHub's date qualifier forms: ``A..B`` (inclusive), ``<X``, ``<=X``, ``>X``, ``>=X``."""
    if value is None:
        return False
    moment = _moment(value)
    slack = dt.timedelta(seconds=leak)
    if ".." in cond:
        a, b = cond.split("..", 1)
        return _moment(a) - slack <= moment <= _moment(b) + slack
    for op, test in (("<=", lambda x, y: x <= y), (">=", lambda x, y: x >= y),
                     ("<", lambda x, y: x < y), (">", lambda x, y: x > y)):
        if cond.startswith(op):
            return test(moment, _moment(cond[len(op):]))
    raise GraphQLError(f"the fake does not understand the date {cond!r}")


def _matches(pr: dict, query: str, leak: int = 0) -> bool:
    """Whether ``pr`` matches a search text: is:pr/open/closed/merged/unmerged, author:, dates."""
    words = query.split()
    state = pr.get("state", "MERGED")
    checks = {"is:open": state == "OPEN", "is:closed": state != "OPEN", "is:merged": state == "MERGED",
              "is:unmerged": state != "MERGED", "is:pr": True}
    for word in words:
        if word in checks and not checks[word]:
            return False
        if word.startswith("author:") and (pr["author"] or {}).get("login") != word[len("author:"):]:
            return False
    for m in _DATE_RE.finditer(query):
        # the merged-week search keeps its leak for the outside-window tests
        slack = leak if m.group("field") == "merged" else 0
        if not _date_matches(pr.get(_FIELDS[m.group("field")]), m.group("value"), slack):
            return False
    return True


class FakeGitHub:
    """State of the fake: repositories, token, fault plan, request log and rate-limit budget."""

    def __init__(self, token: str = "ghp_fake_token_0123456789", prs: dict[str, list[dict]] | None = None):
        self.token = token
        self.repos: dict[str, dict[int, dict]] = {}
        self.threads: dict[str, dict] = {}
        for repo, items in (prs or {}).items():
            self.add_prs(repo, items)
        self.faults: list[Fault | str] = []
        self.requests: list[dict[str, Any]] = []
        self.remaining = 5000
        self.leak_seconds = 0  # >0: search also returns PRs merged this far outside the window
        self.graphql_path = "/api/graphql"
        self.delay = 0.0  # seconds each GraphQL answer takes, so concurrent requests overlap
        self.in_flight = 0
        self.max_in_flight = 0  # most GraphQL requests being answered at the same moment
        self._lock = threading.Lock()
        self._docs: dict[str, Any] = {}
        self.schema = build_schema(SDL)
        for tname, fname in [
            ("PullRequest", "labels"), ("PullRequest", "files"), ("PullRequest", "reviews"),
            ("PullRequest", "comments"), ("PullRequest", "reviewThreads"), ("PullRequestReviewThread", "comments"),
            ("PullRequest", "timelineItems"),
        ]:
            self.schema.type_map[tname].fields[fname].resolve = _connection(fname)
        self.schema.type_map["Repository"].fields["pullRequest"].resolve = self._pull_request
        self._server: ThreadingHTTPServer | None = None
        self._stopping = threading.Event()  # wakes handlers holding a ``timeout`` fault

    def add_prs(self, repo: str, items: list[dict]) -> None:
        """Add PRs to ``repo`` (creating it)."""
        bucket = self.repos.setdefault(repo, {})
        for pr in items:
            bucket[pr["number"]] = pr
            for thread in pr["reviewThreads"]:
                self.threads[thread["id"]] = thread

    # -- graphql --
    def _search(self, info, query, type, first=None, after=None, last=None, before=None):
        m = _QUERY_RE.search(query)
        if not m or m.group("repo") not in self.repos:
            raise GraphQLError(CANNOT_SEARCH, extensions={"type": "INVALID"})
        prs = [p for p in self.repos[m.group("repo")].values() if _matches(p, query, self.leak_seconds)]
        prs.sort(key=lambda p: -p["number"])  # newest first, like GitHub's default
        conn = _connection("items")({"items": prs[:SEARCH_CAP]}, info, first=first, after=after)
        conn["issueCount"] = len(prs)
        return conn

    def _repository(self, info, owner, name):
        full = f"{owner}/{name}"
        if full not in self.repos:
            raise _not_found(f"Could not resolve to a Repository with the name '{full}'.")
        return {"_prs": self.repos[full]}

    @staticmethod
    def _pull_request(source, info, number):
        pr = source["_prs"].get(number)
        if pr is None:
            raise _not_found(f"Could not resolve to a PullRequest with the number of {number}.")
        return pr

    def _node(self, info, id):
        node = self.threads.get(id)
        if node is None:
            raise _not_found(f"Could not resolve to a node with the global id of '{id}'")
        return node

    def _rate_limit(self, info):
        reset = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
        return {"cost": 1, "remaining": self.remaining, "resetAt": _utc(reset), "limit": 5000, "used": 5000 - self.remaining}

    def execute(self, query: str, variables: dict | None) -> dict[str, Any]:
        """Run one GraphQL document; errors carry GitHub's top-level ``type`` key."""
        doc = self._docs.get(query)
        if doc is None:
            try:
                doc = parse(query)
            except GraphQLError as exc:
                return {"errors": [{"message": exc.message}]}
            errors = validate(self.schema, doc)
            if errors:
                return {"errors": [{"message": e.message} for e in errors]}
            self._docs[query] = doc
        with self._lock:
            self.remaining -= 1
        root = {"search": self._search, "repository": self._repository, "rateLimit": self._rate_limit, "node": self._node}
        result = execute(self.schema, doc, root_value=root, variable_values=variables or {})
        out: dict[str, Any] = {"data": result.data}
        if result.errors:
            out["errors"] = []
            for e in result.errors:
                err = {"message": e.message, "path": e.path, "locations": [l._asdict() for l in e.locations or []]}
                if e.extensions and "type" in e.extensions:
                    err["type"] = e.extensions["type"]
                out["errors"].append(err)
        return out

    # -- http --
    def next_fault(self) -> Fault | None:
        with self._lock:
            if not self.faults:
                return None
            fault = self.faults.pop(0)
        return Fault(fault) if isinstance(fault, str) else fault

    @contextlib.contextmanager
    def serve(self) -> Iterator[FakeGitHub]:
        """Run the HTTP server on 127.0.0.1 (random port) in a thread for the ``with`` body."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._stopping.clear()
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stopping.set()
            server.shutdown()
            server.server_close()
            self._server = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]  # type: ignore[union-attr]
        return f"http://{host}:{port}"

    @property
    def graphql_url(self) -> str:
        """GHES-style GraphQL endpoint (``/api/graphql``)."""
        return self.base_url + self.graphql_path

    @property
    def api_url(self) -> str:
        """GHES-style REST root (``/api/v3``)."""
        return self.base_url + "/api/v3"

    @property
    def graphql_requests(self) -> list[dict[str, Any]]:
        """Requests that reached the GraphQL endpoint."""
        return [r for r in self.requests if r["path"] == self.graphql_path]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like api.github.com

    def log_message(self, format, *args):  # noqa: A002 - keep test output quiet
        pass

    def do_POST(self):  # noqa: N802
        fake: FakeGitHub = self.server.fake  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = {}
        auth = self.headers.get("Authorization", "")
        fault = fake.next_fault()
        with fake._lock:
            fake.requests.append({"path": self.path, "query": payload.get("query"), "variables": payload.get("variables"),
                                  "fault": fault.kind if fault else None})
        if self.path != fake.graphql_path:
            return self._json(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/graphql"})
        if auth not in (f"Bearer {fake.token}", f"token {fake.token}"):
            return self._json(401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/graphql"})
        if fault is not None and self._inject(fault, fake, auth):
            return
        with fake._lock:
            fake.in_flight += 1
            fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
        try:
            time.sleep(fake.delay)
            answer = fake.execute(payload.get("query") or "", payload.get("variables"))
        finally:
            with fake._lock:
                fake.in_flight -= 1
        self._json(200, answer)

    def _inject(self, fault: Fault, fake: FakeGitHub, auth: str) -> bool:
        reset = str(int(time.time() + fault.seconds))
        kind = fault.kind
        if kind == "502":
            self._json(502, {"message": "Server Error"})
        elif kind == "secondary":
            self._json(403, {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."},
                       {"retry-after": str(int(fault.seconds))})
        elif kind == "secondary_no_retry_after":
            self._json(403, {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."})
        elif kind == "429":
            self._json(429, {"message": "Too many requests"}, {"retry-after": str(int(fault.seconds))})
        elif kind == "primary":
            self._json(403, {"message": "API rate limit exceeded for user ID 1."},
                       {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset})
        elif kind == "rate_limited":
            self._json(200, {"data": None, "errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1."}]},
                       {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset})
        elif kind == "graphql_error":
            self._json(200, {"data": None, "errors": [{"message": "Something went wrong while executing your query."},
                                                     {"message": "Field 'x' doesn't exist on type 'PullRequest'"}]})
        elif kind == "echo_token":
            self._json(200, {"data": None, "errors": [{"message": f"bad header {auth!r}"}]})
        elif kind == "reset":
            # RST instead of an answer: SO_LINGER 0 makes close() abort the connection
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
        elif kind in ("truncated", "invalid_json"):
            body = json.dumps({"data": {"search": {"issueCount": 1, "nodes": []}}}).encode()
            cut = body[: len(body) // 2]
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body) if kind == "truncated" else len(cut)))
            self.end_headers()
            self.wfile.write(cut)
            # A complete invalid_json answer keeps the connection, as HTTP/1.1 does: closing it
            # unannounced races the client's next request onto a dead keep-alive connection
            # (an extra, unplanned retry). The truncated one must close to end its short body.
            self.close_connection = kind == "truncated"
        elif kind == "timeout":
            fake._stopping.wait(fault.seconds)
            self.close_connection = True
        else:
            raise ValueError(f"unknown fault {kind!r}")
        return True

    def _json(self, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
        fake: FakeGitHub = self.server.fake  # type: ignore[attr-defined]
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        base = {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": str(fake.remaining),
                "x-ratelimit-reset": str(int(time.time()) + 3600), "x-ratelimit-resource": "graphql"}
        base.update(headers or {})
        for k, v in base.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
