"""A realistic, hand-built report model (schema 1.0, ``docs/report-json.md``) for the render tests.

The PRs are written by hand (vLLM-like titles, authors, modules, risks); every aggregate
(counts, shares, hot files, authors, movements, suggestions, trend) is computed from them
here, so the model is internally consistent the way ``build_report_model``'s output is.
"""

from __future__ import annotations

import copy
import random
from collections import Counter

REPO = "vllm-project/vllm"
URL = f"https://github.com/{REPO}"
RISK_CODES = ("core_path", "missing_tests", "platform_compat", "interface_change",
              "kernel_safety", "dependency_change", "large_change")
HIGHLIGHT_SCORE = 6.5

# number, title, author, kind, tags, modules, risks, score, +, -, files, paths
_PRS = [
    (38479, "[Attention] Add TurboQuant attention backend with 2-bit KV cache compression", "vibhavagarwal", "feature",
     ["v1", "quantization", "ready"], ["attention", "quantization"], ["core_path", "missing_tests", "kernel_safety", "large_change"],
     8.7, 2410, 120, 18, ["vllm/v1/attention/backends/turboquant_attn.py", "vllm/v1/core/kv_cache_utils.py", "csrc/turboquant.cu"]),
    (37463, "[Kernel] MXFP4 W4A4 CUTLASS MoE kernel for SM100", "mgoin", "feature",
     ["quantization", "kernel", "v1"], ["kernels", "moe", "quantization"], ["kernel_safety", "core_path", "large_change"],
     8.2, 1830, 210, 14, ["csrc/moe/mxfp4_moe.cu", "vllm/model_executor/layers/fused_moe/layer.py", "vllm/model_executor/layers/quantization/mxfp4.py"]),
    (38579, "[Bugfix] Kimi-K2 tool parser: re-parse streamed text instead of token-id state machine", "chaunceyjiang", "bugfix",
     ["tool-calling", "frontend", "v1"], ["entrypoints"], ["interface_change"],
     7.6, 640, 410, 4, ["vllm/entrypoints/openai/tool_parsers/kimi_k2_tool_parser.py", "tests/tool_use/test_kimi_k2.py"]),
    (39781, "[CPU] Centralise CPU affinity and OMP process management", "bigPYJ1151", "refactor",
     ["cpu", "v1"], ["worker", "platforms"], ["core_path", "platform_compat", "kernel_safety", "missing_tests"],
     7.4, 980, 760, 11, ["vllm/platforms/cpu.py", "vllm/v1/worker/cpu_worker.py", "csrc/cpu/utils.cpp"]),
    (38405, "[Frontend] Multimodal support for disaggregated serving endpoints", "DarkLight1337", "feature",
     ["multi-modality", "frontend", "v1"], ["entrypoints", "multimodal"], ["interface_change", "core_path", "missing_tests"],
     7.1, 720, 95, 9, ["vllm/entrypoints/serve/disagg.py", "vllm/multimodal/utils.py", "vllm/v1/core/sched/scheduler.py"]),
    (35549, "[MoE] Remove ZeroExpertFusedMoE and split routing into the modular kernel", "bnellnm", "refactor",
     ["v1", "moe"], ["moe", "model_executor"], ["core_path"],
     6.9, 310, 880, 13, ["vllm/model_executor/layers/fused_moe/layer.py", "vllm/model_executor/layers/fused_moe/router.py"]),
    (39953, "[ROCm] Fix TurboQuant routing on MI300", "gshtras", "bugfix",
     ["rocm", "quantization", "v1"], ["attention", "platforms"], ["platform_compat", "missing_tests"],
     6.8, 88, 21, 3, ["vllm/v1/attention/backends/turboquant_attn.py", "vllm/platforms/rocm.py"]),
    (39857, "[XPU] MXFP4 quantization ops for Intel GPUs", "jikunshang", "feature",
     ["xpu", "quantization"], ["quantization", "platforms"], ["platform_compat", "kernel_safety"],
     6.6, 540, 12, 7, ["vllm/model_executor/layers/quantization/mxfp4.py", "vllm/platforms/xpu.py"]),
    (38463, "[Bugfix] Avoid division by zero in NVFP4 KV-cache scale", "yewentao256", "bugfix",
     ["quantization", "v1"], ["quantization", "kv_cache"], ["core_path"],
     6.2, 40, 8, 2, ["vllm/model_executor/layers/quantization/nvfp4.py", "vllm/v1/core/kv_cache_utils.py"]),
    (39604, "[Bugfix] Mistral tool parser drops content after the last tool call", "aarnphm", "bugfix",
     ["tool-calling", "frontend"], ["entrypoints"], [],
     5.9, 120, 44, 3, ["vllm/entrypoints/openai/tool_parsers/mistral_tool_parser.py", "tests/tool_use/test_mistral.py"]),
    (39610, "[Bugfix] GLM-4.5 tool parser truncates long arguments", "aarnphm", "bugfix",
     ["tool-calling"], ["entrypoints"], [],
     5.4, 66, 20, 2, ["vllm/entrypoints/openai/tool_parsers/glm4_moe_tool_parser.py", "tests/tool_use/test_glm4.py"]),
    (39412, "[Perf] Fuse Nemotron VL preprocessing with torch.compile", "ywang96", "performance",
     ["multi-modality", "performance"], ["multimodal", "models"], ["missing_tests"],
     5.8, 260, 140, 4, ["vllm/model_executor/models/nemotron_vl.py", "vllm/multimodal/processing.py"]),
    (39501, "[CPU] Accelerate BF16 GELU on Arm with SVE", "fadara01", "performance",
     ["cpu", "performance"], ["kernels", "platforms"], ["platform_compat", "kernel_safety"],
     5.7, 190, 10, 3, ["csrc/cpu/activation.cpp", "vllm/model_executor/layers/activation.py"]),
    (39322, "[ROCm] Use aiter GEMM for FP8 linear layers", "tjtanaa", "performance",
     ["rocm", "performance"], ["kernels", "platforms"], ["platform_compat", "dependency_change"],
     5.6, 150, 30, 4, ["vllm/platforms/rocm.py", "requirements/rocm.txt", "vllm/attention/backends/rocm_aiter_fa.py"]),
    (39480, "[Model] Gemma 4 multimodal: move M-RoPE computation to the processor", "Isotr0py", "refactor",
     ["multi-modality", "new-model"], ["models", "multimodal"], [],
     5.3, 210, 180, 3, ["vllm/model_executor/models/gemma4_mm.py", "vllm/multimodal/processing.py"]),
    (39533, "[Bugfix] Gemma 4 video frames off by one in the processor", "Isotr0py", "bugfix",
     ["multi-modality", "v1"], ["models"], [],
     4.9, 14, 6, 1, ["vllm/model_executor/models/gemma4_mm.py"]),
    (39210, "[KV Connector] LMCache multi-process connector: handle preempted requests", "ApostaC", "bugfix",
     ["kv-connector", "v1"], ["kv_cache", "distributed"], ["core_path"],
     5.2, 120, 35, 2, ["vllm/distributed/kv_transfer/kv_connector/v1/lmcache_mp_connector.py", "vllm/v1/core/sched/scheduler.py"]),
    (39233, "[KV Connector] LMCache MP connector: expose offload request context", "ApostaC", "feature",
     ["kv-connector", "v1"], ["kv_cache", "distributed"], ["interface_change", "missing_tests"],
     5.1, 95, 10, 2, ["vllm/distributed/kv_transfer/kv_connector/v1/lmcache_mp_connector.py", "vllm/v1/kv_offload/spec.py"]),
    (39377, "[Metrics] Count preemptions per reason in stats.py", "markmc", "feature",
     ["metrics", "v1"], ["metrics"], [],
     4.6, 70, 12, 2, ["vllm/v1/metrics/stats.py", "tests/v1/metrics/test_stats.py"]),
    (39388, "[Bugfix][Metrics] Prometheus histogram buckets for TTFT", "markmc", "bugfix",
     ["metrics", "v1"], ["metrics"], [],
     4.1, 18, 9, 2, ["vllm/v1/metrics/stats.py", "vllm/v1/metrics/loggers.py"]),
    (39140, "[Audio] Make librosa an optional dependency", "NickLucche", "dependencies",
     ["multi-modality", "dependencies"], ["multimodal"], ["dependency_change"],
     4.4, 60, 40, 4, ["vllm/multimodal/audio.py", "requirements/common.txt", "pyproject.toml"]),
    (39155, "[Bugfix] Audio resampling for 8 kHz inputs", "NickLucche", "bugfix",
     ["multi-modality"], ["multimodal"], [],
     3.9, 22, 5, 2, ["vllm/multimodal/audio.py", "tests/multimodal/test_audio.py"]),
    (39099, "[Doc] Quantization guide: TurboQuant presets", "hmellor", "docs",
     ["documentation", "quantization"], ["docs"], [],
     2.8, 140, 3, 2, ["docs/features/quantization/turboquant.md", "docs/features/quantization/README.md"]),
    (39101, "[Doc] Fix broken links in the disaggregated serving page", "hmellor", "docs",
     ["documentation"], ["docs"], [],
     1.9, 6, 6, 1, ["docs/serving/disagg.md"]),
    (39066, "[CI] Split the quantization test job by GPU type", "khluu", "ci/build",
     ["ci/build"], ["ci"], [],
     3.1, 80, 44, 2, [".buildkite/test-pipeline.yaml", "tests/quantization/conftest.py"]),
    (39070, "[CI/Build] Bump torch to 2.10 in the ROCm image", "khluu", "dependencies",
     ["ci/build", "rocm", "dependencies"], ["ci", "platforms"], ["dependency_change", "platform_compat"],
     4.0, 12, 12, 2, ["docker/Dockerfile.rocm", "requirements/rocm.txt"]),
    (39020, "[Test] Cover chunked prefill with prefix caching", "WoosukKwon", "tests",
     ["v1"], ["tests", "core"], [],
     3.4, 150, 0, 1, ["tests/v1/core/test_prefix_caching.py"]),
    (39034, "[Core] Scheduler: skip encoder cache for text-only requests", "WoosukKwon", "performance",
     ["v1", "performance"], ["core"], ["core_path", "missing_tests"],
     6.0, 45, 12, 1, ["vllm/v1/core/sched/scheduler.py"]),
    (39011, "Revert \"[Core] Async scheduling for pipeline parallel\"", "simon-mo", "revert",
     ["v1"], ["core", "distributed"], ["core_path"],
     4.8, 90, 260, 3, ["vllm/v1/core/sched/scheduler.py", "vllm/v1/engine/core.py"]),
    (39002, "[Misc] Tidy up logging in the engine core", "first-timer-ana", "chore",
     ["v1"], ["core"], ["core_path"],
     2.5, 20, 24, 1, ["vllm/v1/engine/core.py"]),
]

