"""Enrichment on small hand-built frames: exact kinds, modules, risks, scores, highlights, summaries."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from report_pipeline.config import HighlightConfig
from report_pipeline.domain.enrich import enrich, enrich_detailed, parse_title
from report_pipeline.domain.rules import load_rule_set
from report_pipeline.domain.text import clean_description
from report_pipeline.schema import ENRICHED_SCHEMA, RAW_SCHEMA, RISKS, normalize

MERGED = dt.datetime(2026, 4, 14, 12, tzinfo=dt.timezone.utc)


def f(path, add=10, dele=0, change="MODIFIED", prev=None):
    return {"path": path, "previous_path": prev, "additions": add, "deletions": dele, "change_type": change}


def pr(number, title, files=(), labels=(), body=None, reviews=None, comments=None):
    files = list(files)
    return {
        "repo": "lumen-ai/lumen", "number": number, "title": title, "body": body,
        "url": f"https://github.com/lumen-ai/lumen/pull/{number}", "author": "alice",
        "author_association": None, "created_at": MERGED, "merged_at": MERGED,
        "labels": list(labels), "additions": sum(x["additions"] for x in files),
        "deletions": sum(x["deletions"] for x in files), "changed_files": len(files),
        "files": files, "review_count": reviews, "comment_count": comments,
        "base_ref": "main", "merge_commit_sha": None, "source": "sample",
    }


def frame(*rows):
    return normalize(pd.DataFrame(list(rows)), RAW_SCHEMA)


@pytest.fixture(scope="module")
def lumen():
    return load_rule_set("lumen")


@pytest.fixture(scope="module")
def default():
    return load_rule_set("default")


def one(rows, rules, highlights=HighlightConfig()):
    out = enrich(frame(*rows), rules, highlights)
    return out.iloc[0] if len(rows) == 1 else out


@pytest.mark.parametrize(
    ("title", "files", "labels", "kind"),
    [
        ("[Bugfix][Kernel] Fix NaN in paged attention", [f("csrc/attention/paged.cu")], [], "bugfix"),
        ("[Kernel] Add fused MoE kernel", [f("csrc/quantization/moe.cu")], [], "feature"),
        ("[Model] Fix qwen3 rope scaling", [f("lumen/models/qwen3.py")], [], "bugfix"),  # weak prefix + fix word
        ("[Model] Gemma4 multimodal", [f("lumen/models/gemma4_mm.py")], [], "feature"),
        ("[CI/Build] Pin ubuntu image", [f(".github/workflows/ci.yml")], [], "ci/build"),
        ("[Perf] Avoid copy in sampler", [f("lumen/core/scheduler.py")], [], "performance"),
        ("[Performance] Faster prefill", [f("lumen/core/scheduler.py")], [], "performance"),
        ("[Doc] Explain FP8", [f("docs/fp8.md")], [], "docs"),
        ("[Misc] Tidy imports", [f("lumen/metrics/stats.py")], [], "refactor"),  # [Misc] decides nothing
        ("[Deps] Bump torch", [f("requirements/cuda.txt")], [], "dependencies"),
        ("fix(scheduler): preemption order", [f("lumen/core/scheduler.py")], [], "bugfix"),
        ("feat(api)!: new route", [f("lumen/entrypoints/openai/api.py")], [], "feature"),
        ("chore(deps): bump numpy", [f("pyproject.toml")], [], "dependencies"),
        ("perf: cache block hashes", [f("lumen/core/kv_cache.py")], [], "performance"),
        ("refactor: split engine", [f("lumen/engine/llm_engine.py")], [], "refactor"),
        ('Revert "[Core] Add chunked prefill"', [f("lumen/core/scheduler.py")], [], "revert"),
        ("Speed up tokenizer warmup", [f("lumen/engine/llm_engine.py")], [], "performance"),
        ("Something about the scheduler", [f("lumen/core/scheduler.py")], ["bug"], "bugfix"),
        ("Tutorial for gemma", [f("docs/gemma.md"), f("README.md")], [], "docs"),  # files only
        ("More cases", [f("tests/core/test_scheduler.py")], [], "tests"),
        ("Whatever", [f(".buildkite/pipeline.yml"), f("docker/Dockerfile")], [], "ci/build"),
        ("Add Windows support", [f("lumen/platforms/cpu.py")], [], "feature"),
    ],
)
def test_kinds(lumen, title, files, labels, kind):
    assert one([pr(1, title, files, labels)], lumen)["kind"] == kind


def test_no_signal_is_unclassified_and_marked_none(lumen):
    out, details = enrich_detailed(frame(pr(1, "Qwen3 MoE", [f("lumen/lib/qwen3.py")])), lumen, HighlightConfig())
    assert out["kind"].tolist() == ["unclassified"]
    assert details["kind_source"].tolist() == ["none"]


def test_parse_title_several_prefixes():
    parts = parse_title("[Bugfix] [Kernel][ROCm] fix(attn)!: wrong stride")
    assert parts.prefixes == ("bugfix", "kernel", "rocm")
    assert (parts.conv_type, parts.conv_scope, parts.breaking) == ("fix", "attn", True)


def test_tags_modules_risks_exact(lumen):
    row = one(
        [pr(7, "[ROCm][Kernel] New paged attention for MI300",
            [f("csrc/attention/paged.cu", 300, 20), f("lumen/attention/backends/rocm.py", 120, 10),
             f("lumen/platforms/rocm.py", 5, 1)], labels=["Rocm", "ready"])],
        lumen,
    )
    assert row["tags"] == ["rocm", "kernel"]  # "ready" is a workflow label (tags.ignore_labels)
    assert row["modules"] == ["kernels", "attention", "platforms"]
    assert row["risks"] == ["core_path", "missing_tests", "platform_compat", "kernel_safety"]
    assert row["kind"] == "feature"


def test_risks_interface_dependency_large(lumen):
    files = [f("lumen/entrypoints/openai/api.py", 900, 900), f("pyproject.toml", 2, 1),
             f("tests/entrypoints/test_api.py", 50)]
    row = one([pr(2, "[Frontend] Rework routes", files)], lumen)
    assert row["risks"] == ["interface_change", "dependency_change", "large_change"]
    assert "missing_tests" not in row["risks"]  # a test file was touched


def test_removing_an_interface_file_is_an_interface_change(lumen):
    row = one([pr(3, "Move config", [f("lumen/settings.py", 0, 0, "RENAMED", prev="lumen/config.py")])], lumen)
    assert "interface_change" in row["risks"]


def test_small_change_without_tests_is_not_flagged(lumen):
    row = one([pr(4, "[Bugfix] one-liner", [f("lumen/models/llama.py", 1, 1)])], lumen)
    assert row["risks"] == []


def test_score_reasons_sum_to_score(lumen):
    rows = [
        pr(1, "[Core] Chunked prefill", [f("lumen/core/scheduler.py", 400, 50), f("lumen/engine/llm_engine.py", 30)],
           labels=["performance"], reviews=3, comments=9),
        pr(2, "[Doc] typo", [f("docs/a.md", 1, 1)]),
        pr(3, "[Bugfix] x", [f("lumen/models/llama.py", 20, 5)]),
    ]
    out = one(rows, lumen)
    for _, row in out.iterrows():
        total = sum(r["points"] for r in row["score_reasons"])
        assert math.isclose(row["score"], round(min(10, total), 2), abs_tol=1e-9)
        assert 0 <= row["score"] <= 10
        assert all(r["points"] > 0 for r in row["score_reasons"])
    big = out.iloc[0]
    codes = {r["code"]: r["value"] for r in big["score_reasons"]}
    assert codes["size"] == "480" and codes["discussion"] == "12" and codes["core_path"] == "scheduler,engine"
    assert codes["kind"] == "performance" and codes["labels"] == "performance" and codes["breadth"] == "2"
    assert out.iloc[0]["score"] > out.iloc[2]["score"] > out.iloc[1]["score"]


def test_unknown_discussion_gives_no_points(lumen):
    known = one([pr(1, "[Bugfix] x", [f("lumen/models/llama.py")], reviews=0, comments=0)], lumen)
    unknown = one([pr(1, "[Bugfix] x", [f("lumen/models/llama.py")])], lumen)
    assert "discussion" not in {r["code"] for r in unknown["score_reasons"]}
    assert known["score"] == unknown["score"]


def test_score_is_the_sum_of_its_reasons_even_at_the_top(lumen):
    files = [f(p, 3000, 3000) for p in (
        "lumen/core/scheduler.py", "lumen/core/kv_cache.py", "lumen/engine/llm_engine.py", "lumen/worker/model_runner.py",
        "lumen/attention/layer.py", "lumen/distributed/comm.py", "csrc/attention/a.cu", "lumen/platforms/rocm.py",
        "lumen/entrypoints/cli.py", "pyproject.toml")] + [f(f"lumen/models/m{i}.py") for i in range(40)]
    row = one([pr(1, "[Feature] everything", files, labels=["breaking", "security"], reviews=50, comments=200)], lumen)
    # the caps add up to 10, so there is no clamp that would tie the biggest PRs at 10
    assert math.isclose(row["score"], sum(r["points"] for r in row["score_reasons"]), abs_tol=1e-9)
    assert 6.5 < row["score"] <= 10


def _feature(i, lines):
    return pr(i, f"[Feature] Add support for engine option {i}",
              [f(f"lumen/core/m{i}.py", lines), f(f"lumen/engine/e{i}.py", lines), f(f"tests/test_{i}.py", 20)])


@pytest.mark.parametrize("n", [1, 3, 10, 45, 300])
def test_highlight_count_is_at_most_the_share_and_takes_the_top(lumen, n):
    rows = [_feature(i, i * 7 % 500 + 100) for i in range(1, n + 1)]
    hc = HighlightConfig(share=0.1, min=3, max=20)
    out = enrich(frame(*rows), lumen, hc)
    assert 1 <= int(out["highlight"].sum()) <= hc.count(n)
    if n > hc.count(n):
        assert out.loc[out["highlight"], "score"].min() >= out.loc[~out["highlight"], "score"].max()


def test_a_quiet_week_gets_fewer_highlights_than_the_minimum(lumen):
    rows = [_feature(1, 400), pr(2, "[Doc] Fix typo", [f("docs/a.md", 1, 1)]),
            pr(3, "[CI] Bump runner", [f(".github/workflows/ci.yml", 2, 2)])]
    out = enrich(frame(*rows), lumen, HighlightConfig(share=0.1, min=3, max=20))
    assert out["highlight"].tolist() == [True, False, False]


def test_highlight_ties_break_on_size_then_number(lumen):
    rows = [_feature(i, 300) for i in (5, 3, 9, 1)]
    out = enrich(frame(*rows), lumen, HighlightConfig(share=0.5, min=2, max=2))
    assert len(set(out["score"])) == 1
    assert sorted(out.loc[out["highlight"], "number"].tolist()) == [1, 3]


def test_empty_frame(lumen):
    out = enrich(frame(pr(1, "x")).iloc[0:0], lumen, HighlightConfig())
    assert len(out) == 0 and list(out.columns) == [f.name for f in ENRICHED_SCHEMA]
    assert len(enrich(pd.DataFrame(), lumen, HighlightConfig())) == 0


def test_schema_and_row_count(lumen):
    out = enrich(frame(pr(1, "[Bugfix] a", [f("lumen/core/scheduler.py")]), pr(2, "b")), lumen, HighlightConfig())
    assert list(out.columns) == [f.name for f in ENRICHED_SCHEMA] and len(out) == 2
    assert out.iloc[1]["modules"] == [] and out.iloc[1]["summary"] == ""
    assert all(r in RISKS for rs in out["risks"] for r in rs)


def test_hostile_titles_and_bodies_do_not_crash(default):
    rows = [
        pr(1, "\u202e[Bugfix]\u200f إصلاح 🚀🔥 fix", [f("src/pkg/mod/a.py")], body="\u202e\u0000 👍\n\n\ud83d"[:-1]),
        pr(2, None, [], body=None),
        pr(3, "", [f("")], body=""),
        pr(4, "[" * 200 + "]" * 200, [f("a" * 3000)], body="#" * 5000),
        pr(5, "ＦＩＸ：全角 [修复] 问题", [f("文档/说明.md")], body="修复了一个问题。第二句。第三句。"),
    ]
    out = enrich(frame(*rows), default, HighlightConfig())
    assert len(out) == 5
    assert out.iloc[0]["kind"] == "bugfix"
    assert out.iloc[4]["summary"] == "修复了一个问题。 第二句。" or out.iloc[4]["summary"].startswith("修复了一个问题。")


def test_list_columns_as_numpy_arrays_and_missing_optional_columns(default):
    raw = frame(pr(1, "fix: x", [f("src/a/b/c.py")], labels=["bug"]))
    raw = raw.drop(columns=["review_count", "comment_count"])
    out = enrich(raw, default, HighlightConfig())
    assert out.iloc[0]["kind"] == "bugfix" and out.iloc[0]["modules"] == ["b"]


def test_default_module_heuristics(default):
    files = [f("crates/uv-git/src/lib.rs"), f("src/pkg/engine/run.py"), f("web/app.ts"), f("Makefile"), f("LICENSE"), f("x.py")]
    # a top-level file is in no module: "root" is no name a reader recognises
    assert one([pr(1, "feat: x", files)], default)["modules"] == ["uv-git", "engine", "web", "ci/build", "docs"]


VLLM_BODY = """<!-- markdownlint-disable -->
PLEASE FILL IN THE PR DESCRIPTION HERE ENSURING ALL CHECKLIST ITEMS (AT THE BOTTOM) HAVE BEEN CONSIDERED.

