"""The GraphQL documents the GitHub source sends.

Static queries are module constants; the aliased batch queries are built by
``metadata_query`` / ``reviews_query`` from the fragments below, so tests can
validate a built instance against GitHub's published schema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

#: Most a connection may return per page (GitHub rejects ``first`` above 100).
MAX_PAGE = 100
#: PRs per aliased metadata query: one query per 100 PRs.
METADATA_BATCH = 100
#: PRs per search page. Each PR brings up to 100 labels, 100 files, 100 reviews and its
#: last ready-for-review event: 25 x 301 + 25 = 7,550 nodes at most (GitHub's limit is
#: 500,000) and 1 + 25 x 4 = 101 connection pages, about 1 rate-limit point per page.
#: 25 rather than 50: the answer stays small enough to finish well inside GitHub's 10 s.
SEARCH_PAGE = 25
#: Aliased count-only searches per flow request (opened, closed, open queue and one per
#: author for first-time contributors); each asks for no nodes, so the cost stays at 1.
COUNTS_BATCH = 100
#: PRs per aliased review query: nested threads x comments grow fast, keep the node count well under 500,000.
REVIEWS_BATCH = 10

RATE_LIMIT_FIELDS = "rateLimit { cost remaining resetAt }"

_FILE_FIELDS = "path additions deletions changeType"
#: One review as flow needs it: who (and whether a bot), the verdict, when.
_REVIEW_EVENT_FIELDS = "author { __typename login } state submittedAt createdAt"

SEARCH_QUERY = """
query MergedPullRequests($q: String!, $first: Int!, $after: String) {
  search(query: $q, type: ISSUE, first: $first, after: $after) {
    issueCount
    pageInfo { hasNextPage endCursor }
    nodes {
      ... on PullRequest {
        number
        title
        body
        url
        author { __typename login }
        authorAssociation
        createdAt
        isDraft
        mergedAt
        baseRefName
        mergeCommit { oid }
        additions
        deletions
        changedFiles
        labels(first: 100) { totalCount nodes { name } }
        files(first: 100) {
          pageInfo { hasNextPage endCursor }
          nodes { %s }
        }
        reviews(first: 100) {
          totalCount
          pageInfo { hasNextPage endCursor }
          nodes { %s }
        }
        comments { totalCount }
        timelineItems(itemTypes: [READY_FOR_REVIEW_EVENT], last: 1) {
          nodes { ... on ReadyForReviewEvent { createdAt } }
        }
      }
    }
  }
  %s
}
""" % (_FILE_FIELDS, _REVIEW_EVENT_FIELDS, RATE_LIMIT_FIELDS)



def _pr_connection_page(operation: str, connection: str, fields: str) -> str:
    """A query for one page (100 nodes after ``$after``) of one connection of one PR."""
    return """
