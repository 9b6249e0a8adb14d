"""Rendering: sections, figures parsed back out of the text, empty weeks, hostile PR text, index, JSON."""

from __future__ import annotations

import copy
import json
import re

import pytest

from report_pipeline.domain import charts
from report_pipeline.domain.markdown_safe import md_link, md_text
from report_pipeline.domain.render import (
    environment,
    render_html,
    render_index,
    render_json,
    render_markdown,
    strings,
)
from report_pipeline_tests.report_model_fixture import empty_model, report_model

LANGS = ("en", "zh")
HEADINGS = ("summary", "key_changes", "trends", "risks", "highlights", "suggestions", "contributors", "all_prs")


@pytest.fixture(scope="module")
def model() -> dict:
    return report_model()


def _num(text: str) -> float:
    return float(text.replace(",", ""))


@pytest.mark.parametrize("lang", LANGS)
def test_every_section_heading_in_both_formats(model, lang):
    md = render_markdown(model, lang)
    html = render_html(model, lang)
    for key in HEADINGS:
        heading = strings(lang)["headings"][key]
        assert f"\n## {heading}\n" in md, heading
        assert f">{heading}</h2>" in html, heading
    assert md.startswith("# ")
    assert model["repository"] in md and model["week"]["iso"][-2:] in md.splitlines()[0]
    assert "2026-04-13" in md and "2026-04-19" in md and "Asia/Shanghai" in md


def test_english_summary_figures_match_the_model(model):
    md = render_markdown(model, "en")
    s = model["summary"]
    m = re.search(r"merged \*\*([\d,]+) PRs\*\* \(\+([\d.,]+) vs\. last week's ([\d,]+); \+([\d.,]+) vs\. the (\d+)-week "
                  r"average of ([\d.,]+)\), ([\d,]+) of them highlight PRs, with a mean importance score of ([\d.]+)", md)
    assert m, md[:1500]
    pr_count, d_prev, prev, d_trail, weeks, trail, highlights, mean = map(_num, m.groups())
    assert pr_count == s["pr_count"] and highlights == s["highlight_count"] and mean == s["mean_score"]
    assert prev == s["previous"]["pr_count"] and d_prev == s["pr_count"] - s["previous"]["pr_count"]
    assert trail == s["trailing"]["pr_count"] and d_trail == pytest.approx(s["pr_count"] - s["trailing"]["pr_count"])
    assert weeks == s["trailing"]["weeks"]
    m = re.search(r"added ([\d,]+) lines and removed ([\d,]+) across ([\d,]+) distinct files\. ([\d,]+) authors "
                  r"contributed, ([\d,]+) of them for the first time", md)
    assert tuple(map(_num, m.groups())) == (s["additions"], s["deletions"], s["changed_files"], s["author_count"],
                                            s["first_time_author_count"])
    # tags are counted in the trends section's tags line, not in the summary
    line = next(ln for ln in md.splitlines() if ln.startswith("Tags: "))
    tags = dict((k, int(v)) for k, v in re.findall(r"“([^”]+)” (\d+)", line)[:5])
    top = [t for t in model["tags"] if t["count"]][:5]
    assert tags == {t["key"]: t["count"] for t in top}
    risk = model["risks"][0]
    assert f"**core path change**, flagged on {risk['count']} PRs ({round(risk['share'] * 100)}% of the week)" in md


def test_chinese_summary_figures_match_the_model(model):
    md = render_markdown(model, "zh")
    s = model["summary"]
    m = re.search(r"本周 \S+ 共合并 \*\*([\d,]+) 个 PR\*\*（较上周 ([\d,]+) 个增加 ([\d,]+) 个；较前 (\d+) 周均值 ([\d.]+) 个增加 "
                  r"([\d.]+) 个），其中重点 PR ([\d,]+) 个，平均重要性评分 ([\d.]+)", md)
    assert m, md[:1500]
    pr_count, prev, d_prev, weeks, trail, d_trail, highlights, mean = map(_num, m.groups())
    assert (pr_count, highlights, mean) == (s["pr_count"], s["highlight_count"], s["mean_score"])
    assert (prev, d_prev) == (s["previous"]["pr_count"], s["pr_count"] - s["previous"]["pr_count"])
    assert (weeks, trail) == (s["trailing"]["weeks"], s["trailing"]["pr_count"])
    line = next(ln for ln in md.splitlines() if ln.startswith("标签："))
    tags = dict((k, int(v)) for k, v in re.findall(r"“([^”]+)” (\d+) 次", line)[:5])
    assert tags == {t["key"]: t["count"] for t in model["tags"][:5]}
    assert f"新增 {s['additions']:,} 行、删除 {s['deletions']:,} 行" in md
    assert "**核心路径变更**以 10 次位居首位" in md


