"""``raw_pull_requests``: the PRs merged in the week, from the repository's configured source."""


import dagster as dg
import pandas as pd

from report_pipeline.config import Config
from report_pipeline.dagster_defs.assets._common import column_schema, markdown_table, output_value, run_partitions
from report_pipeline.dagster_defs.resources import GitHubResource
from report_pipeline.schema import RAW_SCHEMA
from report_pipeline.sources import extract_week
from report_pipeline.weeks import week_window

CHECKS = [
    dg.AssetCheckSpec("unique_pr_numbers", asset="raw_pull_requests",
                      description="No PR appears twice in a week."),
    dg.AssetCheckSpec("merged_inside_week", asset="raw_pull_requests",
                      description="Every PR's merge time lies inside the partition's week."),
]


def build(partitions: dg.PartitionsDefinition, config: Config) -> dg.AssetsDefinition:
    """The extraction asset for ``config``'s repositories."""

    @dg.asset(
        name="raw_pull_requests",
        partitions_def=partitions,
        group_name="report",
        kinds={"github", "pandas", "parquet"},
        description=(
            "One row per pull request merged into the repository during the week (Monday 00:00 "
            "to next Monday 00:00 in the configured timezone), read from the repository's source: "
            "the bundled sample, a local git clone, or GitHub's GraphQL API. Columns follow "
            "report_pipeline.schema.RAW_SCHEMA."
        ),
        metadata={"dagster/column_schema": column_schema(RAW_SCHEMA)},
        backfill_policy=dg.BackfillPolicy.single_run(),
        # runs that call GitHub share this pool so a wide backfill cannot trip secondary limits
        pool="github_api",
        check_specs=CHECKS,
    )
    def raw_pull_requests(context: dg.AssetExecutionContext, github: GitHubResource):
        results: dict[str, pd.DataFrame] = {}
        meta_all: dict[str, dict] = {}
        bad_numbers, outside = [], []
        for key, repo_name, week in run_partitions(context):
            repo = config.repository(repo_name)
            window = week_window(week, config.timezone)
            frame, meta = extract_week(
                repo, window,
                github_client=lambda r: github.client_for(r, log=context.log.info),
                log=context.log.info,
            )
            context.log.info(f"{repo_name} {week}: {len(frame)} PRs merged ({repo.source})")
            results[key] = frame
            meta_all[key] = meta
            dupes = frame["number"][frame["number"].duplicated()].tolist()
            bad_numbers += [f"{key}#{n}" for n in dupes]
            merged = frame["merged_at"]
            mask = (merged < pd.Timestamp(window.start)) | (merged >= pd.Timestamp(window.end))
            outside += [f"{key}#{n}" for n in frame["number"][mask]]

        total = sum(len(f) for f in results.values())
        last_key = max(results)
        metadata = {
            "dagster/row_count": total,
            "partitions": len(results),
            "source": ", ".join(sorted({m.get("source", "?") for m in meta_all.values()})),
            "preview": dg.MetadataValue.md(
                markdown_table(results[last_key], ["number", "title", "author", "additions", "deletions", "changed_files"])
            ),
            "extraction": dg.MetadataValue.json(_totals(meta_all)),
        }
        yield dg.Output(output_value(results), metadata=metadata)
        yield dg.AssetCheckResult(check_name="unique_pr_numbers", passed=not bad_numbers,
                                  metadata={"duplicates": dg.MetadataValue.json(bad_numbers[:20])})
        yield dg.AssetCheckResult(check_name="merged_inside_week", passed=not outside,
                                  metadata={"outside": dg.MetadataValue.json(outside[:20])})

    return raw_pull_requests


def _totals(meta_all: dict[str, dict]) -> dict:
    """Numeric extraction figures summed over the run's partitions (requests, pages ...)."""
    totals: dict = {}
    for meta in meta_all.values():
        for k, v in meta.items():
            if isinstance(v, bool):
                continue
            if isinstance(v, (int, float)):
                totals[k] = totals.get(k, 0) + v
            elif isinstance(v, list):
                totals[k] = (totals.get(k) or []) + v[:20]
    return totals
