"""Classification rule sets: TOML files parsed once into compiled matchers.

A rule set says how a repository's PR titles, labels and file paths map to kinds,
tags, modules, risks and score weights (format: ``docs/rules.md``). Built-in sets live
in ``report_pipeline/rules/*.toml``; a set may ``extends = "default"`` and add to or
override its parent. Every problem is reported at load time as ``FILE: KEY: problem``.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from report_pipeline.schema import KINDS, RISKS

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "rules"

# File categories a rule set may define under [files]; order is the bit order of PathInfo.flags.
# "generated": regenerated files (lock files, generated metadata) whose size says nothing about impact.
CATEGORIES = ("docs", "tests", "ci", "build", "dependencies", "kernel", "interface", "platform", "generated")
CAT_BIT = {name: 1 << i for i, name in enumerate(CATEGORIES)}

_TOP_KEYS = {
    "name", "description", "extends", "replace", "kinds", "tags", "files", "core",
    "modules", "module_categories", "module_fallback", "risks", "score", "platforms", "people", "highlights",
}
_KINDS_KEYS = {
    "prefixes", "weak_prefixes", "conventional", "conventional_scopes", "labels", "keywords", "gitmoji", "body",
    "yield_to_title",
}
_TAGS_KEYS = {"prefixes", "words", "ignore_labels"}
_RISKS_KEYS = {"platform_words", "platform_prefixes", "large_lines", "large_files", "missing_tests_lines"}
_SCORE_KEYS = {"kinds", "risks", "labels", "caps", "impact"}
_CAP_KEYS = {"size", "files", "breadth", "core_path", "discussion", "risk", "labels", "impact", "kind"}
_KEYWORD_KEYS = {"pattern", "kind", "strong", "first"}
_BODY_KEYS = {"pattern", "kind"}
_PEOPLE_KEYS = {"bots"}
_HIGHLIGHT_KEYS = {"min_score", "never_kinds", "never_words", "share_of_eligible"}
# U+FE0F (emoji presentation) is optional in gitmoji titles: "⬆" and "⬆️" are the same mark
_VS16 = "\ufe0f"


# maximum points of each score reason; they add up to 10 so the score never needs a clamp
DEFAULT_CAPS = {
    "size": 1.5, "files": 0.25, "breadth": 0.75, "kind": 1.5, "core_path": 1.0, "discussion": 1.0,
    "risk": 0.5, "labels": 0.5, "impact": 3.0,
}


class RuleSetError(ValueError):
    """A rule file is missing, unreadable or malformed; the message names the file and the key."""


@dataclass(frozen=True)
class KeywordRule:
    """A title regex (searched case-insensitively) that decides a kind."""

    pattern: re.Pattern
    kind: str
    strong: bool  # strong rules beat weak title prefixes such as [Model]
    first: bool  # checked before every other signal (reverts, release bumps)


@dataclass(frozen=True)
class BodyRule:
    """A regex searched in the lead of the PR description (first sentences, headings, ``Fixes #N``)."""

    pattern: re.Pattern
    kind: str


@dataclass(frozen=True)
class PathInfo:
    """What a rule set knows about one file path (cached per rule set)."""

    module: str | None
    flags: int  # CAT_BIT bits
    core: tuple[str, ...]  # core areas hit
    fallback: bool = False  # the module name came from module_fallback, not from [modules] or a category


@dataclass(frozen=True)
class RuleSet:
    """A loaded, compiled rule set. Build it with ``load_rule_set``."""

    name: str
    sources: tuple[Path, ...]
    kind_prefixes: dict[str, str]
    weak_prefixes: dict[str, str]
    conventional: dict[str, str]
    conventional_scopes: dict[str, str]
    label_kinds: dict[str, str]
    keywords: tuple[KeywordRule, ...]
    gitmoji: dict[str, str]
    body_rules: tuple[BodyRule, ...]
    yield_to_title: frozenset[str]
    tag_prefixes: dict[str, str]
    tag_words: tuple[tuple[re.Pattern, str], ...]
    ignore_labels: frozenset[str]
    platform_words: re.Pattern | None
    platform_prefixes: frozenset[str]
    platforms: dict[str, tuple[str, ...]]  # declared platform name -> lower-case words naming it
    platform_name_re: re.Pattern | None
    bots: frozenset[str]
    category_modules: frozenset[str]  # module names of file categories (tests, docs, ci/build ...)
    highlight_min_score: float
    highlight_never_kinds: frozenset[str]
    highlight_never_words: re.Pattern | None
    impact: tuple[tuple[re.Pattern, float, str], ...]  # (regex, points, label)
    large_lines: int
    large_files: int
    missing_tests_lines: int
    kind_points: dict[str, float]
    risk_points: dict[str, float]
    label_points: dict[str, float]
    caps: dict[str, float]
    raw: dict[str, Any] = field(repr=False, compare=False)
    _category_res: tuple[tuple[int, re.Pattern], ...] = field(repr=False, compare=False, default=())
    _core_res: tuple[tuple[str, re.Pattern], ...] = field(repr=False, compare=False, default=())
    _module_re: re.Pattern | None = field(repr=False, compare=False, default=None)
    _module_names: dict[str, str] = field(repr=False, compare=False, default_factory=dict)
    _fallback: tuple[tuple[re.Pattern, str], ...] = field(repr=False, compare=False, default=())
    _cache: dict[str, PathInfo] = field(repr=False, compare=False, default_factory=dict)
    _module_cache: dict[tuple[str, str], str | None] = field(repr=False, compare=False, default_factory=dict)

    def path_info(self, path: str) -> PathInfo:
        """Module, category flags and core areas of ``path`` (memoised: paths repeat a lot)."""
        info = self._cache.get(path)
        if info is None:
            info = self._compute(path)
            if len(self._cache) < 500_000:  # bound memory for very long-lived processes
                self._cache[path] = info
        return info

    def _compute(self, path: str) -> PathInfo:
        p = path.lstrip("/")
        flags = 0
        for bit, rx in self._category_res:
            if rx.fullmatch(p):
                flags |= bit
        core = tuple(area for area, rx in self._core_res if rx.fullmatch(p))
        module = None
        if self._module_re is not None:
            m = self._module_re.fullmatch(p)
            if m is not None and m.lastgroup is not None:  # every alternative is a named group
                module = self._module_names[m.lastgroup]
        if module is not None:
            return PathInfo(module, flags, core)
        for rx, template in self._fallback:
            m = rx.fullmatch(p)
            if m is not None:
                name = template.format(**m.groupdict())
                # ".config", ".gemini": hidden tool folders are no product area
                return PathInfo(None if name.startswith(".") else name, flags, core, fallback=True)
        return PathInfo(None, flags, core)

    def module_for(self, path: str, repo: str | None) -> str | None:
        """The module of ``path`` in repository ``repo`` (``owner/name``): a fallback name that is
        the package's own name ("fastapi", "vllm_ascend", "py-polars") gives way to the folder or
        file below it, which is what a reader of the report recognises."""
        info = self.path_info(path)
        if not info.fallback or info.module is None or not repo:
            return info.module
        key = (path, repo)
        if key not in self._module_cache:
            self._module_cache[key] = _below_package(path, info.module, _package_names(repo))
        return self._module_cache[key]

    def platform_named_in(self, text: str) -> str | None:
        """The declared platform (``[platforms]``) whose word appears in ``text``, or None."""
        if self.platform_name_re is None or not text:
            return None
        m = self.platform_name_re.search(text.replace("_", " ").replace("/", " ").replace(".", " "))
        if m is None:
            return None
        word = m.group(0).lower()
        return next((name for name, words in self.platforms.items() if word in words), None)

    def modules_of(self, path: str) -> str | None:
        """The module ``path`` belongs to, or None."""
        return self.path_info(path).module


_GENERIC_DIRS = frozenset({"src", "lib", "python", "pkg", "source", "sources"})
# a package's entry files name no area of it
_ENTRY_FILES = frozenset({"__init__", "__main__", "lib", "main", "mod", "index", "_version", "version"})


def _norm_name(name: str) -> str:
    n = name.lower().replace("_", "-")
    for affix in ("py-", "python-"):
        n = n.removeprefix(affix)
    return n.removesuffix("-py")


@functools.lru_cache(maxsize=256)
def _package_names(repo: str) -> frozenset[str]:
    """Names the repository's own package goes by: "pola-rs/polars" -> {"polars"}."""
    name = repo.rsplit("/", 1)[-1]
    return frozenset({_norm_name(name), _norm_name(name).replace("-", "")})


def _below_package(path: str, module: str, packages: frozenset[str]) -> str | None:
    if _norm_name(module) not in packages and _norm_name(module).replace("-", "") not in packages:
        return module
    segments = path.lstrip("/").split("/")
    try:
        rest = segments[segments.index(module) + 1:]
    except ValueError:
        return module
    rest = [s for s in rest[:-1] if s.lower() not in _GENERIC_DIRS and _norm_name(s) not in packages] + rest[-1:]
    if len(rest) > 1:
        return None if rest[0].startswith(".") else rest[0]
    stem = rest[0].split(".", 1)[0] if rest else ""
    return None if not stem or stem.lower() in _ENTRY_FILES or stem.startswith(".") else stem


# --------------------------------------------------------------------------- globs

def glob_to_regex(glob: str, captures: bool = False) -> str:
    """Translate a path glob to a regex source (for ``fullmatch``).

    ``**`` spans directories, ``*`` and ``?`` stay inside one segment, ``{a,b}`` is an
    alternation, ``{name}`` (module_fallback only) captures one segment. A glob without
    ``/`` matches the file name at any depth, like ``.gitignore``; a trailing ``/``
    means everything below.
    """
    g = glob.strip().lstrip("/")
    if g.endswith("/"):
        g += "**"
    out = [] if "/" in g else ["(?:.*/)?"]
    i, n = 0, len(g)
    while i < n:
        c = g[i]
        if g.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif g.startswith("/**", i) and i + 3 == n:
            out.append("(?:/.*)?")
            i += 3
        elif g.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "{":
            j = g.find("}", i)
            if j < 0:
                raise ValueError(f"unclosed '{{' in glob {glob!r}")
            inner = g[i + 1 : j]
            if captures and re.fullmatch(r"[A-Za-z_]\w*", inner):
                out.append(f"(?P<{inner}>[^/]+)")
            else:
                out.append("(?:" + "|".join(glob_to_regex_part(x) for x in inner.split(",")) + ")")
            i = j + 1
        elif c == "[":
            j = g.find("]", i)
            if j < 0:
                raise ValueError(f"unclosed '[' in glob {glob!r}")
            out.append("[" + g[i + 1 : j].replace("!", "^", 1) + "]")
            i = j + 1
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def glob_to_regex_part(part: str) -> str:
    # inside {a,b}: same rules, but never the "any depth" prefix
    src = glob_to_regex(part if "/" in part else "x/" + part)
    return src[len("x/"):] if src.startswith("x/") else src


def _union(globs: Sequence[str], key: str, where: str) -> re.Pattern | None:
    if not globs:
        return None
    try:
        return re.compile("|".join(f"(?:{glob_to_regex(g)})" for g in globs), re.IGNORECASE)
    except (re.error, ValueError) as exc:
        raise RuleSetError(f"{where}: {key}: bad glob: {exc}") from None


# --------------------------------------------------------------------------- loading

def load_rule_set(name: str, extra_dirs: Sequence[Path] = ()) -> RuleSet:
    """Load a rule set by name (built-in, or ``NAME.toml`` in ``extra_dirs``) or by path to a ``.toml``.

    ``extra_dirs`` are searched before the built-in directory so a user can shadow a
    built-in set. Raises ``RuleSetError`` naming the file and key on any problem.
    """
    path = _resolve(name, extra_dirs, None)
    raw, sources = _load_raw(path, extra_dirs, ())
    return _compile(raw, sources)


def _resolve(name: str, extra_dirs: Sequence[Path], referrer: Path | None) -> Path:
    if not isinstance(name, str) or not name:
        raise RuleSetError(f"{referrer or 'rules'}: extends: must be a rule set name or path")
    if name.endswith(".toml") or "/" in name or "\\" in name:
        p = Path(name).expanduser()
        if not p.is_absolute() and referrer is not None:
            p = referrer.parent / p
        if not p.exists():
            raise RuleSetError(f"{p}: rule file not found")
        return p
    dirs = [Path(d) for d in extra_dirs]
    if referrer is not None:
        dirs.insert(0, referrer.parent)
    dirs.append(BUILTIN_DIR)
    for d in dirs:
        p = d / f"{name}.toml"
        # a set extending a same-named parent (user 'default' extends built-in 'default') must not loop
        if p.exists() and (referrer is None or p.resolve() != referrer.resolve()):
            return p
    known = sorted({q.stem for d in dirs if d.is_dir() for q in d.glob("*.toml")})
    where = f"{referrer}: extends" if referrer else "rules"
    raise RuleSetError(f"{where}: unknown rule set {name!r} (known: {', '.join(known) or 'none'})")


def _load_raw(path: Path, extra_dirs: Sequence[Path], seen: tuple[Path, ...]) -> tuple[dict, tuple[Path, ...]]:
    rp = path.resolve()
    if rp in seen:
        raise RuleSetError(f"{path}: extends: circular ({' -> '.join(str(s) for s in seen + (rp,))})")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RuleSetError(f"{path}: cannot read rule file: {exc}") from None
    except UnicodeDecodeError as exc:
        raise RuleSetError(f"{path}: not UTF-8: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RuleSetError(f"{path}: not valid TOML: {exc}") from None
    _validate(raw, path)
    raw.setdefault("name", path.stem)
    parent_name = raw.pop("extends", None)
    if parent_name is None:
        raw.pop("replace", None)
        return raw, (rp,)
    parent_path = _resolve(parent_name, extra_dirs, path)
    parent, parent_sources = _load_raw(parent_path, extra_dirs, seen + (rp,))
    replace = set(raw.pop("replace", []))
    merged = _merge(parent, raw, replace, "")
    merged["name"] = raw["name"]
    return merged, parent_sources + (rp,)


def _merge(parent: dict, child: dict, replace: set[str], prefix: str) -> dict:
    """Child keys first (so child modules/keywords take precedence), then the parent's.

    Tables merge key by key, lists are child + parent, scalars are the child's; a dotted
    key listed in ``replace`` takes the child's value whole.
    """
    out: dict = {}
    for key, value in child.items():
        dotted = prefix + key
        if key in parent and dotted not in replace:
            pv = parent[key]
            if isinstance(value, dict) and isinstance(pv, dict):
                value = _merge(pv, value, replace, dotted + ".")
            elif isinstance(value, list) and isinstance(pv, list):
                value = value + [x for x in pv if x not in value]
        out[key] = value
    for key, value in parent.items():
        if key not in out:
            out[key] = value
    return out


def _fail(path: Path, key: str, msg: str) -> None:
    raise RuleSetError(f"{path}: {key}: {msg}")


def _check_table(path: Path, raw: Any, key: str, allowed: set[str] | None = None) -> dict:
    if not isinstance(raw, dict):
        _fail(path, key, "must be a table")
    if allowed is not None:
        unknown = sorted(set(raw) - allowed)
        if unknown:
            _fail(path, f"{key}.{unknown[0]}" if key else unknown[0],
                  f"unknown key (allowed: {', '.join(sorted(allowed))})")
    return raw


def _check_str_map(path: Path, raw: Any, key: str, values: Sequence[str] | None = None) -> None:
    _check_table(path, raw, key)
    for k, v in raw.items():
        if not isinstance(v, str) or not v:
            _fail(path, f"{key}.{k}", f"must be a non-empty string (got {v!r})")
        if values is not None and v not in values:
            _fail(path, f"{key}.{k}", f"{v!r} is not one of {', '.join(values)}")


def _check_globs(path: Path, raw: Any, key: str) -> None:
    if not isinstance(raw, list) or not all(isinstance(g, str) and g.strip() for g in raw):
        _fail(path, key, "must be a list of path globs")
    for g in raw:
        try:
            re.compile(glob_to_regex(g))
        except (re.error, ValueError) as exc:
            _fail(path, key, f"bad glob {g!r}: {exc}")


def _check_number(path: Path, raw: Any, key: str, lo: float, hi: float) -> None:
    if not isinstance(raw, (int, float)) or isinstance(raw, bool) or not lo <= raw <= hi:
        _fail(path, key, f"must be a number from {lo} to {hi} (got {raw!r})")


def _check_regex(path: Path, pattern: Any, key: str) -> None:
    if not isinstance(pattern, str) or not pattern:
        _fail(path, key, "must be a non-empty regular expression")
    try:
        re.compile(pattern)
    except re.error as exc:
        _fail(path, key, f"bad regular expression {pattern!r}: {exc}")


def _validate(raw: dict, path: Path) -> None:
    """Check one file's own keys (before merging, so errors name the file that holds them)."""
    _check_table(path, raw, "", _TOP_KEYS)
    for k in ("name", "description", "extends"):
        if k in raw and (not isinstance(raw[k], str) or not raw[k]):
            _fail(path, k, "must be a non-empty string")
    if "replace" in raw and (not isinstance(raw["replace"], list) or not all(isinstance(x, str) for x in raw["replace"])):
        _fail(path, "replace", "must be a list of dotted keys such as 'modules'")
    kinds = _check_table(path, raw.get("kinds", {}), "kinds", _KINDS_KEYS)
    for k in ("prefixes", "weak_prefixes", "conventional", "conventional_scopes", "labels"):
        if k in kinds:
            _check_str_map(path, kinds[k], f"kinds.{k}", KINDS)
    for i, rule in enumerate(_check_kind_rules(path, kinds, "keywords", _KEYWORD_KEYS)):
        key = f"kinds.keywords[{i}]"
        for flag in ("strong", "first"):
            if not isinstance(rule.get(flag, False), bool):
                _fail(path, f"{key}.{flag}", "must be true or false")
    _validate_kind_extras(raw, path)
    tags = _check_table(path, raw.get("tags", {}), "tags", _TAGS_KEYS)
    if "prefixes" in tags:
        _check_str_map(path, tags["prefixes"], "tags.prefixes")
    ignored = tags.get("ignore_labels", [])
    if not isinstance(ignored, list) or not all(isinstance(x, str) for x in ignored):
        _fail(path, "tags.ignore_labels", "must be a list of label names")
    if "words" in tags:
        _check_str_map(path, tags["words"], "tags.words")
        for pattern in tags["words"]:
            _check_regex(path, pattern, f"tags.words.{pattern}")
    _validate_paths(raw, path)
    risks = _check_table(path, raw.get("risks", {}), "risks", _RISKS_KEYS)
    for k in ("platform_words", "platform_prefixes"):
        if k in risks and (not isinstance(risks[k], list) or not all(isinstance(x, str) and x for x in risks[k])):
            _fail(path, f"risks.{k}", "must be a list of words")
    for k in ("large_lines", "large_files", "missing_tests_lines"):
        if k in risks:
            _check_number(path, risks[k], f"risks.{k}", 0, 10_000_000)
    score = _check_table(path, raw.get("score", {}), "score", _SCORE_KEYS)
    kp = _check_table(path, score.get("kinds", {}), "score.kinds", set(KINDS))
    rp = _check_table(path, score.get("risks", {}), "score.risks", set(RISKS))
    lp = _check_table(path, score.get("labels", {}), "score.labels")
    cp = _check_table(path, score.get("caps", {}), "score.caps", _CAP_KEYS)
    ip = _check_table(path, score.get("impact", {}), "score.impact")
    for name, table in (("kinds", kp), ("risks", rp), ("labels", lp), ("caps", cp), ("impact", ip)):
        for k, v in table.items():
            _check_number(path, v, f"score.{name}.{k}", 0, 10)
    for pattern in ip:
        _check_regex(path, pattern, f"score.impact.{pattern}")
    _validate_people_platforms_highlights(raw, path)


def _validate_paths(raw: dict, path: Path) -> None:
    """``[files]``, ``[core]``, ``[modules]``, ``[module_categories]`` and ``[module_fallback]``."""
    files = _check_table(path, raw.get("files", {}), "files", set(CATEGORIES))
    for k, v in files.items():
        _check_globs(path, v, f"files.{k}")
    for table in ("core", "modules"):
        t = _check_table(path, raw.get(table, {}), table)
        for k, v in t.items():
            _check_globs(path, v, f"{table}.{k}")
    mc = _check_table(path, raw.get("module_categories", {}), "module_categories", set(CATEGORIES))
    _check_str_map(path, mc, "module_categories")
    fb = _check_table(path, raw.get("module_fallback", {}), "module_fallback")
    _check_str_map(path, fb, "module_fallback")
    for pattern, template in fb.items():
        key = f"module_fallback.{pattern!r}"
        try:
            rx = re.compile(glob_to_regex(pattern, captures=True))
        except (re.error, ValueError) as exc:
            _fail(path, key, f"bad glob: {exc}")
        try:
            template.format(**{g: "x" for g in rx.groupindex})
        except (KeyError, IndexError, ValueError) as exc:
            _fail(path, key, f"template {template!r} uses a placeholder the glob does not capture ({exc})")


def _check_words(path: Path, raw: Any, key: str) -> None:
    if not isinstance(raw, list) or not all(isinstance(x, str) and x.strip() for x in raw):
        _fail(path, key, "must be a list of non-empty strings")


def _check_kind_rules(path: Path, kinds: dict, name: str, allowed: set[str]) -> list[dict]:
    """``[[kinds.NAME]]``: an array of tables, each with a valid ``pattern`` and a known ``kind``."""
    rules = kinds.get(name, [])
    if not isinstance(rules, list):
        _fail(path, f"kinds.{name}", f"must be an array of tables ([[kinds.{name}]])")
    for i, rule in enumerate(rules):
        key = f"kinds.{name}[{i}]"
        _check_table(path, rule, key, allowed)
        _check_regex(path, rule.get("pattern"), f"{key}.pattern")
        if rule.get("kind") not in KINDS:
            _fail(path, f"{key}.kind", f"must be one of {', '.join(KINDS)} (got {rule.get('kind')!r})")
    return rules


def _validate_kind_extras(raw: dict, path: Path) -> None:
    """``kinds.gitmoji``, ``[[kinds.body]]`` and ``kinds.yield_to_title``."""
    kinds = raw.get("kinds", {})
    if "gitmoji" in kinds:
        _check_str_map(path, kinds["gitmoji"], "kinds.gitmoji", KINDS)
    _check_kind_rules(path, kinds, "body", _BODY_KEYS)
    if "yield_to_title" in kinds:
        _check_words(path, kinds["yield_to_title"], "kinds.yield_to_title")
        for k in kinds["yield_to_title"]:
            if k not in KINDS:
                _fail(path, "kinds.yield_to_title", f"{k!r} is not one of {', '.join(KINDS)}")


def _validate_people_platforms_highlights(raw: dict, path: Path) -> None:
    """``[platforms]``, ``[people]`` and ``[highlights]``."""
    platforms = _check_table(path, raw.get("platforms", {}), "platforms")
    for name, words in platforms.items():
        _check_words(path, words, f"platforms.{name}")
    people = _check_table(path, raw.get("people", {}), "people", _PEOPLE_KEYS)
    if "bots" in people:
        _check_words(path, people["bots"], "people.bots")
    hl = _check_table(path, raw.get("highlights", {}), "highlights", _HIGHLIGHT_KEYS)
    if "min_score" in hl:
        _check_number(path, hl["min_score"], "highlights.min_score", 0, 10)
    if "share_of_eligible" in hl:
        _check_number(path, hl["share_of_eligible"], "highlights.share_of_eligible", 0, 1)
    if "never_kinds" in hl:
        _check_words(path, hl["never_kinds"], "highlights.never_kinds")
        for k in hl["never_kinds"]:
            if k not in KINDS:
                _fail(path, "highlights.never_kinds", f"{k!r} is not one of {', '.join(KINDS)}")
    if "never_words" in hl:
        _check_words(path, hl["never_words"], "highlights.never_words")
        for i, pattern in enumerate(hl["never_words"]):
            _check_regex(path, pattern, f"highlights.never_words[{i}]")


def _words_regex(words: Sequence[str]) -> re.Pattern | None:
    """Whole words (not parts of identifiers such as ``a2a`` or ``non-rocm``), case-insensitive."""
    if not words:
        return None
    alternation = "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
    return re.compile(r"(?<![\w-])(?:" + alternation + r")(?![\w-])", re.IGNORECASE)


def _lower_keys(d: dict) -> dict:
    return {" ".join(str(k).lower().split()): v for k, v in d.items()}


def _compile_paths(raw: dict, where: str) -> dict[str, Any]:
    """The path matchers: category and core regexes, the module alternation and the fallbacks."""
    files = raw.get("files", {})
    category_res = []
    for cat in CATEGORIES:
        rx = _union(files.get(cat, []), f"files.{cat}", where)
        if rx is not None:
            category_res.append((CAT_BIT[cat], rx))
    core_res = []
    for area, globs in raw.get("core", {}).items():
        rx = _union(globs, f"core.{area}", where)
        if rx is not None:
            core_res.append((area, rx))

    # One alternation for all modules: fullmatch picks the first alternative that matches,
    # so category modules (tests, docs ...) come first, then [modules] in file order.
    alternatives: list[str] = []
    names: dict[str, str] = {}
    for cat, module in raw.get("module_categories", {}).items():
        if files.get(cat):
            gname = f"g{len(names)}"
            names[gname] = module
            alternatives.append(f"(?P<{gname}>" + "|".join(f"(?:{glob_to_regex(g)})" for g in files[cat]) + ")")
    for module, globs in raw.get("modules", {}).items():
        if globs:
            gname = f"g{len(names)}"
            names[gname] = module
            alternatives.append(f"(?P<{gname}>" + "|".join(f"(?:{glob_to_regex(g)})" for g in globs) + ")")
    module_re = re.compile("|".join(alternatives), re.IGNORECASE) if alternatives else None
    fallback = tuple(
        (re.compile(glob_to_regex(pattern, captures=True), re.IGNORECASE), template)
        for pattern, template in raw.get("module_fallback", {}).items()
    )
    return {"_category_res": tuple(category_res), "_core_res": tuple(core_res), "_module_re": module_re,
            "_module_names": names, "_fallback": fallback}


def _compile(raw: dict, sources: tuple[Path, ...]) -> RuleSet:
    where = str(sources[-1])
    kinds = raw.get("kinds", {})
    tags = raw.get("tags", {})
    risks = raw.get("risks", {})
    score = raw.get("score", {})
    platform_words = _words_regex([w.lower() for w in risks.get("platform_words", [])])
    keywords = tuple(
        KeywordRule(
            re.compile(r["pattern"], re.IGNORECASE), r["kind"], bool(r.get("strong", False)),
            bool(r.get("first", r["kind"] == "revert")),
        )
        for r in kinds.get("keywords", [])
    )
    caps = dict(DEFAULT_CAPS)
    caps.update(score.get("caps", {}))
    if sum(caps.values()) > 10 + 1e-9:
        # the score is the plain sum of its reasons; a clamp would tie the top PRs at 10
        raise RuleSetError(f"{where}: score.caps: the caps add up to {sum(caps.values()):g}, more than 10")
    platforms = {str(name): tuple(w.lower() for w in words) for name, words in raw.get("platforms", {}).items()}
    people = raw.get("people", {})
    hl = raw.get("highlights", {})
    return RuleSet(
        name=raw.get("name", sources[-1].stem),
        sources=sources,
        kind_prefixes=_lower_keys(kinds.get("prefixes", {})),
        weak_prefixes=_lower_keys(kinds.get("weak_prefixes", {})),
        conventional=_lower_keys(kinds.get("conventional", {})),
        conventional_scopes=_lower_keys(kinds.get("conventional_scopes", {})),
        label_kinds=_lower_keys(kinds.get("labels", {})),
        keywords=keywords,
        gitmoji={k.replace(_VS16, ""): v for k, v in kinds.get("gitmoji", {}).items()},
        body_rules=tuple(BodyRule(re.compile(r["pattern"], re.IGNORECASE), r["kind"]) for r in kinds.get("body", [])),
        yield_to_title=frozenset(kinds.get("yield_to_title", [])),
        tag_prefixes=_lower_keys(tags.get("prefixes", {})),
        tag_words=tuple((re.compile(p, re.IGNORECASE), t) for p, t in tags.get("words", {}).items()),
        ignore_labels=frozenset(x.lower() for x in tags.get("ignore_labels", [])),
        platform_words=platform_words,
        platform_prefixes=frozenset(w.lower() for w in risks.get("platform_prefixes", [])),
        platforms=platforms,
        platform_name_re=_words_regex([w for words in platforms.values() for w in words]),
        category_modules=frozenset(raw.get("module_categories", {}).values()),
        bots=frozenset(b.lower().removesuffix("[bot]") for b in people.get("bots", [])),
        highlight_min_score=float(hl.get("min_score", 0.0)),
        highlight_never_kinds=frozenset(hl.get("never_kinds", [])),
        highlight_never_words=(
            re.compile("|".join(f"(?:{p})" for p in hl["never_words"]), re.IGNORECASE) if hl.get("never_words") else None
        ),
        impact=tuple((re.compile(p, re.IGNORECASE), float(v), p) for p, v in score.get("impact", {}).items()),
        large_lines=int(risks.get("large_lines", 2000)),
        large_files=int(risks.get("large_files", 40)),
        missing_tests_lines=int(risks.get("missing_tests_lines", 30)),
        kind_points={k: float(v) for k, v in score.get("kinds", {}).items()},
        risk_points={k: float(v) for k, v in score.get("risks", {}).items()},
        label_points={k.lower(): float(v) for k, v in score.get("labels", {}).items()},
        caps={k: float(v) for k, v in caps.items()},
        raw=raw,
        **_compile_paths(raw, where),
    )
