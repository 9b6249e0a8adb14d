"""Every GraphQL document the GitHub source sends is valid against GitHub's published schema."""

from __future__ import annotations

from pathlib import Path

import pytest

graphql = pytest.importorskip("graphql")

from report_pipeline.sources.github import queries  # noqa: E402

SCHEMA_PATH = Path("/work/shared/github-api/schema.graphql")

BUILT = {
    "metadata_query(1 PR)": queries.metadata_query([1]),
    "metadata_query(100 PRs)": queries.metadata_query(list(range(1, 101))),
    "reviews_query(1 PR)": queries.reviews_query([7]),
    "reviews_query(10 PRs)": queries.reviews_query(list(range(100, 110))),
    "counts_query(flow counts)": queries.counts_query({
        "opened": "repo:o/r is:pr created:2026-04-13T00:00:00+08:00..2026-04-19T23:59:59+08:00",
        "open_now": "repo:o/r is:pr is:open created:<2026-04-20T00:00:00+08:00",
    }),
    "counts_query(100 authors)": queries.counts_query(
        {f"a{i}": f"repo:o/r is:pr is:merged author:user{i} merged:<2026-04-13T00:00:00+08:00" for i in range(100)}
    ),
}
ALL = {**queries.STATIC_QUERIES, **BUILT}


@pytest.fixture(scope="module")
def github_schema():
    if not SCHEMA_PATH.exists():
        pytest.skip(f"{SCHEMA_PATH} not present")
    # assume_valid*: the published SDL has duplicate fields graphql-core would otherwise reject
    return graphql.build_ast_schema(
        graphql.parse(SCHEMA_PATH.read_text(encoding="utf-8")), assume_valid=True, assume_valid_sdl=True
    )


def test_every_static_query_is_listed():
    constants = {name for name in dir(queries) if name.endswith("_QUERY")}
    assert constants == set(queries.STATIC_QUERIES)


@pytest.mark.parametrize("name", sorted(ALL))
def test_query_validates(github_schema, name):
    errors = graphql.validate(github_schema, graphql.parse(ALL[name]))
    assert errors == [], [e.message for e in errors]


def test_misspelled_field_is_rejected(github_schema):
    broken = queries.SEARCH_QUERY.replace("mergedAt", "mergedOn")
    errors = graphql.validate(github_schema, graphql.parse(broken))
    assert any("mergedOn" in e.message for e in errors)


def test_oversized_batches_are_refused():
    with pytest.raises(ValueError):
        queries.metadata_query(list(range(101)))
    with pytest.raises(ValueError):
        queries.reviews_query(list(range(11)))
    with pytest.raises(ValueError):
        queries.metadata_query([])


def test_counts_query_quotes_search_text_and_refuses_bad_aliases():
    text = queries.counts_query({"a0": 'repo:o/r author:x" ) { evil }'})
    assert '"repo:o/r author:x\\" ) { evil }"' in text
    assert graphql.parse(text)  # still one well-formed document
    with pytest.raises(ValueError):
        queries.counts_query({"a b": "repo:o/r"})
    with pytest.raises(ValueError):
        queries.counts_query({f"a{i}": "repo:o/r" for i in range(101)})


def test_search_page_stays_far_below_node_limit():
    # 25 PRs x (100 labels + 100 files + 100 reviews + 1 ready event) + 25 search nodes
    assert queries.SEARCH_PAGE * (3 * queries.MAX_PAGE + 1) + queries.SEARCH_PAGE < 500_000 // 50


def test_aliases_are_numbers_only():
    text = queries.metadata_query([12, 34])
    assert "pr12: pullRequest(number: 12)" in text and "pr34: pullRequest(number: 34)" in text
    with pytest.raises((TypeError, ValueError)):
        queries.metadata_query(["1) { x } #"])  # type: ignore[list-item]
