"""The fact sheet: the week's checked facts, as the one document the narrator may narrate.

Built from the report model (``docs/report-json.md``), never from raw PRs: themes, events,
highlights with their digests, risks with their PRs, suggestions, headline figures with their
changes, and flow figures when the model has them. Shares appear as whole percentages, the
form a sentence uses, so a sentence's "43%" can be compared with the sheet as it stands.
The sheet is language-neutral; its hash (plus model and prompt version) keys the answer cache.
"""

from __future__ import annotations

import hashlib
import json

# PRs listed per theme, risk and suggestion: enough to narrate, small enough to stay cheap
MAX_PRS = 12
MAX_THEMES = 6
SUMMARY_KEYS = ("pr_count", "highlight_count", "mean_score", "additions", "deletions", "changed_files",
                "author_count", "first_time_author_count")


def fact_sheet(model: dict) -> dict:
    """The compact, language-neutral fact sheet of one week's report model."""
    prs = _pr_index(model)
    sheet: dict = {
        "repository": model.get("repository"),
        "week": {k: (model.get("week") or {}).get(k) for k in ("start", "end", "iso")},
        "summary": _summary(model.get("summary") or {}),
        "kinds": [_share_item(k, "kind") for k in _active(model.get("kinds"))],
        "themes": _themes(model, prs),
        "events": [_event(e, prs) for e in model.get("events") or []],
        "highlights": [_highlight(h) for h in model.get("highlights") or []],
        "risks": [{**_share_item(r, "risk"), "prs": _refs(r.get("prs"), prs)} for r in _active(model.get("risks"))],
        "movements": [_movement(mv) for mv in model.get("movements") or []],
        "follow_ups": [{"number": f.get("number"), "title": f.get("title"), "risks": f.get("risks") or [],
                        "status": f.get("status"), "by": _refs(f.get("by"), prs)} for f in model.get("follow_ups") or []],
        "suggestions": [_suggestion(s, key, prs) for s, key in zip(model.get("suggestions") or [],
                                                                   suggestion_keys(model.get("suggestions") or []))],
    }
    if isinstance(model.get("flow"), dict):
        sheet["flow"] = _compact(model["flow"])  # flow figures and their changes, as the model states them
    sheet["pull_requests"] = _cited(sheet, prs)
    return sheet


def sheet_hash(sheet: dict) -> str:
    """A stable hash of a fact sheet (canonical JSON)."""
    text = json.dumps(sheet, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def suggestion_keys(suggestions: list[dict]) -> list[str]:
    """One key per suggestion: its code, plus its theme or a counter when the code repeats."""
    keys: list[str] = []
    for sg in suggestions:
        key = str(sg.get("code"))
        if sg.get("theme"):
            key += f"/{sg['theme']}"
        while key in keys:
            key += "+"
        keys.append(key)
    return keys


def _suggestion(sg: dict, key: str, prs: dict[int, dict]) -> dict:
    item = {"key": key, "code": sg.get("code"), "count": sg.get("count"),
            "prs": _refs(sg.get("prs"), prs, keep_unknown=True)}  # may name an earlier week's PR (re-land, follow-up)
    if sg.get("theme"):
        item["theme"] = sg["theme"]
    return item


def _summary(s: dict) -> dict:
    out = {k: s.get(k) for k in SUMMARY_KEYS if s.get(k) is not None}
    prev = s.get("previous") or {}
    if prev:
        out["previous_week"] = {k: prev[k] for k in SUMMARY_KEYS if prev.get(k) is not None}
        out["change_vs_previous_week"] = {
            k: _round(out[k] - prev[k]) for k in SUMMARY_KEYS if out.get(k) is not None and prev.get(k) is not None
        }
    trailing = s.get("trailing") or {}
    if trailing:
        out["trailing_average"] = {k: trailing[k] for k in ("weeks", "pr_count", "mean_score") if trailing.get(k) is not None}
    return out


def _themes(model: dict, prs: dict[int, dict]) -> list[dict]:
    themes = model.get("themes") or []  # as the report tells them (schema 1.1); none in older models
    out = []
    for th in themes[:MAX_THEMES]:
        numbers = [n for n in th.get("prs") or [] if n in prs]
        kinds: dict[str, int] = {}
        for n in numbers:
            kind = prs[n].get("kind") or "chore"
            kinds[kind] = kinds.get(kind, 0) + 1
        item = {"name": th.get("name"), "pr_count": th.get("count", len(numbers))}
        if th.get("share") is not None:
            item["percent"] = _pct(th["share"])
        item["kinds"] = dict(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))
        item["prs"] = _refs(numbers, prs)
        out.append(item)
    return out