@pytest.mark.parametrize("lang", LANGS)
def test_movements_name_both_percentages(model, lang):
    md = render_markdown(model, lang)
    assert model["movements"]
    for mv in model["movements"]:
        now, base = f"{mv['share'] * 100:.0f}%", f"{mv['baseline_share'] * 100:.0f}%"
        if lang == "en":
            word = "up" if mv["direction"] == "up" else "down"
            assert re.search(rf"share {now}, {word} from {base} last week", md), (mv, md)
        else:
            word = "上升" if mv["direction"] == "up" else "下降"
            assert f"占比 {now}，较上周的 {base} {word}" in md


def test_trailing_movement_phrasing():
    model = report_model()
    model["movements"] = [{"dimension": "kind", "key": "bugfix", "share": 0.43, "baseline_share": 0.31,
                           "baseline": "trailing", "count": 13, "baseline_count": None, "direction": "up"}]
    assert "bug fix share 43%, up from 31% over the 4-week average" in render_markdown(model, "en")
    assert "缺陷修复占比 43%，较前 4 周均值 31% 上升" in render_markdown(model, "zh")


@pytest.mark.parametrize("lang", LANGS)
def test_highlights_reasons_reviews_and_suggestions(model, lang):
    md = render_markdown(model, lang)
    top = model["highlights"][0]
    size = next(r for r in top["reasons"] if r["code"] == "size")
    if lang == "en":
        assert f"size: {int(size['value']):,} lines changed (+{size['points']:g})" in md
        assert "Adds an independent TurboQuant" in md
        assert "Review: WoosukKwon on `vllm/v1/attention/backends/turboquant_attn.py`" in md and "(3 comments)" in md
        assert "1. Add tests for the core-path changes" in md
    else:
        assert f"变更规模：{int(size['value']):,} 行（+{size['points']:g}）" in md
        assert "评审讨论 3 条，如 WoosukKwon 在" in md
        assert "1. 为缺少测试的核心路径变更补充测试" in md
    assert md.count("\n### ") >= len(model["highlights"])
    # every highlight has its paragraph, linked
    for h in model["highlights"]:
        assert f"[#{h['number']}]({h['url']})" in md


@pytest.mark.parametrize("lang", LANGS)
def test_risk_lists_are_capped(model, lang):
    md = render_markdown(model, lang)
    core = next(r for r in model["risks"] if r["key"] == "core_path")
    assert core["count"] > 8
    line = next(ln for ln in md.splitlines() if ln.startswith("- **" + strings(lang)["risks"]["core_path"]))
    # three named with their reason (highest score first), five more linked, the rest counted
    assert line.count("](https://") == 8
    assert ("and 2 more" if lang == "en" else f"等 {core['count'] - 3} 个") in line
    by_score = sorted((p for p in model["pull_requests"] if p["number"] in core["prs"]), key=lambda p: -p["score"])
    assert line.index(f"#{by_score[0]['number']}]") < line.index(f"#{by_score[1]['number']}]")


def test_reviews_null_and_no_history():
    from report_pipeline_tests.report_model_fixture import build_model
    model = build_model(with_history=False, with_reviews=False)
    for lang in LANGS:
        md = render_markdown(model, lang)
        assert "vs. last week" not in md and "较上周" not in md
        assert "Review discussion" not in md and "评审讨论" not in md
        render_html(model, lang)


@pytest.mark.parametrize("lang", LANGS)
def test_empty_week(lang):
    model = empty_model()
    md = render_markdown(model, lang)
    html = render_html(model, lang)
    assert ("No pull requests were merged" if lang == "en" else "没有合并任何 PR") in md
    for key in HEADINGS:
        assert strings(lang)["headings"][key] in md
    assert "<svg" not in html  # nothing to chart, and no chart error either
    assert 'id="pr-table"' not in html


