"""``weekly_flow_counts``: PRs opened, closed without merge and open at week end (one request a week)."""

import dagster as dg
import pandas as pd

from report_pipeline.config import Config
from report_pipeline.dagster_defs.assets._common import column_schema, output_value, run_partitions
from report_pipeline.dagster_defs.resources import GitHubResource, uses_github
from report_pipeline.schema import FLOW_COUNTS_SCHEMA
from report_pipeline.sources import extract_flow_counts
from report_pipeline.weeks import week_window


def build(partitions: dg.PartitionsDefinition, config: Config) -> dg.AssetsDefinition:
    """The flow-counts asset; sources that see merged PRs only store nulls and the reason."""

    @dg.asset(
        name="weekly_flow_counts",
        partitions_def=partitions,
        group_name="report",
        kinds={"github", "pandas", "parquet"},
        description=(
            "One row per week: PRs opened, closed without merge and open at the week's end, from "
            "count-only GitHub searches (several aliased searches in one request). Sources that see "
            "merged PRs only (a git clone, the sample) store nulls with the reason, never zeros."
        ),
        metadata={"dagster/column_schema": column_schema(FLOW_COUNTS_SCHEMA)},
        backfill_policy=dg.BackfillPolicy.single_run(),
        # the pool only where some repository reads GitHub (see raw_pull_requests)
        pool="github_api" if uses_github(config) else None,
    )
    def weekly_flow_counts(context: dg.AssetExecutionContext, github: GitHubResource):
        results = {}
        for key, repo_name, week in run_partitions(context):
            repo = config.repository(repo_name)
            counts, meta = extract_flow_counts(
                repo, week_window(week, config.timezone),
                github_client=lambda r: github.client_for(r, log=context.log.info),
            )
            results[key] = pd.DataFrame([counts], columns=FLOW_COUNTS_SCHEMA.names)
            context.add_asset_metadata({k: v for k, v in (counts | meta).items() if v is not None}, partition_key=key)
        yield dg.Output(output_value(results))

    return weekly_flow_counts
