"""The week's stories: themes (what the week was about) and events (what happened).

Pure functions over enriched PR frames. ``story_rows`` turns them into rows of the
``weekly_aggregates`` table (sections ``theme``, ``event`` and ``follow_up``), so they are
computed once, next to the trailing weeks they are compared with, stored and checked like
every other figure; ``domain/model.py`` turns the rows back into the report model.

- Themes: terms of titles (bracketed prefixes included), labels and directories whose share
  of this week's PRs is unusual against the trailing weeks ("main2main" every week is not a
  theme; "DeepSeek V4" in six PRs is). Spellings are normalised (``model_runner_v2``,
  "Model Runner v2" and ``MRv2`` are one key) and each PR belongs to one theme only.
- Events: releases (version-bump PRs), reverts linked to what they revert (this week or
  earlier), fix-up bursts (fixes touching the files of a change within hours of it) and
  regressions whose fix names the earlier PR that caused them.
- Follow-ups: last week's flagged PRs looked at again (reverted, tested, fixed again).
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

import pandas as pd

from report_pipeline.domain.memo import per_frame
from report_pipeline.domain.order import pandas_order

MAX_THEMES = 6
MIN_LIFT = 2.5          # a term must be this many times more frequent than in the trailing weeks
BURST_HOURS = 24        # fix-ups must land within this many hours of the change they repair
BURST_MIN = 2           # ... and at least this many of them make a burst
BURST_SPECIFIC = 4      # files touched by more PRs than this (in two weeks) are too common to tie PRs
TRAILING = 12           # weeks of history compared with
# title words that say what a PR does, not what it is about
GENERIC = frozenset("""
a an the and or of to in on for with without from by into at as is are be been it its this that these those
when while if via per not no non new more less some all any only also other others both each than then so do does
fix fixes fixed fixing bug bugs bugfix bugfixes hotfix add adds added adding support supports supported supporting
update updates updated updating upgrade upgrades bump bumps remove removes removed removing delete deletes use uses
using used enable enables enabled disable disables disabled make makes allow allows allowed improve improves improved
refactor refactors refactored refactoring misc feat feature features perf performance chore docs doc documentation
test tests testing ci build cd core fixup follow followup up revert reverts reverted change changes changed
error errors issue issues problem problems case cases handle handling handles correct correctly properly wrong
default option options config configs configuration default value values type types file files code function
functions method methods class classes check checks set sets get run runs running instead missing unused
first second initial basic minor small typo typos cleanup clean clean-up rename renames move moves moved
pr prs main master branch version versions release releases nan none null true false
beyond across within between through against until since like unlike per vs
we our you your i can should will would may might must after before during about over under again just
avoid show shows resolve resolves ensure prevent introduce introduces implement implements adapt optimize optimise
speed speedup reduce increase skip skips drop drops replace switch migrate apply respect preserve treat warn emit
log print report return raise accept ignore include exclude prefer pass keep let issue
""".split())
_BRACKET = re.compile(r"\[([^\]]+)\]|【([^】]+)】")
_TOKEN = re.compile(r"`[^`]+`|[A-Za-z0-9][A-Za-z0-9_.+\-/]*[A-Za-z0-9+]|[A-Za-z0-9]")
_VERSIONISH = re.compile(r"^v?\d+([.\-_]\d+)*([a-z]+\d*)?$", re.IGNORECASE)
# a name rather than an English word: inner capitals, digits, underscores or an acronym
_ENTITY = re.compile(r".[A-Z]|[A-Za-z]-?\d|\d[A-Za-z]|_|^[A-Z]{2,}$")
_SERIES = re.compile(r"^\d+/n$|^n/n$", re.IGNORECASE)


# ---------------------------------------------------------------- terms

def term_key(text: str) -> str:
    """The spelling-independent key of a term: ``Model Runner v2`` -> ``modelrunnerv2``."""
    return re.sub(r"[\s_\-./`]+", "", text.lower())


def _words(title: str) -> list[str]:
    """Tokens of a title (bracket prefixes dropped, code spans kept whole)."""
    text = title if isinstance(title, str) else ""
    # bracketed prefixes stay as words ("[Main2Main] Upgrade" and "Main2main upgrade" are one
    # phrase); a conventional-commit type goes, its scope stays
    text = re.sub(r"[\[\]【】]", " ", text)
    text = re.sub(r"^\s*[\w-]+(?:\(([^)]*)\))?!?:(?=\s)", r" \1 ", text)
    text = re.sub(r"\(#\d+\)|#\d+", " ", text)
    return [t.strip("`") for t in _TOKEN.findall(text)]


def _split_camel(word: str) -> list[str]:
    return re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+[a-z]*", word) or [word]


def acronym(words: list[str]) -> str | None:
    """``model runner v2`` -> ``mrv2``: initials of the words plus a trailing version token."""
    parts = [p for w in words for p in re.split(r"[_\-\s]+", w) if p]
    if len(parts) == 1:
        parts = _split_camel(parts[0])
    tail = parts[-1] if parts and re.fullmatch(r"v?\d+", parts[-1], re.IGNORECASE) else ""
    head = parts[:-1] if tail else parts
    if len(head) < 2 or not all(h[0].isalpha() for h in head):
        return None
    return "".join(h[0] for h in head).lower() + tail.lower()


def _is_term(words: list[str]) -> bool:
    low = [w.lower() for w in words]
    if low[0] in GENERIC or low[-1] in GENERIC or any(_SERIES.match(w) for w in words):
        return False
    if len(words) == 1:
        w = words[0]
        if _VERSIONISH.match(w) or len(w) < 3 or "/" in w and "." in w.rsplit("/", 1)[-1]:
            return False
    return not all(_VERSIONISH.match(w) for w in words)


def pr_terms(title: str, labels: Iterable[str] | None = None) -> dict[str, str]:
    """Term keys of one PR mapped to the surface form seen: 1-3 word n-grams of the title,
    its bracketed prefixes and its labels."""
    return dict(_cached_terms(title, tuple(labels or ())))


# Every week compares its terms with the trailing 12 weeks', so a backfill asks for the
# terms of one PR up to 13 times: they are computed once per (title, labels).
@functools.lru_cache(maxsize=1 << 14)
def _cached_terms(title: str, labels: tuple[str, ...]) -> dict[str, str]:
    """``pr_terms``, shared between callers: never mutate the result."""
    out: dict[str, str] = {}
    words = _words(title)
    for n in (1, 2, 3):
        for i in range(len(words) - n + 1):
            gram = words[i:i + n]
            if _is_term(gram):
                out.setdefault(term_key(" ".join(gram)), " ".join(gram))
    for a, b in _BRACKET.findall(title if isinstance(title, str) else ""):
        tag = (a or b).strip()
        if tag and tag.lower() not in GENERIC and not _VERSIONISH.match(tag) and len(tag) <= 40:
            out.setdefault(term_key(tag), tag)
    for label in labels or ():
        if isinstance(label, str) and label.strip() and label.lower() not in GENERIC:
            out.setdefault("label:" + term_key(label), label)
    return {k: v for k, v in out.items() if k and k.removeprefix("label:")}


def _aliases(surfaces: Mapping[str, Counter]) -> dict[str, str]:
    """Acronym keys (``mrv2``) mapped to the key of the multi-word term they abbreviate."""
    out = {}
    for key, forms in surfaces.items():
        if key.startswith("label:"):
            continue
        short = _acronym_of(forms.most_common(1)[0][0])
        if short and short != key and short in surfaces and len(short) >= 3:
            out[short] = key
    return out


@functools.lru_cache(maxsize=1 << 14)  # a week's terms come back in the weeks after it
def _acronym_of(form: str) -> str | None:
    return acronym(form.split())


@per_frame  # a week's terms are compared with each of the 12 weeks after it
def _frame_terms(df: pd.DataFrame) -> list[tuple[int, dict[str, str]]]:
    labels = df["labels"] if "labels" in df else [None] * len(df)
    return [(int(n), _cached_terms(t, tuple(ls or ()))) for n, t, ls in zip(df["number"], df["title"], labels)]


# ---------------------------------------------------------------- themes

def find_themes(current: pd.DataFrame, history: Mapping[str, pd.DataFrame] | None = None,
                max_themes: int = MAX_THEMES) -> list[dict]:
    """The week's themes: ``[{key, name, prs, score, basis}]``, best first, no PR in two."""
    if current is None or not len(current):
        return []
    now = _frame_terms(current)
    surfaces: dict[str, Counter] = defaultdict(Counter)
    for _, terms in now:
        for k, form in terms.items():
            surfaces[k][form] += 1
    alias = _aliases(surfaces)
    members: dict[str, set[int]] = defaultdict(set)
    for number, terms in now:
        for k in terms:
            members[alias.get(k, k)].add(number)
    before, before_total, presence, weeks = _trailing_counts(history, alias)
    n = len(current)
    titles = {int(k): _norm_title(_REVERT_WORDS.sub("", str(t)))[:40] for k, t in zip(current["number"], current["title"])}
    dirs = {int(k): _dirs(f) for k, f in zip(current["number"], current["files"])}
    named = _named_keys(current) | {k for k, forms in surfaces.items() if any(_is_name(f) for f in forms)}
    scored = []
    routine = [prs for key, prs in members.items() if weeks >= 4 and presence[key] * 2 >= weeks
               and _unusual(len(prs), n, before.get(key, 0), before_total)[0] < 2 * MIN_LIFT]
    for key, prs in members.items():
        lift, score = _unusual(len(prs), n, before.get(key, 0), before_total)
        if any(prs <= r for r in routine):
            continue  # only in PRs of a term seen most weeks ("main2main ..."): routine, not a story
        if key not in named:  # a plain English word needs more evidence than a name
            if len(prs) < _min_prs(n) + 1 or lift < 2 * MIN_LIFT or not before_total:
                continue
            score *= 0.5
        if len(prs) >= _min_prs(n) and lift >= MIN_LIFT and _distinct(prs, titles) >= _min_prs(n) \
                and (key in named or _coherent(prs, dirs)):
            scored.append((score, key))
    scored.sort(key=lambda s: (-s[0], -len(s[1]), s[1]))
    chosen = _pick(scored, members, max_themes)
    return _assign(chosen, members, surfaces, n)


