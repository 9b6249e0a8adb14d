"""The table schemas every layer agrees on.

Every source produces rows in ``RAW_SCHEMA``; everything downstream is
source-agnostic. ``ENRICHED_SCHEMA`` adds the classification columns,
``REVIEWS_SCHEMA`` holds review comments of highlight PRs.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

FILE_TYPE = pa.struct(
    [
        pa.field("path", pa.string()),
        pa.field("previous_path", pa.string()),
        pa.field("additions", pa.int64()),
        pa.field("deletions", pa.int64()),
        # GitHub's PatchStatus names: ADDED, MODIFIED, DELETED, RENAMED, COPIED, CHANGED
        pa.field("change_type", pa.string()),
    ]
)

#: Marks columns added after the first release: a frame without them reads as all-null
#: (older stored partitions, hand-built test frames), a frame with them is type-checked.
_OPTIONAL = {b"optional": b"1"}

REVIEW_EVENT_TYPE = pa.struct(
    [
        pa.field("author", pa.string()),  # null: deleted account
        pa.field("author_type", pa.string()),  # User, Bot, Mannequin, Organization
        # APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED; null when the source has no states
        pa.field("state", pa.string()),
        pa.field("submitted_at", pa.timestamp("us", tz="UTC")),
    ]
)

RAW_SCHEMA = pa.schema(
    [
        pa.field("repo", pa.string(), nullable=False),
        pa.field("number", pa.int64(), nullable=False),
        pa.field("title", pa.string()),
        pa.field("body", pa.string()),
        pa.field("url", pa.string()),
        pa.field("author", pa.string()),
        # GitHub's CommentAuthorAssociation (FIRST_TIME_CONTRIBUTOR, CONTRIBUTOR, MEMBER ...) where known
        pa.field("author_association", pa.string()),
        pa.field("created_at", pa.timestamp("us", tz="UTC")),
        pa.field("merged_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("labels", pa.list_(pa.string())),
        pa.field("additions", pa.int64()),
        pa.field("deletions", pa.int64()),
        pa.field("changed_files", pa.int64()),
        pa.field("files", pa.list_(FILE_TYPE)),
        # nullable: a git clone or the sample may not know them
        pa.field("review_count", pa.int64()),
        pa.field("comment_count", pa.int64()),
        pa.field("base_ref", pa.string()),
        pa.field("merge_commit_sha", pa.string()),
        pa.field("source", pa.string()),
        # -- flow (issue 11); null where the source cannot know, never a made-up value --
        # GitHub's author __typename: User, Bot, Mannequin, Organization
        pa.field("author_type", pa.string(), metadata=_OPTIONAL),
        # when the PR became ready for review: creation, or the last READY_FOR_REVIEW_EVENT of a draft
        pa.field("ready_at", pa.timestamp("us", tz="UTC"), metadata=_OPTIONAL),
        # the PR's submitted reviews, oldest first (every review comment belongs to one)
        pa.field("reviews", pa.list_(REVIEW_EVENT_TYPE), metadata=_OPTIONAL),
        # how much of the reviews the source sees: "all" (every review with its state),
        # "comments" (review comments only, no states: the bundled sample), null (none: git)
        pa.field("reviews_coverage", pa.string(), metadata=_OPTIONAL),
    ]
)

#: One row per week: PRs opened, closed without merge and open at week end (GitHub's count-only
#: searches); null with ``note`` (a domain/flow.py reason code) when the source cannot count them.
FLOW_COUNTS_SCHEMA = pa.schema(
    [
        pa.field("opened", pa.int64()),
        pa.field("closed_unmerged", pa.int64()),
        pa.field("open_at_week_end", pa.int64()),
        pa.field("note", pa.string()),
    ]
)

REASON_TYPE = pa.struct(
    [
        # machine-readable reason code, e.g. "size", "core_path"; templates translate it
        pa.field("code", pa.string()),
        pa.field("points", pa.float64()),
        # language-neutral argument shown beside the reason (a number, a module list ...)
        pa.field("value", pa.string()),
    ]
)

RISK_REASON_TYPE = pa.struct([pa.field("id", pa.string()), pa.field("reason", pa.string())])

ENRICHED_SCHEMA = pa.schema(
    list(RAW_SCHEMA)
    + [
        pa.field("kind", pa.string()),
        pa.field("tags", pa.list_(pa.string())),
        pa.field("modules", pa.list_(pa.string())),
        pa.field("risks", pa.list_(pa.string())),
        pa.field("score", pa.float64()),
        pa.field("score_reasons", pa.list_(REASON_TYPE)),
        pa.field("highlight", pa.bool_()),
        pa.field("summary", pa.string()),
        # why each risk was raised: {id: a RISKS code, reason: the file, path rule or words}
        pa.field("risk_reasons", pa.list_(RISK_REASON_TYPE)),
        # GitHub's Bot author type, a "[bot]" login or the rule set's people.bots list
        pa.field("is_bot", pa.bool_()),
    ]
)

REVIEWS_SCHEMA = pa.schema(
    [
        pa.field("number", pa.int64()),
        pa.field("author", pa.string()),
        pa.field("path", pa.string()),
        pa.field("body", pa.string()),
        pa.field("created_at", pa.timestamp("us", tz="UTC")),
    ]
)

KINDS = (
    "feature",
    "bugfix",
    "performance",
    "refactor",
    "docs",
    "tests",
    "ci/build",
    "dependencies",
    "revert",
    "release",
    "chore",
    # no signal decided: shown as such instead of guessing (docs/rules.md)
    "unclassified",
)

RISKS = (
    "core_path",
    "missing_tests",
    "platform_compat",
    "interface_change",
    "kernel_safety",
    "dependency_change",
    "large_change",
)


def empty_frame(schema: pa.Schema) -> pd.DataFrame:
    """An empty DataFrame with the columns of ``schema``."""
    return from_table(schema.empty_table())


def to_table(df: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """Convert ``df`` to an Arrow table of exactly ``schema`` (extra columns dropped).

    Raises ``ValueError`` naming the column when a value does not fit.
    """
    missing = [f.name for f in schema if f.name not in df.columns and not _optional(f)]
    if missing:
        raise ValueError(f"frame lacks columns {missing} required by the schema")
    arrays = []
    for field in schema:
        if field.name not in df.columns:
            arrays.append(pa.nulls(len(df), type=field.type))
            continue
        try:
            arrays.append(pa.array(_values(df[field.name], field), type=field.type, from_pandas=True))
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
            raise ValueError(f"column {field.name!r} does not fit {field.type}: {exc}") from exc
    return pa.Table.from_arrays(arrays, schema=schema)


def _optional(field: pa.Field) -> bool:
    return bool(field.metadata) and field.metadata.get(b"optional") == b"1"


def _values(series: pd.Series, field: pa.Field) -> list:
    if _scalar(field.type):
        return series.tolist()  # numbers, strings, booleans: Arrow takes them (and NaN as null) as they are
    # numpy arrays that pyarrow hands back for list columns must become lists again
    return [_plain(value) for value in series.tolist()]


def _scalar(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)


def _plain(value):
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def from_table(table: pa.Table) -> pd.DataFrame:
    """Arrow table to DataFrame with list columns as Python lists (not numpy arrays).

    List columns skip pandas: Arrow's own ``to_pylist`` yields the lists of dicts we keep,
    several times faster than unwrapping the numpy arrays ``to_pandas`` would make of them.
    """
    lists = [f.name for f in table.schema if pa.types.is_list(f.type)]
    df = table.drop_columns(lists).to_pandas()
    for name in lists:
        values = [v if v is not None else [] for v in table.column(name).to_pylist()]
        # dtype=object keeps empty frames' list columns from turning into float64
        df[name] = pd.Series(values, index=df.index, dtype=object)
    return df[table.schema.names] if lists else df


def normalize(df: pd.DataFrame, schema: pa.Schema) -> pd.DataFrame:
    """Round-trip ``df`` through ``schema`` so every source yields identical dtypes."""
    return from_table(to_table(df, schema))
