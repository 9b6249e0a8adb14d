"""``raw_pull_requests``: the PRs merged in the week, from the repository's configured source."""


import dagster as dg
import pandas as pd

from report_pipeline.config import Config
from report_pipeline.dagster_defs.assets._common import column_schema, markdown_table, output_value, run_partitions
from report_pipeline.dagster_defs.assets._records import stop_if_blocked, week_checks
from report_pipeline.dagster_defs.resources import GitHubResource, uses_github
from report_pipeline.domain.quality import duplicate_numbers, merged_outside
from report_pipeline.schema import RAW_SCHEMA
from report_pipeline.sources import extract_week
from report_pipeline.weeks import week_window


def _checks(partitions: dg.PartitionsDefinition) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            "unique_pr_numbers", asset="raw_pull_requests", partitions_def=partitions, blocking=True,
            description="No PR appears twice in a week. Blocking: a duplicate would be counted twice in "
                        "the report, so nothing downstream runs and no report is published.",
        ),
        dg.AssetCheckSpec(
            "merged_inside_week", asset="raw_pull_requests", partitions_def=partitions,
            description="Every PR's merge time lies inside the partition's week. Advisory here: "
                        "weekly_report checks the same before publishing and blocks there.",
        ),
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
        # steps that call GitHub share this pool so a wide backfill cannot trip its secondary
        # limits; a pool belongs to the op, not to a partition, so it is set only when some
        # repository reads GitHub: sample and git reads of a configuration without one never
        # wait for a slot (with a mixed configuration they do, for the whole step)
        pool="github_api" if uses_github(config) else None,
        check_specs=_checks(partitions),
    )
    def raw_pull_requests(context: dg.AssetExecutionContext, github: GitHubResource):
        results: dict[str, pd.DataFrame] = {}
        duplicates, outside = {}, {}
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
            duplicates[key] = duplicate_numbers(frame)
            outside[key] = merged_outside(frame, window)
            context.add_asset_metadata(_week_metadata(frame, meta, repo.source), partition_key=key)

        yield dg.Output(output_value(results))
        yield from week_checks(context, "unique_pr_numbers", duplicates)
        yield from week_checks(context, "merged_inside_week", outside)
        stop_if_blocked(
            context, "unique_pr_numbers", duplicates,
            "Nothing downstream runs, so no report of this run's weeks is published; fix the source and build again.",
        )

    return raw_pull_requests


def _week_metadata(frame: pd.DataFrame, meta: dict, source: str) -> dict:
    """What one week's materialization shows: its rows, its source and what extracting it cost."""
    return {
        "dagster/row_count": len(frame),
        "source": source,
        "preview": dg.MetadataValue.md(
            markdown_table(frame, ["number", "title", "author", "additions", "deletions", "changed_files"])
        ),
        "extraction": dg.MetadataValue.json(_plain(meta)),
    }


def _plain(meta: dict) -> dict:
    """Numeric, boolean and short list figures of the extraction (requests, pages, skipped commits)."""
    out: dict = {}
    for k, v in meta.items():
        if isinstance(v, (bool, int, float, str)):
            out[k] = v
        elif isinstance(v, list):
            out[k] = v[:20]
    return out