def test_json_round_trips(model):
    text = render_json(model)
    assert text.endswith("\n")
    assert json.loads(text) == model
    hostile = report_model()
    hostile["pull_requests"][0]["title"] = "中文 <b> \u202e 🚀"
    assert "中文" in render_json(hostile)  # ensure_ascii=False


def test_index_groups_repositories_newest_first():
    def entry(repo, week, n):
        return {"repository": repo, "week": week, "iso": "2026-W" + week[-2:], "pr_count": n, "highlight_count": 2,
                "links": {"en": {"md": f"{repo}/{week}.md", "html": f"{repo}/{week}.html"},
                          "zh": {"md": f"{repo}/{week}.zh.md", "html": f"{repo}/{week}.zh.html"}},
                "json": f"{repo}/{week}.json"}
    html = render_index([entry("a/one", "2026-04-06", 1200), entry("a/one", "2026-04-13", 5),
                         entry("b/<two>", "2026-04-13", 7),
                         {**entry("c/evil", "2026-04-13", 1), "json": "javascript:alert(1)"}])
    assert html.index("2026-04-13.html") < html.index("2026-04-06.html")
    assert html.index("a/one") < html.index("b/&lt;two&gt;")
    assert "1,200" in html and 'href="a/one/2026-04-13.zh.html"' in html
    assert "<two>" not in html and "javascript:" not in html
    assert "No reports yet" in render_index([])


# ---------------------------------------------------------------- hostile input

HOSTILE_TITLE = "<script>alert(1)</script> {{ 7*7 }} [x](javascript:alert(1)) a|b \u202eevil\nsecond line 🚀 `tick` *bold* _u_"
HOSTILE_BODY = "](javascript:alert(1)) <img src=x onerror=alert(2)> {% for x in y %}{{ x }}{% endfor %} # heading\n\x1b[31m"


def hostile_model() -> dict:
    model = report_model()
    first = model["pull_requests"][0]["number"]
    for pr in model["pull_requests"] + model["highlights"]:
        if pr["number"] == first:
            pr["title"] = HOSTILE_TITLE
            pr["author"] = "<b>mallory</b>|x"
            pr["url"] = "javascript:alert(3)"
            pr["modules"] = ["<svg onload=alert(4)>", *pr["modules"]]
            pr["risks"] = ["core_path", *(c for c in pr["risks"] if c != "core_path")]
            pr["risk_reasons"] = [{"id": "core_path", "reason": "<img src=x onerror=alert(6)>|`r` [l](javascript:r)"}]
    h = model["highlights"][0]
    h["summary"] = HOSTILE_BODY
    h["reviews"] = [{"author": "eve</script>", "path": "a|b`.py", "body": "{{ 7*7 }} <script>x</script> [y](javascript:z)"}]
    h["reasons"].append({"code": "labels", "points": 0.1, "value": "<i>lbl</i>,[l](javascript:q)"})
    model["modules"][0]["key"] = "<svg onload=alert(5)>"
    model["tags"][0]["key"] = "`tag`|<t>"
    model["hot_files"][0]["path"] = "x/<evil>|`p`.py"
    model["authors"][0]["author"] = "[a](javascript:b)"
    return model


@pytest.mark.parametrize("lang", LANGS)
def test_hostile_text_is_inert_in_markdown(lang):
    md = render_markdown(hostile_model(), lang)
    assert "<script" not in md and "<img" not in md and "<svg" not in md and "<b>" not in md and "<i>" not in md
    # no link to it survives: every bracket before it is backslash-escaped
    assert not re.search(r"(?<!\\)[\](]\(?javascript:", md)
    assert "\\]\\(javascript:alert\\(1\\)\\)" in md
    for line in md.splitlines():  # {{ 7*7 }} was never evaluated
        if "alert" in line:
            assert not re.search(r"\b49\b", line), line
    assert "{{ 7\\*7 }}" in md  # ... and survives as escaped text
    assert "{% for x in y %}" in md
    assert "\u202e" not in md and "\x1b" not in md
    assert "🚀" in md
    assert "&lt;script&gt;alert\\(1\\)&lt;/script&gt;" in md
    # a pipe in a title cannot add table columns, a newline cannot end the row
    for line in md.splitlines():
        if "evil" in line and line.startswith("| "):
            assert len(re.findall(r"(?<!\\)\|", line)) == 6, line
            assert "second line" in line
    assert not re.search(r"^#+ heading", md, re.M)


