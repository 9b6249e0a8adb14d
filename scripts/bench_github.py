"""Requests and wall time of one GitHub week against the local fake GitHub.

Usage: python scripts/bench_github.py [--prs N] [--big-prs K] [--page-size 25]

Compares what the GraphQL source sends (target: ceil(N/page_size) search pages
+ extra file pages + ceil(highlights/10) review queries) with the 1 + 2N
requests of a per-PR REST extraction (search, then /pulls/N and /pulls/N/files).
Then prints the flow figures' cost (issue 11) beside the same week fetched without
them: reviews and ready-for-review events inside the search pages (25 PRs a page),
one aliased "merged before the week?" request for first-time contributors and one
aliased count-only request for opened / closed / open-queue counts; the budget is
ceil(N/25) + 3 requests a week, extra file and review pages aside.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from report_pipeline.config import HighlightConfig  # noqa: E402
from report_pipeline.sources.github import GitHubClient  # noqa: E402
from report_pipeline.sources.github import queries  # noqa: E402
from report_pipeline.sources.github.queries import REVIEWS_BATCH  # noqa: E402
from report_pipeline.weeks import week_window  # noqa: E402
from report_pipeline_tests.github_server import FakeGitHub, make_pr, synthetic_prs  # noqa: E402

REPO = "bench/repo"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prs", type=int, default=183, help="PRs merged in the week (default 183)")
    parser.add_argument("--big-prs", type=int, default=2, help="of which PRs with 150 files (default 2)")
    parser.add_argument("--page-size", type=int, default=queries.SEARCH_PAGE)
    args = parser.parse_args(argv)

    window = week_window("2026-04-13", "UTC")
    start, end = window.start, window.end
    prs = synthetic_prs(REPO, args.prs - args.big_prs, start, end)
    files = [{"path": f"big/f{i}.py", "previous_path": None, "change_type": "ADDED", "additions": 3, "deletions": 0}
             for i in range(150)]
    prs += [make_pr(REPO, 100000 + i, start + dt.timedelta(hours=5 + i), files=files) for i in range(args.big_prs)]
    fake = FakeGitHub(prs={REPO: prs})

    with fake.serve():
        with GitHubClient(fake.token, fake.graphql_url, fake.api_url, page_size=args.page_size) as client:
            t0 = time.perf_counter()
            df, stats = client.fetch_merged_prs(REPO, window)
            t1 = time.perf_counter()
            highlights = HighlightConfig().count(len(df))
            top = df.sort_values("additions", ascending=False)["number"].head(highlights).tolist()
            reviews = client.fetch_review_comments(REPO, top)
            review_requests = client.last_stats.requests
            t2 = time.perf_counter()

    n = len(df)
    extra = sum(math.ceil(len(p["files"]) / 100) - 1 for p in prs if len(p["files"]) > 100)
    # over 1,000 results the window splits: each split costs one probe page and each
    # leaf window may end on a partial page
    splits = stats.windows - 1
    target = (math.ceil(n / args.page_size) + extra + stats.history_searches
              + math.ceil(highlights / REVIEWS_BATCH) + 2 * splits)
    total = stats.requests + review_requests
    print(f"week of {n} PRs ({args.big_prs} with 150 files), page size {args.page_size}, fake GitHub on loopback")
    print(f"  merged PRs:      {stats.requests} requests ({stats.search_pages} search pages, "
          f"{stats.extra_file_pages} extra file pages), {t1 - t0:.3f} s")
    print(f"  review comments: {review_requests} requests for {highlights} highlights "
          f"({len(reviews)} comments), {t2 - t1:.3f} s")
    print(f"  total:           {total} requests, {t2 - t0:.3f} s, rate-limit cost {stats.rate_limit_cost + client.last_stats.rate_limit_cost}")
    print(f"  target:          {target} = ceil({n}/{args.page_size}) + {extra} extra file pages "
          f"+ {stats.history_searches} first-time search "
          f"+ ceil({highlights}/{REVIEWS_BATCH}) review queries"
          + (f" + at most 2x{splits} for {stats.windows} windows split at the 1,000 cap" if splits else ""))
    print(f"  per-PR REST:     {1 + 2 * n} = 1 + 2*{n} (search, then /pulls/N and /pulls/N/files per PR)")
    flow_ok = _flow_figures(fake, window, n, extra)
    return 0 if total <= target and flow_ok else 1


def _without_flow_query() -> str:
    """The search query as it was before the flow figures: no reviews, no timeline events."""
    q = queries.SEARCH_QUERY
    start = q.index("        reviews(first: 100) {")
    end = q.index("        comments { totalCount }")
    q = q[:start] + "        reviews { totalCount }\n" + q[end:]
    start = q.index("        timelineItems(")
    end = q.index("      }\n    }\n  }", start)
    return q[:start] + q[end:]


def _flow_figures(fake: FakeGitHub, window, n: int, extra: int) -> bool:
    """One week with and without the flow figures: requests, time and rate-limit cost."""
    with fake.serve():
        with GitHubClient(fake.token, fake.graphql_url, fake.api_url, page_size=queries.SEARCH_PAGE) as client:
            t0 = time.perf_counter()
            _, stats = client.fetch_merged_prs(REPO, window)
            client.fetch_flow_counts(REPO, window)
            counts = client.last_stats
            t1 = time.perf_counter()
        original = queries.SEARCH_QUERY
        queries.SEARCH_QUERY = _without_flow_query()
        try:
            with GitHubClient(fake.token, fake.graphql_url, fake.api_url, page_size=50) as client:
                client._associations_as_of = lambda *a: None  # today's authorAssociation, as before
                t2 = time.perf_counter()
                _, plain = client.fetch_merged_prs(REPO, window)
                t3 = time.perf_counter()
        finally:
            queries.SEARCH_QUERY = original
    with_flow = stats.requests + counts.requests
    without = plain.requests
    budget = math.ceil(n / queries.SEARCH_PAGE) + 3 + extra + stats.extra_review_pages
    print("flow figures (issue 11):")
    print(f"  with flow:       {with_flow} requests ({stats.search_pages} search pages of {queries.SEARCH_PAGE} "
          f"with reviews and ready events, {stats.history_searches} first-time search, {counts.requests} counts, "
          f"{stats.extra_file_pages} file + {stats.extra_review_pages} review pages), {t1 - t0:.3f} s, "
          f"rate-limit cost {stats.rate_limit_cost + counts.rate_limit_cost}")
    print(f"  without flow:    {without} requests ({plain.search_pages} search pages of 50, "
          f"{plain.extra_file_pages} file pages), {t3 - t2:.3f} s")
    print(f"  budget:          {budget} = ceil({n}/{queries.SEARCH_PAGE}) + 3 + {extra} file pages "
          f"+ {stats.extra_review_pages} review pages")
    return with_flow <= budget


if __name__ == "__main__":
    raise SystemExit(main())
