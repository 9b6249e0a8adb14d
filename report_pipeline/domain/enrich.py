"""Enrichment: one week of one repository's raw PRs -> kind, tags, modules, risks, score, highlight, summary.

Pure functions over DataFrames. Each PR goes through named steps: ``read_files`` (what
the paths say), ``classify_kind`` (which evidence decides the kind), ``derive_tags``,
``assess_risks`` (each risk with the reason that raised it), ``score_pr`` (an explained
0-10 score) and, for the week, ``pick_highlights``. Path lookups go through the rule
set's per-path cache, so a PR costs tens of microseconds. Definitions: ``docs/rules.md``;
the score: ``docs/scoring.md``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from report_pipeline.config import HighlightConfig
from report_pipeline.domain.rules import CAT_BIT, RuleSet
from report_pipeline.domain.text import clean_description
from report_pipeline.schema import ENRICHED_SCHEMA, RAW_SCHEMA, empty_frame, normalize

DOCS, TESTS, CI, BUILD, DEPS, KERNEL, INTERFACE, PLATFORM, GENERATED = (
    CAT_BIT[c]
    for c in ("docs", "tests", "ci", "build", "dependencies", "kernel", "interface", "platform", "generated")
)
# Files that are not "code" for the missing_tests and path risks.
NON_CODE = DOCS | TESTS | CI | BUILD | DEPS | GENERATED

# Where a kind came from; "none" means nothing decided and the kind is "unclassified".
KIND_SOURCES = (
    "revert", "keyword", "files", "prefix", "conventional", "gitmoji", "label", "title", "weak_prefix", "body", "none",
)

_PREFIX = re.compile(r"^\s*[\[【(]([^\]】)]{1,40})[\]】)]\s*[:：\-]?\s*")
_CONVENTIONAL = re.compile(r"^\s*([A-Za-z][\w-]{0,20})(?:\(([^)]{0,60})\))?(!)?\s*:\s*")
# "uv init: ...", "`uv run`: ...", "cli: ..." name a component, not a kind
_COMPONENT = re.compile(r"^\s*`?[A-Za-z][\w /.-]{0,30}`?\s*:\s+")
_PART_SPLIT = re.compile(r"\s*[/,|+&]\s*")
# a leading gitmoji ("🐛 Fix ...", "⬆️ Bump ...", ":bug: Fix ...")
_EMOJI = re.compile(
    "^\\s*((?::[a-z0-9_+-]{2,30}:)|(?:[\u2190-\u2bff\u2600-\u27bf\u3030\u303d\U0001f000-\U0001faff]"
    "[\ufe0f\u200d\U0001f3fb-\U0001f3ff]*)+)\\s*"
)
_REMOVED = ("DELETED", "RENAMED")
_LEAD = re.compile(r"^\W*$")
_CLOSES = re.compile(r"(?im)^[\s>*-]*(fix(es|ed)?|close[sd]?|resolve[sd]?)\s*:?\s*(#\d+|https?://\S+/issues/\d+)")
_HEADING_TEXT = re.compile(r"(?m)^\s{0,3}#{1,6}\s*(.+?)\s*#*\s*$")
# template headings say nothing about the change ("Does this PR introduce any user-facing change?")
_TEMPLATE_HEADING = re.compile(
    r"\?\s*$|^\W*(summary|purpose|motivation|description|changes|modifications|context|background|details|"
    r"notes?|related issues?|issues?|test(s|ing)?( plan| results?)?|checklist|what this pr does.*|"
    r"how (was|is) .* tested.*|screenshots?|reviewers?|documentation|release notes?)\W*$",
    re.IGNORECASE,
)
_RENAME_ONLY_LINES = 2


@dataclass(frozen=True)
class TitleParts:
    """A title split into gitmoji, bracketed prefixes, conventional type/scope and the rest."""

    prefixes: tuple[str, ...]
    conv_type: str | None
    conv_scope: str | None
    breaking: bool
    rest: str
    emoji: str | None = None
    subject: str = ""  # the rest without a conventional type or a component ("uv-resolver: ")


def parse_title(title: str | None) -> TitleParts:
    """Split ``🐛 [Bugfix][Kernel] fix(scope)!: rest`` into its parts (prefixes lower-cased)."""
    rest = title if isinstance(title, str) else ""
    emoji = None
    m = _EMOJI.match(rest)
    if m:
        emoji = m.group(1).replace("\ufe0f", "")
        rest = rest[m.end():]
    prefixes = []
    while True:
        m = _PREFIX.match(rest)
        if not m:
            break
        prefixes.append(" ".join(m.group(1).lower().split()).strip(" .:;-"))  # "[Feat.]" is "[feat]"
        rest = rest[m.end():]
    if emoji is None:  # "[Doc] 📝 ..." is rare, but "📝 [Doc] ..." and "[Doc] 📝" both read the mark
        m = _EMOJI.match(rest)
        if m:
            emoji = m.group(1).replace("\ufe0f", "")
            rest = rest[m.end():]
    conv_type = conv_scope = None
    breaking = False
    subject = _COMPONENT.sub("", rest, count=1).strip()  # "`uv run`: fix ..." names a component
    m = _CONVENTIONAL.match(rest)
    if m:
        subject = rest[m.end():].strip()
        conv_type = m.group(1).lower()
        conv_scope = m.group(2).strip().lower() if m.group(2) else None
        breaking = bool(m.group(3)) or bool(conv_scope and conv_scope.endswith("!"))
        conv_scope = conv_scope.rstrip("!") if conv_scope else conv_scope
    return TitleParts(tuple(prefixes), conv_type, conv_scope, breaking, rest.strip(), emoji, subject)


def _prefix_lookup(prefixes: tuple[str, ...], table: dict[str, str]) -> str | None:
    # "[CI/Build]" is looked up whole first, then by its parts ("ci", "build")
    for p in prefixes:
        if p in table:
            return table[p]
        for part in _PART_SPLIT.split(p):
            if part in table:
                return table[part]
    return None


@dataclass
class FileFacts:
    """What a PR's changed paths say, per the rule set."""

    flags: list[int] = field(default_factory=list)  # CAT_BIT flags per file
    modules: list[str] = field(default_factory=list)
    core: dict[str, str] = field(default_factory=dict)  # core area -> first code path in it
    any_flags: int = 0
    risk_paths: dict[int, str] = field(default_factory=dict)  # category bit -> first code path with it
    code_lines: int = 0
    file_lines: int = 0
    impact_lines: int = 0  # lines that are neither generated nor docs: what the size reason counts
    removed_interface: str | None = None
    manifests: int = 0  # files in files.dependencies, docs requirements included
    renamed_only: bool = False
    has_tests: bool = False


