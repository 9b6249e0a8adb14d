"""The thin Dagster layer: partitions, IO, resources, assets, schedule."""

import warnings

import dagster as dg

# backfill policies and multi-partition mappings are deliberate choices; their beta notices
# would otherwise print on every CLI call and code-location load
warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)