_SUMMARIES = {
    38479: "Adds an independent TurboQuant attention backend that compresses the KV cache to 2 bits with "
           "PolarQuant and uniform quantization, giving up to 4.9x more KV-cache capacity; four named presets.",
    37463: "New CUTLASS grouped-GEMM MoE kernel for MXFP4 weights and activations on SM100, with activation quantization.",
    38579: "Rewrites the Kimi-K2 streaming tool parser to re-parse the accumulated text, fixing leaked tokens and truncated arguments.",
    39781: "Moves CPU affinity, NUMA binding and OMP environment handling into one OMPProcessManager; fixes a regression.",
    38405: "Disaggregated encode/prefill/decode endpoints now pass preprocessed multimodal features via msgpack.",
    35549: "Deletes the ZeroExpertFusedMoE class and moves zero-expert routing into the modular MoE framework.",
    39953: "",
    39857: "Adds MXFP4 quantize/dequantize ops for XPU so MXFP4 checkpoints run on Intel GPUs.",
}

_REVIEWS = {
    38479: [
        {"author": "WoosukKwon", "path": "vllm/v1/attention/backends/turboquant_attn.py",
         "body": "Can we keep this as a separate backend rather than branching inside FlashAttention? The integration "
                 "cost is high and we want to isolate the risk until it has broader test coverage."},
        {"author": "mgoin", "path": None, "body": "Please add a correctness test against the unquantized baseline."},
        {"author": "LucasWilkinson", "path": "csrc/turboquant.cu", "body": "nit: launch bounds"},
    ],
    38579: [
        {"author": "DarkLight1337", "path": "vllm/entrypoints/openai/tool_parsers/kimi_k2_tool_parser.py",
         "body": "Does the singular variant of the section marker still work with the text-based approach?"},
    ],
    39781: [],
}