@pytest.mark.parametrize("lang", LANGS)
def test_hostile_text_is_inert_in_html(lang):
    html = render_html(hostile_model(), lang, {"x": "javascript:alert(9)", "zh" if lang == "en" else "en": "other.html"})
    body = html.split("<script>\n// Sort the PR table")[0]  # our own script is the only one allowed
    assert "<script" not in body.split("</style>", 1)[1]
    assert "<img" not in html and "<svg onload" not in html and "<b>mallory" not in html and "<i>lbl" not in html
    assert 'href="javascript:' not in html and "javascript:alert(9)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{ 7*7 }}" in html and ">49<" not in html and " 49 " not in html
    assert "\u202e" not in html and "\x1b" not in html and "🚀" in html
    assert 'href="other.html"' in html
    # SVG labels are escaped too
    assert "&lt;svg onload=alert(5)&gt;" in html


def test_every_printed_value_is_neutralised_by_the_environment():
    """``{{ x }}`` prints through the environment's own escaping, whatever the template forgot."""
    data = {"x": "<b>*x*</b>", "d": {"title": "<t>", "items": "key"}, "n": None, "k": 1234}
    html = environment("html").from_string("{{ x }}|{{ d.title }}|{{ n }}|{{ d.items is callable }}").render(data)
    assert html == "&lt;b&gt;*x*&lt;/b&gt;|&lt;t&gt;||True"  # d.items: the method first, as jinja2 does
    md = environment("md").from_string("{{ x }}|{{ d.title }}|{{ n }}|{{ k }}").render(data)
    assert md == "&lt;b&gt;\\*x\\*&lt;/b&gt;|&lt;t&gt;||1,234"
    with pytest.raises(Exception, match="missing"):
        environment("md").from_string("{{ d.missing }}").render(data)


def test_each_table_row_tells_its_own_score_reasons(model):
    """Score reasons recur across PRs (their text is reused within a render): each row keeps its own."""
    m = copy.deepcopy(model)
    prs = m["pull_requests"][:3]
    for pr, value, points in zip(prs, ("core/<a>", "core/b", "core/<a>"), (1.0, 1.0, 2.5), strict=True):
        pr["reasons"] = [{"code": "core_path", "value": value, "points": points}]
    rows = {int(n): row for n, row in re.findall(r'<tr[^>]*>\n<td class="num" data-v="(\d+)">(.*?)</tr>',
                                                 render_html(m, "en"), re.S)}
    tips = [re.search(r'title="([^"]*)">', rows[pr["number"]]).group(1) for pr in prs]
    assert tips == ["touches core modules: core/&lt;a&gt; (+1)", "touches core modules: core/b (+1)",
                    "touches core modules: core/&lt;a&gt; (+2.5)"]
    for h, value in zip(m["highlights"][:2], ("core/<a>", "core/b"), strict=True):
        h["reasons"] = [{"code": "core_path", "value": value, "points": 1.0}]
    ledgers = re.findall(r"^\*Score [\d.,]+: (.*)\*$", render_markdown(m, "en"), re.M)
    assert ledgers[:2] == ["touches core modules: core/&lt;a&gt; (+1)", "touches core modules: core/b (+1)"]


def test_markdown_safe_primitives():
    assert md_link("t", "javascript:alert(1)") == "t"
    assert md_link("t", "https://x.org/a(b)|c") == "[t](https://x.org/a%28b%29%7Cc)"
    assert md_text("# h") == "\\# h" and md_text("1. x") == "1\\. x" and md_text("7.5") == "7.5"
    svg = charts.hbar_chart([("<a>&", 3)], "t<i>")
    assert "<a>" not in svg and "&lt;a&gt;&amp;" in svg and 'aria-label="t&lt;i&gt;"' in svg
    assert charts.hbar_chart([], "x") == "" and charts.trend_chart([], ("a", []), [], "x") == ""


def test_number_formatting(model):
    big = copy.deepcopy(model)
    big["summary"]["additions"] = 1234567
    assert "1,234,567" in render_markdown(big, "en") and "1,234,567" in render_markdown(big, "zh")
