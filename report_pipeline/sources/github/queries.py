"""The GraphQL documents the GitHub source sends.

Static queries are module constants; the aliased batch queries are built by
``metadata_query`` / ``reviews_query`` from the fragments below, so tests can
validate a built instance against GitHub's published schema.
"""

from __future__ import annotations

from collections.abc import Sequence

#: Most a connection may return per page (GitHub rejects ``first`` above 100).
MAX_PAGE = 100
#: PRs per aliased metadata query: one query per 100 PRs.
METADATA_BATCH = 100
#: PRs per aliased review query: nested threads x comments grow fast, keep the node count well under 500,000.
REVIEWS_BATCH = 10

RATE_LIMIT_FIELDS = "rateLimit { cost remaining resetAt }"

_FILE_FIELDS = "path additions deletions changeType"

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
        author { login }
        authorAssociation
        createdAt
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
        reviews { totalCount }
        comments { totalCount }
      }
    }
  }
  %s
}
""" % (_FILE_FIELDS, RATE_LIMIT_FIELDS)

FILES_QUERY = """
query PullRequestFiles($owner: String!, $name: String!, $number: Int!, $after: String) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      files(first: 100, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes { %s }
      }
    }
  }
  %s
}
""" % (_FILE_FIELDS, RATE_LIMIT_FIELDS)

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


#: Every static query, for schema validation.
STATIC_QUERIES = {
    "SEARCH_QUERY": SEARCH_QUERY,
    "FILES_QUERY": FILES_QUERY,
    "REVIEWS_PAGE_QUERY": REVIEWS_PAGE_QUERY,
    "THREADS_PAGE_QUERY": THREADS_PAGE_QUERY,
    "THREAD_COMMENTS_QUERY": THREAD_COMMENTS_QUERY,
}
