"""Rendering the report model (``docs/report-json.md``) as Markdown, HTML, JSON and an archive index.

Design: both Markdown and HTML environments run with autoescape. The HTML one escapes with
markupsafe as usual; the Markdown one has a ``finalize`` hook that neutralises every value a
template prints as Markdown (see ``markdown_safe``) unless a filter already made it safe.
PR text is therefore always *data* handed to templates, never template source, and a
forgotten filter errs on the side of escaping. Sentences live in ``templates/<lang>/text.j2``
and are shared by both formats; only the markup filters (``t``, ``code``, ``pr``, ``b``) differ.
The all-PRs table rows, printed for every PR in both formats, are built in Python (``pr_row``)
with the same neutralising as ``{{ value }}``: it is the largest share of a report's rendering.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.compiler import CodeGenerator
from markupsafe import Markup, escape

from report_pipeline.domain import charts
from report_pipeline.domain.markdown_safe import (
    clean,
    html_link,
    html_text,
    md_code,
    md_link,
    md_text,
    safe_url,
    truncate,
)
from report_pipeline.narrate.view import MARK, narrated_view

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
LANGUAGES = ("en", "zh")
RISK_CODES = ("core_path", "missing_tests", "platform_compat", "interface_change",
              "kernel_safety", "dependency_change", "large_change")
KIND_ORDER = ("feature", "bugfix", "performance", "refactor", "docs", "tests", "ci/build",
              "dependencies", "revert", "chore")


# ---------------------------------------------------------------- shared filters

def fmt_num(value: object) -> str:
    """``1234`` -> ``1,234``; floats keep up to two decimals; non-numbers come back as text.

    Formatted numbers are returned as Markup (digits, commas and dots need no escaping);
    anything else stays a plain string so the environment escapes it: it may be untrusted.
    """
    if type(value) is int:  # the common case first (bool is not int here): counts, lines, PR numbers
        return Markup(f"{value:,}")
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        try:
            number = float(value.strip().replace(",", ""))
        except ValueError:
            return value
        if number != number or number in (float("inf"), float("-inf")):
            return "–"
        value = number
    if isinstance(value, float):
        if value.is_integer():
            return Markup(f"{int(value):,}")
        return Markup(f"{value:,.2f}".rstrip("0").rstrip("."))
    if isinstance(value, int):
        return Markup(f"{value:,}")
    return str(value)


def fmt_pct(share: float | str | None) -> str:
    """A share in [0, 1] as a whole percentage: ``0.4262`` -> ``43%``."""
    if share is None:
        return "–"
    return Markup(f"{float(share) * 100:.0f}%")


def fmt_signed(value: float | str | None) -> str:
    """Score points with a sign: ``2.1`` -> ``+2.1``."""
    if value is None:
        return ""
    v = float(value)
    return Markup(("+" if v >= 0 else "−") + fmt_num(abs(v)))


@cache
def strings(language: str) -> dict:
    """The per-language labels (``templates/<lang>/strings.toml``)."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; expected one of {LANGUAGES}")
    with open(TEMPLATES / language / "strings.toml", "rb") as fh:
        return tomllib.load(fh)


def _label_filter(fmt: str):
    @pass_context
    def label(ctx, key: object, table: str):
        known = ctx["L"].get(table, {})
        if isinstance(key, str) and key in known:
            return known[key]  # trusted: from our strings file
        return key  # unknown code from the data: printed, hence escaped, as text
    return label


@pass_context
def _pr_url(ctx, number: object) -> str | None:
    pr = ctx["prs"].get(number)
    if pr and safe_url(pr.get("url")):
        return pr["url"]
    base = safe_url(ctx["m"].get("repository_url"))
    return f"{base}/pull/{int(number)}" if base and isinstance(number, int) else None


# ---------------------------------------------------------------- per-format filters

def _md_finalize(value: object) -> object:
    if isinstance(value, Markup):
        return value
    if value is None:
        return Markup("")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Markup(fmt_num(value))
    return md_text(value)


def _html_finalize(value: object) -> object:
    return "" if value is None else value


def _md_out(value: object) -> Markup:
    """What ``{{ value }}`` prints in Markdown: ``escape(_md_finalize(value))``."""
    if type(value) is Markup:
        return value  # escape() would only copy it
    out = _md_finalize(value)
    return out if type(out) is Markup else escape(out)


def _html_out(value: object) -> Markup:
    """What ``{{ value }}`` prints in HTML: ``escape(_html_finalize(value))``."""
    if type(value) is Markup:
        return value
    return escape("" if value is None else value)


