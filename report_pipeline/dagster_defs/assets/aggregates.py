"""``weekly_aggregates``: the week's figures and the same figures for earlier weeks."""

import datetime as dt
from collections.abc import Mapping

import dagster as dg
import pandas as pd

from report_pipeline.config import Config
from report_pipeline.dagster_defs.assets._common import (
    column_schema,
    for_partition,
    markdown_table,
    output_value,
    run_partitions,
)
from report_pipeline.dagster_defs.assets._records import week_checks
from report_pipeline.dagster_defs.io import WarehouseResource, stored_table
from report_pipeline.dagster_defs.partitions import split_key
from report_pipeline.dagster_defs.resources import ReportSettings
from report_pipeline.domain.aggregate import AGGREGATES_SCHEMA, aggregate_week
from report_pipeline.domain.quality import aggregates_vs_rows
from report_pipeline.parallel import per_week


def _checks(partitions: dg.PartitionsDefinition) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            "counts_match_enriched", asset="weekly_aggregates", partitions_def=partitions,
            description="PR, highlight and line counts equal the week's rows of enriched_pull_requests. "
                        "Advisory here: weekly_report checks its figures against the PRs it lists "
                        "before publishing and blocks there.",
        ),
    ]


def build(partitions: dg.PartitionsDefinition, config: Config) -> dg.AssetsDefinition:
    """The aggregation asset: the week, plus up to ``trend_weeks - 1`` earlier weeks for the trend."""

    @dg.asset(
        name="weekly_aggregates",
        partitions_def=partitions,
        group_name="report",
        kinds={"pandas", "parquet"},
        description=(
            "One row per figure of the week (tidy): PR, highlight and line counts, mean importance, "
            "counts per kind, tag, module and risk with their PRs and shares, hot files, authors, "
            "the previous week's and trailing 4-week figures for deltas, and a trend over "
            "trend_weeks weeks (resource 'settings'). Earlier weeks are read from the warehouse as they are "
            "when the week is built (not a dependency: a backfill rebuilds only the weeks asked for)."
        ),
        metadata={"dagster/column_schema": column_schema(AGGREGATES_SCHEMA)},
        # counts of PRs opened/closed (flow section): a week without them reports them as unknown
        ins={"weekly_flow_counts": dg.AssetIn(metadata={"allow_missing_partitions": True})},
        backfill_policy=dg.BackfillPolicy.single_run(),
        check_specs=_checks(partitions),
    )
    def weekly_aggregates(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: ReportSettings,
        enriched_pull_requests, weekly_flow_counts,
    ):
        # Why the trend's earlier weeks are not an input with a TimeWindowPartitionMapping:
        # with one, Dagster sees week W+1..W+11 as downstream of week W, so a UI backfill of
        # W rebuilt (and republished) the next 11 weeks in a second run. A backfill should
        # touch the weeks it names; later weeks keep the trend they were built with until
        # they are rebuilt themselves.
        run = run_partitions(context)
        keys = {(repo, week): key for key, repo, week in run}
        # stored earlier weeks are read here, before workers fork (the work reads nothing);
        # they, like the inputs, become DataFrames in the worker that uses them
        repos = {repo for _, repo, _ in run}
        stored_enriched = {repo: warehouse.read_weeks("enriched_pull_requests", repo,
                                                      _outside(keys, repo, settings.trend_weeks - 1)) for repo in repos}
        stored_flows = {repo: warehouse.read_weeks("weekly_flow_counts", repo, _outside(keys, repo, 4)) for repo in repos}

        def one_week(key: str):
            repo, week = split_key(key)
            current = for_partition(enriched_pull_requests, key)
            history = _earlier(enriched_pull_requests, stored_enriched[repo], keys, repo, week, settings.trend_weeks - 1)
            flows = {week: for_partition(weekly_flow_counts, key)}
            flows |= _earlier(weekly_flow_counts, stored_flows[repo], keys, repo, week, 4)
            counts = {w: f.iloc[0].to_dict() for w, f in flows.items() if f is not None and len(f)}
            frame = aggregate_week(week, current, history, trend_weeks=settings.trend_weeks, flow_counts=counts)
            return (stored_table("weekly_aggregates", frame), aggregates_vs_rows(frame, current, week),
                    _week_metadata(frame, week, sorted(history)))

        results, mismatches = {}, {}
        for key, (table, mismatch, metadata) in per_week(one_week, [key for key, _, _ in run]).items():
            results[key], mismatches[key] = table, mismatch
            context.add_asset_metadata(metadata, partition_key=key)
        yield dg.Output(output_value(results))
        yield from week_checks(context, "counts_match_enriched", mismatches)

    return weekly_aggregates


def _weeks_before(week: str, n: int) -> list[str]:
    monday = dt.date.fromisoformat(week)
    return [(monday - dt.timedelta(weeks=i)).isoformat() for i in range(1, n + 1)]


def _outside(keys: dict, repo: str, n: int) -> list[str]:
    """The weeks among the ``n`` before each of ``repo``'s weeks in the run that the run does not cover."""
    weeks = {w for r, week in keys if r == repo for w in _weeks_before(week, n)}
    return sorted(w for w in weeks if (repo, w) not in keys)


def _earlier(in_run, stored: Mapping, keys: dict, repo: str, week: str, n: int) -> dict:
    """The ``n`` weeks before ``week`` that exist, newest first: this run's input, else stored."""
    earlier = _weeks_before(week, n)
    found = {w: for_partition(in_run, keys[(repo, w)]) for w in earlier if (repo, w) in keys}
    return found | {w: stored[w] for w in earlier if w not in found and w in stored}


def _week_metadata(frame: pd.DataFrame, week: str, history_weeks: list[str]) -> dict:
    """One week's figures: rows, summary, risks, and which earlier weeks the trend counted."""
    summary = frame[(frame["section"] == "summary") & (frame["week"] == week)]
    return {
        "dagster/row_count": len(frame),
        "summary": dg.MetadataValue.md(markdown_table(summary, ["key", "value", "previous_value", "trailing_value"])),
        "risks": dg.MetadataValue.md(
            markdown_table(frame[frame["section"] == "risk"], ["key", "value", "share", "previous_value"])
        ),
        "trend_weeks_found": dg.MetadataValue.json(history_weeks),
    }
