"""The prompt: what the narrator is asked, and how its answer is read into sections.

One request per week and language asks for every section at once, as one JSON object.
Bump ``PROMPT_VERSION`` whenever the wording or the answer format changes: it is part of
the cache key, so cached answers to an older prompt are not reused.
"""

from __future__ import annotations

import json
import re

PROMPT_VERSION = "1"

LANGUAGE_NAMES = {"en": "English", "zh": "Simplified Chinese (简体中文)"}

SUGGESTION_MEANINGS = {
    "core_without_tests": "core-path changes merged without tests: add tests, load-test before release",
    "kernel_review": "native/kernel code changed: second review, sanitizers, benchmarks",
    "interface_docs": "public interfaces changed: document them, add migration notes",
    "platform_coverage": "platform-specific changes: check CI covers those platforms",
    "dependency_audit": "dependency manifests changed: audit versions, licences, lock files",
    "large_change_followup": "very large changes: watch for regressions, split follow-ups",
    "bugfix_surge": "bug fixes rose: look for a common root cause",
    "no_risk": "no risk flagged: nothing beyond the usual review",
    "regression_test": "a fix (first PR) repaired a regression from the second PR: add a regression test there",
    "reland_plan": "the first PR reverted the second: agree a re-land plan (fix, test, reviewer)",
    "stabilise_ci": "a CI change (first PR) needed follow-up fixes (the others): write down what the setup needs",
    "fixup_review": "fixes to the same files followed the first PR within hours: review it again",
    "release_train": "several releases shipped: check changelogs, consider batching patch releases",
    "theme_tests": "the theme's PRs landed without tests: add tests before the next release",
    "follow_up_open": "last week's flagged PRs still have no test: assign an owner",
}

SYSTEM = "\n".join((
    "You write the prose of a weekly engineering report from a fact sheet (JSON).",
    "Rules, all strict:",
    "- Use only facts in the sheet. Add nothing: no causes, impacts, opinions, praise or plans "
    "that the sheet does not state.",
    "- Every number you write must appear in the sheet exactly as it stands there (counts, percents with %, "
    "scores, hours, versions, dates). Write numbers as digits; never spell them out, never round, never compute "
    "new ones (differences are given under change_vs_previous_week).",
    "- Cite PRs as #NUMBER, only PRs listed in the sheet. In a theme's paragraph cite only that theme's PRs; "
    "in a highlight's digest only that PR; in a suggestion only that suggestion's PRs.",
    "- When a sentence cites a PR, describe it with words that fit its \"kind\" (feature: adds/introduces; "
    "bugfix: fixes; performance: speeds up/optimizes; refactor: refactors; docs: documents; tests: tests; "
    "revert: reverts; dependencies: upgrades/bumps; ci/build: CI/build). Do not call a PR by another kind's words.",
    "- Keep names exactly as written in the sheet (theme names, PR titles, module names, authors, file paths); "
    "do not translate them.",
    "- Plain sentences, no Markdown, no headings, no lists, no links, no emoji.",
    "Answer with one JSON object and nothing else.",
))

ANSWER_FORMAT = """{
  "summary": "executive summary: 3 to 5 sentences on the week as a whole",
  "themes": {"<theme name exactly as in the sheet>": "2 to 3 sentences on that theme"},
  "highlights": {"<PR number>": "exactly 2 sentences: what the PR does and why it matters, from its facts"},
  "suggestions": {"<suggestion key>": "1 to 2 sentences: the follow-up, naming its PRs"}
}"""


def messages(sheet: dict, language: str) -> list[dict]:
    """The chat messages asking for every section of one week in ``language``."""
    lang = LANGUAGE_NAMES[language]
    meanings = {s["code"]: SUGGESTION_MEANINGS.get(s["code"], s["code"]) for s in sheet.get("suggestions") or []}
    # the suggestion codes' meanings are instructions, not facts: they stay out of the fact sheet
    user = (
        f"Write in {lang}."
        + (" Write Chinese prose; keep English names, titles and code identifiers as they are." if language == "zh" else "")
        + f"\nAnswer format (JSON):\n{ANSWER_FORMAT}\n"
        + "Write one entry per theme, per highlight and per suggestion of the sheet.\n"
        + f"Suggestion codes mean: {json.dumps(meanings, ensure_ascii=False)}\n"
        + f"Fact sheet:\n{json.dumps(sheet, ensure_ascii=False, separators=(',', ':'))}"
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


class MalformedAnswer(ValueError):
    """The answer is not the JSON object the prompt asked for."""


def parse_answer(content: str) -> dict[str, str]:
    """The answer's sections as ``{section key: text}``; keys as in ``narrator.section_keys``.

    Tolerates a Markdown code fence around the JSON (many models add one);
    anything else that is not the asked-for object raises ``MalformedAnswer``.
    """
    text = content.strip()
    fence = re.match(r"^```(?:json)?\s*(.*?)\s*```$", text, re.DOTALL)
    if fence:
        text = fence.group(1)
    try:
        data = json.loads(text)
    except ValueError:
        raise MalformedAnswer("the answer is not JSON") from None
    if not isinstance(data, dict):
        raise MalformedAnswer("the answer is not a JSON object")
    sections: dict[str, str] = {}
    if isinstance(data.get("summary"), str):
        sections["summary"] = data["summary"]
    for group, prefix in (("themes", "theme"), ("highlights", "highlight"), ("suggestions", "suggestion")):
        entries = data.get(group)
        if isinstance(entries, dict):
            for key, value in entries.items():
                if isinstance(value, str):
                    sections[f"{prefix}:{str(key).lstrip('#').strip()}"] = value
    if not sections:
        raise MalformedAnswer("the answer has none of the asked-for sections")
    return sections