_FIRST_TIME = {"first-timer-ana", "fadara01"}

# last week (2026-04-06) and the mean of the four weeks before this one
_PREV = {"pr_count": 26, "kinds": {"feature": 9, "bugfix": 5, "performance": 3, "refactor": 2, "docs": 3,
                                   "tests": 1, "ci/build": 1, "dependencies": 1, "chore": 1},
         "modules": {"entrypoints": 6, "quantization": 2, "attention": 3, "core": 5, "platforms": 2,
                     "multimodal": 3, "kernels": 2, "models": 3, "kv_cache": 1, "docs": 3},
         "tags": {"v1": 16, "quantization": 3, "multi-modality": 5, "frontend": 4},
         "risks": {"core_path": 6, "missing_tests": 4, "platform_compat": 3, "interface_change": 2,
                   "kernel_safety": 2, "dependency_change": 1, "large_change": 1}}
_TRAILING_SHARE = {"bugfix": 0.22, "feature": 0.30, "quantization": 0.10, "platforms": 0.12,
                   "core_path": 0.28, "platform_compat": 0.14}


def _pr_dicts(spec: list[tuple]) -> list[dict]:
    out = []
    for i, (num, title, author, kind, tags, modules, risks, score, add, dele, files, paths) in enumerate(spec):
        out.append({
            "number": num, "title": title, "url": f"{URL}/pull/{num}", "author": author, "kind": kind,
            "tags": list(tags), "modules": list(modules), "risks": list(risks), "score": score,
            "additions": add, "deletions": dele, "changed_files": files,
            "merged_at": f"2026-04-{13 + i % 7:02d}T{8 + i % 12:02d}:15:00+08:00",
            "_paths": list(paths),
        })
    return out