_REVERT_WORDS = re.compile(r"\brevert(s|ed)?\b|\bre-?(pull|land|apply)\b|[\"“”]", re.IGNORECASE)


def _distinct(prs: set[int], titles: Mapping[int, str]) -> int:
    """PRs with different titles: a change, its revert and its re-land are one story, not a theme."""
    return len({titles.get(p, p) for p in prs})


def _dirs(files) -> set[str]:
    return {"/".join(f["path"].split("/")[:2]) for f in (files if files is not None else ())
            if isinstance(f.get("path"), str) and "/" in f["path"] and not _is_test(f["path"])}


def _coherent(prs: set[int], dirs: Mapping[int, set[str]]) -> bool:
    """A plain-word theme needs PRs that change the same part of the tree (files changed together)."""
    counts = Counter(d for p in prs for d in dirs.get(p, ()))
    return bool(counts) and counts.most_common(1)[0][1] * 2 >= len(prs) + 1


def _is_name(form: str) -> bool:
    words = form.split()
    return len(words) > 1 or any(_ENTITY.search(w) for w in words)


def _named_keys(df: pd.DataFrame) -> set[str]:
    """Keys of bracketed title prefixes and labels: the repository's own names for topics."""
    out = set()
    labels = df["labels"] if "labels" in df else [None] * len(df)
    for title, ls in zip(df["title"], labels):
        for a, b in _BRACKET.findall(title if isinstance(title, str) else ""):
            out.add(term_key(a or b))
        out.update("label:" + term_key(x) for x in (ls if ls is not None else ()) if isinstance(x, str))
    return out


def _min_prs(n: int) -> int:
    return 2 if n < 30 else 3