def read_files(files: list, rules: RuleSet, repo: str | None = None) -> FileFacts:
    """Categories, modules, core areas and line counts of one PR's files (``repo``: owner/name)."""
    facts = FileFacts()
    renames = 0
    for f in files:
        if not isinstance(f, dict):
            continue
        path = f.get("path")
        if not isinstance(path, str) or not path:
            continue
        info = rules.path_info(path)
        facts.flags.append(info.flags)
        facts.any_flags |= info.flags
        module = rules.module_for(path, repo) if info.fallback else info.module
        if module is not None and module not in facts.modules:
            facts.modules.append(module)
        lines = (_as_int(f.get("additions")) or 0) + (_as_int(f.get("deletions")) or 0)
        facts.file_lines += lines
        if not info.flags & (GENERATED | DOCS):
            facts.impact_lines += lines
        # risks come from code: a test under crates/uv-resolver/ or its Cargo.toml is not core code
        if not info.flags & NON_CODE:
            facts.code_lines += lines
            for area in info.core:
                facts.core.setdefault(area, path)
            for bit in (KERNEL, INTERFACE, PLATFORM):
                if info.flags & bit:
                    facts.risk_paths.setdefault(bit, path)
        if info.flags & DEPS:
            facts.manifests += 1
        if info.flags & DEPS and not info.flags & (DOCS | TESTS):  # docs/requirements.txt ships to nobody
            facts.risk_paths.setdefault(DEPS, path)
        prev = f.get("previous_path")
        if f.get("change_type") in _REMOVED and isinstance(prev, str) and prev and facts.removed_interface is None:
            if rules.path_info(prev).flags & INTERFACE and not rules.path_info(prev).flags & NON_CODE:
                facts.removed_interface = prev
        if f.get("change_type") == "RENAMED" and lines <= _RENAME_ONLY_LINES:
            renames += 1
    facts.has_tests = bool(facts.any_flags & TESTS)
    facts.renamed_only = bool(facts.flags) and renames == len(facts.flags)
    return facts


