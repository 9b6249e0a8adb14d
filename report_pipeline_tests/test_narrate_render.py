"""Narrated text in the reports: used where the lock passed it, deterministic elsewhere, and said so."""

from __future__ import annotations

import copy
import json

import pytest

from report_pipeline.domain.render import render_html, render_markdown
from report_pipeline.narrate.facts import fact_sheet
from report_pipeline.narrate.lock import FactIndex, check_section
from report_pipeline.narrate.prompt import parse_answer
from report_pipeline_tests.openai_server import good_answer, themed_model
from report_pipeline_tests.report_model_fixture import report_model


def _narrated(model: dict, language: str, doctor=None) -> dict:
    """``model`` with the narration record the narrator makes from a (possibly doctored) faithful answer."""
    sheet = fact_sheet(model)
    answer = good_answer(sheet, language)
    if doctor:
        doctor(answer)
    facts, sections = FactIndex(sheet), {}
    for key, text in parse_answer(json.dumps(answer, ensure_ascii=False)).items():
        problem = check_section(key, text, facts, language)
        sections[key] = {"by": "deterministic", "reason": problem} if problem else {"by": "model", "text": text}
    record = {"status": "partial", "reason": None, "cached": False, "sections": sections}
    return {**model, "narration": {"model": "test-model", "prompt_version": "1", "languages": {language: record}}}


@pytest.fixture(scope="module")
def model():
    return themed_model(report_model())


def test_without_narration_the_report_is_unchanged(model):
    plain = render_markdown(model, "en")
    assert "✎" not in plain
    off = copy.deepcopy(model)
    off["narration"] = {"model": "m", "prompt_version": "1", "languages": {"en": {
        "status": "deterministic", "reason": "server error (HTTP 500)", "cached": False, "sections": {}}}}
    # a failed narration is invisible: the same report, no note
    assert render_markdown(off, "en") == plain and render_html(off, "en") == render_html(model, "en")


@pytest.mark.parametrize("language", ["en", "zh"])
def test_model_written_sections_replace_the_deterministic_text(model, language):
    theme = model["themes"][0]["name"]

    def doctor(answer):
        answer["themes"][theme] = answer["themes"][theme] + " #99999"  # fails the lock: deterministic text

    narrated = _narrated(model, language, doctor)
    md = render_markdown(narrated, language)
    answer = good_answer(fact_sheet(model), language)
    summary_first = answer["summary"].split("#")[0][:20]
    assert summary_first in md
    other = model["themes"][1]["name"]
    assert f"**{other}** — " in md and "✎" in md
    assert "#99999" not in md  # the doctored theme keeps its deterministic text
    highlight = model["highlights"][0]
    assert f"[#{highlight['number']}](" in md.split("### 1. ")[1]  # narrated PR references are links
    note = md.split("✎ ")[-1]
    written, kept = note.split("Kept deterministic" if language == "en" else "以下部分")
    assert "test-model" in written and theme not in written and f"**{theme}**" in kept
    html = render_html(narrated, language)
    assert 'class="narration"' in html and "test-model" in html


def test_narrated_text_is_escaped(model):
    def doctor(answer):
        answer["summary"] = answer["summary"] + " <script>alert(1)</script> **bold** _x_ | y"

    narrated = _narrated(model, "en", doctor)
    assert _narrated(model, "en", lambda a: a.update(summary="See [x](javascript:alert(1)).")
                     )["narration"]["languages"]["en"]["sections"]["summary"]["reason"] == "contains a link"
    assert narrated["narration"]["languages"]["en"]["sections"]["summary"]["by"] == "model"
    html = render_html(narrated, "en")
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
    md = render_markdown(narrated, "en")
    assert "<script>" not in md and "\\*\\*bold\\*\\*" in md