def _trailing_counts(history: Mapping[str, pd.DataFrame] | None, alias: Mapping[str, str]) -> tuple[Counter, int, Counter, int]:
    """PRs per term over the trailing weeks, their total, and in how many of those weeks each term appeared."""
    counts: Counter = Counter()
    presence: Counter = Counter()
    total = weeks = 0
    history = history or {}
    for week in sorted(history)[-TRAILING:]:
        frame = history[week]
        if frame is None or not len(frame):
            continue
        total += len(frame)
        weeks += 1
        seen: set[str] = set()
        for _, terms in _frame_terms(frame):
            keys = {alias.get(k, k) for k in terms}
            counts.update(keys)
            seen |= keys
        presence.update(seen)
    return counts, total, presence, weeks


def _unusual(count: int, n: int, before: int, before_total: int) -> tuple[float, float]:
    """Lift of a term's share this week over its trailing share, and a score rewarding size."""
    if not before_total:
        return MIN_LIFT, float(count)  # no history: every repeated term is a candidate
    rate_now = count / n
    rate_before = (before + 0.5) / (before_total + 1)
    lift = rate_now / rate_before
    return lift, count * math.log(lift)


def _pick(scored: list[tuple[float, str]], members: Mapping[str, set[int]], limit: int) -> list[str]:
    """Best terms first; a term mostly covered by better ones (a sub- or super-phrase) is skipped."""
    chosen: list[str] = []
    for _, key in scored:
        prs = members[key]
        if any(len(prs & members[c]) >= 0.6 * min(len(prs), len(members[c])) for c in chosen):
            continue
        chosen.append(key)
        if len(chosen) >= limit * 2:
            break
    return chosen


def _assign(chosen: list[str], members: Mapping[str, set[int]], surfaces: Mapping[str, Counter], n: int) -> list[dict]:
    """Each PR goes to the first (best) chosen theme it matches; themes left too small drop out."""
    owner: dict[int, str] = {}
    for key in chosen:
        for number in sorted(members[key]):
            owner.setdefault(number, key)
    themes = []
    for rank, key in enumerate(chosen):
        prs = sorted(p for p, k in owner.items() if k == key)
        if len(prs) < _min_prs(n):
            for p in prs:
                owner.pop(p)
            continue
        themes.append({"key": key, "name": _display(surfaces.get(key)), "prs": prs,
                       "basis": "label" if key.startswith("label:") else "term", "rank": rank})
    return themes[:MAX_THEMES]


def _display(forms: Counter | None) -> str:
    """The most common spelling; ties go to the one with capitals or spaces (a name, not code)."""
    if not forms:
        return ""
    return sorted(forms.items(), key=lambda kv: (-kv[1], not any(c.isupper() for c in kv[0]),
                                                 " " not in kv[0], kv[0]))[0][0]


# ---------------------------------------------------------------- events

_VERSION = r"v?(\d+\.\d+(?:\.\d+)*(?:[-.]?(?:rc|post|dev|alpha|beta|a|b)\d*)?)\b"
_RELEASE_TITLE = [
    re.compile(r"\bbump(?:ing)? (?:the )?version (?:to|->|=>)\s*" + _VERSION, re.IGNORECASE),
    re.compile(r"^\W*(?:\[[^\]]*\]\s*)*(?:chore(?:\([^)]*\))?:\s*)?(?:prepare |cut )?release(?:\([^)]*\))?:?\s+"
               + _VERSION + r"\s*$", re.IGNORECASE),
    re.compile(r"^\W*chore\(release\):\s*(?:release\s+)?" + _VERSION, re.IGNORECASE),
    re.compile(r"^\W*(?:\[[^\]]*\]\s*)*" + _VERSION + r"\s+release\s*$", re.IGNORECASE),
    re.compile(r"\brelease notes? (?:for )?" + _VERSION, re.IGNORECASE),
]
_REVERT_TITLE = re.compile(r"^\W*(?:\[[^\]]*\]\s*)*revert(?:s|ed|ing)?\b", re.IGNORECASE)
_QUOTED = re.compile(r"[\"“](.+)[\"”]")
_BODY_REVERTS = re.compile(r"\breverts?\s+(?:[\w.-]+/[\w.-]+)?#(\d+)", re.IGNORECASE)
_BODY_COMMIT = re.compile(r"\b(?:this )?reverts? commit\s+([0-9a-f]{7,40})|\bgit revert\s+([0-9a-f]{7,40})", re.IGNORECASE)
_TITLE_REF = re.compile(r"\(#(\d+)\)|\bpr\s*#?(\d{2,})\b|#(\d+)", re.IGNORECASE)
_FIXLIKE = re.compile(r"\b(fix(es|ed)?|hot-?fix|follow[- ]?up|revert|correct|repair|restore|unbreak|broken|typo)\b",
                      re.IGNORECASE)
_REGRESSION = re.compile(
    r"(regress\w*|broke[n]?|breaks|introduced|caused)\b[^.\n]{0,60}?(?:in|by|from|since|with)\s+"
    r"(?:(?:[\w.-]+/[\w.-]+)?#(\d+)|https?://\S+/pull/(\d+))",
    re.IGNORECASE,
)
# files every kind of PR touches: sharing them says nothing about a burst
_COMMON_FILE = re.compile(r"(^|/)(changelog[^/]*|readme[^/]*|[^/]*\.lock|requirements[^/]*\.txt|pyproject\.toml"
                          r"|cargo\.toml|package(-lock)?\.json)$", re.IGNORECASE)


def release_version(title: str) -> str | None:
    """The version a release PR ships (``Bump version to 0.11.9`` -> ``0.11.9``), else None."""
    if not isinstance(title, str):
        return None
    for pattern in _RELEASE_TITLE:
        found = pattern.search(title)
        if found:
            return found.group(1)
    return None


def _version_tuple(v: str) -> tuple:
    return tuple(int(p) if p.isdigit() else -1 for p in re.split(r"[.\-]", re.sub(r"[a-z]+", ".", v.lower())) if p)