def _dimension(prs: list[dict], field: str, prev: dict, all_keys=()) -> list[dict]:
    total, prev_total = len(prs), _PREV["pr_count"]
    counts: dict[str, list[int]] = {k: [] for k in all_keys}
    for pr in sorted(prs, key=lambda p: (-p["score"], p["number"])):
        values = [pr[field]] if isinstance(pr[field], str) else pr[field]
        for v in values:
            counts.setdefault(v, []).append(pr["number"])
    items = []
    for key, numbers in counts.items():
        p = prev.get(key, 0) if prev is not None else None
        items.append({
            "key": key, "count": len(numbers), "share": round(len(numbers) / total, 4) if total else None,
            "previous_count": p, "previous_share": round(p / prev_total, 4) if p is not None else None,
            "trailing_share": _TRAILING_SHARE.get(key) if prev is not None else None, "prs": numbers,
        })
    items.sort(key=lambda i: (-i["count"], i["key"]))
    return items


def _movements(dims: dict) -> list[dict]:
    # the same rule as report_pipeline.domain.model.movements, on plain dicts
    found = []
    for name, dim in (("kinds", "kind"), ("modules", "module"), ("risks", "risk")):
        for item in dims[name]:
            for baseline, sk, ck in (("previous", "previous_share", "previous_count"), ("trailing", "trailing_share", None)):
                base = item[sk]
                if base is None or item["share"] is None:
                    continue
                diff = item["share"] - base
                bc = item[ck] if ck else None
                change = abs(item["count"] - bc) if bc is not None else abs(diff) * 100
                if abs(diff) >= 0.08 and max(item["count"], bc or 0) >= 3 and change >= 2:
                    found.append({"dimension": dim, "key": item["key"], "share": item["share"],
                                  "baseline_share": base, "baseline": baseline, "count": item["count"],
                                  "baseline_count": bc, "direction": "up" if diff > 0 else "down"})
                    break
    found.sort(key=lambda m: -abs(m["share"] - m["baseline_share"]))
    return found[:6]


