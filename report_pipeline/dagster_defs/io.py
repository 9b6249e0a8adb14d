"""Partition-aware Parquet storage: one file per (asset, repository, week), written atomically.

``ParquetWarehouse`` reads and writes the files; ``WeeklyParquetIOManager`` hands them to
Dagster as asset inputs and outputs, and ``WarehouseResource`` lets an asset read partitions
it does not depend on (the trend's earlier weeks, see weekly_aggregates).

A run over a range of weeks (a single-run backfill) hands the IO manager a dict
``{partition_key: DataFrame}``; each partition is still written to its own file. The base
path may be local or object storage (``s3://bucket/prefix``) through ``pyarrow.fs``.

Hand-written rather than Dagster's ``UPathIOManager``: in Dagster 1.13 that class refuses an
output covering several partitions (its handle_output asks for a multi-run backfill), which
is exactly what our single-run backfills produce. Loading follows its conventions all the
same: a dict per partition key for a range, ``allow_missing_partitions`` in the input's
metadata to skip partitions never built.
"""

from __future__ import annotations

import collections
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from report_pipeline.dagster_defs.partitions import split_key
from report_pipeline.domain.aggregate import AGGREGATES_SCHEMA
from report_pipeline.publish import filesystem_for, inside
from report_pipeline.schema import ENRICHED_SCHEMA, FLOW_COUNTS_SCHEMA, RAW_SCHEMA, REVIEWS_SCHEMA, from_table, to_table

# partitions read or written at once on object storage by a run over many weeks: each is a
# round trip (tens of ms), and Arrow's Parquet and filesystem calls release the GIL. Local
# disk gains nothing measurable from threads (a 52-week uv build: same time) and its peak
# memory grew by 39 MB with them, so it is read and written one partition at a time
IO_THREADS = 8

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
    "weekly_flow_counts": FLOW_COUNTS_SCHEMA,
    "weekly_report": REPORT_FILES_SCHEMA,
}


def stored_table(asset_name: str, frame: pd.DataFrame) -> pa.Table:
    """``frame`` as the warehouse stores it: Arrow, in the asset's schema where it has one.

    A step whose per-week work runs in forked workers converts there (``to_table`` costs
    more than the write) and outputs the tables; the IO manager writes either form.
    """
    schema = SCHEMAS.get(asset_name)
    return to_table(frame, schema) if schema is not None else pa.Table.from_pandas(frame, preserve_index=False)


class ParquetWarehouse:
    """Each (asset, repository, week) partition as ``BASE/ASSET/OWNER__REPO/WEEK.parquet``."""

    def __init__(self, base_path: str):
        self.base_path = base_path

    def _fs(self) -> tuple[pafs.FileSystem, str]:
        return filesystem_for(self.base_path)

    @property
    def threads(self) -> int:
        """How many partitions to read or write at once (``IO_THREADS`` on object storage, else 1)."""
        return 1 if isinstance(self._fs()[0], pafs.LocalFileSystem) else IO_THREADS

    def path_for(self, asset_name: str, partition_key: str) -> str:
        """Where one partition of ``asset_name`` lives, relative to the filesystem root."""
        fs, root = self._fs()
        repo, week = split_key(partition_key)
        path = f"{root}/{asset_name}/{repo.replace('/', '__')}/{week}.parquet"
        if isinstance(fs, pafs.LocalFileSystem):
            inside(Path(root), Path(path))  # a partition key never places a file outside warehouse_dir
        return path

    def write(self, asset_name: str, partition_key: str, frame: pd.DataFrame | pa.Table) -> str:
        """Atomically write one partition (a DataFrame, or ``stored_table``'s Arrow form of one)."""
        fs, _ = self._fs()
        path = self.path_for(asset_name, partition_key)
        table = frame if isinstance(frame, pa.Table) else stored_table(asset_name, frame)
        schema = SCHEMAS.get(asset_name)
        if schema is not None and not table.schema.equals(schema):
            raise ValueError(f"{asset_name}: a table for {partition_key} does not have the warehouse's schema")
        if isinstance(fs, pafs.LocalFileSystem):
            fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
            tmp = f"{path}.{uuid.uuid4().hex}.tmp"
            try:
                pq.write_table(table, tmp, compression="zstd")
                os.replace(tmp, path)  # readers see the old file or the new one, never half of one
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
            _WRITTEN.put(path, table)
        else:
            # object stores publish an object only once its upload completes; they need no
            # folders (pyarrow's create_dir would cost three requests per write for markers)
            pq.write_table(table, path, filesystem=fs, compression="zstd")
        return path

    def read(self, asset_name: str, partition_key: str) -> pd.DataFrame | None:
        """One stored partition, or None when it was never materialized."""
        table = self.read_table(asset_name, partition_key)
        return None if table is None else from_table(table)

    def read_table(self, asset_name: str, partition_key: str) -> pa.Table | None:
        """One stored partition as Arrow, or None when it was never materialized."""
        fs, _ = self._fs()
        path = self.path_for(asset_name, partition_key)
        local = isinstance(fs, pafs.LocalFileSystem)
        table = _WRITTEN.get(path) if local else None
        if table is None:
            try:
                table = pq.read_table(path, filesystem=fs) if local else _read_object(fs, path)
            except FileNotFoundError:
                return None
        return table


