"""``weekly_aggregates``: the week's figures and the same figures for earlier weeks."""


import dagster as dg

from report_pipeline.config import Config
from report_pipeline.dagster_defs.assets._common import (
    column_schema,
    markdown_table,
    output_value,
    run_partitions,
)
from report_pipeline.dagster_defs.partitions import history_mapping
from report_pipeline.domain.aggregate import AGGREGATES_SCHEMA, aggregate_week

CHECKS = [
    dg.AssetCheckSpec("counts_match_enriched", asset="weekly_aggregates",
                      description="PR and highlight counts equal the rows of enriched_pull_requests."),
]


def build(partitions: dg.PartitionsDefinition, config: Config) -> dg.AssetsDefinition:
    """The aggregation asset: reads the week and up to ``trend_weeks - 1`` earlier weeks."""

    @dg.asset(
        name="weekly_aggregates",
        partitions_def=partitions,
        group_name="report",
        kinds={"pandas", "parquet"},
        description=(
            "One row per figure of the week (tidy): PR, highlight and line counts, mean importance, "
            "counts per kind, tag, module and risk with their PRs and shares, hot files, authors, "
            "the previous week's and trailing 4-week figures for deltas, and a "
            f"{config.trend_weeks}-week trend. Earlier weeks count where they have been built."
        ),
        ins={
            "enriched_pull_requests": dg.AssetIn(
                partition_mapping=history_mapping(config.trend_weeks), metadata={"history": True}
            )
        },
        metadata={"dagster/column_schema": column_schema(AGGREGATES_SCHEMA)},
        backfill_policy=dg.BackfillPolicy.single_run(),
        check_specs=CHECKS,
    )
    def weekly_aggregates(context: dg.AssetExecutionContext, enriched_pull_requests: dict):
        # keys of the loaded history are "repo|week"; index them by (repo, week)
        loaded = {}
        for key, frame in enriched_pull_requests.items():
            repo, week = str(key).split("|", 1)
            loaded[(repo, week)] = frame
        results, mismatches = {}, []
        for key, repo_name, week in run_partitions(context):
            current = loaded.get((repo_name, week))
            if current is None:
                raise dg.Failure(f"enriched_pull_requests has no data for {key}")
            history = {w: f for (r, w), f in loaded.items() if r == repo_name and w < week}
            frame = aggregate_week(week, current, history, trend_weeks=config.trend_weeks)
            results[key] = frame
            summary = frame[frame["section"] == "summary"].set_index("key")["value"]
            if summary["pr_count"] != len(current) or summary["highlight_count"] != int(current["highlight"].sum()):
                mismatches.append(key)
        last = results[max(results)]
        summary = last[last["section"] == "summary"]
        yield dg.Output(
            output_value(results),
            metadata={
                "dagster/row_count": sum(len(f) for f in results.values()),
                "partitions": len(results),
                "summary": dg.MetadataValue.md(markdown_table(summary, ["key", "value", "previous_value", "trailing_value"])),
                "risks": dg.MetadataValue.md(
                    markdown_table(last[last["section"] == "risk"], ["key", "value", "share", "previous_value"])
                ),
            },
        )
        yield dg.AssetCheckResult(check_name="counts_match_enriched", passed=not mismatches,
                                  metadata={"mismatches": dg.MetadataValue.json(mismatches)})

    return weekly_aggregates