def _suggestions(prs: list[dict], kinds: list[dict]) -> list[dict]:
    ranked = sorted(prs, key=lambda p: (-p["score"], p["number"]))
    rules = (("core_without_tests", lambda r: {"core_path", "missing_tests"} <= r),
             ("kernel_review", lambda r: "kernel_safety" in r),
             ("interface_docs", lambda r: "interface_change" in r),
             ("platform_coverage", lambda r: "platform_compat" in r),
             ("dependency_audit", lambda r: "dependency_change" in r),
             ("large_change_followup", lambda r: "large_change" in r))
    out = []
    for code, pred in rules:
        numbers = [p["number"] for p in ranked if pred(set(p["risks"]))]
        if numbers:
            out.append({"code": code, "prs": numbers[:8], "count": len(numbers)})
    bug = next((k for k in kinds if k["key"] == "bugfix"), None)
    if bug and bug["previous_share"] is not None and bug["share"] - bug["previous_share"] >= 0.08 and bug["count"] >= 3:
        out.append({"code": "bugfix_surge", "prs": bug["prs"][:8], "count": bug["count"]})
    return out or [{"code": "no_risk", "prs": [], "count": 0}]


def _reasons(pr: dict) -> list[dict]:
    lines = pr["additions"] + pr["deletions"]
    reasons = [{"code": "size", "points": round(min(2.5, lines / 1000), 2), "value": str(lines)},
               {"code": "kind", "points": 1.0 if pr["kind"] in ("feature", "bugfix") else 0.5, "value": pr["kind"]}]
    if pr["changed_files"] >= 8:
        reasons.append({"code": "files", "points": 0.8, "value": str(pr["changed_files"])})
    if len(pr["modules"]) >= 2:
        reasons.append({"code": "breadth", "points": 0.6, "value": str(len(pr["modules"]))})
    if "core_path" in pr["risks"]:
        reasons.append({"code": "core_path", "points": 1.5, "value": ",".join(pr["modules"][:2])})
    other = [r for r in pr["risks"] if r != "core_path"]
    if other:
        reasons.append({"code": "risk", "points": 0.5 * len(other), "value": ",".join(other)})
    if pr["number"] in _REVIEWS and _REVIEWS[pr["number"]]:
        reasons.append({"code": "discussion", "points": 0.7, "value": str(len(_REVIEWS[pr["number"]]) + 9)})
    if "ready" in pr["tags"]:
        reasons.append({"code": "labels", "points": 0.3, "value": "ready"})
    return reasons