def _file_sort(flags: int) -> str:
    """One file's sort for ``files_kind``: automation beats tests beats docs beats manifests."""
    if flags & CI:
        return "ci"  # .github/PULL_REQUEST_TEMPLATE.md, .codex/ prompts: automation, not docs
    if flags & TESTS:
        return "tests"
    if flags & DOCS:
        return "docs-manifest" if flags & DEPS else "docs"  # docs/requirements.txt, docs/environment.yml
    if flags & DEPS:
        return "manifest"
    if flags & BUILD:
        return "build"
    return "generated" if flags & GENERATED else "code"


def files_kind(file_flags: list[int]) -> str | None:
    """docs / tests / dependencies / ci/build when every file is of that sort, else None."""
    sorts = {_file_sort(f) for f in file_flags}
    if not sorts or "code" in sorts:
        return None
    if sorts == {"docs-manifest"}:
        return "dependencies"
    if sorts <= {"docs", "docs-manifest"}:
        return "docs"
    if "tests" in sorts and sorts <= {"tests", "docs", "docs-manifest", "generated"}:
        return "tests"
    if "manifest" in sorts and sorts <= {"manifest", "docs", "docs-manifest", "generated"}:
        return "dependencies"
    if sorts & {"ci", "build"} and sorts <= {"ci", "build", "docs", "docs-manifest", "manifest", "generated"}:
        return "ci/build"
    return None


def body_lead(body: Any, summary: str | None = None) -> str:
    """The part of a description that says what the PR is: its first sentences, headings, ``Fixes #N``.

    ``summary`` is ``clean_description(body)`` when the caller has it already.
    """
    if not isinstance(body, str) or not body.strip():
        return ""
    head = body[:4000]
    parts = [summary if summary is not None else clean_description(head)]
    parts += [h for h in (m.group(1) for m in _HEADING_TEXT.finditer(head)) if not _TEMPLATE_HEADING.search(h)][:6]
    if _CLOSES.search(head):
        parts.append("fixes #issue")
    return " \n".join(p for p in parts if p)


def classify_kind(
    parts: TitleParts, labels: list[str], file_flags: list[int], rules: RuleSet, body: str = "", title: str = ""
) -> tuple[str, str]:
    """The kind of one PR and the evidence it came from (one of ``KIND_SOURCES``).

    Order (docs/rules.md): "first" title rules (revert, release, version bumps, the rule
    set's own repository words) -> files, when every file is a doc, test, manifest or CI
    file -> a declared kind: decisive prefix, conventional type or gitmoji (a generic one
    yields to a title that starts with a stronger word: "[Feature] Fixed ...") -> labels
    (bugfix, feature ...) -> strong title words -> the description's lead -> labels of the
    docs/tests/CI sort (path labelers set them) -> other title words -> component
    prefixes ([Model], [Core]) -> ``("unclassified", "none")``.
    """
    subject = parts.rest
    for rule in rules.keywords:
        # the whole title too: "[main to main] upgrade ..." carries the repository's words in a prefix
        if rule.first and (rule.pattern.search(subject) or rule.pattern.search(title)):
            return rule.kind, ("revert" if rule.kind == "revert" else "keyword")
    kind = files_kind(file_flags)
    if kind:
        return kind, "files"
    # "fix(scope): x" has its type read below; "uv-resolver: fix x" names a component: the words decide
    subject = parts.subject
    declared = _declared_kind(parts, rules)
    if declared is not None:
        kind, source = declared
        if kind in rules.yield_to_title:
            leading = _leading_strong(subject, rules)
            if leading is not None and leading != kind:
                return leading, "title"
        return kind, source
    kind = _label_kind(labels, rules, path_sorts=False)
    if kind:
        return kind, "label"
    for rule in rules.keywords:
        if rule.strong and rule.pattern.search(subject):
            return rule.kind, "title"
    kind = _body_kind(body, rules)
    if kind:
        return kind, "body"
    kind = _label_kind(labels, rules, path_sorts=True)
    if kind:
        return kind, "label"
    for rule in rules.keywords:
        if not rule.strong and not rule.first and rule.pattern.search(subject):
            return rule.kind, "title"
    kind = _prefix_lookup(parts.prefixes, rules.weak_prefixes)
    if kind:
        return kind, "weak_prefix"
    return "unclassified", "none"