class _EscapingFinalizeCodeGenerator(CodeGenerator):
    """Prints ``{{ x }}`` as ``finalize(x)`` where finalize escapes itself (``_md_out``/``_html_out``).

    jinja2 would print ``escape(finalize(x))``: a second call per printed value, and a copy of
    every Markup value (most of them, since the filters return Markup). Only autoescaped
    output is changed, and only for our escaping finalizers, so nothing is printed unescaped;
    anything else (or another jinja2 version not calling this hook) keeps jinja2's code,
    which is still correct, as escaping an escaped value changes nothing.
    """

    def _fused(self, frame) -> bool:
        return (self.environment.finalize in (_md_out, _html_out)
                and frame.eval_ctx.autoescape and not frame.eval_ctx.volatile)

    def _output_child_pre(self, node, frame, finalize) -> None:
        if self._fused(frame) and finalize.src == "environment.finalize(":
            self.write(finalize.src)
        else:
            super()._output_child_pre(node, frame, finalize)

    def _output_child_post(self, node, frame, finalize) -> None:
        if self._fused(frame) and finalize.src == "environment.finalize(":
            self.write(")")
        else:
            super()._output_child_post(node, frame, finalize)


def _memo_pr(link):
    """``link`` memoised per render: a PR is linked in many places (tables, lists, themes) alike.

    The link depends only on the number and the render's model (``prs``, repository URL), so
    one render's context holds the cache (``_pr_links``, created by ``_context``).
    """
    @pass_context
    def pr(ctx, number: object) -> Markup:
        links = ctx.get("_pr_links")
        if links is None or type(number) is not int:
            return link(ctx, number)
        out = links.get(number)
        if out is None:
            out = links[number] = link(ctx, number)
        return out
    return pr


def _md_pr(ctx, number: object) -> Markup:
    label = Markup(f"#{number}") if isinstance(number, int) else md_text(f"#{number}")
    return md_link(label, _pr_url(ctx, number), text_is_markup=True)


def _html_pr(ctx, number: object) -> Markup:
    return html_link(f"#{number}", _pr_url(ctx, number))


def _md_bold(value: object) -> Markup:
    inner = value if isinstance(value, Markup) else md_text(value)
    return Markup(f"**{inner}**")


def _html_bold(value: object) -> Markup:
    return Markup("<strong>%s</strong>") % (value if isinstance(value, Markup) else html_text(value))


def _md_trunc(value: object, limit: int = 120) -> Markup:
    return md_text(truncate(value, limit))


def _html_trunc(value: object, limit: int = 120) -> Markup:
    return html_text(truncate(value, limit))


def _narrated_filter(fmt: str):
    """Model-written text (already fact-locked): escaped as untrusted, ``#N`` linked, marked ✎."""
    text_fn = md_text if fmt == "md" else html_text
    pr_fn = _md_pr if fmt == "md" else _html_pr

    @pass_context
    def narrated(ctx, text: object) -> Markup:
        parts = re.split(r"#(\d+)", str(text or ""))
        out = [pr_fn(ctx, int(p)) if i % 2 else text_fn(p) for i, p in enumerate(parts) if p]
        return Markup("").join(out) + Markup(" " + MARK)
    return narrated


# ---------------------------------------------------------------- the all-PRs table rows
# Every PR of the week gets a row in both formats: the row is built here in one call instead
# of a dozen template expressions. Each value goes through exactly what ``{{ value }}`` does in
# the template (``escape(finalize(value))``), so the row is the same text, neutralised alike.

_MD_PR, _HTML_PR = _memo_pr(_md_pr), _memo_pr(_html_pr)
_LABEL = _label_filter("")


def _risk_why(p: Mapping, code: object, trunc) -> Markup:
    """The file, path rule or words that raised risk ``code`` on PR ``p`` (enrich.assess_risks), or "".

    As text.j2's ``risk_why`` macro prints it: the first matching reason, truncated (trunc
    returns Markup, which both formats print unchanged).
    """
    for x in p.get("risk_reasons") or []:
        if x["id"] == code:
            return trunc(x["reason"], 90)
    return Markup("")