def releases(current: pd.DataFrame) -> list[dict]:
    """One event for the week's release PRs: ``4 releases, 0.11.9 to 0.11.12``."""
    found = []
    for number, title, merged in zip(current["number"], current["title"], current["merged_at"]):
        version = release_version(title)
        if version and "dev" not in version.lower():  # a development version bump ships nothing
            found.append((_version_tuple(version), version, int(number), merged))
    if not found:
        return []
    found.sort(key=lambda f: (f[3], f[0]))
    versions = list(dict.fromkeys(f[1] for f in sorted(found)))
    return [{"type": "release", "prs": [f[2] for f in found],
             "detail": {"versions": versions, "first": versions[0], "last": versions[-1], "count": len(versions)}}]


def _reverted_refs(title: str, body: str) -> tuple[list[int], list[str], str | None]:
    """PR numbers, commit SHAs and the quoted title a revert names."""
    title = title if isinstance(title, str) else ""
    body = body if isinstance(body, str) else ""
    numbers = [int(next(g for g in m if g)) for m in _TITLE_REF.findall(title)]
    numbers += [int(m) for m in _BODY_REVERTS.findall(body)]
    shas = [a or b for a, b in _BODY_COMMIT.findall(body)]
    quoted = _QUOTED.search(title)
    inner = re.sub(r"\s*\(#\d+\)\s*$", "", quoted.group(1)).strip() if quoted else None
    return list(dict.fromkeys(numbers)), shas, inner


def _index(frames: Mapping[str, pd.DataFrame]) -> tuple[dict, dict, dict]:
    """PRs of ``frames`` by number, merge commit SHA and normalised title (the earliest week's title wins)."""
    by_number: dict[int, dict] = {}
    by_sha: dict[str, dict] = {}
    by_title: dict[str, dict] = {}
    for week, frame in sorted(frames.items()):
        if frame is None or not len(frame):
            continue
        numbers, shas, titles = _frame_index(frame, week)
        by_number.update(numbers)
        by_sha.update(shas)
        for title, entry in titles.items():
            by_title.setdefault(title, entry)
    return by_number, by_sha, by_title


@per_frame  # each week looks for reverted PRs in its 11 earlier weeks again
def _frame_index(frame: pd.DataFrame, week: str) -> tuple[dict, dict, dict]:
    by_number: dict[int, dict] = {}
    by_sha: dict[str, dict] = {}
    by_title: dict[str, dict] = {}
    shas = frame["merge_commit_sha"] if "merge_commit_sha" in frame else [None] * len(frame)
    kinds = list(frame["kind"]) if "kind" in frame else None
    mods = [list(m) if m is not None else [] for m in frame["modules"]] if "modules" in frame else None
    for i, (number, title, sha) in enumerate(zip(frame["number"], frame["title"], shas)):
        # kind and modules let a report name an earlier week's PR by what it did
        entry = {"number": int(number), "week": week, "title": title if isinstance(title, str) else "",
                 "kind": kinds[i] if kinds is not None else "", "modules": mods[i] if mods is not None else []}
        by_number[int(number)] = entry
        if isinstance(sha, str) and len(sha) >= 7:
            by_sha[sha.lower()] = entry
        by_title.setdefault(_norm_title(title), entry)
    return by_number, by_sha, by_title


def _copy(entry: dict) -> dict:
    """An index entry for an event's detail (the index is shared between weeks)."""
    return entry | {"modules": list(entry["modules"])}


@functools.lru_cache(maxsize=1 << 14)  # every week indexes the titles of its 12 trailing weeks again
def _norm_title(title) -> str:
    return re.sub(r"\W+", " ", re.sub(r"\(#\d+\)", "", title if isinstance(title, str) else "")).strip().lower()


def reverts(week: str, current: pd.DataFrame, history: Mapping[str, pd.DataFrame] | None) -> list[dict]:
    """Revert events, each linked to the PRs it reverts where they can be found."""
    rows = _revert_rows(current)
    if not rows:  # most weeks have no revert: no index
        return []
    by_number, by_sha, by_title = _index({**(history or {}), week: current})
    out = []
    for number, title, body in rows:
        numbers, shas, inner = _reverted_refs(title, body)
        targets = [by_number[n] for n in numbers if n in by_number and n != int(number)]
        for sha in shas:
            hit = next((e for s, e in by_sha.items() if s.startswith(sha.lower()) or sha.lower().startswith(s)), None)
            if hit:
                targets.append(hit)
        if not targets and inner and _norm_title(inner) in by_title:
            targets.append(by_title[_norm_title(inner)])
        # oldest first: the change itself before the fix-ups reverted with it
        targets = sorted({t["number"]: t for t in targets if t["number"] != int(number)}.values(), key=lambda t: t["number"])
        out.append({"type": "revert", "prs": [int(number)] + [t["number"] for t in targets],
                    "detail": {"reverts": [_copy(t) for t in targets],
                               "quoted": inner if not targets else None}})
    return out


def _revert_rows(current: pd.DataFrame) -> list[tuple]:
    """``(number, title, body)`` of the week's reverts in merge order, then by number.

    Sorted in Python, as pandas sorts on these two keys (stable, no merge time last): a
    frame per week cost more than the search, and only the few reverts need ordering.
    """
    picked = [i for i, (title, kind) in enumerate(zip(current["title"], current["kind"]))
              if kind == "revert" or _REVERT_TITLE.search(title if isinstance(title, str) else "")]
    if not picked:
        return []
    merged, numbers, titles, bodies = (list(current[c]) for c in ("merged_at", "number", "title", "body"))
    picked.sort(key=lambda i: pandas_order(merged[i], numbers[i]))
    return [(numbers[i], titles[i], bodies[i]) for i in picked]


def _paths(files) -> set[str]:
    return {f["path"] for f in (files if files is not None else ()) if isinstance(f.get("path"), str)
            and not _COMMON_FILE.search(f["path"])}


def _code_paths(files) -> set[str]:
    """Changed paths that tie PRs together: not shared boilerplate, not tests (every fix adds one)."""
    return {p for p in _paths(files) if not _is_test(p)}


def _soon_after(records: list[tuple], i: int) -> list[tuple]:
    """The records merged within BURST_HOURS after record ``i`` (records are in merge order)."""
    out = []
    for record in records[i + 1:]:
        if not (record[1] - records[i][1]).total_seconds() <= BURST_HOURS * 3600:
            break  # this one and all later ones are too late (or have no merge time)
        out.append(record)
    return out


