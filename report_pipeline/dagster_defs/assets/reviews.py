"""``highlight_reviews``: what reviewers said on the week's highlight PRs (a handful of requests)."""


import dagster as dg

from report_pipeline.config import Config
from report_pipeline.dagster_defs.assets._common import (
    column_schema,
    for_partition,
    markdown_table,
    output_value,
    run_partitions,
)
from report_pipeline.dagster_defs.resources import GitHubResource, uses_github
from report_pipeline.schema import REVIEWS_SCHEMA, empty_frame
from report_pipeline.sources import extract_reviews


def build(partitions: dg.PartitionsDefinition, config: Config) -> dg.AssetsDefinition:
    """The review-comments asset; sources without reviews yield an empty table and say so."""

    @dg.asset(
        name="highlight_reviews",
        partitions_def=partitions,
        group_name="report",
        kinds={"github", "pandas", "parquet"},
        description=(
            "Review comments (review threads and review bodies) of the week's highlight PRs, so the "
            "report can say what reviewers discussed. Only highlight PRs are fetched: a few requests "
            "a week. Sources without reviews (a plain git clone) yield an empty table."
        ),
        metadata={"dagster/column_schema": column_schema(REVIEWS_SCHEMA)},
        backfill_policy=dg.BackfillPolicy.single_run(),
        # the pool only where some repository reads GitHub (see raw_pull_requests)
        pool="github_api" if uses_github(config) else None,
        ins={"enriched_pull_requests": dg.AssetIn(metadata={"columns": ["number", "highlight"]})},
    )
    def highlight_reviews(context: dg.AssetExecutionContext, github: GitHubResource, enriched_pull_requests):
        results = {}
        for key, repo_name, _week in run_partitions(context):
            repo = config.repository(repo_name)
            enriched = for_partition(enriched_pull_requests, key)
            if enriched is None:  # the IO manager loads every partition of the run or fails first
                raise dg.Failure(f"enriched_pull_requests has no partition {key}")
            numbers = sorted(int(n) for n in enriched.loc[enriched["highlight"], "number"])
            frame, meta = extract_reviews(repo, numbers, github_client=lambda r: github.client_for(r, log=context.log.info))
            skipped = meta.get("skipped") if frame is None else None
            if frame is None:
                frame = empty_frame(REVIEWS_SCHEMA)
            results[key] = frame
            context.add_asset_metadata(
                {
                    "dagster/row_count": len(frame),
                    "highlight_prs": len(numbers),
                    "skipped": skipped or "",
                    "preview": dg.MetadataValue.md(markdown_table(frame, ["number", "author", "path", "body"])),
                },
                partition_key=key,
            )
        yield dg.Output(output_value(results))

    return highlight_reviews
