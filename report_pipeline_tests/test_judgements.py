"""The judgement patterns of issue 9, pinned on small synthetic PRs (no real PR numbers).

Signal order, release / unclassified kinds, gitmoji, risk reasons and their false
positives, bots, and what may never be a highlight.
"""

from __future__ import annotations

import pandas as pd
import pytest

from report_pipeline.config import HighlightConfig
from report_pipeline.domain.enrich import enrich, enrich_detailed, parse_title
from report_pipeline.domain.render import render_html, render_markdown
from report_pipeline.domain.rules import RuleSetError, load_rule_set
from report_pipeline.schema import KINDS
from report_pipeline_tests.report_model_fixture import report_model
from report_pipeline_tests.test_enrich import f, frame, pr


@pytest.fixture(scope="module")
def default():
    return load_rule_set("default")


@pytest.fixture(scope="module")
def vllm():
    return load_rule_set("vllm")


@pytest.fixture(scope="module")
def uv():
    return load_rule_set("uv")


def judge(rules, *rows, highlights=HighlightConfig()):
    out, details = enrich_detailed(frame(*rows), rules, highlights)
    return out.assign(kind_source=details["kind_source"].to_numpy())


def kind_of(rules, title, files=(), labels=(), body=None):
    row = judge(rules, pr(1, title, files, labels, body=body)).iloc[0]
    return row["kind"], row["kind_source"]


# --------------------------------------------------------------------------- kinds

@pytest.mark.parametrize(("title", "files", "kind"), [
    # every file a test / doc / manifest: the files decide over a generic prefix
    ("[CI] Add nightly case for the new model", [f("tests/e2e/test_model.py"), f("tests/e2e/configs/m.yaml")], "tests"),
    ("[Misc] Refresh the install guide", [f("docs/install.md"), f("README.md")], "docs"),
    ("[Feature] Pin numpy", [f("requirements/common.txt", 1, 1)], "dependencies"),
    # a docs requirements pin is a dependency change of the docs, not docs prose
    ("Pin sphinx", [f("docs/requirements-docs.txt", 1, 1)], "dependencies"),
    # automation is CI even when it is Markdown
    ("Teach the review agent about lint", [f(".codex/prompts/review.md"), f("AGENTS.md")], "ci/build"),
])
def test_files_decide_when_every_file_is_of_one_sort(vllm, title, files, kind):
    assert kind_of(vllm, title, files) == (kind, "files")


def test_the_rule_sets_own_words_outrank_generic_prefixes_and_files(vllm):
    files = [f(".github/workflows/ci.yaml", 1, 1), f("Dockerfile", 1, 1)]
    assert kind_of(vllm, "[Misc] main2main upgrade vllm", files) == ("dependencies", "keyword")
    assert kind_of(vllm, "[main to main] upgrade main 0210", files) == ("dependencies", "keyword")
    assert kind_of(vllm, "Upgrade vllm to 0.13.0", files) == ("dependencies", "keyword")


def test_a_generic_declared_kind_yields_to_a_leading_fix_or_speed_word(vllm, default):
    code = [f("vllm_ascend/worker/model_runner_v1.py", 30, 5)]
    assert kind_of(vllm, "[Feature] Fixed the accuracy problem of MoE models", code) == ("bugfix", "title")
    assert kind_of(vllm, "[Refactor] Optimized the kv cache usage", code) == ("performance", "title")
    assert kind_of(vllm, "[Feature] Add fused MoE support", code) == ("feature", "prefix")
    assert kind_of(default, "chore: speed up the import", [f("src/pkg/a.py")]) == ("performance", "title")


def test_misc_and_component_prefixes_do_not_decide(vllm):
    code = [f("vllm_ascend/attention/mla_v1.py", 40, 10)]
    assert kind_of(vllm, "[Misc] Clean up unused env var", code) == ("refactor", "title")
    assert kind_of(vllm, "[Attention] Remove dead branch", code)[0] == "refactor"
    assert kind_of(vllm, "[Attention] MLA prefill", code) == ("feature", "weak_prefix")