## Purpose

Adds a **TurboQuant** attention backend that compresses the KV cache to 2 bits, giving up to 4.9x more KV capacity. It is opt-in via `--kv-cache-dtype turboquant`. A third sentence that should not appear.

![bench](https://example.com/x.png)

```python
llm = LLM(model="x")
```

## Test Plan

pytest tests/kernels/test_turboquant.py

## Test Result

All pass.

---
<details>
<summary> Essential Elements of an Effective PR Description Checklist </summary>

- [ ] The purpose of the PR, such as "Fix some issue (link existing issues this PR will resolve)".
- [ ] The test plan.
</details>

Signed-off-by: Alice <alice@example.com>
Co-authored-by: Bob <bob@example.com>
"""

ASCEND_BODY = """### What this PR does / why we need it?
cherry-pick #1675 to main
This PR adds validation checking to torchair_graph_config for better
reliability.

Co-authored-by: whx-sjtu <2952154980@qq.com>

### Does this PR introduce _any_ user-facing change?

No

### How was this patch tested?

- vLLM version: v0.10.0
- vLLM main:
https://github.com/vllm-project/vllm/commit/2836dd73f13015ee386c544760ca0d16888203f3

---------

Signed-off-by: 22dimensions <waitingwind@foxmail.com>"""


def test_clean_description_vllm_template():
    assert clean_description(VLLM_BODY) == (
        "Adds a TurboQuant attention backend that compresses the KV cache to 2 bits, giving up to 4.9x more "
        "KV capacity. It is opt-in via `--kv-cache-dtype turboquant`."
    )


def test_clean_description_vllm_ascend_template():
    assert clean_description(ASCEND_BODY) == "This PR adds validation checking to torchair_graph_config for better reliability."


@pytest.mark.parametrize("body", [None, "", "   ", "<!-- only a comment -->", "Signed-off-by: a <a@b>", 42,
                                  "https://github.com/o/r/issues/1", "- [ ] item\n- [x] done", "\u200b\u200f"])
def test_clean_description_empty_cases(body):
    assert clean_description(body) == ""


def test_clean_description_limits():
    text = "word " * 500
    out = clean_description(text, max_chars=100)
    assert len(out) <= 100 and out.endswith("…")
    assert clean_description("One. Two. Three.", max_sentences=1) == "One."
    assert clean_description("Use e.g. this. Then that. And more.") == "Use e.g. this. Then that."
