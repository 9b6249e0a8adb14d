"""Themes, events and digests: unit cases, and stories a maintainer tells about real weeks.

The real weeks (../shared, skipped when absent) are read and enriched as the pipeline
does; the expectations were written by reading those weeks, and the code finds them
without any rule keyed to these PR numbers.
"""

from __future__ import annotations

import datetime as dt
import functools

import pandas as pd
import pytest

from report_pipeline.config import HighlightConfig
from report_pipeline.domain import stories
from report_pipeline.domain.enrich import enrich
from report_pipeline.domain.rules import load_rule_set
from report_pipeline.domain.text import digest
from report_pipeline.sources.sample import read_sample_week
from report_pipeline.weeks import week_window
from report_pipeline_tests.conftest import shared_pulls

# ---------------------------------------------------------------- units

def test_spellings_are_one_term():
    keys = {stories.term_key(s) for s in ("model_runner_v2", "Model Runner v2", "model-runner-v2", "ModelRunnerV2")}
    assert keys == {"modelrunnerv2"}
    assert stories.acronym(["model", "runner", "v2"]) == "mrv2"
    assert stories.acronym(["ModelRunnerV2"]) == "mrv2"


def test_pr_terms_are_computed_once_but_each_caller_gets_its_own():
    first = stories.pr_terms("[Kernel] Add FP8 GEMM", ["cuda"])
    assert {"fp8", "label:cuda"} <= set(first)
    first.clear()  # the cached terms of this title must not change with it
    assert stories.pr_terms("[Kernel] Add FP8 GEMM", ["cuda"]) == stories.pr_terms("[Kernel] Add FP8 GEMM", ("cuda",))
    assert "fp8" in stories.pr_terms("[Kernel] Add FP8 GEMM", ["cuda"])


def test_release_versions():
    assert stories.release_version("Bump version to 0.11.9") == "0.11.9"
    assert stories.release_version("chore(release): 1.2.0") == "1.2.0"
    assert stories.release_version("[Doc] Add release note for v0.15.0rc1") == "0.15.0rc1"
    assert stories.release_version("[CI/Build] Bump flashinfer to 0.4.2") is None
    assert stories.release_version("Sync latest Python releases") is None


def _frame(rows: list[dict]) -> pd.DataFrame:
    base = {"body": "", "labels": [], "files": [], "kind": "chore", "highlight": False, "risks": [],
            "score": 1.0, "merge_commit_sha": None, "modules": []}
    return pd.DataFrame([base | r for r in rows])


def _at(day: int, hour: int) -> pd.Timestamp:
    return pd.Timestamp(dt.datetime(2026, 11, 16 + day, hour, tzinfo=dt.timezone.utc))


def test_revert_links_to_an_earlier_week_by_commit():
    earlier = _frame([{"number": 10, "title": "Speed up image builds", "merged_at": _at(-2, 1),
                       "merge_commit_sha": "abcdef1234567890"}])
    now = _frame([{"number": 20, "title": "[CI] Revert the image speed-up", "kind": "revert",
                   "body": "git revert abcdef1234", "merged_at": _at(0, 1)}])
    (event,) = stories.find_events("2026-11-16", now, {"2026-11-09": earlier})
    assert event["type"] == "revert" and event["prs"] == [20, 10]
    assert event["detail"]["reverts"][0]["week"] == "2026-11-09"


def test_fixup_burst_needs_specific_shared_files_and_fixes():
    files = [{"path": ".github/workflows/build.yaml"}]
    now = _frame([
        {"number": 1, "title": "[CI] Move builds to self-hosted runners", "files": files, "merged_at": _at(0, 1)},
        {"number": 2, "title": "[CI] Fix runner label", "files": files, "merged_at": _at(0, 2)},
        {"number": 3, "title": "[CI] Fix cache path on the new runners", "files": files, "merged_at": _at(0, 3)},
        {"number": 4, "title": "[CI] Add a lint job", "files": files, "merged_at": _at(0, 4)},   # not a fix
        {"number": 5, "title": "Fix typo", "files": [{"path": "README.md"}], "merged_at": _at(0, 2)},
    ])
    (event,) = [e for e in stories.find_events("2026-11-16", now) if e["type"] == "fixup"]
    assert event["prs"] == [1, 2, 3] and event["detail"]["hours"] == 2.0


