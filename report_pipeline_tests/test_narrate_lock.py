"""The fact lock: a faithful answer passes, and each rule rejects a doctored answer."""

from __future__ import annotations

import pytest

from report_pipeline.narrate.facts import fact_sheet, sheet_hash
from report_pipeline.narrate.lock import FactIndex, check_section, sections_in
from report_pipeline.narrate.prompt import MalformedAnswer, messages, parse_answer
from report_pipeline_tests.openai_server import good_answer, themed_model
from report_pipeline_tests.report_model_fixture import report_model


@pytest.fixture(scope="module")
def sheet():
    return fact_sheet(themed_model(report_model()))


@pytest.fixture(scope="module")
def facts(sheet):
    return FactIndex(sheet)


def _sections(answer: dict) -> dict[str, str]:
    import json
    return parse_answer(json.dumps(answer, ensure_ascii=False))


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_faithful_answer_passes_every_section(sheet, facts, language):
    sections = _sections(good_answer(sheet, language))
    assert set(sections) == set(sections_in(sheet))
    assert {k: check_section(k, v, facts, language) for k, v in sections.items()} == dict.fromkeys(sections)


def _first_theme_pr_elsewhere(sheet):
    """A theme and a PR of the sheet that is not in that theme."""
    theme = sheet["themes"][0]
    other = next(p["number"] for p in sheet["pull_requests"] if p["number"] not in theme["prs"] and "kind" in p)
    return theme["name"], other


def test_invented_pr_number_is_rejected(sheet, facts):
    text = f"This week {sheet['repository']} merged {sheet['summary']['pr_count']} PRs, led by #99999."
    assert check_section("summary", text, facts, "en") == "cites #99999, which is not in the fact sheet"


def test_pr_of_another_theme_is_rejected(sheet, facts):
    name, other = _first_theme_pr_elsewhere(sheet)
    text = f"{name} saw {sheet['themes'][0]['pr_count']} PRs, among them #{other}."
    assert check_section(f"theme:{name}", text, facts, "en") == f"cites #{other}, which is not in this theme"
    # the same PR is fine in the summary, which may cite any PR of the sheet
    assert check_section("summary", f"Among them #{other}.", facts, "en") is None


@pytest.mark.parametrize("text,problem", [
    ("This week the repository merged 31 PRs.", "31 is not a figure"),
    ("Bug fixes were 31% of the week.", "31% is not a figure"),
    ("The mean score rose by 0.5.", "0.5 is not a figure"),
    ("Seventeen PRs were merged.", "'Seventeen' (17) is not a figure"),
    ("It shipped in v0.11.99.", "version 0.11.99 is not in the fact sheet"),
    ("It was merged on 2026-04-21.", "date 2026-04-21 is not in the fact sheet"),
    ("The PRs added 9,497 lines.", "9,497 is not a figure"),
])
def test_a_wrong_figure_is_rejected(facts, text, problem):
    assert problem in (check_section("summary", text, facts, "en") or "")


def test_chinese_number_words_are_checked(facts):
    assert "'十五' (15)" in check_section("summary", "本周共合并了十五个 PR。", facts, "zh")
    assert check_section("summary", "本周共合并了三十个 PR。", facts, "zh") is None  # 30 is the week's PR count


def test_figures_of_the_sheet_pass_in_every_form(sheet, facts):
    s = sheet["summary"]
    bug = next(k for k in sheet["kinds"] if k["kind"] == "bugfix")
    text = (f"{s['pr_count']} PRs ({s['change_vs_previous_week']['pr_count']:+d} against last week's "
            f"{s['previous_week']['pr_count']}) added {s['additions']:,} lines; {bug['percent']}% were bug fixes, "
            f"and the mean score was {s['mean_score']} over the week of {sheet['week']['start']}.")
    assert check_section("summary", text, facts, "en") is None


def test_numbers_inside_names_are_not_claims(sheet, facts):
    # titles carry digits ("2-bit", "SM100", "MI300"); copied names are not figures to check
    title = next(p["title"] for p in sheet["pull_requests"] if "SM100" in p.get("title", ""))
    number = next(p["number"] for p in sheet["pull_requests"] if p.get("title") == title)
    assert check_section("summary", f"#{number} ({title}) stands out.", facts, "en") is None


def test_kind_words_must_match_the_pr_kind(sheet, facts):
    feature = next(h for h in sheet["highlights"] if h["kind"] == "feature" and "fix" not in (h["title"] + h.get("what", "")).lower())
    bugfix = next(h for h in sheet["highlights"] if h["kind"] == "bugfix")
    bad = f"#{feature['number']} fixes a crash in the scheduler. It scored {feature['score']}."
    assert check_section(f"highlight:{feature['number']}", bad, facts, "en").startswith(f"calls #{feature['number']} (feature) bugfix")
    good = f"#{feature['number']} adds a new backend. It scored {feature['score']}."
    assert check_section(f"highlight:{feature['number']}", good, facts, "en") is None
    # the same rule in a summary sentence and in Chinese
    assert "calls" in check_section("summary", f"#{bugfix['number']} 新增了一个功能。", facts, "zh")
    assert check_section("summary", f"#{bugfix['number']} 修复了一个问题。", facts, "zh") is None


def test_wrong_language_is_rejected(sheet, facts):
    en = good_answer(sheet, "en")["summary"]
    zh = good_answer(sheet, "zh")["summary"]
    assert check_section("summary", en, facts, "zh") == "not written in Chinese"
    assert check_section("summary", zh, facts, "en") == "not written in English"


def test_form_rules(sheet, facts):
    assert check_section("summary", "See https://example.com for more.", facts, "en") == "contains a link"
    assert check_section("theme:no such theme", "Nothing.", facts, "en") == "not a section of this week's facts"
    assert check_section("summary", "word " * 400, facts, "en").startswith("longer than")


def test_answers_are_parsed_with_or_without_a_code_fence():
    assert parse_answer('```json\n{"summary": "x", "highlights": {"#12": "y"}}\n```') == {"summary": "x", "highlight:12": "y"}
    for bad in ("I cannot help with that.", "[1, 2]", '{"other": 1}', '{"summary": "cut off'):
        with pytest.raises(MalformedAnswer):
            parse_answer(bad)


def test_the_prompt_carries_the_sheet_and_the_language(sheet):
    msgs = messages(sheet, "zh")
    assert msgs[0]["role"] == "system" and "Simplified Chinese" in msgs[1]["content"]
    assert f'"pr_count":{sheet["summary"]["pr_count"]}' in msgs[1]["content"]
    model = themed_model(report_model())
    changed = fact_sheet({**model, "summary": {**model["summary"], "pr_count": 31}})
    assert sheet_hash(changed) != sheet_hash(sheet) and sheet_hash(fact_sheet(themed_model(report_model()))) == sheet_hash(sheet)


def test_flow_figures_are_facts_and_their_changes_too():
    model = themed_model(report_model())
    model["flow"] = {"available": True, "figures": [
        {"key": "time_to_merge_hours.median", "value": 34.1, "previous": 40.5, "change": -6.4, "trailing": None, "prs": [1, 2]}]}
    facts = FactIndex(fact_sheet(model))
    assert check_section("summary", "The median time to merge was 34.1 hours, 6.4 hours less than the 40.5 before.", facts, "en") is None
    assert "34 is not a figure" in check_section("summary", "The median time to merge was 34 hours.", facts, "en")