def _declared_kind(parts: TitleParts, rules: RuleSet) -> tuple[str, str] | None:
    """The kind the author declared: a conventional scope (``chore(deps)``), a prefix, a type or a gitmoji."""
    if parts.conv_type is not None and parts.conv_scope:
        for scope in _PART_SPLIT.split(parts.conv_scope):
            if scope in rules.conventional_scopes:
                return rules.conventional_scopes[scope], "conventional"
    kind = _prefix_lookup(parts.prefixes, rules.kind_prefixes)
    if kind:
        return kind, "prefix"
    if parts.conv_type is not None and parts.conv_type in rules.conventional:
        return rules.conventional[parts.conv_type], "conventional"
    if parts.emoji is not None and parts.emoji in rules.gitmoji:
        return rules.gitmoji[parts.emoji], "gitmoji"
    return None


# labels that path labelers apply ("documentation" for any docs/** file): weaker than the title's words
_PATH_SORT_KINDS = frozenset({"docs", "tests", "ci/build"})


def _label_kind(labels: list[str], rules: RuleSet, path_sorts: bool) -> str | None:
    """The kind of the first mapped label: of the docs/tests/CI sort when ``path_sorts``, else of the others."""
    for label in labels:
        kind = rules.label_kinds.get(label)
        if kind is not None and (kind in _PATH_SORT_KINDS) == path_sorts:
            return kind
    return None


def _leading_strong(subject: str, rules: RuleSet) -> str | None:
    """The kind of a strong title rule that matches at the very start ("Fixed ... problem")."""
    for rule in rules.keywords:
        if rule.strong and not rule.first:
            m = rule.pattern.search(subject)
            if m is not None and _LEAD.match(subject[: m.start()]):
                return rule.kind
    return None


def _body_kind(lead: str, rules: RuleSet) -> str | None:
    """The kind whose body rule matches earliest in the description's lead."""
    if not lead:
        return None
    best: tuple[int, str] | None = None
    for rule in rules.body_rules:
        m = rule.pattern.search(lead)
        if m is not None and (best is None or m.start() < best[0]):
            best = (m.start(), rule.kind)
    return best[1] if best else None


def derive_tags(parts: TitleParts, labels: list[str], title: str, rules: RuleSet) -> list[str]:
    """Labels (minus workflow labels) plus tags from title prefixes and words, deduplicated."""
    tags = [lb for lb in labels if lb not in rules.ignore_labels]
    for p in parts.prefixes:
        tag = rules.tag_prefixes.get(p)
        if tag is None:
            tag = next((rules.tag_prefixes[x] for x in _PART_SPLIT.split(p) if x in rules.tag_prefixes), None)
        if tag is not None:
            tags.append(tag)
    for rx, tag in rules.tag_words:
        if rx.search(title):
            tags.append(tag)
    if parts.breaking:
        tags.append("breaking")
    return list(dict.fromkeys(tags))


