"""Enrichment: one week of one repository's raw PRs -> kind, tags, modules, risks, score, highlight, summary.

Pure functions over DataFrames. The per-PR work is a plain Python loop over column
lists: every path lookup goes through the rule set's per-path cache and precompiled
regexes, which is far cheaper than ``DataFrame.apply`` (about 10 µs per PR).
The score formula is documented in ``docs/scoring.md``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from report_pipeline.config import HighlightConfig
from report_pipeline.domain.rules import CAT_BIT, RuleSet
from report_pipeline.domain.text import clean_description
from report_pipeline.schema import ENRICHED_SCHEMA, RAW_SCHEMA, empty_frame, normalize

DOCS, TESTS, CI, BUILD, DEPS, KERNEL, INTERFACE, PLATFORM = (
    CAT_BIT[c] for c in ("docs", "tests", "ci", "build", "dependencies", "kernel", "interface", "platform")
)
# Files that are not "code" for the missing_tests risk.
NON_CODE = DOCS | TESTS | CI | BUILD | DEPS

# Where a kind came from; "none" means the chore fallback (counted as "no kind").
KIND_SOURCES = ("revert", "prefix", "conventional", "label", "files", "keyword", "weak_prefix", "none")

_PREFIX = re.compile(r"^\s*[\[【(]([^\]】)]{1,40})[\]】)]\s*[:：\-]?\s*")
_CONVENTIONAL = re.compile(r"^\s*([A-Za-z][\w-]{0,20})(?:\(([^)]{0,60})\))?(!)?\s*:\s*")
# "uv init: ...", "`uv run`: ...", "cli: ..." name a component, not a kind
_COMPONENT = re.compile(r"^\s*`?[A-Za-z][\w /.-]{0,30}`?\s*:\s+")
_PART_SPLIT = re.compile(r"\s*[/,|+&]\s*")
_REMOVED = ("DELETED", "RENAMED")


@dataclass(frozen=True)
class TitleParts:
    """A title split into bracketed prefixes, conventional type/scope and the rest."""

    prefixes: tuple[str, ...]
    conv_type: str | None
    conv_scope: str | None
    breaking: bool
    rest: str


def parse_title(title: str | None) -> TitleParts:
    """Split ``[Bugfix][Kernel] fix(scope)!: rest`` into its parts (prefixes lower-cased)."""
    rest = title if isinstance(title, str) else ""
    prefixes = []
    while True:
        m = _PREFIX.match(rest)
        if not m:
            break
        prefixes.append(" ".join(m.group(1).lower().split()))
        rest = rest[m.end():]
    conv_type = conv_scope = None
    breaking = False
    m = _CONVENTIONAL.match(rest)
    if m:
        conv_type = m.group(1).lower()
        conv_scope = m.group(2).strip().lower() if m.group(2) else None
        breaking = bool(m.group(3))
    return TitleParts(tuple(prefixes), conv_type, conv_scope, breaking, rest.strip())


def _prefix_lookup(prefixes: tuple[str, ...], table: dict[str, str]) -> str | None:
    # "[CI/Build]" is looked up whole first, then by its parts ("ci", "build")
    for p in prefixes:
        if p in table:
            return table[p]
        for part in _PART_SPLIT.split(p):
            if part in table:
                return table[part]
    return None


def classify_kind(parts: TitleParts, labels: list[str], file_flags: list[int], rules: RuleSet) -> tuple[str, str]:
    """The kind of one PR and the signal it came from (one of ``KIND_SOURCES``).

    Order: "first" title words (revert, release), decisive title prefixes, conventional-commit type, labels,
    files that are all docs/tests/dependencies/CI, strong title words (fix, speed up),
    weak prefixes ([Model], [Core]), other title words, else ``("chore", "none")``.
    """
    text = parts.rest
    for rule in rules.keywords:
        if rule.first and rule.pattern.search(text):
            return rule.kind, ("revert" if rule.kind == "revert" else "keyword")
    kind = _prefix_lookup(parts.prefixes, rules.kind_prefixes)
    if kind:
        return kind, "prefix"
    if parts.conv_type is not None:
        if parts.conv_scope:
            for scope in _PART_SPLIT.split(parts.conv_scope):
                if scope in rules.conventional_scopes:
                    return rules.conventional_scopes[scope], "conventional"
        if parts.conv_type in rules.conventional:
            return rules.conventional[parts.conv_type], "conventional"
    for label in labels:
        if label in rules.label_kinds:
            return rules.label_kinds[label], "label"
    kind = files_kind(file_flags)
    if kind:
        return kind, "files"
    if parts.conv_type is None or parts.conv_type not in rules.conventional:
        # "uv-resolver: fix ..." names a component, not a type: classify the subject
        text = _COMPONENT.sub("", text, count=1)
    for rule in rules.keywords:
        if rule.strong and rule.pattern.search(text):
            return rule.kind, "keyword"
    kind = _prefix_lookup(parts.prefixes, rules.weak_prefixes)
    if kind:
        return kind, "weak_prefix"
    for rule in rules.keywords:
        if not rule.strong and not rule.first and rule.pattern.search(text):
            return rule.kind, "keyword"
    return "chore", "none"


def files_kind(file_flags: list[int]) -> str | None:
    """docs / tests / dependencies / ci/build when every file is of that sort, else None."""
    if not file_flags:
        return None
    if all(f & DOCS for f in file_flags):
        return "docs"
    if all(f & (TESTS | DOCS) for f in file_flags) and any(f & TESTS for f in file_flags):
        return "tests"
    if all(f & (DEPS | BUILD | DOCS) for f in file_flags) and any(f & DEPS for f in file_flags):
        return "dependencies"
    if all(f & (CI | BUILD | DOCS | DEPS) for f in file_flags) and any(f & (CI | BUILD) for f in file_flags):
        return "ci/build"
    return None


def _as_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, float) and math.isnan(value):
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    return []


def _as_int(value: Any) -> int | None:
    if value is None or value is pd.NA:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else int(f)


def _points(x: float) -> float:
    return round(max(0.0, x), 2)


def enrich(raw: pd.DataFrame, rules: RuleSet, highlights: HighlightConfig) -> pd.DataFrame:
    """RAW_SCHEMA rows of one week -> ENRICHED_SCHEMA rows (same order and count)."""
    return enrich_detailed(raw, rules, highlights)[0]


def enrich_detailed(
    raw: pd.DataFrame, rules: RuleSet, highlights: HighlightConfig
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Like ``enrich``, plus a diagnostics frame (same index) with ``kind_source`` per PR.

    ``kind_source == "none"`` marks PRs whose kind is the chore fallback, so quality
    reports can count them honestly as "no kind".
    """
    if raw is None or len(raw) == 0:
        return normalize(empty_frame(ENRICHED_SCHEMA), ENRICHED_SCHEMA), pd.DataFrame({"kind_source": []})
    df = raw.copy()
    for f in RAW_SCHEMA:  # tolerate frames that lack optional columns
        if f.name not in df.columns:
            df[f.name] = None
    n = len(df)

    def col(name: str) -> list:
        return df[name].tolist()

    titles, bodies, labels_col, files_col = col("title"), col("body"), col("labels"), col("files")
    adds_col, dels_col, nfiles_col = col("additions"), col("deletions"), col("changed_files")
    reviews_col, comments_col, numbers = col("review_count"), col("comment_count"), col("number")

    kinds, sources, tags_out, modules_out, risks_out = [], [], [], [], []
    scores, reasons_out, sizes, summaries = [], [], [], []
    caps = rules.caps
    for i in range(n):
        title = titles[i] if isinstance(titles[i], str) else ""
        parts = parse_title(title)
        labels = []
        for label in _as_list(labels_col[i]):
            if isinstance(label, str) and label.strip():
                labels.append(" ".join(label.lower().split()))

        # -------- files
        files = _as_list(files_col[i])
        flags_per_file: list[int] = []
        modules: list[str] = []
        core: list[str] = []
        any_flags = 0
        risk_flags = 0
        code_lines = 0
        file_lines = 0
        interface_removed = False
        for f in files:
            if not isinstance(f, dict):
                continue
            path = f.get("path")
            if not isinstance(path, str) or not path:
                continue
            info = rules.path_info(path)
            flags_per_file.append(info.flags)
            any_flags |= info.flags
            if info.module is not None and info.module not in modules:
                modules.append(info.module)
            # risks come from code: a test under crates/uv-resolver/ or its Cargo.toml is not core code
            if not info.flags & NON_CODE:
                for area in info.core:
                    if area not in core:
                        core.append(area)
            if not info.flags & (TESTS | DOCS):
                risk_flags |= info.flags
            lines = (_as_int(f.get("additions")) or 0) + (_as_int(f.get("deletions")) or 0)
            file_lines += lines
            if not info.flags & NON_CODE:
                code_lines += lines
            prev = f.get("previous_path")
            if f.get("change_type") in _REMOVED and isinstance(prev, str) and prev:
                if rules.path_info(prev).flags & INTERFACE:
                    interface_removed = True

        adds, dels = _as_int(adds_col[i]), _as_int(dels_col[i])
        total_lines = (adds or 0) + (dels or 0) if adds is not None or dels is not None else file_lines
        nfiles = _as_int(nfiles_col[i])
        if nfiles is None:
            nfiles = len(flags_per_file)

        # -------- kind and tags
        kind, source = classify_kind(parts, labels, flags_per_file, rules)
        # workflow labels ("ready", "stale") say nothing about the change: not tags
        tags = [lb for lb in labels if lb not in rules.ignore_labels]
        for p in parts.prefixes:
            tag = rules.tag_prefixes.get(p)
            if tag is None:
                for piece in _PART_SPLIT.split(p):
                    tag = rules.tag_prefixes.get(piece)
                    if tag is not None:
                        break
            if tag is not None:
                tags.append(tag)
        for rx, tag in rules.tag_words:
            if rx.search(title):
                tags.append(tag)
        if parts.breaking:
            tags.append("breaking")
        tags = list(dict.fromkeys(tags))

        # -------- risks (in schema.RISKS order)
        risks = []
        if core:
            risks.append("core_path")
        if code_lines > rules.missing_tests_lines and not any_flags & TESTS:
            risks.append("missing_tests")
        platform = bool(risk_flags & PLATFORM)
        if not platform and rules.platform_words is not None and rules.platform_words.search(title):
            platform = True
        if not platform and rules.platform_prefixes:
            platform = any(
                p in rules.platform_prefixes or any(x in rules.platform_prefixes for x in _PART_SPLIT.split(p))
                for p in parts.prefixes
            ) or any(label in rules.platform_prefixes for label in labels)
        if platform:
            risks.append("platform_compat")
        if risk_flags & INTERFACE or interface_removed or parts.breaking:
            risks.append("interface_change")
        if risk_flags & KERNEL:
            risks.append("kernel_safety")
        if any_flags & DEPS:
            risks.append("dependency_change")
        if total_lines > rules.large_lines or nfiles > rules.large_files:
            risks.append("large_change")

        # -------- score: every reason's points are rounded first, so they sum to the score
        reasons = []

        def add(code: str, pts: float, value: str, reasons: list = reasons) -> None:
            pts = _points(pts)
            if pts > 0:
                reasons.append({"code": code, "points": pts, "value": value})

        add("size", min(caps["size"], 0.25 * math.log2(1 + total_lines)), str(total_lines))
        if nfiles > 1:
            add("files", min(caps["files"], 0.35 * math.log2(nfiles)), str(nfiles))
        if len(modules) > 1:
            add("breadth", min(caps["breadth"], 0.5 * (len(modules) - 1)), str(len(modules)))
        add("kind", rules.kind_points.get(kind, 0.0), kind)
        if core:
            add("core_path", min(caps["core_path"], 1.0 + 0.5 * (len(core) - 1)), ",".join(core))
        r, c = _as_int(reviews_col[i]), _as_int(comments_col[i])
        if r is not None or c is not None:  # unknown discussion earns nothing, it is not zero
            d = (r or 0) + (c or 0)
            add("discussion", min(caps["discussion"], 0.4 * math.log2(1 + d)), str(d))
        scored = [x for x in risks if rules.risk_points.get(x, 0) > 0]
        if scored:
            add("risk", min(caps["risk"], sum(rules.risk_points[x] for x in scored)), ",".join(scored))
        important = [label for label in labels if rules.label_points.get(label, 0) > 0]
        if important:
            add("labels", min(caps["labels"], sum(rules.label_points[x] for x in important)), ",".join(important))
        score = round(min(10.0, sum(x["points"] for x in reasons)), 2)

        kinds.append(kind)
        sources.append(source)
        tags_out.append(tags)
        modules_out.append(modules)
        risks_out.append(risks)
        scores.append(score)
        reasons_out.append(reasons)
        sizes.append(total_lines)
        summaries.append(clean_description(bodies[i]))

    df["kind"] = kinds
    df["tags"] = tags_out
    df["modules"] = modules_out
    df["risks"] = risks_out
    df["score"] = scores
    df["score_reasons"] = reasons_out
    df["highlight"] = pick_highlights(scores, sizes, numbers, highlights.count(n))
    df["summary"] = summaries
    details = pd.DataFrame({"kind_source": sources}, index=raw.index)
    out = normalize(df, ENRICHED_SCHEMA)
    out.index = raw.index
    return out, details


def pick_highlights(scores: list[float], sizes: list[int], numbers: list[Any], count: int) -> list[bool]:
    """True for the ``count`` best PRs: score desc, then size desc, then number asc."""
    n = len(scores)
    flags = [False] * n
    if count <= 0 or n == 0:
        return flags
    nums = [(_as_int(x) or 0) for x in numbers]
    # np.lexsort sorts by the last key first
    order = np.lexsort((np.asarray(nums), -np.asarray(sizes, dtype=float), -np.asarray(scores, dtype=float)))
    for idx in order[:count]:
        flags[int(idx)] = True
    return flags