@pass_context
def _md_pr_row(ctx, p: Mapping) -> Markup:
    """``| #N ★ | title | author | score | risk (why); … |``."""
    risks = []
    for c in p["risks"]:
        why = _risk_why(p, c, _md_trunc)
        # an f-string, not Markup + str: Markup's + would escape the (already neutral) reason again
        risks.append(f"{_md_out(_LABEL(ctx, c, 'risks'))}{f' ({why})' if why else ''}")
    author = md_text(p["author"] or ctx["L"]["ui"]["unknown_author"])
    return Markup(f"| {_md_out(_MD_PR(ctx, p['number']))}{' ★' if p['highlight'] else ''}"
                  f" | {_md_out(_md_trunc(p['title'], 100))} | {author} | {_md_out(fmt_num(p['score']))}"
                  f" | {'; '.join(risks)} |")


_HTML_ROW = """<tr%s>
<td class="num" data-v="%s">%s%s</td>
<td class="title">%s</td>
<td>%s</td>
<td>%s</td>
<td>%s</td>
<td class="num" data-v="%s"%s>%s</td>
<td class="num" data-v="%s">+%s/−%s</td>
<td class="risks">%s</td>
</tr>"""


def _html_risk_tags(ctx, p: Mapping) -> str:
    tags = []
    for c in p["risks"]:
        why = _risk_why(p, c, _html_trunc)
        tip, note = (' title="%s"' % why, ' <small class="why">%s</small>' % why) if why else ("", "")
        tags.append('<span class="tag risk"%s>%s</span>%s' % (tip, _html_out(_LABEL(ctx, c, "risks")), note))
    return "".join(tags)


_SCALARS = (str, int, float, bool, type(None))
_REASON_KEYS = ("code", "value", "points")


def _reason_text(ctx, reason, r: object) -> Markup:
    """``reason(r)``, memoised per render: most score reasons (``kind feature``, ``+1.0``) recur.

    The macro reads only ``code``, ``value`` and ``points`` (and the render's strings), so
    those three, by type and repr, decide its text; anything else is rendered afresh.
    """
    memo = ctx.get("_reasons")
    fields = [r[k] for k in _REASON_KEYS] if type(r) is dict and all(k in r for k in _REASON_KEYS) else None
    if memo is None or fields is None or not all(type(f) in _SCALARS for f in fields):
        return reason(r)
    key = tuple((type(f), repr(f)) for f in fields)
    text = memo.get(key)
    if text is None:
        text = memo[key] = reason(r)
    return text


@pass_context
def _reason_filter(ctx, r: object, reason) -> Markup:
    """``r|reason(reason)`` in text.j2: the memoised ``reason(r)`` of ``_reason_text``."""
    return _reason_text(ctx, reason, r)


@pass_context
def _html_pr_row(ctx, p: Mapping, reason) -> Markup:
    """One ``<tr>`` of the sortable table; ``reason`` is the language's ``reason`` macro (score tooltip)."""
    out, hl = _html_out, p["highlight"]
    tip = ' title="%s"' % "; ".join(out(_reason_text(ctx, reason, r)) for r in p["reasons"]) if p["reasons"] else ""
    return Markup(_HTML_ROW % (
        ' class="hl"' if hl else "", out(p["number"]), out(_HTML_PR(ctx, p["number"])), " ★" if hl else "",
        out(_html_trunc(p["title"], 140)),
        html_text(p["author"] or ctx["L"]["ui"]["unknown_author"]),
        out(_LABEL(ctx, p["kind"], "kinds")),
        "".join('<span class="tag">%s</span>' % out(mo) for mo in p["modules"]),
        out(p["score"]), tip, out(fmt_num(p["score"])),
        out(p["additions"] + p["deletions"]), out(fmt_num(p["additions"])), out(fmt_num(p["deletions"])),
        _html_risk_tags(ctx, p)))


_DICT_ATTRS = frozenset(dir(dict))