def assess_risks(
    parts: TitleParts, labels: list[str], kind: str, facts: FileFacts, total_lines: int, nfiles: int, rules: RuleSet
) -> list[dict]:
    """Risk flags in ``schema.RISKS`` order, each ``{"id", "reason"}`` naming what raised it."""
    risks: list[dict] = []

    def flag(rid: str, reason: str) -> None:
        risks.append({"id": rid, "reason": reason})

    if facts.core:
        flag("core_path", "; ".join(f"{area}: {path}" for area, path in facts.core.items()))
    if facts.code_lines > rules.missing_tests_lines and not facts.has_tests:
        flag("missing_tests", f"{facts.code_lines} code lines > {rules.missing_tests_lines}, no test file")
    platform = _platform_reason(parts, labels, facts, rules)
    if platform:
        flag("platform_compat", platform)
    if INTERFACE in facts.risk_paths:
        flag("interface_change", f"{facts.risk_paths[INTERFACE]} (files.interface)")
    elif facts.removed_interface:
        flag("interface_change", f"{facts.removed_interface} moved or removed (files.interface)")
    elif parts.breaking:
        flag("interface_change", "'!' breaking-change mark in the title")
    if KERNEL in facts.risk_paths:
        flag("kernel_safety", f"{facts.risk_paths[KERNEL]} (files.kernel)")
    if DEPS in facts.risk_paths and kind != "release":  # a release bump rewrites its own version, not a dependency
        flag("dependency_change", f"{facts.risk_paths[DEPS]} (files.dependencies)")
    elif kind == "dependencies" and facts.flags and not facts.manifests:
        # an upstream pin upgrade often lives outside manifests (a commit hash in CI, a Dockerfile ARG)
        flag("dependency_change", f"dependency upgrade: {parts.rest[:80]}")
    large = _large_reason(facts, total_lines, nfiles, rules)
    if large:
        flag("large_change", large)
    return risks


def _platform_reason(parts: TitleParts, labels: list[str], facts: FileFacts, rules: RuleSet) -> str | None:
    """Why the PR is platform-specific: a platform path, a declared platform's word, prefix or label."""
    path = facts.risk_paths.get(PLATFORM)
    if path:
        name = rules.platform_named_in(path)
        return f"{name}: {path}" if name else f"{path} (files.platform)"
    for p in parts.prefixes:
        for piece in (p, *_PART_SPLIT.split(p)):
            if piece in rules.platform_prefixes:
                name = rules.platform_named_in(piece)
                return f"{name}: title prefix [{piece}]" if name else f"title prefix [{piece}]"
    for label in labels:
        if label in rules.platform_prefixes:
            return f"label {label!r}"
    for rx in (rules.platform_words, rules.platform_name_re):
        m = rx.search(parts.rest) if rx is not None else None
        if m is not None:
            name = rules.platform_named_in(m.group(0))
            return f"{name}: title word {m.group(0)!r}" if name else f"title word {m.group(0)!r}"
    return None


def _large_reason(facts: FileFacts, total_lines: int, nfiles: int, rules: RuleSet) -> str | None:
    """Too many lines or files to review; docs-only and generated-only bulk (translations, locks) is not."""
    code_like = [f for f in facts.flags if not f & (DOCS | GENERATED)]
    if facts.flags and not code_like:
        return None
    lines = facts.impact_lines if facts.flags else total_lines
    if lines > rules.large_lines:
        return f"{lines} lines > {rules.large_lines}"
    files = len(code_like) if facts.flags else nfiles
    if files > rules.large_files:
        return f"{files} files > {rules.large_files}"
    return None


def score_pr(
    kind: str, facts: FileFacts, risks: list[dict], labels: list[str], text: str,
    lines: int, nfiles: int, discussion: int | None, rules: RuleSet,
) -> tuple[float, list[dict]]:
    """An explained 0-10 score: reasons with points (rounded first), the score their sum."""
    caps = rules.caps
    reasons: list[dict] = []

    def add(code: str, pts: float, value: str) -> None:
        pts = _points(min(caps.get(code, 0.0), pts))
        if pts > 0:
            reasons.append({"code": code, "points": pts, "value": value})

    add("size", 0.15 * math.log2(1 + lines), str(lines))
    if nfiles > 1:
        add("files", 0.1 * math.log2(nfiles), str(nfiles))
    product = [m for m in facts.modules if m not in rules.category_modules]  # tests, docs, CI are not breadth
    if len(product) > 1:
        add("breadth", 0.25 * (len(product) - 1), str(len(product)))
    add("kind", rules.kind_points.get(kind, 0.0), kind)
    if facts.core:
        add("core_path", 0.75 + 0.25 * (len(facts.core) - 1), ",".join(facts.core))
    if discussion is not None:  # unknown discussion earns nothing, it is not zero
        add("discussion", 0.3 * math.log2(1 + discussion), str(discussion))
    scored = [r["id"] for r in risks if rules.risk_points.get(r["id"], 0) > 0]
    if scored:
        add("risk", sum(rules.risk_points[x] for x in scored), ",".join(scored))
    important = [label for label in labels if rules.label_points.get(label, 0) > 0]
    if important:
        add("labels", sum(rules.label_points[x] for x in important), ",".join(important))
    impact = _impact(text, rules)
    if impact:
        add("impact", sum(pts for _, pts in impact), ",".join(word for word, _ in impact))
    score = round(min(10.0, sum(x["points"] for x in reasons)), 2)
    return score, reasons