@pytest.mark.parametrize(("title", "kind"), [
    ("Bump version to 0.10.3", "release"),
    ("Python Polars 1.33.0", "release"),
    ("Rust Polars 0.44.1", "release"),
    ("v2.1.0", "release"),
    ("🔖 Release version 0.120.0", "release"),
    ("Bump ruff from 0.9.3 to 0.9.4", "dependencies"),
    ("Update zip to v8", "dependencies"),
    ("Update fedora:44 Docker digest to b3242de", "dependencies"),
    ("Update CodSpeedHQ/action action to v4.10.6", "dependencies"),
    ("Revert \"Add the thing\"", "revert"),
])
def test_release_bumps_and_version_updates(default, title, kind):
    files = [f("Cargo.toml", 1, 1), f("crates/uv-build-backend/Cargo.toml", 1, 1), f("CHANGELOG.md", 20)]
    assert kind_of(default, title, files)[0] == kind


@pytest.mark.parametrize(("title", "kind"), [
    ("🐛 Fix JSON Schema for files", "bugfix"),
    ("✨ Add `viewport` meta tag", "feature"),
    ("⬆️ Upgrade Starlette to >=0.40.0", "dependencies"),
    ("⬆ Bump black", "dependencies"),
    ("👷 Update GitHub Action add-to-project", "ci/build"),
    ("♻️ Re-implement on_event", "refactor"),
    ("⚡️ Serialize faster", "performance"),
    ("📝 Update includes", "docs"),
    ("✅ Add tests for forms", "tests"),
    (":bug: Fix the thing", "bugfix"),
])
def test_gitmoji_titles_are_read_by_the_default_set(default, title, kind):
    assert kind_of(default, title, [f("fastapi/routing.py", 20, 4)])[0] == kind


def test_parse_title_reads_a_gitmoji_and_dotted_prefixes():
    parts = parse_title("⬆️ [Feat.] fix(deps)!: bump")
    assert (parts.emoji, parts.prefixes, parts.conv_type, parts.breaking) == ("⬆", ("feat",), "fix", True)


def test_the_description_decides_when_the_title_does_not(default):
    code = [f("src/pkg/core/resolver.py", 40, 10)]
    assert kind_of(default, "Resolver markers", code, body="This fixes a panic when markers are empty.") == (
        "bugfix", "body")
    assert kind_of(default, "Resolver markers", code, body="## Summary\nMakes resolution 3x faster.") == (
        "performance", "body")
    # template questions are not evidence ("Does this PR introduce any user-facing change?")
    body = "### What this PR does / why we need it?\nQwen3.\n### Does this PR introduce _any_ user-facing change?\nNo"
    assert kind_of(default, "Qwen3 thing", code, body=body) == ("unclassified", "none")


def test_comment_only_edits_are_docs(default):
    code = [f("crates/uv-resolver/src/lib.rs", 3, 3)]
    assert kind_of(default, "Fix comment about export formats", code)[0] == "docs"
    assert kind_of(default, "Update stale comments", code)[0] == "docs"


def test_unclassified_is_a_kind_and_rare_words_do_not_guess(default):
    assert "unclassified" in KINDS and "release" in KINDS
    assert kind_of(default, "Qwen3 MoE", [f("src/pkg/models/qwen3.py")]) == ("unclassified", "none")


# --------------------------------------------------------------------------- risks

def reasons(row) -> dict[str, str]:
    return {r["id"]: r["reason"] for r in row["risk_reasons"]}


def test_every_risk_carries_the_reason_that_raised_it(vllm):
    row = judge(vllm, pr(1, "[ROCm] New paged attention", [
        f("csrc/rocm/attention.cu", 300, 20), f("vllm/entrypoints/api_server.py", 50),
        f("vllm/v1/core/sched/scheduler.py", 30), f("requirements/rocm.txt", 1, 1)])).iloc[0]
    why = reasons(row)
    assert list(why) == row["risks"]
    assert why["core_path"] == "scheduler: vllm/v1/core/sched/scheduler.py"
    assert why["platform_compat"] == "ROCm: csrc/rocm/attention.cu"
    assert why["interface_change"] == "vllm/entrypoints/api_server.py (files.interface)"
    assert why["kernel_safety"] == "csrc/rocm/attention.cu (files.kernel)"
    assert why["dependency_change"] == "requirements/rocm.txt (files.dependencies)"
    assert why["missing_tests"].startswith("400 code lines > 40")