def _merge_order(frames: list[pd.DataFrame]) -> list[tuple]:
    """``(number, merged_at, files, title, kind)`` of the frames' PRs, a PR once (its first
    frame's row), by merge time (none last), then number.

    What concatenating, dropping duplicate numbers and sorting on the two keys (stable) gave,
    without copying two weeks into a frame each week; a missing column reads NaN, as reindex.
    """
    rows: dict[object, tuple] = {}
    for frame in frames:
        columns = [list(frame[c]) if c in frame else [float("nan")] * len(frame)
                   for c in ("number", "merged_at", "files", "title", "kind")]
        for row in zip(*columns):
            rows.setdefault(row[0], row)
    return sorted(rows.values(), key=lambda r: pandas_order(r[1], r[0]))


def fixup_bursts(current: pd.DataFrame, previous: pd.DataFrame | None = None, taken: set[int] | None = None) -> list[dict]:
    """Changes followed within hours by several fixes touching the same files.

    The change may have merged late last week; the fixes are this week's. A PR is part of
    one burst at most, and PRs already told as another event (``taken``) are not reused.
    """
    frames = [current] + ([previous] if previous is not None and len(previous) else [])
    this_week = {int(n) for n in current["number"]}
    records = [(int(number), at, _code_paths(files), str(title or ""), kind)
               for number, at, files, title, kind in _merge_order(frames)]
    used = set(taken or ())
    touched = Counter(p for r in records for p in r[2])
    candidates = []
    for i, (num, at, paths, _, _) in enumerate(records):
        # a file many PRs touch anyway (model_runner.py) does not tie fixes to this change
        paths = {p for p in paths if touched[p] <= BURST_SPECIFIC}
        if not paths:
            continue
        # a fix of this change works mostly on its files, not on one shared file among many
        fixes = [f for f in _soon_after(records, i) if f[0] in this_week
                 and len(paths & f[2]) * 2 >= len(f[2]) > 0 and (f[4] in ("bugfix", "revert") or _FIXLIKE.search(f[3]))]
        if len(fixes) >= BURST_MIN:
            candidates.append((num, at, fixes, paths))
    out = []
    for num, at, fixes, paths in sorted(candidates, key=lambda c: (-len(c[2]), c[1])):
        fixes = [f for f in fixes if f[0] not in used]
        if num in used or len(fixes) < BURST_MIN:
            continue
        used.update([num] + [f[0] for f in fixes])
        shared = sorted(set().union(*(paths & f[2] for f in fixes)))
        hours = round((fixes[-1][1] - at).total_seconds() / 3600, 1)
        out.append({"type": "fixup", "prs": [num] + [f[0] for f in fixes],
                    "detail": {"hours": hours, "files": shared[:5], "change_in_week": num in this_week}})
    return out


def regressions(week: str, current: pd.DataFrame, history: Mapping[str, pd.DataFrame] | None) -> list[dict]:
    """Fixes whose text says an earlier week's PR caused the problem."""
    by_number, _, _ = _index(history or {})
    out = []
    for number, title, body in zip(current["number"], current["title"], current["body"]):
        text = f"{title if isinstance(title, str) else ''}\n{body if isinstance(body, str) else ''}"
        for m in _REGRESSION.finditer(text):
            cause = int(m.group(2) or m.group(3))
            if cause in by_number and by_number[cause]["week"] < week:
                e = _copy(by_number[cause])
                out.append({"type": "regression", "prs": [int(number), cause], "detail": {"cause": e}})
                break
    return out


def find_events(week: str, current: pd.DataFrame, history: Mapping[str, pd.DataFrame] | None = None) -> list[dict]:
    """Releases, reverts, fix-up bursts and regressions of the week."""
    if current is None or not len(current):
        return []
    history = {k: v for k, v in (history or {}).items() if k < week}
    events = releases(current) + reverts(week, current, history)
    taken = {p for e in events if e["type"] == "release" for p in e["prs"]}
    previous = history.get(max(history)) if history else None
    events += fixup_bursts(current, previous, taken)
    events += regressions(week, current, history)
    return events


# ---------------------------------------------------------------- look-back

FLAG_RISKS = ("missing_tests", "core_path", "kernel_safety", "interface_change")
MAX_FOLLOW_UPS = 5


def follow_ups(current: pd.DataFrame, previous: pd.DataFrame | None, events: list[dict]) -> list[dict]:
    """Last week's flagged highlights looked at again: reverted, fixed again, given a test, or open.

    Open ones are listed only when they lacked tests: a core-path change nobody touched
    again is no news.
    """
    if previous is None or not len(previous) or current is None:
        return []
    reverted = {t["number"]: e["prs"][0] for e in events if e["type"] == "revert" for t in e.get("detail", {}).get("reverts", [])}
    changes = _changes(current)
    touched = Counter(p for change in changes for p in change[2])
    out = []
    for number, title, kind, risks, files, modules in _ranked_highlights(previous):
        risks = [r for r in FLAG_RISKS if r in set(risks if risks is not None else ())]
        if not risks or kind in ("revert", "release"):  # a revert or a version bump wants no test
            continue
        status, by = _status(int(number), _paths(files), changes, reverted, touched)
        if status == "open" and "missing_tests" not in risks:
            continue
        out.append({"number": int(number), "title": title if isinstance(title, str) else "",
                    "risks": risks, "status": status, "by": by, "kind": kind,
                    "modules": list(modules if modules is not None else [])})
    return out[:MAX_FOLLOW_UPS]