def test_theme_is_unusual_against_history_and_ignores_routine():
    history = {f"2026-{m:02d}-0{d}": _frame(
        [{"number": 100 * m + d * 10 + i, "title": t, "merged_at": _at(-7, 1)}
         for i, t in enumerate(["[Main2Main] Upgrade vllm to 0101", "Fix a typo in docs", "Tidy logging",
                                "Fix Qwen3 loader", "Speed up tokenizer"])])
        for m, d in ((9, 1), (9, 8), (10, 6), (10, 13), (10, 20), (11, 3))}
    now = _frame([{"number": n, "title": t, "merged_at": _at(0, 1)} for n, t in enumerate([
        "[Main2Main] Upgrade vllm to 1116", "[Main2Main] Upgrade vllm to 1117",
        "[Feature] Add DeepSeek V4 support", "[Bugfix] Fix DeepSeek-V4 MTP", "Optimize DeepSeek V4 MoE routing",
        "[model_runner_v2] support eager mode", "[MRv2] fix penalties", "Model Runner v2: add spec decode",
        "Fix Qwen3 loader again", "Tidy logging more",
    ])])
    themes = stories.find_themes(now, history)
    names = {stories.term_key(t["name"]): set(t["prs"]) for t in themes}
    assert names.get("deepseekv4") == {2, 3, 4}
    assert names.get("modelrunnerv2") == {5, 6, 7}
    assert "main2main" not in names
    assert sum(len(t["prs"]) for t in themes) == len({p for t in themes for p in t["prs"]})


def test_digest_skips_history_and_reads_sections():
    body = ("## Purpose\nThis PR is inherited from #123.\nAdd DFlash speculative decoding for Ascend.\n"
            "It cuts decode latency by 20%.\n## Motivation\nUsers asked for faster decoding on NPUs.\n"
            "Fixes #77\n## Test Plan\npytest tests/spec_decode -k dflash\n")
    d = digest(body)
    assert d["what"] == "Add DFlash speculative decoding for Ascend."
    assert d["why"] == "Users asked for faster decoding on NPUs."
    assert d["fixes"] == [77] and d["tested"] is True
    assert digest(None) == {"what": "", "why": "", "fixes": [], "tested": None}


def test_gist_for_noun_phrases():
    g = stories.pr_gist("[Feature] Add DFlash support", "feature", ["spec_decode"])
    assert g == {"action": "add", "subject": "DFlash", "module": "spec_decode", "object": "DFlash"}
    assert stories.pr_gist("[Bugfix] Fix Mistral tool parser", "bugfix")["subject"] == "Mistral"


def test_gist_object_is_the_short_phrase_the_verb_acts_on():
    def obj(title: str) -> str | None:
        return stories.pr_gist(title, "bugfix")["object"]
    # a subordinate clause goes, then a long phrase is cut before a preposition, never mid-name
    assert obj("[BugFix][Core] Fix deadlock in the async engine when the output queue is full") \
        == "deadlock in the async engine"
    assert obj("[Bugfix] Fix prefix-cache hits lost after lazy block allocation") == "prefix-cache hits lost"
    assert obj("[BugFix] Fix model runner crash on an empty batch after all requests finish") == "model runner crash"
    assert obj("Fix request timeout not being honoured while waiting") == "request timeout"
    assert len(obj("Fix " + " ".join(["verylongword"] * 10)) or "") <= stories.OBJECT_CHARS


def test_gists_that_only_repeat_the_theme_or_each_other_are_told_by_their_object():
    gists = [stories.pr_gist(t, "bugfix", ["engine"]) for t in
             ("Fix deadlock in the async engine", "Fix race between abort and detokenization",
              "Fix GLM-4 tool parser dropping arguments", "Fix Aurora-2 sliding-window attention")]
    stories.name_by_object(gists, "Aurora-2")
    assert [g.get("by_object", False) for g in gists] == [True, True, False, True]
    twins = [stories.pr_gist(t, "bugfix") for t in ("Fix GLM-4 parser dropping arguments", "Fix GLM-4 parser leaking tokens")]
    stories.name_by_object(twins, "tool-calling")
    assert [g.get("by_object") for g in twins] == [True, True]
    assert twins[0]["object"] != twins[1]["object"]


# ---------------------------------------------------------------- real weeks

REPOS = {"vllm-project/vllm-ascend": ("vllm-project__vllm-ascend.jsonl.gz", "vllm"),
         "astral-sh/uv": ("astral-sh__uv.jsonl.gz", "uv")}


