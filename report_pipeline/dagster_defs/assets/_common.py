"""Helpers shared by the asset modules: partitions of a run, inputs per partition, metadata."""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg
import numpy as np
import pandas as pd
import pyarrow as pa

from report_pipeline.dagster_defs.partitions import split_key
from report_pipeline.domain.markdown_safe import md_text, truncate

PREVIEW_ROWS = 10
CELL_CHARS = 80


def run_partitions(context: dg.AssetExecutionContext) -> list[tuple[str, str, str]]:
    """``(partition_key, repo, week)`` of every partition this run materializes, oldest first."""
    keys = [str(k) for k in context.partition_keys]
    return sorted(((k, *split_key(k)) for k in keys), key=lambda t: (t[1], t[2]))


def for_partition(value, key: str) -> pd.DataFrame | None:
    """The input of one partition, whether the run covers one partition or many (a mapping by key)."""
    if isinstance(value, Mapping):
        return value.get(key)
    return value


def output_value(results: dict[str, pd.DataFrame] | dict[str, pa.Table]):
    """What the IO manager expects: the frame (or Arrow table) for one partition, a dict for several."""
    if len(results) == 1:
        return next(iter(results.values()))
    return results


def markdown_table(df: pd.DataFrame, columns: list[str], limit: int = PREVIEW_ROWS) -> str:
    """A small Markdown table for the Dagster UI.

    Cells are untrusted PR text: escaped like the reports' (``md_text``: no links, emphasis,
    HTML, bidi overrides or table breaks survive), cut to ``CELL_CHARS`` before escaping so a
    cut never splits an escape.
    """
    if df is None or not len(df):
        return "_no rows_"
    head = "| " + " | ".join(md_text(c) for c in columns) + " |\n|" + "---|" * len(columns) + "\n"
    lines = []
    for _, row in df.head(limit).iterrows():
        cells = []
        for c in columns:
            v = row[c]
            if isinstance(v, (list, tuple, np.ndarray)):
                v = ", ".join(map(str, v))
            cells.append(str(md_text(truncate(v, CELL_CHARS))))
        lines.append("| " + " | ".join(cells) + " |")
    return head + "\n".join(lines)


def column_schema(schema: pa.Schema) -> dg.TableSchema:
    """Dagster's column schema for an Arrow schema (shown in the asset's overview)."""
    return dg.TableSchema(columns=[dg.TableColumn(f.name, str(f.type)) for f in schema])
