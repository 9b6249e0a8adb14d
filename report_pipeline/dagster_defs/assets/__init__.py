"""The assets, built for a configuration (its repositories and timezone define the partitions)."""

from __future__ import annotations

import dagster as dg

from report_pipeline.config import Config
from report_pipeline.dagster_defs.assets import aggregates, enriched, raw, report, reviews


def build_assets(partitions: dg.PartitionsDefinition, config: Config) -> list[dg.AssetsDefinition]:
    """raw → enriched → aggregates (+ highlight reviews) → report."""
    return [module.build(partitions, config) for module in (raw, enriched, aggregates, reviews, report)]