query %s($owner: String!, $name: String!, $number: Int!, $after: String) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      %s(first: 100, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes { %s }
      }
    }
  }
  %s
}
""" % (operation, connection, fields, RATE_LIMIT_FIELDS)


FILES_QUERY = _pr_connection_page("PullRequestFiles", "files", _FILE_FIELDS)

METADATA_FRAGMENT = """
fragment PullRequestMetadata on PullRequest {
  number
  authorAssociation
  labels(first: 100) { totalCount nodes { name } }
  reviews { totalCount }
  comments { totalCount }
}
"""

_REVIEW_NODE = "author { login } body createdAt"
_COMMENT_NODE = "author { login } path body createdAt"

REVIEWS_FRAGMENT = """
fragment PullRequestReviews on PullRequest {
  number
  reviews(first: 100) {
    pageInfo { hasNextPage endCursor }
    nodes { %s }
  }
  reviewThreads(first: 50) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      comments(first: 100) {
        pageInfo { hasNextPage endCursor }
        nodes { %s }
      }
    }
  }
}
""" % (_REVIEW_NODE, _COMMENT_NODE)

# Follow-up pages for the rare PR whose reviews or threads overflow the first page.
REVIEWS_PAGE_QUERY = """
query PullRequestReviewsPage($owner: String!, $name: String!, $number: Int!, $after: String) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviews(first: 100, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes { %s }
      }
    }
  }
  %s
}
""" % (_REVIEW_NODE, RATE_LIMIT_FIELDS)

THREADS_PAGE_QUERY = """
query PullRequestThreadsPage($owner: String!, $name: String!, $number: Int!, $after: String) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviewThreads(first: 50, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes {
          id
          comments(first: 100) {
            pageInfo { hasNextPage endCursor }
            nodes { %s }
          }
        }
      }
    }
  }
  %s
}
""" % (_COMMENT_NODE, RATE_LIMIT_FIELDS)

THREAD_COMMENTS_QUERY = """
query ReviewThreadComments($id: ID!, $after: String) {
  node(id: $id) {
    ... on PullRequestReviewThread {
      comments(first: 100, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes { %s }
      }
    }
  }
  %s
}
""" % (_COMMENT_NODE, RATE_LIMIT_FIELDS)


def alias(number: int) -> str:
    """The response key of PR ``number`` in an aliased batch query."""
    return f"pr{int(number)}"


def _batch_query(name: str, fragment: str, fragment_name: str, numbers: Sequence[int]) -> str:
    if not numbers:
        raise ValueError("a batch query needs at least one PR number")
    # int() keeps anything but a number out of the document text
    fields = "\n    ".join(
        f"{alias(n)}: pullRequest(number: {int(n)}) {{ ...{fragment_name} }}" for n in numbers
    )
    return (
        f"query {name}($owner: String!, $name: String!) {{\n"
        f"  repository(owner: $owner, name: $name) {{\n    {fields}\n  }}\n"
        f"  {RATE_LIMIT_FIELDS}\n}}\n{fragment}"
    )


def metadata_query(numbers: Sequence[int]) -> str:
    """Labels, review/comment counts and author association of up to 100 PRs in one query."""
    if len(numbers) > METADATA_BATCH:
        raise ValueError(f"at most {METADATA_BATCH} PRs per metadata query")
    return _batch_query("PullRequestMetadataBatch", METADATA_FRAGMENT, "PullRequestMetadata", numbers)


def reviews_query(numbers: Sequence[int]) -> str:
    """Review bodies and review-thread comments of a few PRs in one query."""
    if len(numbers) > REVIEWS_BATCH:
        raise ValueError(f"at most {REVIEWS_BATCH} PRs per reviews query")
    return _batch_query("PullRequestReviewsBatch", REVIEWS_FRAGMENT, "PullRequestReviews", numbers)


# Later pages of a PR's reviews (flow figures), for the rare PR with more than 100.
REVIEW_EVENTS_PAGE_QUERY = _pr_connection_page("PullRequestReviewEventsPage", "reviews", _REVIEW_EVENT_FIELDS)


def search_string(value: str) -> str:
    """``value`` as a GraphQL string literal (JSON escaping is valid GraphQL escaping)."""
    return json.dumps(str(value), ensure_ascii=True)


def counts_query(searches: dict[str, str]) -> str:
    """One request of count-only searches: ``{alias: search text}`` -> ``alias: issueCount``.

    Aliases must be GraphQL names (letters, digits, underscore); search texts are quoted
    as string literals, so nothing in them can change the document.
    """
    if not searches:
        raise ValueError("a counts query needs at least one search")
    if len(searches) > COUNTS_BATCH:
        raise ValueError(f"at most {COUNTS_BATCH} searches per counts query")
    fields = []
    for name, text in searches.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(f"not a GraphQL alias: {name!r}")
        # first: 1 keeps GitHub's paging rule; no nodes are selected, so nothing is listed
        fields.append(f"{name}: search(query: {search_string(text)}, type: ISSUE, first: 1) {{ issueCount }}")
    body = "\n  ".join(fields)
    return f"query FlowCounts {{\n  {body}\n  {RATE_LIMIT_FIELDS}\n}}\n"


#: Every static query, for schema validation.
STATIC_QUERIES = {
    "SEARCH_QUERY": SEARCH_QUERY,
    "FILES_QUERY": FILES_QUERY,
    "REVIEWS_PAGE_QUERY": REVIEWS_PAGE_QUERY,
    "THREADS_PAGE_QUERY": THREADS_PAGE_QUERY,
    "THREAD_COMMENTS_QUERY": THREAD_COMMENTS_QUERY,
    "REVIEW_EVENTS_PAGE_QUERY": REVIEW_EVENTS_PAGE_QUERY,
}