def _read_object(fs: pafs.FileSystem, path: str) -> pa.Table:
    """A partition on object storage in one GET (after a HEAD), not pq.read_table's five requests.

    ``pq.read_table(path, filesystem=...)`` asks whether the path is a file or a folder, opens
    it and reads the footer and the data separately; a partition is tens of KB, so reading
    the whole object and decoding it in memory is one round trip.
    """
    with fs.open_input_stream(path) as stream:
        data = stream.read()
    return pq.read_table(pa.BufferReader(data))


def concurrently(work: Callable, items: Iterable, threads: int) -> list:
    """``[work(item) for item in items]``, up to ``threads`` at a time.

    Every item is done before an error is raised, the first in ``items``' order: each
    partition is written atomically, so a failed write leaves the others whole.
    """
    items = list(items)
    if threads < 2 or len(items) < 2:
        results, errors = [], []
        for item in items:
            try:
                results.append(work(item))
            except Exception as exc:  # raised once the others are done
                errors.append(exc)
        if errors:
            raise errors[0]
        return results
    with ThreadPoolExecutor(min(threads, len(items)), thread_name_prefix="warehouse") as pool:
        futures = [pool.submit(work, item) for item in items]
    return [future.result() for future in futures]


class LazyFrames(Mapping[str, pd.DataFrame]):
    """Partitions read as Arrow tables, each made a DataFrame when first asked for, then kept.

    A run over many weeks loads every partition of an input before its step starts; the
    conversion to pandas costs more than the read, and the step's per-week work runs in
    forked workers (``report_pipeline.parallel``). Converting on first use moves that cost
    into the worker that needs the week, and each frame is converted once per process, so
    caches keyed on a frame (``domain.memo``) see the same frame every time it is asked for.
    """

    def __init__(self, tables: Mapping[str, pa.Table]):
        self._tables = dict(tables)
        self._frames: dict[str, pd.DataFrame] = {}

    def __getitem__(self, key: str) -> pd.DataFrame:
        frame = self._frames.get(key)
        if frame is None:
            frame = self._frames[key] = from_table(self._tables[key])
        return frame

    def __iter__(self) -> Iterator[str]:
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)


class _WrittenTables:
    """Tables this process wrote, by path, while the file is still the one it wrote.

    A run over many weeks writes each week's partition and reads it back in the next step
    (and again for later weeks' trends); decoding the Parquet file again costs more than
    the write. A file replaced or removed since (another process, a rebuild) changes its
    inode, size or mtime and is read from disk. Arrow tables are immutable, and every read
    makes a fresh DataFrame of it, so no caller shares state with another. Only local disk
    uses it, and local partitions are read and written one at a time (``ParquetWarehouse.threads``).
    """

    LIMIT = 2048  # partitions kept; a year of 6 assets for several repositories

    def __init__(self) -> None:
        self._tables: collections.OrderedDict[str, tuple[tuple, pa.Table]] = collections.OrderedDict()

    def put(self, path: str, table: pa.Table) -> None:
        stamp = _stamp(path)
        if stamp is not None:
            self._tables[path] = (stamp, table)
            self._tables.move_to_end(path)
            while len(self._tables) > self.LIMIT:
                self._tables.popitem(last=False)

    def get(self, path: str) -> pa.Table | None:
        held = self._tables.get(path)
        if held is None:
            return None
        if held[0] != _stamp(path):
            del self._tables[path]
            return None
        return held[1]