class _Environment(Environment):
    code_generator_class = _EscapingFinalizeCodeGenerator

    def getattr(self, obj, attribute: str):
        """``m.week``: jinja2's lookup (attribute first, then item), without its failed attribute try.

        The model is plain dicts, whose keys are reached only after ``getattr`` raised; for a
        name that is no dict attribute the outcome is the item or undefined, as in jinja2.
        """
        if type(obj) is dict and attribute not in _DICT_ATTRS:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def _build_env(fmt: str) -> Environment:
    env = _Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # both formats: Markdown's escaping is done in finalize (see module doc)
        finalize=_md_out if fmt == "md" else _html_out,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    md = fmt == "md"
    env.filters.update(
        num=fmt_num,
        pct=fmt_pct,
        signed=fmt_signed,
        label=_label_filter(fmt),
        t=md_text if md else html_text,
        code=md_code if md else (lambda v: Markup("<code>%s</code>") % clean(v)),
        link=(lambda text, url: md_link(text, url)) if md else (lambda text, url: html_link(text, url)),
        pr=_MD_PR if md else _HTML_PR,
        b=_md_bold if md else _html_bold,
        trunc=_md_trunc if md else _html_trunc,
        pr_row=_md_pr_row if md else _html_pr_row,
        reason=_reason_filter,
        # our own strings (risk explanations) need no neutralising, only HTML escaping
        trusted=(lambda s: Markup(s)) if md else (lambda s: escape(s)),
        cell=_md_cell if md else html_text,
        narrated=_narrated_filter(fmt),
        safe_url=safe_url,
        relhref=lambda h: h if isinstance(h, str) and h and not _has_scheme(h) else None,
    )
    env.globals["flow_split"] = flow_split
    return env


def flow_split(figures: list[dict], labels: Mapping[str, str]) -> dict:
    """The flow figures a table shows, and those unknown in every column (told once, with the reason).

    ``bare`` are the unknown ones no source note explains.
    """
    shown = [f for f in figures if f["key"] in labels]
    unknown = [f for f in shown if all(f.get(c) is None for c in ("value", "previous", "trailing"))]
    return {"known": [f for f in shown if f not in unknown], "unknown": unknown,
            "bare": [f for f in unknown if not f.get("note")]}


def _md_cell(value: object) -> Markup:
    return md_text(value)


@cache
def environment(fmt: str) -> Environment:
    """The cached jinja2 environment of a format (``"md"`` or ``"html"``)."""
    if fmt not in ("md", "html"):
        raise ValueError(f"unknown format {fmt!r}")
    return _build_env(fmt)


# ---------------------------------------------------------------- the view

_SUMMARY_DEFAULTS = {"pr_count": 0, "highlight_count": 0, "mean_score": None, "additions": None,
                     "deletions": None, "changed_files": None, "author_count": None,
                     "first_time_author_count": None, "previous": None, "trailing": None}


def _active(items: Sequence[dict] | None) -> list[dict]:
    return [i for i in (items or []) if (i.get("count") or 0) > 0]


def _view(model: dict) -> dict:
    """Figures the templates need that are arrangements of the model's own figures."""
    prs: dict[int, dict] = {}
    for pr in model.get("pull_requests") or []:
        prs[pr["number"]] = pr
    for h in model.get("highlights") or []:
        prs.setdefault(h["number"], h)
    highlights = model.get("highlights") or []
    modules = _active(model.get("modules"))
    # themes are parts of the product; tests, docs, CI and the like are listed but not themes
    code_modules = [m for m in modules if not m.get("auxiliary")] or modules

    # key changes are told per theme (docs/report-json.md "themes"); each PR sits in one theme
    themes: list[dict] = []
    used: set[int] = set()
    for th in model.get("themes") or []:
        members = [prs[n] for n in th.get("prs") or [] if n in prs]
        if not members:
            continue
        leads = [prs[n] for n in th.get("leads") or [] if n in prs] or members[:3]
        used.update(p["number"] for p in members)
        themes.append({**th, "count": len(members), "lead_prs": leads,
                       "top_kind": (th.get("kinds") or [None])[0]})

    groups: dict[str, list[dict]] = {}
    for pr in model.get("pull_requests") or []:
        groups.setdefault(pr.get("kind") or "chore", []).append(pr)
    order = {k: i for i, k in enumerate(KIND_ORDER)}
    kinds_active = _active(model.get("kinds"))
    risks_active = []
    for r in _active(model.get("risks")):
        # the PRs a risk observation names with their own reason: the highest-scored three
        ranked = sorted((prs[n] for n in r.get("prs") or [] if n in prs), key=lambda p: (-p["score"], p["number"]))
        examples = ranked[:3]
        shown = {p["number"] for p in examples}
        risks_active.append({**r, "examples": examples, "others": [n for n in r.get("prs") or [] if n not in shown]})
    return {
        "prs": prs,
        "kinds": kinds_active,
        "tags": _active(model.get("tags")),
        "modules": modules,
        "code_modules": code_modules,
        "risks": risks_active,
        "top_risk": risks_active[0] if risks_active else None,
        "themes": themes,
        "other_highlights": [h for h in highlights if h["number"] not in used],
        "found_themes": [th for th in themes if th.get("basis") != "module"],
        "events": model.get("events") or [],
        "follow_ups": model.get("follow_ups") or [],
        "groups": [{"key": k, "prs": v} for k, v in sorted(groups.items(), key=lambda kv: (order.get(kv[0], 99), kv[0]))],
        "first_timers": [a for a in model.get("authors") or [] if a.get("first_time")],
        "bugfix": next((k for k in model.get("kinds") or [] if k.get("key") == "bugfix"), None),
        "empty": not (model.get("summary") or {}).get("pr_count"),
    }