def _ranked_highlights(previous: pd.DataFrame) -> list[tuple]:
    """``(number, title, kind, risks, files, modules)`` of last week's highlights (every PR when
    the frame has no highlight column), best score first, then by number.

    Ordered in Python as pandas sorts on these two keys (stable, no score last): a
    filtered and sorted frame per week cost more than the follow-ups themselves.
    """
    columns = {c: list(previous[c]) for c in ("number", "title", "kind", "risks", "files", "modules", "score")}
    flags = list(previous["highlight"]) if "highlight" in previous else [True] * len(previous)
    picked = [i for i, flag in enumerate(flags) if bool(flag)]
    scores, numbers = columns["score"], columns["number"]
    picked.sort(key=lambda i: pandas_order(scores[i], numbers[i], descending=True))
    names = ("number", "title", "kind", "risks", "files", "modules")
    return [tuple(columns[c][i] for c in names) for i in picked]


def _changes(current: pd.DataFrame) -> list[tuple[int, str, set[str], list[str], str]]:
    """Per PR of the week: number, kind, paths, test paths and text (read once, not per flagged PR)."""
    out = []
    for number, kind, files, title, body in zip(current["number"], current["kind"], current["files"],
                                                current["title"], current["body"]):
        mine = _paths(files)
        text = f"{title} {body if isinstance(body, str) else ''}"
        out.append((int(number), kind, mine, [p for p in mine if _is_test(p)], text))
    return out


def _status(number: int, paths: set[str], changes: list[tuple[int, str, set[str], list[str], str]],
            reverted: Mapping[int, int], touched: Counter) -> tuple[str, list[int]]:
    if number in reverted:
        return "reverted", [reverted[number]]
    # files few PRs touched this week tie a later PR to this one; a hot file does not
    code = {p for p in paths if not _is_test(p) and touched[p] <= 2}
    stems = {re.sub(r"\.\w+$", "", p.rsplit("/", 1)[-1]) for p in paths if not _is_test(p)}
    stems = {s for s in stems if len(s) >= 4 and s not in ("__init__", "utils", "index", "main", "config")}
    mention = re.compile(rf"#{number}\b")
    tests, fixes, touches = [], [], []
    for other, kind, mine, test_files, text in changes:
        mentions = bool(mention.search(text))
        if kind == "bugfix" and mentions:
            fixes.append(other)
        elif kind == "bugfix" and code & mine:
            touches.append(other)
        elif test_files and (mentions or any(s in t.rsplit("/", 1)[-1] for s in stems for t in test_files)):
            tests.append(other)
    for status, found in (("fixed_again", fixes), ("test_added", tests), ("touched_by_fix", touches)):
        if found:
            return status, sorted(found)[:4]
    return "open", []


_TEST_PATH = re.compile(r"(^|/)(tests?|testing)/|(^|/)test_[^/]*\.(py|rs|go|cc?|cpp|[jt]sx?)$"
                        r"|[_.]test\.(py|rs|go|cc?|cpp|[jt]sx?)$")


@functools.lru_cache(maxsize=1 << 16)  # the same paths come back in every week of a backfill
def _is_test(path: str) -> bool:
    # test code, not a CI workflow that happens to be named "..._test.yaml"
    return bool(_TEST_PATH.search(path))


# ---------------------------------------------------------------- aggregate rows

def story_rows(week: str, current: pd.DataFrame, history: Mapping[str, pd.DataFrame] | None = None) -> list[dict]:
    """Themes, events and follow-ups of ``week`` as ``weekly_aggregates`` rows.

    ``key`` is the theme name or event type, ``value`` the PR count, ``prs`` the PRs (for an
    event the first is the PR the event is about) and ``detail`` a JSON object of the rest.
    """
    history = {k: v for k, v in (history or {}).items() if k < week}
    rows = []
    for t in find_themes(current, history):
        rows.append(_story_row("theme", t["name"], week, t["prs"],
                               {"basis": t["basis"], "term": t["key"].removeprefix("label:")}))
    events = find_events(week, current, history)
    for e in events:
        rows.append(_story_row("event", e["type"], week, e["prs"], e["detail"]))
    previous = history.get(_shift(week, -1))
    if previous is not None and len(previous):  # a flagged PR reverted within its own week is no open item
        events = events + reverts(_shift(week, -1), previous, {k: v for k, v in history.items() if k < _shift(week, -1)})
    for f in follow_ups(current, previous, events):
        rows.append(_story_row("follow_up", f["status"], week, [f["number"]] + f["by"],
                               {"title": f["title"], "risks": f["risks"], "kind": f["kind"], "modules": f["modules"]}))
    return rows