def _stamp(path: str) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


_WRITTEN = _WrittenTables()


class WeeklyParquetIOManager(dg.ConfigurableIOManager):
    """Asset inputs and outputs through a ``ParquetWarehouse`` at ``base_path``.

    Loading several partitions follows Dagster's convention for partition ranges: every
    partition must exist unless the input's metadata says ``allow_missing_partitions``.
    An input whose metadata lists ``columns`` gets only those (as with Dagster's database
    IO managers).
    """

    base_path: str

    @property
    def warehouse(self) -> ParquetWarehouse:
        return ParquetWarehouse(self.base_path)

    def path_for(self, asset_name: str, partition_key: str) -> str:
        return self.warehouse.path_for(asset_name, partition_key)

    def write(self, asset_name: str, partition_key: str, frame: pd.DataFrame | pa.Table) -> str:
        return self.warehouse.write(asset_name, partition_key, frame)

    def read(self, asset_name: str, partition_key: str) -> pd.DataFrame | None:
        return self.warehouse.read(asset_name, partition_key)

    def handle_output(self, context: dg.OutputContext, obj) -> None:
        """Write one DataFrame or Arrow table, or a dict of them for a multi-partition run."""
        if obj is None:
            return
        name = context.asset_key.path[-1]
        keys = context.asset_partition_keys if context.has_asset_partitions else []
        frames = obj if isinstance(obj, dict) else {keys[0]: obj}
        missing = set(keys) - set(frames)
        if missing:
            raise dg.Failure(f"{name}: no output for partitions {sorted(missing)}")
        warehouse = self.warehouse
        concurrently(lambda item: warehouse.write(name, *item), frames.items(), warehouse.threads)

    def load_input(self, context: dg.InputContext):
        """A DataFrame for one partition; a dict ``{partition_key: DataFrame}`` for several."""
        name = context.asset_key.path[-1]
        keys = context.asset_partition_keys
        metadata = context.definition_metadata or {}
        allow_missing = bool(metadata.get("allow_missing_partitions"))
        columns = metadata.get("columns")  # only these, as Dagster's database IO managers read them
        tables = {}
        warehouse = self.warehouse
        stored = concurrently(lambda k: warehouse.read_table(name, k), keys, warehouse.threads)
        for key, table in zip(keys, stored, strict=True):
            if table is not None:
                tables[key] = table.select(list(columns)) if columns else table
            elif not allow_missing:
                raise dg.Failure(
                    f"{name} has no data for {key}: materialize it first "
                    f"(e.g. report-pipeline build --week {split_key(key)[1]} --repo {split_key(key)[0]})"
                )
        if len(keys) == 1:
            return from_table(tables[keys[0]]) if keys[0] in tables else None
        return LazyFrames(tables)


class WarehouseResource(dg.ConfigurableResource):
    """Reads stored partitions an asset does not depend on in Dagster's graph.

    weekly_aggregates reads its trend's earlier weeks here: declaring them as a dependency
    made every backfill rebuild the following weeks too (README, "Backfills").
    """

    base_path: str

    def read_weeks(self, asset_name: str, repo: str, weeks: list[str]) -> LazyFrames:
        """The stored partitions of ``repo`` among ``weeks``, by week; weeks never built are absent.

        Read now, made DataFrames when first used (``LazyFrames``).
        """
        from report_pipeline.dagster_defs.partitions import partition_key

        warehouse = ParquetWarehouse(self.base_path)
        tables = concurrently(lambda week: warehouse.read_table(asset_name, str(partition_key(repo, week))), weeks,
                              warehouse.threads)
        return LazyFrames({week: table for week, table in zip(weeks, tables, strict=True) if table is not None})