def _event(e: dict, prs: dict[int, dict]) -> dict:
    item = {"type": e.get("type"), "title": e.get("title"), "prs": _refs(e.get("prs"), prs, keep_unknown=True)}
    for key in ("versions", "first", "last", "count", "hours", "files"):
        if e.get(key) is not None:
            item[key] = e[key]
    return item


def _highlight(h: dict) -> dict:
    digest = h.get("digest") or {}
    item = {"number": h.get("number"), "title": h.get("title"), "kind": h.get("kind"), "author": h.get("author"),
            "modules": h.get("modules") or [], "risks": h.get("risks") or [], "score": h.get("score"),
            "additions": h.get("additions"), "deletions": h.get("deletions"), "changed_files": h.get("changed_files")}
    if h.get("theme") is not None:
        item["theme"] = h["theme"]
    what = digest.get("what") or h.get("summary") or ""
    if what:
        item["what"] = what
    if digest.get("why"):
        item["why"] = digest["why"]
    if digest.get("fixes"):
        item["fixes_issues"] = list(digest["fixes"])
    if digest.get("tested") is not None:
        item["tested"] = digest["tested"]
    reasons = [r.get("reason") for r in h.get("risk_reasons") or [] if isinstance(r, dict) and r.get("reason")]
    if reasons:
        item["risk_reasons"] = reasons
    return item


def _movement(mv: dict) -> dict:
    return {"dimension": mv.get("dimension"), "key": mv.get("key"), "direction": mv.get("direction"),
            "percent": _pct(mv.get("share")), "baseline_percent": _pct(mv.get("baseline_share")),
            "baseline": mv.get("baseline"), "count": mv.get("count"), "baseline_count": mv.get("baseline_count")}


def _share_item(item: dict, name: str) -> dict:
    out = {name: item.get("key"), "count": item.get("count")}
    if item.get("share") is not None:
        out["percent"] = _pct(item["share"])
    if item.get("previous_count") is not None:
        out["previous_week_count"] = item["previous_count"]
    return out


def _refs(numbers, prs: dict[int, dict], keep_unknown: bool = False) -> list[int]:
    """PR numbers of this week (or, for events, also earlier weeks' PRs they link to)."""
    return [n for n in list(numbers or [])[:MAX_PRS] if isinstance(n, int) and (keep_unknown or n in prs)]


def _cited(sheet: dict, prs: dict[int, dict]) -> list[dict]:
    """Every PR the sheet names, once, as {number, title, kind}: the kind is what a sentence may call it."""
    numbers: list[int] = []
    for group in ("themes", "events", "risks", "suggestions", "follow_ups"):
        for item in sheet[group]:
            numbers += item.get("prs") or item.get("by") or []
    numbers += [h["number"] for h in sheet["highlights"]] + [f["number"] for f in sheet["follow_ups"]]
    earlier = {f["number"]: f.get("title") for f in sheet["follow_ups"]}
    out = []
    for n in dict.fromkeys(n for n in numbers if isinstance(n, int)):
        pr = prs.get(n)
        # an earlier week's PR (an event's cause, a follow-up): its title when known, no kind this week
        out.append({"number": n, "title": pr.get("title") or "", "kind": pr.get("kind") or "unclassified"} if pr
                   else {"number": n, "earlier_week": True, **({"title": earlier[n]} if earlier.get(n) else {})})
    return out


def _compact(value):
    """``value`` without nulls, empty lists and PR lists: the figures, smaller."""
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items() if v not in (None, [], {}) and k != "prs"}
    if isinstance(value, list):
        return [_compact(v) for v in value if v not in (None, [], {})]
    return value


def _pr_index(model: dict) -> dict[int, dict]:
    prs = {p["number"]: p for p in model.get("pull_requests") or [] if isinstance(p.get("number"), int)}
    for h in model.get("highlights") or []:
        prs.setdefault(h["number"], h)
    return prs


def _active(items) -> list[dict]:
    return [i for i in items or [] if (i.get("count") or 0) > 0]


def _pct(share) -> int | None:
    return None if share is None else int(round(float(share) * 100))


def _round(value):
    value = round(float(value), 2)
    return int(value) if value.is_integer() else value
