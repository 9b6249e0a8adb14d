"""``raw_pull_requests``: the PRs merged in the week, from the repository's configured source."""


import dagster as dg
import pandas as pd

from report_pipeline.config import Config
from report_pipeline.dagster_defs.assets._common import column_schema, markdown_table, output_value, run_partitions
from report_pipeline.dagster_defs.assets._records import stop_if_blocked, week_checks
from report_pipeline.dagster_defs.io import stored_table
from report_pipeline.dagster_defs.resources import GitHubResource, uses_github
from report_pipeline.domain.quality import duplicate_numbers, merged_outside
from report_pipeline.parallel import per_week
from report_pipeline.schema import RAW_SCHEMA
from report_pipeline.sources import extract_range
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
        # the source is read here, once; its weeks are checked and converted in workers for a long range
        extracted = {key: (repo_name, week, frame, meta)
                     for key, repo_name, week, frame, meta in _extract_run(context, config, github)}

        def one_week(key: str):
            repo_name, week, frame, meta = extracted[key]
            return (stored_table("raw_pull_requests", frame), duplicate_numbers(frame),
                    merged_outside(frame, week_window(week, config.timezone)),
                    _week_metadata(frame, meta, config.repository(repo_name).source))

        results, duplicates, outside = {}, {}, {}
        for key, (table, repeated, misplaced, metadata) in per_week(one_week, list(extracted)).items():
            results[key], duplicates[key], outside[key] = table, repeated, misplaced
            context.add_asset_metadata(metadata, partition_key=key)

        yield dg.Output(output_value(results))
        yield from week_checks(context, "unique_pr_numbers", duplicates)
        yield from week_checks(context, "merged_inside_week", outside)
        stop_if_blocked(
            context, "unique_pr_numbers", duplicates,
            "Nothing downstream runs, so no report of this run's weeks is published; fix the source and build again.",
        )

    return raw_pull_requests


def _extract_run(context: dg.AssetExecutionContext, config: Config, github: GitHubResource):
    """``(key, repo, week, frame, meta)`` of the run's partitions, each repository's source read
    once for all its weeks (one git pass, one sample read, one GitHub client); one log line
    per repository, not per week."""
    by_repo: dict[str, list[tuple[str, str]]] = {}
    for key, repo_name, week in run_partitions(context):
        by_repo.setdefault(repo_name, []).append((key, week))
    for repo_name, parts in by_repo.items():
        repo = config.repository(repo_name)
        windows = [week_window(week, config.timezone) for _, week in parts]
        weeks = extract_range(
            repo, windows,
            github_client=lambda r: github.client_for(r, log=context.log.info),
            log=context.log.info,
            concurrency=_pool_limit(context, "github_api") if repo.source == "github" else 1,
        )
        total = sum(len(frame) for frame, _ in weeks.values())
        span = parts[0][1] if len(parts) == 1 else f"{parts[0][1]} .. {parts[-1][1]} ({len(parts)} weeks)"
        context.log.info(f"{repo_name} {span}: {total} PRs merged ({repo.source})")
        for key, week in parts:
            yield (key, repo_name, week, *weeks[week])


def _pool_limit(context: dg.AssetExecutionContext, pool: str) -> int:
    """The instance's slot limit of ``pool`` (1 when unset or unknown): GitHub week windows
    of one step run this many at a time, so raising the pool's limit widens both."""
    try:
        storage = context.instance.event_log_storage
        if storage.supports_global_concurrency_limits:
            info = storage.get_concurrency_info(pool)
            if info.slot_count:
                return int(info.slot_count)
        return int(context.instance.global_op_concurrency_default_limit or 1)
    except Exception:  # an instance without pool support: stay sequential
        return 1


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