def test_a_release_bump_raises_no_interface_kernel_platform_or_dependency_risk(uv):
    files = [f("Cargo.toml", 1, 1), f("crates/uv-build-backend/Cargo.toml", 1, 1),
             f("crates/uv-trampoline/Cargo.toml", 1, 1), f("crates/uv-platform/Cargo.toml", 1, 1)]
    row = judge(uv, pr(1, "Bump version to 0.10.3", files)).iloc[0]
    assert row["kind"] == "release" and row["risks"] == []


def test_ascend_board_names_are_not_a_platform_risk_but_declared_platforms_are(vllm):
    code = [f("vllm_ascend/ops/linear.py", 5, 1)]
    assert judge(vllm, pr(1, "[Perf] Faster linear on A2 and A3", code)).iloc[0]["risks"] == []
    row = judge(vllm, pr(1, "[Perf] Faster linear on 310P", code)).iloc[0]
    assert reasons(row) == {"platform_compat": "310P: title word '310P'"}


def test_docs_requirements_are_not_a_dependency_risk_but_upstream_pins_are(vllm):
    docs = judge(vllm, pr(1, "[Doc] Pin sphinx", [f("docs/requirements-docs.txt", 1, 1)])).iloc[0]
    assert "dependency_change" not in docs["risks"]
    sync = judge(vllm, pr(2, "[Misc] main2main upgrade vllm", [f(".github/workflows/ci.yaml", 1, 1)])).iloc[0]
    assert reasons(sync)["dependency_change"].startswith("dependency upgrade: main2main")


def test_doc_translations_are_not_very_large_changes(default):
    files = [f(f"docs/zh/docs/tutorial/page{i}.md", 400) for i in range(50)]
    row = judge(default, pr(1, "🌐 Add Chinese translation", files)).iloc[0]
    assert row["kind"] == "docs" and "large_change" not in row["risks"]
    code = [f(f"src/pkg/core/m{i}.py", 400) for i in range(5)]
    assert "large_change" in judge(default, pr(2, "Rework core", code)).iloc[0]["risks"]


# --------------------------------------------------------------------------- people and highlights

@pytest.mark.parametrize(("author", "author_type", "bot"), [
    ("dependabot[bot]", None, True), ("renovate", None, True), ("alice", "Bot", True),
    ("alice", "User", False), (None, None, False), ("Sebastián Ramírez", None, False),
])
def test_bots_are_recognised(default, author, author_type, bot):
    row = pr(1, "Bump x from 1.0 to 1.1", [f("uv.lock", 900, 900)])
    row["author"] = author
    raw = frame(row).assign(author_type=[author_type])
    assert bool(enrich(raw, default, HighlightConfig())["is_bot"].iloc[0]) is bot


def test_impact_beats_size(default):
    rows = [
        pr(1, "Bump version to 2.0.0", [f(f"crates/c{i}/Cargo.toml", 1, 1) for i in range(60)]),
        pr(2, "Run ruff format over the code base", [f(f"src/pkg/core/m{i}.py", 300, 300) for i in range(30)]),
        pr(3, "Rename the resolver module to solver", [f("src/pkg/solver/a.py", 0, 0, "RENAMED", "src/pkg/resolver/a.py")]),
        pr(4, "Regenerate the lock file", [f("uv.lock", 5000, 4000)]),
        pr(5, "Fix path traversal when unpacking archives (GHSA-xxxx)",
           [f("src/pkg/extract/zip.py", 40, 5), f("tests/test_zip.py", 30)]),
        pr(6, "Fix a crash when the cache is empty", [f("src/pkg/cache/store.py", 12, 3), f("tests/test_cache.py", 20)]),
    ]
    row = frame(*rows).assign(author_type=[None] * 6)
    out = enrich(row, default, HighlightConfig(share=0.5, min=3, max=3))
    assert out.loc[out["highlight"], "number"].tolist() == [5, 6]
    impact = {r["code"]: r["value"] for r in out.iloc[4]["score_reasons"]}["impact"]
    assert "traversal" in impact and "ghsa-xxxx" in impact