def _trend(this_week: dict, weeks: int = 12) -> list[dict]:
    rng = random.Random(16)
    out = []
    for i in range(weeks - 1):
        day = 19 + i * 7  # 2026-01-19 + i weeks, written out without datetime for readability
        month, d = (1, day) if day <= 31 else ((2, day - 31) if day <= 59 else ((3, day - 59) if day <= 90 else (4, day - 90)))
        n = rng.randint(18, 34)
        out.append({"week": f"2026-{month:02d}-{d:02d}", "pr_count": n, "highlight_count": n // 4,
                    "mean_score": round(rng.uniform(4.2, 5.6), 2),
                    "risks": {c: rng.randint(0, n // 3) for c in RISK_CODES}, "kinds": {}})
    out[-1]["pr_count"] = _PREV["pr_count"]
    out[-1]["risks"] = dict(_PREV["risks"])
    out.append(this_week)
    return out


def build_model(spec: list[tuple] | None = None, *, with_history: bool = True, with_reviews: bool = True) -> dict:
    """A complete model from PR specs (default: the 30 hand-written PRs of 2026-W16)."""
    prs = _pr_dicts(spec if spec is not None else _PRS)
    prev = _PREV if with_history else None
    dims = {
        "kinds": _dimension(prs, "kind", prev["kinds"] if prev else None),
        "tags": _dimension(prs, "tags", prev["tags"] if prev else None),
        "modules": _dimension(prs, "modules", prev["modules"] if prev else None),
        "risks": _dimension(prs, "risks", prev["risks"] if prev else None, RISK_CODES),
    }
    files: dict[str, list[dict]] = {}
    for pr in sorted(prs, key=lambda p: (-p["score"], p["number"])):
        for path in pr["_paths"]:
            files.setdefault(path, []).append(pr)
    hot = sorted(files.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    hot_files = [{"path": path, "pr_count": len(ps), "additions": sum(p["additions"] // max(1, len(p["_paths"])) for p in ps),
                  "deletions": sum(p["deletions"] // max(1, len(p["_paths"])) for p in ps), "prs": [p["number"] for p in ps]}
                 for path, ps in hot if len(ps) >= 2][:10]
    authors = Counter(p["author"] for p in prs)
    author_prs: dict[str, list[int]] = {}
    for pr in sorted(prs, key=lambda p: p["number"]):
        author_prs.setdefault(pr["author"], []).append(pr["number"])
    author_rows = [{"author": a, "count": c, "first_time": (a in _FIRST_TIME) if with_history else None, "prs": author_prs[a]}
                   for a, c in sorted(authors.items(), key=lambda kv: (-kv[1], kv[0]))]

    ranked = sorted(prs, key=lambda p: (-p["score"], p["number"]))
    highlights = []
    for pr in ranked:
        pr["highlight"] = pr["score"] >= HIGHLIGHT_SCORE
        if pr["highlight"]:
            h = {k: v for k, v in pr.items() if not k.startswith("_") and k != "highlight"}
            h["reasons"] = _reasons(pr)
            h["summary"] = _SUMMARIES.get(pr["number"], f"{pr['title']}.")
            h["reviews"] = copy.deepcopy(_REVIEWS.get(pr["number"], [])) if with_reviews else None
            highlights.append(h)
    n = len(prs)
    mean = round(sum(p["score"] for p in prs) / n, 2) if n else None
    summary = {
        "pr_count": n, "highlight_count": len(highlights), "mean_score": mean,
        "additions": sum(p["additions"] for p in prs), "deletions": sum(p["deletions"] for p in prs),
        "changed_files": len(files), "author_count": len(authors),
        "first_time_author_count": sum(1 for a in authors if a in _FIRST_TIME) if with_history else None,
        "previous": {"week": "2026-04-06", "pr_count": _PREV["pr_count"], "highlight_count": 6, "mean_score": 4.91,
                     "additions": 9120, "deletions": 3307, "author_count": 21} if with_history else None,
        "trailing": {"weeks": 4, "pr_count": 24.75, "mean_score": 4.8} if with_history else None,
    }
    this_week = {"week": "2026-04-13", "pr_count": n, "highlight_count": len(highlights), "mean_score": mean,
                 "risks": {r["key"]: r["count"] for r in dims["risks"]}, "kinds": {k["key"]: k["count"] for k in dims["kinds"]}}
    return {
        "schema_version": "1.1",
        "repository": REPO,
        "repository_url": URL,
        "source": "sample",
        "generated_at": "2026-04-20T08:00:00+08:00",
        "week": {"key": "2026-04-13", "iso": "2026-W16", "start": "2026-04-13", "end": "2026-04-19",
                 "timezone": "Asia/Shanghai", "start_at": "2026-04-13T00:00:00+08:00", "end_at": "2026-04-20T00:00:00+08:00"},
        "summary": summary,
        **dims,
        "hot_files": hot_files,
        "authors": author_rows,
        "movements": _movements(dims) if with_history else [],
        "trend": _trend(this_week) if with_history else [this_week],
        "highlights": highlights,
        "suggestions": _suggestions(prs, dims["kinds"]),
        "pull_requests": [{k: v for k, v in pr.items() if not k.startswith("_")} | {"reasons": _reasons(pr)} for pr in ranked],
    }


def report_model() -> dict:
    """The 30-PR week 2026-W16 of vllm-project/vllm, with last week, a trailing mean and reviews."""
    return build_model()


def empty_model() -> dict:
    """A week in which nothing was merged (what ``build_report_model`` gives for no PRs)."""
    model = build_model([], with_history=False, with_reviews=False)
    model["summary"] = {"pr_count": 0, "highlight_count": 0, "mean_score": None, "additions": 0, "deletions": 0,
                        "changed_files": 0, "author_count": 0, "first_time_author_count": None,
                        "previous": None, "trailing": None}
    model["trend"] = []
    model["suggestions"] = []
    return model


def big_model(n: int = 200) -> dict:
    """``n`` PRs cycled from the hand-written ones (new numbers), for the performance test."""
    spec = []
    for i in range(n):
        base = list(_PRS[i % len(_PRS)])
        base[0] = 40000 + i
        base[2] = f"{base[2]}{i % 37}"
        spec.append(tuple(base))
    return build_model(spec)