def _story_row(section: str, key: str, week: str, prs: list[int], detail: dict) -> dict:
    return {"section": section, "key": key, "week": week, "value": float(len(prs)), "share": None,
            "previous_value": None, "previous_share": None, "trailing_value": None, "trailing_share": None,
            "prs": [int(p) for p in prs], "additions": None, "deletions": None, "first_time": None,
            "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True)}


def _shift(week: str, weeks: int) -> str:
    import datetime as dt

    return (dt.date.fromisoformat(week) + dt.timedelta(weeks=weeks)).isoformat()


# ---------------------------------------------------------------- the report model's stories

MODULE_THEMES_FROM = 2   # a module gathers the PRs no found theme took when it has this many
THEME_LEADS = 3
AUXILIARY = frozenset({"tests", "docs", "ci/build", "ci", "build", "dependencies", "benchmarks",
                       "examples", "tools", "scripts"})
_ACTIONS = (
    ("revert", re.compile(r"^revert", re.IGNORECASE)),
    ("add", re.compile(r"^(add|adds|added|introduce|implement|support|supports|enable|new|create|allow)\b", re.IGNORECASE)),
    ("fix", re.compile(r"^(fix|fixes|fixed|bugfix|hotfix|correct|resolve|avoid|prevent|handle)\b", re.IGNORECASE)),
    ("remove", re.compile(r"^(remove|removes|delete|deletes|drop|drops|deprecate|clean ?up)\b", re.IGNORECASE)),
    ("refactor", re.compile(r"^(refactor|unify|rework|rewrite|restructure|move|rename|simplify|split|extract)\b", re.IGNORECASE)),
    ("optimize", re.compile(r"^(optimi[sz]e|speed|accelerate|reduce|improve|fuse|cache)\b", re.IGNORECASE)),
    ("upgrade", re.compile(r"^(bump|upgrade|update|pin|sync)\b", re.IGNORECASE)),
)
_KIND_ACTION = {"feature": "add", "bugfix": "fix", "performance": "optimize", "refactor": "refactor",
                "docs": "document", "tests": "test", "ci/build": "ci", "dependencies": "upgrade",
                "revert": "revert", "chore": "change"}


def pr_gist(title: str, kind: str, modules: Iterable[str] = ()) -> dict:
    """What a PR does, as an action code and a subject (a name from the title, else its module).

    Templates turn it into a noun phrase in any language ("#8118（新增 DFlash 支持）")
    instead of repeating the English title.
    """
    text = title if isinstance(title, str) else ""
    # the sentence after the bracketed / conventional-commit prefixes: "[Bugfix][Core] Fix X" -> "Fix X"
    text = re.sub(r"^\s*(?:(?:\[[^\]]*\]|【[^】]*】)\s*)+|^\s*[\w-]+(?:\([^)]*\))?!?:\s+", "", text)
    words = _words(text)
    first = words[0] if words else ""
    action = next((code for code, rx in _ACTIONS if rx.match(first)), None)
    if kind == "revert" or action is None or (kind in ("ci/build", "docs", "tests")
                                              and action not in ("add", "fix", "remove")):
        action = _KIND_ACTION.get(kind, "change")
    quoted = _QUOTED.search(text) if action == "revert" else None
    if quoted:  # Revert "[Kernel] Guard head sizes (#4978)": named after what it reverts
        words = _words(re.sub(r"^\s*(?:(?:\[[^\]]*\]|【[^】]*】)\s*)+", "", quoted.group(1)))
    module = next((m for m in modules if m not in AUXILIARY), next(iter(modules), None))
    verb = bool(words) and any(rx.match(first) for _, rx in _ACTIONS)
    return {"action": action, "subject": _subject(words), "module": module,
            "object": _object_phrase(words[1:] if verb else words)}


def name_by_object(gists: list[dict], theme: str) -> None:
    """Mark the gists of one theme bullet that should be told by their object phrase.

    A gist that only repeats the theme ("fix Aurora-2" under Aurora-2) or another gist of the
    same bullet says nothing; its object phrase ("Aurora-2 sliding-window") does.
    """
    keys = Counter((g["action"], (g.get("subject") or g.get("module") or "").lower()) for g in gists)
    for g in gists:
        subject = (g.get("subject") or "").lower()
        echoes = subject == theme.lower() and g["action"] != "add"
        same = keys[(g["action"], (g.get("subject") or g.get("module") or "").lower())] > 1
        obj = g.get("object")
        if obj and (echoes or same or not subject) and obj.lower() != subject:
            g["by_object"] = True


OBJECT_CHARS = 32   # an object phrase longer than this is cut at a preposition, then at a word
_CLAUSE = frozenset("when while after before if during under because since until so that which being not".split())
_ARTICLES = frozenset({"a", "an", "the", "support", "for", "up"})


def _object_phrase(words: list[str]) -> str | None:
    """What the title's verb acts on, short: "prefix-cache hits lost", "deadlock in the async engine".

    The English words stay (a translation would be a guess); templates frame them per language.
    """
    words = list(words)
    while words and words[0].lower() in _ARTICLES:
        words = words[1:]
    cut = next((i for i, w in enumerate(words) if w.lower() in _CLAUSE), len(words))
    words = words[:cut]
    if len(" ".join(words)) > OBJECT_CHARS:  # longest prefix ending before a preposition
        ends = [i for i in range(1, len(words)) if words[i].lower() in _JOINERS
                and words[i - 1].lower() not in _JOINERS and len(" ".join(words[:i])) <= OBJECT_CHARS]
        if ends and ends[-1] >= 2:
            words = words[:ends[-1]]
        while len(" ".join(words)) > OBJECT_CHARS and len(words) > 1:
            words = words[:-1]
    while words and (words[-1].lower() in _JOINERS or words[-1].lower() == "support"):
        words = words[:-1]
    return " ".join(words) or None


# subjects too vague to name a PR by when its theme names it better
GENERIC_SUBJECTS = frozenset({"MoE", "GPU", "CPU", "KV", "API", "CI", "NPU"})
_JOINERS = frozenset("to for of in on with from by and or the a an when while into at as is are be via per after "
                     "before without across beyond".split())


def _subject(words: list[str]) -> str | None:
    """The first run of names in a title ("ARM Neoverse", "GLM-4 MoE", "KV cache offloading")."""
    def is_name(i: int, w: str) -> bool:
        return (bool(_ENTITY.search(w)) or (i > 0 and w[:1].isupper())) and not _VERSIONISH.match(w) \
            and w.lower() not in GENERIC and not re.fullmatch(r"\d+[kKmMbBgG]?", w)
    start = next((i for i, w in enumerate(words) if is_name(i, w)), None)
    if start is None:
        return None
    run = [words[start]]
    extra = 0
    for i in range(start + 1, len(words)):
        w = words[i]
        if is_name(i, w):
            run.append(w)
        elif w.isalpha() and w.islower() and w not in _JOINERS and extra < 2 and len(run[0]) <= 4 \
                and len(run) == 1 + extra:
            run.append(w)  # an acronym wants its noun: "KV cache"
            extra += 1
        else:
            break
    return " ".join(run[:4])


def model_themes(rows: pd.DataFrame, prs: Mapping[int, dict]) -> list[dict]:
    """The report model's themes: found themes first, then modules for the PRs none of them took."""
    found = []
    for _, row in rows.iterrows():
        detail = json.loads(row["detail"]) if isinstance(row["detail"], str) else {}
        members = [int(p) for p in row["prs"] if int(p) in prs]
        if members:
            found.append(_theme(row["key"], members, prs, detail.get("basis", "term")))
    taken = {p for t in found for p in t["prs"]}
    by_module: dict[str, list[int]] = defaultdict(list)
    for number, pr in prs.items():
        if number in taken or pr.get("kind") == "release":  # releases are told as an event
            continue
        code = [m for m in pr.get("modules") or [] if m not in AUXILIARY]
        if code:
            by_module[code[0]].append(number)
    rest = sorted(by_module.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    for module, members in rest:
        if len(found) >= MAX_THEMES:
            break
        if len(members) >= MODULE_THEMES_FROM or any(prs[p].get("highlight") for p in members):
            found.append(_theme(module, sorted(members), prs, "module"))
    return found


def _theme(name: str, members: list[int], prs: Mapping[int, dict], basis: str) -> dict:
    ranked = sorted(members, key=lambda p: (not prs[p].get("highlight"), -prs[p]["score"], p))
    kinds = Counter(prs[p]["kind"] for p in members)
    kind_list = [{"key": k, "count": c} for k, c in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))]
    leads = ranked[:THEME_LEADS]
    mix = ", ".join(f"{c['count']} {c['key']}" for c in kind_list[:3])
    lead = prs[leads[0]]
    summary = (f"{len(members)} PR{'s' if len(members) != 1 else ''} on {name} ({mix}), "
               f"led by #{lead['number']} “{lead['title']}”.")
    return {"name": name, "summary": summary, "prs": ranked, "kinds": kind_list, "basis": basis, "leads": leads,
            "highlights": [p for p in ranked if prs[p].get("highlight")]}


