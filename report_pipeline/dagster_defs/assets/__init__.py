"""The assets, built for a configuration (its repositories and timezone define the partitions)."""

from __future__ import annotations

import dagster as dg

from report_pipeline.config import Config
from report_pipeline.dagster_defs.assets import aggregates, enriched, flow_counts, raw, report, reviews

# Shown on every asset in the UI: who answers for these reports. A deployment names its own
# team (or e-mail) here.
OWNERS = ["team:report-pipeline"]


def build_assets(partitions: dg.PartitionsDefinition, config: Config) -> list[dg.AssetsDefinition]:
    """raw → enriched → aggregates (+ highlight reviews) → report, with owners and code references.

    The code references point at each asset's function in this checkout (the UI's "Open in
    editor"). ``link_code_references_to_git`` is not applied: the project has no canonical
    remote URL and branch to link to; a deployment with one can wrap these definitions.
    """
    assets = [module.build(partitions, config) for module in (raw, enriched, flow_counts, aggregates, reviews, report)]
    owned = dg.map_asset_specs(lambda spec: spec.replace_attributes(owners=OWNERS), assets)
    # dagster types the result as any asset kind; given AssetsDefinitions it returns AssetsDefinitions
    return list(dg.with_source_code_references(owned))  # type: ignore[arg-type]
