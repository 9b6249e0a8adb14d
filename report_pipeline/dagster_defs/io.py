"""Partition-aware Parquet IO: one file per (asset, repository, week), written atomically.

A run over a range of weeks (a single-run backfill) hands the IO manager a dict
``{partition_key: DataFrame}``; each partition is still written to its own file.
The base path may be local or object storage (``s3://bucket/prefix``) through
``pyarrow.fs``.
"""

from __future__ import annotations

import os
import uuid

import dagster as dg
import pandas as pd
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from report_pipeline.dagster_defs.partitions import split_key
from report_pipeline.domain.aggregate import AGGREGATES_SCHEMA
from report_pipeline.schema import ENRICHED_SCHEMA, RAW_SCHEMA, REVIEWS_SCHEMA, from_table, to_table

REPORT_FILES_SCHEMA = pa.schema(
    [
        pa.field("language", pa.string()),
        pa.field("format", pa.string()),
        pa.field("path", pa.string()),
        pa.field("bytes", pa.int64()),
    ]
)

SCHEMAS: dict[str, pa.Schema] = {
    "raw_pull_requests": RAW_SCHEMA,
    "enriched_pull_requests": ENRICHED_SCHEMA,
    "weekly_aggregates": AGGREGATES_SCHEMA,
    "highlight_reviews": REVIEWS_SCHEMA,
    "weekly_report": REPORT_FILES_SCHEMA,
}


class WeeklyParquetIOManager(dg.ConfigurableIOManager):
    """Stores each (asset, repository, week) partition as ``BASE/ASSET/OWNER__REPO/WEEK.parquet``."""

    base_path: str

    def _fs(self) -> tuple[pafs.FileSystem, str]:
        if "://" in self.base_path:
            return pafs.FileSystem.from_uri(self.base_path)
        return pafs.LocalFileSystem(), os.path.abspath(self.base_path)

    def path_for(self, asset_name: str, partition_key: str) -> str:
        """Where one partition of ``asset_name`` lives, relative to the filesystem root."""
        _, root = self._fs()
        repo, week = split_key(partition_key)
        return f"{root}/{asset_name}/{repo.replace('/', '__')}/{week}.parquet"

    def handle_output(self, context: dg.OutputContext, obj) -> None:
        """Write one DataFrame, or a dict of them for a multi-partition run."""
        if obj is None:
            return
        name = context.asset_key.path[-1]
        keys = context.asset_partition_keys if context.has_asset_partitions else []
        frames = obj if isinstance(obj, dict) else {keys[0]: obj}
        missing = set(keys) - set(frames)
        if missing:
            raise dg.Failure(f"{name}: no output for partitions {sorted(missing)}")
        for key, frame in frames.items():
            self.write(name, key, frame)

    def write(self, asset_name: str, partition_key: str, frame: pd.DataFrame) -> str:
        """Atomically write one partition: a temporary file renamed into place."""
        fs, _ = self._fs()
        path = self.path_for(asset_name, partition_key)
        schema = SCHEMAS.get(asset_name)
        table = to_table(frame, schema) if schema is not None else pa.Table.from_pandas(frame, preserve_index=False)
        fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
        if isinstance(fs, pafs.LocalFileSystem):
            tmp = f"{path}.{uuid.uuid4().hex}.tmp"
            try:
                pq.write_table(table, tmp, compression="zstd")
                os.replace(tmp, path)  # readers see the old file or the new one, never half of one
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        else:
            # object stores publish an object only once its upload completes
            pq.write_table(table, path, filesystem=fs, compression="zstd")
        return path

    def read(self, asset_name: str, partition_key: str) -> pd.DataFrame | None:
        """One stored partition, or None when it was never materialized."""
        fs, _ = self._fs()
        path = self.path_for(asset_name, partition_key)
        try:
            table = pq.read_table(path, filesystem=fs)
        except FileNotFoundError:
            return None
        return from_table(table)

    def load_input(self, context: dg.InputContext):
        """A DataFrame for one partition; a dict of the existing ones for several."""
        name = context.asset_key.path[-1]
        keys = context.asset_partition_keys
        if len(keys) == 1 and not _wants_many(context):
            frame = self.read(name, keys[0])
            if frame is None:
                raise dg.Failure(
                    f"{name} has no data for {keys[0]}: materialize it first "
                    f"(e.g. report-pipeline build --week {split_key(keys[0])[1]})"
                )
            return frame
        frames = {}
        for key in keys:
            frame = self.read(name, key)
            if frame is not None:  # earlier weeks that were never built are simply absent
                frames[key] = frame
        return frames


def _wants_many(context: dg.InputContext) -> bool:
    # history inputs (a window of weeks) always get a dict, even when one week is mapped
    return bool((context.definition_metadata or {}).get("history"))