def test_no_ties_at_the_top(default):
    files = [f(f"src/pkg/m{i}/core.py", 3000, 3000) for i in range(40)]
    rows = [pr(i, "Add support for a new backend (breaking, fixes a crash and a CVE-2026-1234)", files,
               labels=["breaking", "security"], reviews=80 + i, comments=200) for i in (1, 2)]
    out = enrich(frame(*rows), default, HighlightConfig())
    assert all(s < 10 for s in out["score"]) or out["score"].nunique() == 2


def test_score_caps_over_ten_are_refused(tmp_path):
    (tmp_path / "x.toml").write_text('extends = "default"\n[score.caps]\nsize = 5.0\n', encoding="utf-8")
    with pytest.raises(RuleSetError, match="score.caps: the caps add up to 13"):
        load_rule_set(str(tmp_path / "x.toml"))


# --------------------------------------------------------------------------- rendering

@pytest.mark.parametrize("lang", ["en", "zh"])
def test_risk_reasons_are_shown_beside_the_pr(lang):
    model = report_model()
    pr_item = next(p for p in model["pull_requests"] if "kernel_safety" in p["risks"])
    pr_item["risk_reasons"] = [{"id": "kernel_safety", "reason": "csrc/attn_<x>.cu (files.kernel)"}]
    md = render_markdown(model, lang)
    line = next(ln for ln in md.splitlines() if ln.startswith(f"| [#{pr_item['number']}]("))
    assert "files.kernel" in line and "csrc/attn" in line and "<x>" not in line
    html = render_html(model, lang)
    assert "csrc/attn_&lt;x&gt;.cu (files.kernel)" in html


def test_enriched_columns_for_old_frames(default):
    raw = frame(pr(1, "fix: x", [f("src/a/b/c.py")]))
    out = enrich(raw, default, HighlightConfig())  # no author_type column: not a bot, no error
    assert out["is_bot"].tolist() == [False] and isinstance(out["risk_reasons"].iloc[0], list)
    assert isinstance(pd.DataFrame(out)["risk_reasons"].iloc[0], list)


# --------------------------------------------------------------------------- classify command

def _classify_lines(capsys, *argv) -> tuple[int, list[dict], str]:
    import json

    from report_pipeline.cli import main

    rc = main(["classify", *argv])
    out, err = capsys.readouterr()
    return rc, [json.loads(line) for line in out.splitlines() if line.strip()], err


def test_classify_prints_the_assets_judgements_week_by_week(capsys, tmp_path, monkeypatch):
    from report_pipeline.sources.sample import read_sample_week
    from report_pipeline.weeks import week_window
    from report_pipeline_tests.conftest import SAMPLE

    monkeypatch.chdir(tmp_path)  # no configuration file needed
    rc, rows, _ = _classify_lines(capsys, str(SAMPLE), "--rules", "lumen", "--timezone", "Asia/Shanghai")
    assert rc == 0 and len(rows) == sum(1 for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip())
    assert set(rows[0]) == {"repo", "number", "week", "title", "kind", "kind_source", "modules", "risks", "score",
                            "reasons", "highlight", "is_bot"}
    week = rows[-1]["week"]
    raw = read_sample_week(SAMPLE, "lumen-ai/lumen", week_window(week, "Asia/Shanghai"))
    expected = enrich(raw, load_rule_set("lumen"), HighlightConfig())
    got = {r["number"]: r for r in rows if r["week"] == week}
    assert set(got) == set(expected["number"])
    for _, row in expected.iterrows():
        mine = got[int(row["number"])]
        assert (mine["kind"], mine["score"], mine["highlight"]) == (row["kind"], row["score"], bool(row["highlight"]))
        assert [r["id"] for r in mine["risks"]] == row["risks"] and all(r["reason"] for r in mine["risks"])