def _impact(text: str, rules: RuleSet) -> list[tuple[str, float]]:
    """The impact words found (security, regression, crash, breaking ...), each with its points."""
    found: list[tuple[str, float]] = []
    seen: set[str] = set()
    for rx, pts, _ in rules.impact:
        words = [w for w in dict.fromkeys(" ".join(m.group(0).lower().split())[:40] for m in rx.finditer(text))
                 if w not in seen]  # the same words matched by a parent's and a child's rule count once
        if words:
            seen.update(words)
            found.append((",".join(words[:3]), pts))
    return found


def is_bot_author(author: Any, author_type: Any, rules: RuleSet) -> bool:
    """GitHub's Bot author type, a ``[bot]`` login, or a login in the rule set's ``people.bots``."""
    if isinstance(author_type, str) and author_type.strip().lower() == "bot":
        return True
    if not isinstance(author, str) or not author:
        return False
    login = author.strip().lower()
    return login.endswith("[bot]") or login.removesuffix("[bot]") in rules.bots


def highlight_eligible(kind: str, bot: bool, title: str, facts: FileFacts, rules: RuleSet) -> bool:
    """Whether a PR may be a highlight at all: impact beats size.

    Never: bots, kinds the rule set excludes (release bumps ...), generated syncs (every
    file regenerated), pure renames, and titles the rule set marks as sweeps (lint, format).
    """
    if bot or kind in rules.highlight_never_kinds or facts.renamed_only:
        return False
    if facts.flags and all(f & GENERATED for f in facts.flags):
        return False
    return rules.highlight_never_words is None or not rules.highlight_never_words.search(title)


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


def _labels(value: Any) -> list[str]:
    out = []
    for label in _as_list(value):
        if isinstance(label, str) and label.strip():
            out.append(" ".join(label.lower().split()))
    return out


def enrich(raw: pd.DataFrame, rules: RuleSet, highlights: HighlightConfig) -> pd.DataFrame:
    """RAW_SCHEMA rows of one week -> ENRICHED_SCHEMA rows (same order and count)."""
    return enrich_detailed(raw, rules, highlights)[0]


def enrich_one(row: dict, rules: RuleSet) -> dict:
    """Every per-PR judgement of one raw row (a dict of RAW_SCHEMA columns)."""
    title = row["title"] if isinstance(row.get("title"), str) else ""
    parts = parse_title(title)
    labels = _labels(row.get("labels"))
    repo = row.get("repo")
    facts = read_files(_as_list(row.get("files")), rules, repo if isinstance(repo, str) else None)
    adds, dels = _as_int(row.get("additions")), _as_int(row.get("deletions"))
    total_lines = (adds or 0) + (dels or 0) if adds is not None or dels is not None else facts.file_lines
    nfiles = _as_int(row.get("changed_files"))
    if nfiles is None:
        nfiles = len(facts.flags)
    summary = clean_description(row.get("body"))
    lead = body_lead(row.get("body"), summary)
    kind, source = classify_kind(parts, labels, facts.flags, rules, lead, title)
    risks = assess_risks(parts, labels, kind, facts, total_lines, nfiles, rules)
    r, c = _as_int(row.get("review_count")), _as_int(row.get("comment_count"))
    discussion = None if r is None and c is None else (r or 0) + (c or 0)
    lines = facts.impact_lines if facts.flags else total_lines
    score, reasons = score_pr(kind, facts, risks, labels, f"{title}\n{lead}", lines, nfiles, discussion, rules)
    bot = is_bot_author(row.get("author"), row.get("author_type"), rules)
    return {
        "kind": kind, "kind_source": source, "tags": derive_tags(parts, labels, title, rules),
        "modules": facts.modules, "risks": [x["id"] for x in risks], "risk_reasons": risks,
        "score": score, "score_reasons": reasons, "is_bot": bot, "size": lines,
        "eligible": highlight_eligible(kind, bot, title, facts, rules), "summary": summary,
    }