def model_events(rows: pd.DataFrame, prs: Mapping[int, dict]) -> list[dict]:
    """The report model's events, each with an English title and summary (templates re-tell them per language)."""
    out = []
    for _, row in rows.iterrows():
        detail = json.loads(row["detail"]) if isinstance(row["detail"], str) else {}
        numbers = [int(p) for p in row["prs"]]
        event = {"type": row["key"], "prs": numbers, **detail}
        for ref in event.get("reverts", []) + ([event["cause"]] if event.get("cause") else []):
            ref["gist"] = pr_gist(ref.get("title", ""), ref.get("kind") or "", ref.get("modules") or [])
        event["title"], event["summary"] = _event_text(event, prs)
        out.append(event)
    order = {"release": 0, "regression": 1, "revert": 2, "fixup": 3}
    out.sort(key=lambda e: (order.get(e["type"], 9), e["prs"][0]))
    return out


def _title_of(number: int, prs: Mapping[int, dict], fallback: str = "") -> str:
    pr = prs.get(number)
    return pr["title"] if pr else fallback


def _event_text(e: dict, prs: Mapping[int, dict]) -> tuple[str, str]:
    kind, first = e["type"], e["prs"][0]
    if kind == "release":
        n = e.get("count", len(e["prs"]))
        span = e["first"] if n == 1 else f"{e['first']} to {e['last']}"
        return (f"{n} release{'s' if n != 1 else ''}, {span}",
                f"Version PRs {', '.join('#%d' % p for p in e['prs'])} shipped {', '.join(e.get('versions') or [])}.")
    if kind == "revert":
        targets = e.get("reverts") or []
        if not targets:
            return f"#{first} is a revert", f"#{first} “{_title_of(first, prs)}” reverts a change not found in the data."
        names = ", ".join(f"#{t['number']}" for t in targets)
        when = "this week" if all(t["number"] in prs for t in targets) else "an earlier week"
        return (f"#{first} reverted {names}",
                f"#{first} reverts {names} (“{targets[0]['title']}”, merged {when}).")
    if kind == "fixup":
        fixes = e["prs"][1:]
        return (f"{len(fixes)} fix-ups within {e.get('hours')} hours of #{first}",
                f"#{first} “{_title_of(first, prs, 'last week')}” was followed by {', '.join('#%d' % p for p in fixes)} "
                f"touching the same files ({', '.join(e.get('files') or [])}).")
    if kind == "regression":
        cause = e.get("cause") or {}
        return (f"#{first} fixed a regression from #{cause.get('number')}",
                f"#{first} “{_title_of(first, prs)}” repairs a regression its description traces to "
                f"#{cause.get('number')} “{cause.get('title', '')}” (week of {cause.get('week')}).")
    return kind, ", ".join(f"#{p}" for p in e["prs"])


def model_follow_ups(rows: pd.DataFrame) -> list[dict]:
    """Last week's flagged PRs and what became of them this week."""
    out = []
    for _, row in rows.iterrows():
        detail = json.loads(row["detail"]) if isinstance(row["detail"], str) else {}
        numbers = [int(p) for p in row["prs"]]
        out.append({"number": numbers[0], "title": detail.get("title", ""), "risks": detail.get("risks", []),
                    "status": row["key"], "by": numbers[1:],
                    "gist": pr_gist(detail.get("title", ""), detail.get("kind") or "", detail.get("modules") or [])})
    return out


def story_suggestions(themes: list[dict], events: list[dict], follow_ups: list[dict],
                      prs: Mapping[int, dict]) -> list[dict]:
    """Actions a lead can assign on Monday, each tied to this week's PRs (most specific first)."""
    out = []
    for e in events:
        if e["type"] == "regression":
            out.append({"code": "regression_test", "prs": e["prs"][:2], "count": 2})
        elif e["type"] == "revert" and e.get("reverts"):
            out.append({"code": "reland_plan", "prs": e["prs"][:2], "count": 2})
        elif e["type"] == "fixup":
            ci = all(f.startswith((".github/", ".buildkite/", ".gitlab", "ci/", "docker")) for f in e.get("files") or [])
            out.append({"code": "stabilise_ci" if ci else "fixup_review", "prs": e["prs"], "count": len(e["prs"])})
        elif e["type"] == "release" and e.get("count", 0) >= 3:
            out.append({"code": "release_train", "prs": e["prs"], "count": e["count"]})
    for th in themes:
        if th.get("basis") == "module":
            continue
        untested = [p for p in th["prs"] if p in prs and "missing_tests" in (prs[p].get("risks") or [])
                    and prs[p].get("kind") in ("feature", "performance", "refactor", "bugfix")]
        if untested:
            out.append({"code": "theme_tests", "prs": untested[:6], "count": len(untested), "theme": th["name"]})
    still_open = [f["number"] for f in follow_ups if f["status"] == "open"]
    if still_open:
        out.append({"code": "follow_up_open", "prs": still_open, "count": len(still_open)})
    return out