@functools.cache
def _week(repo: str, week: str) -> pd.DataFrame:
    path, rules = REPOS[repo]
    raw = read_sample_week(shared_pulls() / path, repo, week_window(week, "UTC"))
    return enrich(raw, load_rule_set(rules, []), HighlightConfig())


def _stories(repo: str, week: str, back: int = 12):
    start = dt.date.fromisoformat(week)
    history = {(start - dt.timedelta(weeks=i)).isoformat(): _week(repo, (start - dt.timedelta(weeks=i)).isoformat())
               for i in range(1, back + 1)}
    return stories.find_themes(_week(repo, week), history), stories.find_events(week, _week(repo, week), history)


def test_uv_release_train_and_a_regression_fixed():
    shared_pulls()
    _, events = _stories("astral-sh/uv", "2025-12-29", back=3)
    release = next(e for e in events if e["type"] == "release")
    assert release["detail"]["versions"] == ["0.9.19", "0.9.20", "0.9.21"]
    regression = next(e for e in events if e["type"] == "regression")
    assert regression["prs"] == [17265, 17157] and regression["detail"]["cause"]["week"] == "2025-12-15"


def test_uv_week_with_three_releases_and_a_same_week_revert():
    shared_pulls()
    themes, events = _stories("astral-sh/uv", "2026-03-23", back=4)
    assert next(e for e in events if e["type"] == "release")["detail"]["count"] == 3
    assert [18692, 18669] in [e["prs"] for e in events if e["type"] == "revert"]
    assert "uvselfupdate" in {stories.term_key(t["name"]) for t in themes}


@pytest.mark.parametrize("week", ["2026-02-23", "2026-03-02"])
def test_vllm_ascend_ci_image_refactor_fixups_then_revert(week):
    """#6708 refactored image building; fixes followed within hours; next week one PR reverted all four."""
    shared_pulls()
    _, events = _stories("vllm-project/vllm-ascend", week, back=4)
    if week == "2026-02-23":
        burst = next(e for e in events if e["type"] == "fixup" and e["prs"][0] == 6708)
        assert set(burst["prs"][1:]) >= {6867, 6871}
    else:
        revert = next(e for e in events if e["type"] == "revert" and e["prs"][0] == 6891)
        assert set(revert["prs"][1:]) == {6708, 6867, 6871, 6884}
        # unrelated fixes that merely touch a hot file are no burst
        assert not any(e["type"] == "fixup" and e["prs"][0] == 6944 for e in events)


def test_vllm_ascend_model_family_themes_not_routine():
    shared_pulls()
    themes, _ = _stories("vllm-project/vllm-ascend", "2026-03-16")
    keys = {stories.term_key(t["name"]) for t in themes}
    assert {"glm47", "kimik25"} <= keys
    assert not keys & {"main2main", "vllmcommit", "upgradevllm"}
    themes, _ = _stories("vllm-project/vllm-ascend", "2026-03-09")
    assert "qwen35" in {stories.term_key(t["name"]) for t in themes}


def test_bundled_sample_tells_its_stories():
    """The sample's last two weeks carry a CI migration with fix-ups (reverted the next week),
    a release train, a new model family and a regression fixed a week after its cause."""
    from report_pipeline_tests.conftest import SAMPLE

    def week(key: str) -> pd.DataFrame:
        raw = read_sample_week(SAMPLE, "lumen-ai/lumen", week_window(key, "UTC"))
        return enrich(raw, load_rule_set("lumen", []), HighlightConfig())

    keys = ["2026-10-19", "2026-10-26", "2026-11-02", "2026-11-09", "2026-11-16"]
    frames = {k: week(k) for k in keys}
    burst = [e for e in stories.find_events("2026-11-09", frames["2026-11-09"], frames) if e["type"] == "fixup"]
    assert len(burst) == 1 and len(burst[0]["prs"]) == 4 and burst[0]["detail"]["hours"] < 3
    events = stories.find_events("2026-11-16", frames["2026-11-16"], frames)
    by_type = {e["type"]: e for e in events}
    assert by_type["release"]["detail"]["versions"] == ["0.14.1", "0.14.2", "0.14.3"]
    assert by_type["revert"]["prs"][1] == burst[0]["prs"][0]          # the migration itself, a week later
    assert by_type["regression"]["detail"]["cause"]["week"] == "2026-11-09"
    themes = stories.find_themes(frames["2026-11-16"], {k: v for k, v in frames.items() if k < "2026-11-16"})
    assert themes[0]["name"] == "Aurora-2" and len(themes[0]["prs"]) == 5