def _context(model: dict, language: str) -> dict:
    summary = {**_SUMMARY_DEFAULTS, **(model.get("summary") or {})}
    view = _view(model)
    return {"m": model, "s": summary, "L": strings(language), "lang": language, "v": view, "prs": view["prs"],
            "N": narrated_view(model, language),  # model-written sections, when the narrator ran
            "_pr_links": {}, "_reasons": {}}  # this render's PR links and score reasons (_memo_pr, _reason_text)


def _charts(ctx: dict) -> dict[str, Markup]:
    L, v, m = ctx["L"], ctx["v"], ctx["m"]
    kinds_l, risks_l = L["kinds"], L["risks"]
    out = {
        "kinds": charts.hbar_chart([(kinds_l.get(k["key"], k["key"]), k["count"]) for k in v["kinds"]],
                                   L["ui"]["chart_kinds"], css_class="kinds"),
        "modules": charts.hbar_chart([(k["key"], k["count"]) for k in v["modules"][:12]],
                                     L["ui"]["chart_modules"], css_class="modules"),
        "risks": charts.hbar_chart([(risks_l.get(k["key"], k["key"]), k["count"]) for k in v["risks"]],
                                   L["ui"]["chart_risks"], css_class="risks"),
        "trend": Markup(""),
    }
    trend = m.get("trend") or []
    if trend:
        totals: Counter[str] = Counter()
        for w in trend:
            totals.update({c: n for c, n in (w.get("risks") or {}).items() if n})
        # the three risks seen most over the window; more lines turn into noise
        top = [c for c, _ in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:3]]
        out["trend"] = charts.trend_chart(
            [w["week"] for w in trend],
            (L["ui"]["pr_count_series"], [w.get("pr_count") or 0 for w in trend]),
            [(risks_l.get(c, c), [(w.get("risks") or {}).get(c, 0) for w in trend]) for c in top],
            L["ui"]["chart_trend"],
        )
    return out


# ---------------------------------------------------------------- public API

def render_markdown(model: dict, language: str) -> str:
    """The weekly report as Markdown in ``language`` (``"en"`` or ``"zh"``)."""
    ctx = _context(model, language)
    text = environment("md").get_template(f"{language}/report.md.j2").render(ctx)
    # templates are written for readability; collapse the blank-line runs they leave
    lines, blank = [], 0
    for line in text.splitlines():
        blank = blank + 1 if not line.strip() else 0
        if blank <= 1:
            lines.append(line.rstrip())
    return "\n".join(lines).strip() + "\n"


def render_html(model: dict, language: str, alternates: Mapping[str, str] | None = None) -> str:
    """The weekly report as one self-contained HTML page; ``alternates`` maps languages to relative links."""
    ctx = _context(model, language)
    ctx["charts"] = _charts(ctx)
    ctx["alternates"] = [
        {"lang": lang, "name": strings(lang)["lang_name"] if lang in LANGUAGES else lang, "href": href}
        for lang, href in (alternates or {}).items()
        if isinstance(href, str) and not _has_scheme(href)
    ]
    return environment("html").get_template("report.html.j2").render(ctx)


def _has_scheme(href: str) -> bool:
    # alternates are relative links; anything with a scheme (javascript:, data:) is refused
    head = href.split("/", 1)[0]
    return ":" in head


def render_json(model: dict) -> str:
    """The report model as the published JSON document."""
    return json.dumps(model, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def render_index(entries: Sequence[dict]) -> str:
    """The archive page: entries grouped by repository, newest week first."""
    repos: dict[str, list[dict]] = {}
    for e in entries:
        repos.setdefault(str(e.get("repository", "")), []).append(e)
    groups: list[dict[str, object]] = [
        {"repository": r, "entries": sorted(es, key=lambda e: str(e.get("week", "")), reverse=True)}
        for r, es in sorted(repos.items())
    ]
    ctx = {"groups": groups, "L": strings("en"), "Z": strings("zh")}
    return environment("html").get_template("index.html.j2").render(ctx)