def enrich_detailed(
    raw: pd.DataFrame, rules: RuleSet, highlights: HighlightConfig
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Like ``enrich``, plus a diagnostics frame (same index) with ``kind_source`` per PR.

    ``kind_source == "none"`` marks PRs no evidence decided (kind ``unclassified``).
    """
    if raw is None or len(raw) == 0:
        return normalize(empty_frame(ENRICHED_SCHEMA), ENRICHED_SCHEMA), pd.DataFrame({"kind_source": []})
    df = raw.copy()
    for f in RAW_SCHEMA:  # tolerate frames that lack optional columns
        if f.name not in df.columns:
            df[f.name] = None
    columns = ["repo", "title", "body", "labels", "files", "additions", "deletions", "changed_files",
               "review_count", "comment_count", "author"]
    values = {name: df[name].tolist() for name in columns}
    values["author_type"] = df["author_type"].tolist() if "author_type" in df.columns else [None] * len(df)
    results = [enrich_one({k: v[i] for k, v in values.items()}, rules) for i in range(len(df))]
    for name in ("kind", "tags", "modules", "risks", "score", "risk_reasons", "is_bot", "summary"):
        df[name] = [r[name] for r in results]
    df["score_reasons"] = [r["score_reasons"] for r in results]
    df["highlight"] = pick_highlights(
        [r["score"] for r in results], [r["size"] for r in results], df["number"].tolist(),
        highlight_budget(highlights, len(df)), eligible=[r["eligible"] for r in results],
        min_score=rules.highlight_min_score,
    )
    details = pd.DataFrame({"kind_source": [r["kind_source"] for r in results]}, index=raw.index)
    out = normalize(df, ENRICHED_SCHEMA)
    out.index = raw.index
    return out, details


def highlight_budget(highlights: HighlightConfig, pr_count: int) -> int:
    """The most highlights a week of ``pr_count`` PRs may get (fewer when fewer PRs earn one)."""
    return highlights.count(pr_count)


def pick_highlights(
    scores: list[float], sizes: list[int], numbers: list[Any], count: int,
    eligible: list[bool] | None = None, min_score: float = 0.0,
) -> list[bool]:
    """True for up to ``count`` eligible PRs scoring at least ``min_score``: score desc, size desc, number asc."""
    n = len(scores)
    flags = [False] * n
    if count <= 0 or n == 0:
        return flags
    eligible = eligible if eligible is not None else [True] * n
    nums = [(_as_int(x) or 0) for x in numbers]
    # np.lexsort sorts by the last key first
    order = np.lexsort((np.asarray(nums), -np.asarray(sizes, dtype=float), -np.asarray(scores, dtype=float)))
    picked = 0
    for idx in order:
        i = int(idx)
        if picked >= count or scores[i] < min_score:
            break
        if eligible[i]:
            flags[i] = True
            picked += 1
    return flags


def judgement_records(enriched: pd.DataFrame, details: pd.DataFrame, week: str) -> list[dict]:
    """One plain dict per PR of an ``enrich_detailed`` result: what ``report-pipeline classify`` prints."""
    out = []
    for (_, row), source in zip(enriched.iterrows(), details["kind_source"]):
        out.append({
            "number": int(row["number"]), "week": week, "title": row["title"] if isinstance(row["title"], str) else "",
            "kind": row["kind"], "kind_source": source, "modules": list(row["modules"]),
            "risks": [{"id": r["id"], "reason": r["reason"]} for r in row["risk_reasons"]],
            "score": float(row["score"]),
            "reasons": [{"code": r["code"], "points": float(r["points"]), "value": r["value"]} for r in row["score_reasons"]],
            "highlight": bool(row["highlight"]), "is_bot": bool(row["is_bot"]),
        })
    return out
