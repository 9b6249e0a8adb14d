"""Assemble the Dagster ``Definitions`` for a configuration."""

from __future__ import annotations

import dagster as dg

from report_pipeline.config import Config
from report_pipeline.dagster_defs.assets import build_assets
from report_pipeline.dagster_defs.io import WarehouseResource, WeeklyParquetIOManager
from report_pipeline.dagster_defs.partitions import build_partitions
from report_pipeline.dagster_defs.resources import github_resource, narrator_resource, report_settings
from report_pipeline.dagster_defs.schedules import build_job, build_schedule


def build_definitions(config: Config, executor: dg.ExecutorDefinition = dg.in_process_executor) -> dg.Definitions:
    """Assets, job, schedule and resources for ``config``.

    Runs execute in one process: the steps are light, and a process per step would cost
    more than the work itself (a year's single-run backfill takes seconds this way).
    """
    partitions = build_partitions(config)
    job = build_job()
    return dg.Definitions(
        assets=build_assets(partitions, config),
        jobs=[job],
        schedules=[build_schedule(job)],
        resources={
            "io_manager": WeeklyParquetIOManager(base_path=str(config.warehouse_dir)),
            "warehouse": WarehouseResource(base_path=str(config.warehouse_dir)),
            "github": github_resource(config),
            "settings": report_settings(config),
            "narrator": narrator_resource(config),
        },
        executor=executor,
    )
