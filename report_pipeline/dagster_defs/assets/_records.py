"""Per-week records of a run that covers several weeks: check results per partition.

A single-run backfill materializes many (repository, week) partitions in one step. Each
week's own metadata goes through ``context.add_asset_metadata(..., partition_key=key)``;
each week's own check result is an ``AssetCheckEvaluation`` with ``partition=key``, on a
check spec partitioned like the asset. ``AssetCheckResult`` cannot do this in Dagster 1.13:
it takes the run's partition only when the run has exactly one, so a range run would record
one result for all its weeks.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import dagster as dg

from report_pipeline.dagster_defs.partitions import split_key

MAX_LISTED = 20  # problems listed in a check's metadata; the count says how many there were


def week_checks(
    context: dg.AssetExecutionContext, check_name: str, problems: Mapping[str, list[str]]
) -> Iterator[dg.Output | dg.AssetCheckEvaluation]:
    """One evaluation of ``check_name`` per partition; a partition passes when it has no problems.

    Blocking checks fail with severity ERROR, the others (advisory) with WARN. Nothing is
    yielded when the check is not selected for the run (e.g. the UI materialized the asset
    without its checks).
    """
    spec = _spec(context, check_name)
    if spec.key not in context.selected_asset_check_keys:
        return
    targets = _materializations_of_run(context, spec.asset_key, list(problems))
    # the check's (empty) output, as Dagster emits for an AssetCheckResult
    yield dg.Output(None, output_name=context.assets_def.get_output_name_for_asset_check_key(spec.key))
    for key in sorted(problems):
        found = problems[key]
        repo, week = split_key(key)
        text = f"{repo}, week of {week}: " + ("; ".join(found[:3]) + ("; ..." if len(found) > 3 else "") if found else "passed")
        yield dg.AssetCheckEvaluation(
            asset_key=spec.asset_key,
            check_name=check_name,
            passed=not found,
            partition=str(key),
            blocking=spec.blocking,
            severity=dg.AssetCheckSeverity.ERROR if spec.blocking else dg.AssetCheckSeverity.WARN,
            description=text,
            target_materialization_data=targets.get(str(key)),
            metadata={
                "week": week,
                "repository": repo,
                "problem_count": len(found),
                "problems": dg.MetadataValue.json(found[:MAX_LISTED]),
            },
        )


def _spec(context: dg.AssetExecutionContext, check_name: str) -> dg.AssetCheckSpec:
    return next(s for s in context.assets_def.check_specs if s.name == check_name)


def _materializations_of_run(context: dg.AssetExecutionContext, asset_key: dg.AssetKey, keys: list[str]) -> dict:
    """The materialization this run recorded for each partition, so each check result names it."""
    from dagster._core.definitions.asset_checks.asset_check_evaluation import (
        AssetCheckEvaluationTargetMaterializationData,
    )

    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=asset_key, asset_partitions=[str(k) for k in keys]),
        limit=2 * len(keys),
    ).records
    found = {}
    for record in records:  # newest first
        if record.run_id == context.run.run_id and record.partition_key not in found:
            found[record.partition_key] = AssetCheckEvaluationTargetMaterializationData(
                run_id=record.run_id, storage_id=record.storage_id, timestamp=record.timestamp
            )
    return found


def failed_weeks(problems: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """The partitions with problems, oldest first."""
    return {key: found for key, found in sorted(problems.items()) if found}


def stop_if_blocked(
    context: dg.AssetExecutionContext, check_name: str, problems: Mapping[str, list[str]], consequence: str
) -> None:
    """Fail the step with a message naming each failed week when a blocking check failed.

    Dagster would stop the run too (``DagsterAssetCheckFailedError``), but its message names
    neither the week nor the problem; this one does, once, for the CLI and the UI. The guard
    holds even when the check itself was left out of the run's selection: the check records
    the finding, the guard keeps a wrong report from readers.
    """
    spec = _spec(context, check_name)
    failed = failed_weeks(problems)
    if not failed or not spec.blocking:
        return
    asset = spec.asset_key.to_user_string()
    lines = []
    for key, found in failed.items():
        repo, week = split_key(key)
        more = f" (+{len(found) - 3} more)" if len(found) > 3 else ""
        lines.append(f"{repo}, week of {week}: " + "; ".join(found[:3]) + more)
    raise dg.Failure(
        description=f"{asset}: blocking check {check_name} failed. {consequence}\n" + "\n".join(lines),
        allow_retries=False,
    )
