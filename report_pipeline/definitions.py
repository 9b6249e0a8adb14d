"""The code location Dagster loads (``workspace.yaml``, ``dagster dev``)."""

from report_pipeline.config import load_config
from report_pipeline.dagster_defs.definitions import build_definitions

defs = build_definitions(load_config())