def test_classify_errors_are_one_line(capsys, tmp_path):
    from report_pipeline_tests.conftest import SAMPLE

    for argv, words in (([str(tmp_path / "nope.jsonl")], "sample file not found"),
                        ([str(SAMPLE), "--rules", "nope"], "unknown rule set 'nope'"),
                        ([str(SAMPLE), "--timezone", "Mars/Base"], "unknown timezone"),
                        ([str(SAMPLE), "--repo", "a/b"], "holds no PR of a/b")):
        rc, rows, err = _classify_lines(capsys, *argv)
        assert rc == 2 and rows == [] and words in err and "Traceback" not in err


# --------------------------------------------------------------------------- people

def test_bots_and_unknown_authors_are_not_contributors(default):
    from report_pipeline.domain.aggregate import aggregate_week

    rows = []
    authors = ["alice", "alice", "bob", "dependabot[bot]", "renovate", "ci-helper", None, "ghost"]
    for i, author in enumerate(authors, start=1):
        row = pr(i, f"Fix thing {i}", [f(f"src/pkg/m{i}.py")])
        row["author"] = author
        row["author_association"] = "FIRST_TIME_CONTRIBUTOR" if author in ("bob", "renovate") else "MEMBER"
        rows.append(row)
    raw = frame(*rows).assign(author_type=["User", "User", "User", None, None, "Bot", None, None])
    enriched = enrich(raw, default, HighlightConfig())
    assert enriched["is_bot"].tolist() == [False, False, False, True, True, True, False, False]
    agg = aggregate_week("2026-04-13", enriched)
    summary = agg[agg["section"] == "summary"].set_index("key")["value"]
    assert summary["author_count"] == 2 and summary["first_time_author_count"] == 1
    assert summary["bot_pr_count"] == 3 and summary["unknown_author_pr_count"] == 2
    authors = agg[agg["section"] == "author"]
    assert authors["key"].tolist() == ["alice", "bob"]
    bots = agg[agg["section"] == "bot"]
    assert sorted(bots["key"]) == ["ci-helper", "dependabot[bot]", "renovate"]


# --------------------------------------------------------------------------- modules

@pytest.mark.parametrize(("repo", "path", "module"), [
    ("fastapi/fastapi", "fastapi/routing.py", "routing"),
    ("fastapi/fastapi", "fastapi/security/oauth2.py", "security"),
    ("fastapi/fastapi", "fastapi/__init__.py", None),
    ("pola-rs/polars", "py-polars/polars/dataframe/frame.py", "dataframe"),
    ("pola-rs/polars", "py-polars/src/polars/lazyframe/frame.py", "lazyframe"),
    ("pola-rs/polars", "crates/polars-core/src/frame/mod.rs", "polars-core"),
    ("vllm-project/vllm-ascend", "vllm_ascend/worker/model_runner_v1.py", "worker"),
    ("astral-sh/uv", "crates/uv-python/download-metadata.json", "uv-python"),
    ("astral-sh/uv", "crates/uv/src/commands/project/lock.rs", "commands"),
    ("acme/tool", ".config/nextest.toml", None),
    ("acme/tool", "setup_helpers.py", None),
])
def test_module_names_a_reader_recognises(default, repo, path, module):
    assert default.module_for(path, repo) == module


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_capped_module_table_says_how_many_more(lang):
    model = report_model()
    base = model["modules"][0]
    model["modules"] = [dict(base, key=f"area{i:02d}", count=20 - i) for i in range(20)]
    md = render_markdown(model, lang)
    shown = sum(1 for i in range(20) if f"| area{i:02d} |" in md)
    assert 0 < shown < 20 and f"| area{shown - 1:02d} |" in md
    more = f"and {20 - shown} more modules" if lang == "en" else f"另有 {20 - shown} 个模块"
    assert more in md and more in render_html(model, lang)
