#!/usr/bin/env python3
"""Generate the bundled sample: merged PRs of the fictional repository ``lumen-ai/lumen``.

Deterministic (fixed seed, standard library only, no network): running it twice gives
identical bytes. Twelve weeks, Monday 2026-08-31 through the week of Monday 2026-11-16,
in the JSONL format of ``/work/shared/data/pulls`` plus the optional fields ``labels``,
``review_count``, ``comment_count``, ``author_association`` and ``review_comments``.

    python scripts/make_sample.py [--out data/sample/lumen-ai__lumen.jsonl]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import re
from pathlib import Path

SEED = 20260831
REPO = "lumen-ai/lumen"
FIRST_MONDAY = dt.date(2026, 8, 31)
# A slow ramp, a quantization push in weeks 5-8, release stabilisation in weeks 9-12.
PR_COUNTS = [46, 43, 52, 49, 57, 61, 55, 63, 58, 66, 68, 62]
FIRST_NUMBER = 4103
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "data" / "sample" / "lumen-ai__lumen.jsonl"

# ---------------------------------------------------------------------------------------------
# People. (login, display name, UTC offset in minutes, association, weight, specialities)
# ---------------------------------------------------------------------------------------------
REGULARS = [
    ("mchen-lumen", "Mei Chen", 480, "MEMBER", 9, {"core", "perf"}),
    ("jwalsh", "Jonah Walsh", -420, "MEMBER", 8, {"core", "frontend"}),
    ("okafor-dev", "Chidi Okafor", 60, "MEMBER", 7, {"ci", "deps"}),
    ("priya-k", "Priya Krishnan", 330, "MEMBER", 6, {"quant", "kernel"}),
    ("rsantos", "Rafael Santos", -180, "MEMBER", 6, {"models", "mm"}),
    ("dbrandt", "Dana Brandt", -240, "MEMBER", 5, {"frontend", "tool"}),
    ("tanaka-h", "Hiroshi Tanaka", 540, "MEMBER", 4, {"dist", "core"}),
    ("lgarnier", "Lucie Garnier", 120, "MEMBER", 3, {"docs"}),
    ("yzhao-ml", "Yifan Zhao", 480, "CONTRIBUTOR", 5, {"quant", "kernel"}),
    ("wliu", "Wei Liu", 480, "CONTRIBUTOR", 4, {"models", "perf"}),
    ("nwest-amd", "Nora West", -420, "CONTRIBUTOR", 4, {"rocm"}),
    ("ivanov-xpu", "Pavel Ivanov", 0, "CONTRIBUTOR", 3, {"xpu"}),
    ("arjun-cpu", "Arjun Mehta", 330, "CONTRIBUTOR", 2.5, {"cpu"}),
    ("amir-h", "Amir Hosseini", 0, "CONTRIBUTOR", 3, {"tool", "frontend"}),
    ("sofia-r", "Sofia Rossi", 60, "CONTRIBUTOR", 3, {"mm", "models"}),
    ("kpark", "Kyung Park", 540, "CONTRIBUTOR", 3, {"kernel", "perf"}),
    ("zhangq", "Qiang Zhang", 480, "CONTRIBUTOR", 2.5, {"dist"}),
    ("tobi-a", "Tobi Adeyemi", 60, "CONTRIBUTOR", 2, {"tests", "ci"}),
    ("bhuang", "Bo Huang", -420, "CONTRIBUTOR", 2, {"metrics", "frontend"}),
    ("gkowalski", "Greg Kowalski", -240, "CONTRIBUTOR", 1.5, set()),
    ("sato-y", "Yui Sato", 540, "CONTRIBUTOR", 1.5, {"docs"}),
    ("hnguyen", "Hoa Nguyen", 420, "CONTRIBUTOR", 1, set()),
    (None, "Stefan Vogel", 60, "CONTRIBUTOR", 1, {"cpu"}),
    (None, "王磊", 480, "CONTRIBUTOR", 1, {"models"}),
]
NEWCOMERS = [
    ("mira-codes", "Mira Jensen", 60), ("deepak-v", "Deepak Verma", 330),
    ("lucas-ferreira", "Lucas Ferreira", -180), ("chloe-dubois", "Chloé Dubois", 60),
    ("kenji-w", "Kenji Watanabe", 540), ("ayo-ml", "Ayodele Bello", 60),
    ("fatima-z", "Fatima Zahra", 0), ("nate-r", "Nate Robinson", -420),
    ("liuyang-dev", "Yang Liu", 480), ("ola-n", "Ola Nordmann", 60),
    ("pedro-gpu", "Pedro Alves", -180), ("sung-min", "Sung-min Lee", 540),
    (None, "Marek Nowak", 60), ("ines-c", "Inês Carvalho", 0),
    ("rahul-b", "Rahul Bose", 330), ("zoe-k", "Zoe Kim", -420),
    ("viktor-s", "Viktor Saar", 120), ("tran-minh", "Minh Tran", 420),
    ("elif-y", "Elif Yilmaz", 180), ("jhall-gpu", "Jordan Hall", -300),
    ("ananya-s", "Ananya Sharma", 330), ("noah-b", "Noah Becker", 60),
    ("haruto-i", "Haruto Ito", 540),
]
REVIEWERS = ["mchen-lumen", "jwalsh", "okafor-dev", "priya-k", "rsantos", "dbrandt", "tanaka-h"]

# ---------------------------------------------------------------------------------------------
# Vocabulary of the fictional code base (see docs/sample-repo.md).
# ---------------------------------------------------------------------------------------------
MODELS = {
    "llama": "Llama", "qwen3": "Qwen3", "gemma4_mm": "Gemma 4 multimodal", "mixtral": "Mixtral",
    "deepseek_v3": "DeepSeek-V3", "phi4": "Phi-4", "granite": "Granite", "glm4": "GLM-4",
    "internvl3": "InternVL3", "mistral_small": "Mistral Small",
}
MM_MODELS = ["gemma4_mm", "internvl3"]
MOE_MODELS = ["mixtral", "deepseek_v3"]
NEW_MODELS = [
    ("corvid", "Corvid-7B", False), ("halcyon_moe", "Halcyon-MoE", True),
    ("vesper_vl", "Vesper-VL", False), ("tamarind", "Tamarind-2", False),
    ("kestrel_coder", "Kestrel-Coder", False), ("orrery_moe", "Orrery-MoE-A3B", True),
    ("lyra_audio", "Lyra-Audio", False), ("basalt", "Basalt-14B", False),
]
BACKENDS = {"flash_attn": "FlashAttention", "flashinfer": "FlashInfer", "triton_attn": "Triton",
            "rocm_aiter": "ROCm AITER", "mla": "MLA"}
QUANTS = {"fp8": "FP8", "mxfp4": "MXFP4", "nvfp4": "NVFP4", "awq": "AWQ", "gptq": "GPTQ"}
TOOL_PARSERS = {"hermes": "Hermes", "mistral": "Mistral", "qwen3_coder": "Qwen3-Coder",
                "glm4_moe": "GLM-4 MoE", "llama3_json": "Llama 3 JSON"}
GPUS = ["H100", "H200", "B200", "A100", "L40S", "MI300X", "RTX 4090"]
CORE = {
    "scheduler": "lumen/core/scheduler.py", "kv_cache": "lumen/core/kv_cache.py",
    "block_manager": "lumen/core/block_manager.py", "llm_engine": "lumen/engine/llm_engine.py",
    "async_engine": "lumen/engine/async_engine.py", "arg_utils": "lumen/engine/arg_utils.py",
    "model_runner": "lumen/worker/model_runner.py", "gpu_worker": "lumen/worker/gpu_worker.py",
    "attn_layer": "lumen/attention/layer.py",
}
CORE_TESTS = {
    "scheduler": "tests/core/test_scheduler.py", "kv_cache": "tests/core/test_kv_cache.py",
    "block_manager": "tests/core/test_block_manager.py", "llm_engine": "tests/engine/test_llm_engine.py",
    "async_engine": "tests/engine/test_async_engine.py", "arg_utils": "tests/engine/test_arg_utils.py",
    "model_runner": "tests/worker/test_model_runner.py", "gpu_worker": "tests/worker/test_gpu_worker.py",
    "attn_layer": "tests/attention/test_layer.py",
}
OPENAI = "lumen/entrypoints/openai/"


class Ctx:
    """Per-PR helpers around the shared random generator."""

    def __init__(self, rng: random.Random, week: int):
        self.rng = rng
        self.week = week

    def n(self, median: float, spread: float = 0.8, lo: int = 1) -> int:
        """A log-normal line count: most changes small, a few large."""
        return max(lo, int(self.rng.lognormvariate(math.log(median), spread)))

    def f(self, path: str, add: float, dele: float, ct: str = "MODIFIED", prev: str | None = None) -> dict:
        a = 0 if ct == "DELETED" else self.n(add)
        d = 0 if ct == "ADDED" else self.n(dele, lo=0)
        return {"path": path, "previous_path": prev, "change_type": ct, "additions": a, "deletions": d}

    def pick(self, seq):
        return self.rng.choice(list(seq))

    def chance(self, p: float) -> bool:
        return self.rng.random() < p


def _gain(c: Ctx) -> str:
    return f"{c.rng.uniform(4, 28):.1f}%"


# ---------------------------------------------------------------------------------------------
# Archetypes. Each returns title, purpose (concrete first sentences), files, labels, area, plan.
# ---------------------------------------------------------------------------------------------

def bug_core(c: Ctx) -> dict:
    variants = [
        ("scheduler", "Fix KV block leak when a request is aborted during chunked prefill",
         "Aborting a request while its prompt was still being prefilled in chunks left its KV blocks "
         "allocated, because the scheduler only released blocks on normal completion. The abort path "
         "now frees the partially filled blocks and removes the request from the running queue.", ["kv_cache"]),
        ("kv_cache", "Fix off-by-one in prefix cache hit length for block-aligned prompts",
         "When a prompt length was an exact multiple of the block size, the prefix cache reported one "
         "block too many as cached and the last token was never recomputed, producing an empty first "
         "logit. The hit length is now capped at `num_tokens - 1`.", []),
        ("async_engine", "Fix deadlock in the async engine when the output queue is full",
         "The engine loop awaited `put()` on a bounded output queue while holding the step lock, so a "
         "slow client could stall every other request. Outputs are now enqueued after releasing the lock.",
         ["llm_engine"]),
        ("model_runner", "Fix model runner crash on an empty batch after all requests finish",
         "`execute_model` indexed `input_ids[0]` even when the scheduler returned no sequences, raising "
         "IndexError on idle steps with pipeline parallelism. Empty batches now return early.", []),
        ("block_manager", "Fix stale block table after swap-in under memory pressure",
         "Swapped-in sequences kept the CPU block ids in their block table for one step, so attention "
         "read garbage KV for the first decoded token. The table is rebuilt before the request is "
         "marked running again.", ["scheduler"]),
        ("scheduler", "Fix `max_num_batched_tokens` being ignored when chunked prefill is disabled",
         "Without chunked prefill the scheduler admitted prompts up to `max_model_len` regardless of "
         "`max_num_batched_tokens`, causing OOM on long prompts. The budget check now applies to both "
         "paths.", ["arg_utils"]),
        ("gpu_worker", "Fix CUDA graph capture sizes when `max_num_seqs` is not a multiple of 8",
         "Capture sizes were rounded down, so batches between the last capture size and `max_num_seqs` "
         "fell back to eager mode silently. Sizes are now rounded up and the largest size is always "
         "captured.", ["model_runner"]),
        ("async_engine", "Fix request timeout not being honoured while waiting in the queue",
         "The per-request timeout started when the request was scheduled, not when it arrived, so "
         "requests could wait indefinitely under load. Waiting time now counts towards the timeout and "
         "expired requests are aborted by the scheduler.", ["scheduler"]),
        ("kv_cache", "Fix wrong logprobs when prefix caching reuses a partially filled block",
         "A partially filled block was shared between two requests with different suffixes, so the "
         "second request read the first one's KV for the tail tokens. Partial blocks are no longer "
         "published to the prefix cache.", ["model_runner"]),
        ("llm_engine", "Fix race between abort and detokenization in streaming responses",
         "An abort arriving while the detokenizer was processing the request's last step raised "
         "KeyError in the output processor and killed the engine loop. Aborted request ids are now "
         "skipped by the output processor.", []),
        ("scheduler", "Fix priority inversion when preempted requests are re-queued",
         "Preempted requests were appended to the end of the waiting queue and lost their priority, so "
         "low-priority traffic could starve them. They are now re-inserted by (priority, arrival time).",
         []),
        ("attn_layer", "Fix sliding-window mask for prompts longer than the window",
         "The attention layer applied the sliding window only during decode; prefill of prompts longer "
         "than the window attended to all tokens, which diverged from the reference implementation.", []),
    ]
    key, title, purpose, extra = c.pick(variants)
    files = [c.f(CORE[key], 25, 8)] + [c.f(CORE[k], 10, 4) for k in extra]
    with_tests = c.chance(0.55)
    if with_tests:
        files.append(c.f(CORE_TESTS[key], 45, 2))
    return dict(prefixes=["[Bugfix]" if c.chance(0.6) else "[BugFix]"] + (["[Core]"] if c.chance(0.3) else []),
                title=title, purpose=purpose, files=files, labels=["bug", "v1"], area="core",
                tested=with_tests, issue=c.chance(0.5))


def bug_model(c: Ctx) -> dict:
    hot = c.week in (1, 2, 3, 4) and c.chance(0.55)
    m = "gemma4_mm" if hot else c.pick(MODELS)
    name = MODELS[m]
    variants = [
        (f"Fix {name} weight loading with tied word embeddings",
         f"Checkpoints of {name} that set `tie_word_embeddings` have no `lm_head.weight`, and the loader "
         f"raised KeyError. The loader now reuses the embedding weight when the head is missing."),
        (f"Fix rotary scaling for {name} beyond 32k context",
         f"{name} uses YaRN rope scaling, but the `factor` from the HF config was applied twice, so "
         f"outputs degraded sharply after 32k tokens. The scaling is now applied once in the rotary embedding."),
        (f"Fix {name} MoE router running in fp32 under bf16",
         f"The router logits were upcast to fp32 and never cast back, doubling the memory of the top-k "
         f"buffer. Routing now stays in the model dtype, matching the reference implementation."),
        (f"Fix {name} generation config defaults being ignored",
         f"`generation_config.json` of {name} sets `temperature` and `top_p`, but the defaults were only "
         f"read for the chat endpoint. Offline `LLM.generate` now picks them up as well."),
    ]
    if m in MM_MODELS:
        variants += [
            (f"Fix {name} image placeholder count for multi-image prompts",
             f"With more than one image, {name} computed the number of placeholder tokens from the first "
             f"image only, so later images were truncated and the request failed with a shape mismatch."),
            (f"Fix {name} processor cache key ignoring image size",
             f"The multimodal processor cache keyed entries by image hash only; the same image resized by "
             f"`mm_processor_kwargs` returned stale pixel values."),
        ]
    title, purpose = c.pick(variants)
    files = [c.f(f"lumen/models/{m}.py", 18, 7)]
    if m in MM_MODELS and c.chance(0.6):
        files.append(c.f(c.pick(["lumen/multimodal/processing.py", "lumen/multimodal/image.py"]), 12, 5))
    tested = c.chance(0.5)
    if tested:
        files.append(c.f(f"tests/models/test_{m}.py", 30, 3))
    labels = ["bug"] + (["multi-modality"] if m in MM_MODELS else [])
    return dict(prefixes=["[Bugfix]", "[Model]"] if c.chance(0.4) else ["[Bugfix]"], title=title,
                purpose=purpose, files=files, labels=labels, area="models", tested=tested, issue=c.chance(0.6))


def bug_frontend(c: Ctx) -> dict:
    p = c.pick(TOOL_PARSERS)
    variants = [
        (f"Fix {TOOL_PARSERS[p]} tool parser dropping arguments in streaming mode",
         f"When the closing brace of the arguments arrived in the same delta as the end-of-tool token, the "
         f"{TOOL_PARSERS[p]} parser emitted the call without its last argument. The parser now flushes "
         f"buffered argument text before closing the call.", "tool"),
        (f"Fix {TOOL_PARSERS[p]} tool parser leaking special tokens into content",
         f"The {TOOL_PARSERS[p]} parser forwarded `<tool_call>` markers as plain content when the model "
         f"emitted text before the call, so clients showed raw tokens.", "tool"),
        ("Fix missing usage chunk with `stream_options.include_usage`",
         "The final usage chunk was skipped when the request finished because of a stop string, so "
         "clients that rely on it for billing saw no token counts.", "openai"),
        ("Fix 500 error when `response_format` json_schema uses `$ref`",
         "Schemas with local `$ref` definitions crashed the guided decoding backend during compilation "
         "and returned HTTP 500. References are now resolved before the grammar is built, and invalid "
         "schemas return 400.", "openai"),
        ("Fix duplicated tokens with `n > 1` and `logprobs`",
         "For `n > 1` every choice reported the logprobs of choice 0 because the output processor reused "
         "the same list object.", "openai"),
        ("Fix `/v1/models` listing LoRA adapters after they are unloaded",
         "Unloading an adapter through the admin endpoint left it in the served model list, and requests "
         "to it failed with a confusing 404 from the engine.", "openai"),
    ]
    title, purpose, kind = c.pick(variants)
    if kind == "tool":
        files = [c.f(f"lumen/tool_parsers/{p}_tool_parser.py", 22, 10)]
        tested = c.chance(0.65)
        if tested:
            files.append(c.f(f"tests/tool_parsers/test_{p}_tool_parser.py", 40, 2))
        labels = ["bug", "tool-calling"]
    else:
        files = [c.f(OPENAI + c.pick(["serving_chat.py", "serving_completion.py", "protocol.py"]), 20, 8)]
        tested = c.chance(0.55)
        if tested:
            files.append(c.f("tests/entrypoints/openai/test_serving_chat.py", 35, 2))
        labels = ["bug", "frontend"]
    return dict(prefixes=["[Bugfix]", "[Frontend]"] if c.chance(0.5) else ["[Bugfix]"], title=title,
                purpose=purpose, files=files, labels=labels, area="frontend", tested=tested, issue=c.chance(0.5))


def bug_quant(c: Ctx) -> dict:
    q = c.pick(QUANTS)
    variants = [
        (f"Fix {QUANTS[q]} scale loading for per-channel checkpoints",
         f"Per-channel {QUANTS[q]} checkpoints store scales with shape `[out, 1]`; the loader expected "
         f"`[out]` and broadcast them wrongly, producing garbage output without an error."),
        (f"Fix {QUANTS[q]} MoE layers with tensor parallelism > 1",
         f"Expert weight shards were split along the wrong dimension for {QUANTS[q]} MoE layers when TP > 1, "
         f"so each rank loaded the same slice."),
        (f"Fix division by zero in {QUANTS[q]} dynamic activation scales",
         f"All-zero activation rows (padding tokens) produced a zero amax and a NaN scale, which then "
         f"poisoned the whole batch. The scale is now clamped to a small epsilon."),
    ]
    title, purpose = c.pick(variants)
    files = [c.f(f"lumen/quantization/{q}.py", 15, 6)]
    if c.chance(0.35):
        files.append(c.f(f"csrc/quantization/{q}_kernels.cu", 12, 6))
    tested = c.chance(0.5)
    if tested:
        files.append(c.f(f"tests/quantization/test_{q}.py", 30, 2))
    return dict(prefixes=["[Bugfix]", "[Quantization]"], title=title, purpose=purpose, files=files,
                labels=["bug", "quantization"], area="quant", tested=tested, issue=c.chance(0.4))


def _platform_choice(c: Ctx):
    return c.pick([
        ("[ROCm]", "rocm", "ROCm", "rocm"), ("[ROCm]", "rocm", "ROCm", "rocm"),
        ("[XPU]", "xpu", "XPU", "xpu"), ("[CPU]", "cpu", "CPU", "cpu"),
    ])


def bug_platform(c: Ctx) -> dict:
    prefix, plat, name, spec = _platform_choice(c)
    variants = {
        "rocm": [("Fix AITER attention fallback on MI250",
                  "The AITER flash-attention path was selected on MI250 (gfx90a), which it does not "
                  "support, and the server crashed at start-up. The platform now checks the GPU arch "
                  "before enabling it."),
                 ("Fix hipGraph capture failing with custom all-reduce",
                  "Custom all-reduce registered buffers after graph capture on ROCm, which hipGraph rejects. "
                  "Buffers are now registered before capture.")],
        "xpu": [("Fix XPU memory profiling reporting zero free memory",
                 "`torch.xpu.mem_get_info` is unavailable on older drivers and the fallback returned 0, so "
                 "no KV blocks were allocated. The platform now falls back to the device's total memory "
                 "minus reserved memory.")],
        "cpu": [("Fix CPU backend hang with more OpenMP threads than cores",
                 "Binding more OpenMP threads than physical cores deadlocked the shared-memory all-reduce. "
                 "The thread count is now capped at the number of cores in the NUMA node."),
                ("Fix bf16 detection on CPUs without AVX512-BF16",
                 "The CPU platform reported bf16 support based on the torch build, not the CPU flags, and "
                 "crashed with illegal instruction on older Xeons.")],
    }[plat]
    title, purpose = c.pick(variants)
    files = [c.f(f"lumen/platforms/{plat}.py", 14, 6)]
    if plat == "cpu" and c.chance(0.6):
        files.append(c.f(c.pick(["csrc/cpu/shm_allreduce.cpp", "csrc/cpu/utils.cpp"]), 20, 8))
    tested = c.chance(0.3)
    if tested:
        files.append(c.f(f"tests/platforms/test_{plat}.py", 25, 1))
    labels = ["bug"] + (["rocm"] if plat == "rocm" else [])
    return dict(prefixes=[prefix, "[Bugfix]"], title=title, purpose=purpose, files=files, labels=labels,
                area="platform", tested=tested, spec=spec, issue=c.chance(0.4))


def feat_model(c: Ctx) -> dict:
    key, name, moe = c.pick(NEW_MODELS)
    vl = key.endswith("_vl") or key.endswith("_audio")
    purpose = (f"Add support for {name}, " + ("a mixture-of-experts model with 64 experts and shared-expert "
               "routing" if moe else "a vision-language model with a SigLIP-style encoder" if key.endswith("_vl")
               else "an audio-text model with a Whisper-style encoder" if vl else "a dense decoder-only model "
               "with grouped-query attention") + ". The implementation reuses the existing "
               + ("fused MoE layer" if moe else "multimodal processor" if vl else "Llama building blocks")
               + " and registers the architecture in the model registry.")
    files = [c.f(f"lumen/models/{key}.py", 420, 0.5, "ADDED"), c.f("lumen/models/registry.py", 2, 0.5),
             c.f("docs/models/supported_models.md", 2, 0.5)]
    if vl:
        files.append(c.f("lumen/multimodal/processing.py", 40, 6))
    tested = c.chance(0.75)
    if tested:
        files.append(c.f(f"tests/models/test_{key}.py", 90, 1, "ADDED"))
        files.append(c.f("tests/models/test_registry.py", 3, 0.5))
    return dict(prefixes=["[Model]"], title=f"Add support for {name}", purpose=purpose, files=files,
                labels=["new-model"] + (["multi-modality"] if vl else []), area="models", tested=tested,
                spec="models")


def feat_quant(c: Ctx) -> dict:
    variants = [
        ("mxfp4", "Add MXFP4 weight loading for MoE layers",
         "Load MXFP4 (OCP microscaling) expert weights directly instead of dequantizing them to bf16 at "
         "load time. Expert memory drops by about 3.6x, which lets DeepSeek-V3 fit on a single 8xH200 node.",
         ["lumen/quantization/mxfp4.py", "lumen/kernels/triton/fused_moe.py"]),
        ("nvfp4", "NVFP4 GEMM for SM120 GPUs",
         "Add an NVFP4 x NVFP4 GEMM built on CUTLASS for SM120 and dispatch to it from the NVFP4 linear "
         "method. Previously SM120 fell back to dequantize-then-matmul.",
         ["lumen/quantization/nvfp4.py", "csrc/quantization/nvfp4_gemm.cu", "csrc/ops.h", "csrc/torch_bindings.cpp"]),
        ("fp8", "FP8 KV cache with per-head scales",
         "Support per-head K/V scales for the FP8 KV cache. A single per-tensor scale clipped outlier heads "
         "and cost up to 2 points on long-context retrieval; per-head scales recover the bf16 accuracy.",
         ["lumen/quantization/fp8.py", "lumen/core/kv_cache.py", "lumen/attention/backends/flash_attn.py"]),
        ("fp8", "Online FP8 quantization for dense layers",
         "Add `--quantization fp8-online`, which quantizes bf16 checkpoints to FP8 at load time with "
         "per-channel weight scales, so users no longer need a pre-quantized checkpoint.",
         ["lumen/quantization/fp8.py", "lumen/config.py", "lumen/engine/arg_utils.py"]),
        ("awq", "AWQ Triton dequantization kernel for ROCm",
         "Add a Triton AWQ dequantize + GEMM kernel so AWQ models run on ROCm, where the CUDA kernel is "
         "not available.", ["lumen/quantization/awq.py", "lumen/kernels/triton/awq_gemm.py", "lumen/platforms/rocm.py"]),
        ("mxfp4", "MXFP4 activation quantization kernel",
         "Add a fused CUDA kernel that quantizes bf16 activations to MXFP4 with shared E8M0 block scales, "
         "the missing piece for W4A4 MXFP4 MoE inference.",
         ["csrc/quantization/mxfp4_quant.cu", "csrc/ops.h", "lumen/quantization/mxfp4.py"]),
        ("nvfp4", "Support NVFP4 checkpoints exported by ModelOpt",
         "Read the ModelOpt `hf_quant_config.json` and map its NVFP4 layer groups to the NVFP4 linear "
         "method, including the excluded-modules list.", ["lumen/quantization/nvfp4.py", "lumen/config.py"]),
        ("gptq", "GPTQ act-order support in the Marlin-free path",
         "Handle `desc_act=True` GPTQ checkpoints in the generic GPTQ path by permuting the input columns "
         "once at load time instead of per forward pass.", ["lumen/quantization/gptq.py"]),
    ]
    q, title, purpose, paths = c.pick(variants)
    files = [c.f(p, 140 if p.endswith(".cu") else 60, 12) for p in paths]
    tested = c.chance(0.6)
    if tested:
        files.append(c.f(f"tests/quantization/test_{q}.py", 80, 3))
    if c.chance(0.3):
        files.append(c.f("docs/features/quantization.md", 15, 3))
    prefixes = ["[Quantization]"] + (["[Kernel]"] if any(p.startswith("csrc") for p in paths) else [])
    return dict(prefixes=prefixes, title=title, purpose=purpose + f" Measured {_gain(c)} higher decode "
                f"throughput on {c.pick(GPUS[:4])}.", files=files, labels=["quantization"], area="quant",
                tested=tested, spec="quant")


def kernel_cuda(c: Ctx) -> dict:
    variants = [
        ("Fuse RMSNorm and FP8 quantization into one kernel",
         "Add a fused RMSNorm + static FP8 quantization CUDA kernel so the normalized activations are "
         "written once in FP8 instead of bf16 followed by a separate quantization pass.",
         ["csrc/layernorm_quant_kernels.cu", "csrc/ops.h", "csrc/torch_bindings.cpp"], "rms_norm_quant"),
        ("Split-K paged attention for long contexts",
         "Add a split-K variant of paged attention v2 that partitions the KV sequence across thread blocks "
         "when the batch is small and contexts exceed 16k tokens, improving GPU occupancy.",
         ["csrc/attention/paged_attention_v2.cu", "csrc/attention/attention_utils.cuh"], "paged_attention"),
        ("Add merge_attn_states kernel for cascade attention",
         "Add a CUDA kernel that merges partial attention outputs and their log-sum-exp values, replacing "
         "a chain of four PyTorch ops in cascade attention.",
         ["csrc/attention/merge_attn_states.cu", "csrc/ops.h", "lumen/attention/backends/flash_attn.py"],
         "merge_attn_states"),
        ("Vectorised top-k/top-p sampling kernel",
         "Replace the sort-based top-p sampler with a vectorised rejection-sampling CUDA kernel that avoids "
         "sorting the full vocabulary for every request.",
         ["csrc/sampler.cu", "csrc/ops.h", "lumen/worker/model_runner.py"], "sampler"),
        ("Guard head sizes in the reshape_and_cache kernel",
         "`reshape_and_cache` assumed head sizes divisible by 16 and wrote out of bounds for head size 80. "
         "The kernel now dispatches on head size and rejects unsupported sizes with a clear error.",
         ["csrc/cache_kernels.cu", "csrc/dispatch_utils.h"], "cache_kernels"),
        ("Add grouped top-k kernel for DeepSeek-style routing",
         "Add a CUDA kernel for grouped top-k expert selection (top groups first, then top experts) used by "
         "DeepSeek-V3 routing; the Python implementation launched 11 kernels per layer.",
         ["csrc/moe/grouped_topk.cu", "csrc/ops.h", "csrc/torch_bindings.cpp"], "grouped_topk"),
    ]
    title, purpose, paths, test = c.pick(variants)
    files = [c.f(p, 160 if p.endswith((".cu", ".cuh")) else 12, 15) for p in paths]
    if c.chance(0.4):
        files.append(c.f("CMakeLists.txt", 3, 1))
    tested = c.chance(0.55)
    if tested:
        files.append(c.f(f"tests/kernels/test_{test}.py", 90, 2))
    if c.chance(0.35):
        files.append(c.f(f"benchmarks/kernels/bench_{test}.py", 70, 1, "ADDED"))
    return dict(prefixes=["[Kernel]"] + (["[Perf]"] if c.chance(0.3) else []), title=title,
                purpose=purpose + f" Kernel time drops by {_gain(c)} on {c.pick(GPUS[:4])}.", files=files,
                labels=["performance"], area="kernel", tested=tested, spec="kernel")


def kernel_triton(c: Ctx) -> dict:
    variants = [
        ("Tune fused_moe Triton configs for {gpu}",
         "Add tuned block sizes for the fused MoE Triton kernel on {gpu} for the expert shapes of Mixtral and "
         "DeepSeek-V3; the default config left up to a third of the SMs idle at small batch sizes.",
         ["lumen/kernels/triton/fused_moe.py", "lumen/kernels/triton/configs/fused_moe_{slug}.json"]),
        ("Triton decode attention with FP8 KV cache",
         "Let the Triton decode-attention kernel read FP8 KV directly and dequantize in registers, instead of "
         "upcasting the whole cache block to bf16 first.",
         ["lumen/kernels/triton/decode_attention.py", "lumen/attention/backends/triton_attn.py"]),
        ("Autotune prefix_prefill for head size 256",
         "Head size 256 (Gemma) hit a single hard-coded config in the prefix-prefill Triton kernel that "
         "spilled registers; add autotune candidates for it.", ["lumen/kernels/triton/prefix_prefill.py"]),
        ("Triton fused RMSNorm + residual add",
         "Fuse the residual add into the Triton RMSNorm kernel used on platforms without the CUDA kernel "
         "(XPU, ROCm), saving one read and one write of the hidden states per layer.",
         ["lumen/kernels/triton/rms_norm.py", "lumen/platforms/xpu.py"]),
    ]
    title, purpose, paths = c.pick(variants)
    gpu = c.pick(GPUS[:6])
    slug = gpu.lower().replace(" ", "_")
    files = []
    for p in paths:
        p = p.format(slug=slug)
        files.append(c.f(p, 600, 0.5, "ADDED") if p.endswith(".json") else c.f(p, 70, 20))
    tested = c.chance(0.5)
    if tested:
        files.append(c.f("tests/kernels/test_triton_" + paths[0].split("/")[-1], 50, 2))
    return dict(prefixes=["[Kernel]"] + (["[Perf]"] if c.chance(0.4) else []), title=title.format(gpu=gpu),
                purpose=purpose.format(gpu=gpu) + f" End-to-end decode throughput improves by {_gain(c)}.",
                files=files, labels=["performance"], area="kernel", tested=tested, spec="kernel")


def perf(c: Ctx) -> dict:
    variants = [
        ("kv_cache", "Avoid recomputing block hashes on every scheduler step",
         "Block hashes for prefix caching were recomputed for every running request on each step. They are "
         "now computed once when a block becomes full and stored on the block.", ["scheduler"]),
        ("model_runner", "Cache sampling metadata across decode steps",
         "Sampling tensors (temperatures, top-p, penalties) were rebuilt from Python lists every step. They "
         "are now kept on the GPU and updated only for requests that joined or left the batch.", []),
        ("llm_engine", "Batch detokenization in the output processor",
         "Detokenize all requests of a step with one `batch_decode` call instead of one call per request, "
         "which dominated CPU time at high concurrency.", []),
        ("model_runner", "Remove a host-device sync when preparing inputs",
         "`prepare_inputs` called `.item()` on the max sequence length, forcing a sync each step; the value "
         "is now computed on the host from the scheduler output.", ["gpu_worker"]),
        ("scheduler", "Make waiting-queue admission O(log n)",
         "The scheduler scanned the whole waiting queue to find admissible requests; with 10k queued "
         "requests this took 6 ms per step. A heap keyed by priority and arrival time replaces the scan.", []),
        ("block_manager", "Free blocks in bulk when requests finish",
         "Freeing blocks one by one touched the free list and the prefix-cache map per block; freeing a "
         "request's blocks in one call halves allocator time at high concurrency.", ["kv_cache"]),
    ]
    key, title, purpose, extra = c.pick(variants)
    files = [c.f(CORE[key], 40, 25)] + [c.f(CORE[k], 12, 8) for k in extra]
    tested = c.chance(0.45)
    if tested:
        files.append(c.f(CORE_TESTS[key], 30, 3))
    if c.chance(0.3):
        files.append(c.f("benchmarks/benchmark_serving.py", 10, 2))
    model = c.pick(["Llama-3.1-8B", "Qwen3-32B", "Mixtral-8x7B", "DeepSeek-V3"])
    return dict(prefixes=["[Perf]"] + (["[Core]"] if c.chance(0.3) else []), title=title,
                purpose=purpose + f" With {model} on {c.pick(GPUS[:4])} output throughput improves by {_gain(c)}.",
                files=files, labels=["performance", "v1"], area="core", tested=tested, spec="perf")


def feat_frontend(c: Ctx) -> dict:
    variants = [
        ("Add `reasoning_effort` to chat completion requests",
         "Accept the `reasoning_effort` field (low/medium/high) in chat completion requests and map it to the "
         "model's thinking budget through the chat template.",
         ["protocol.py", "serving_chat.py"], False),
        ("Support `max_completion_tokens` in chat completions",
         "Accept `max_completion_tokens` as the preferred name for the output limit and deprecate "
         "`max_tokens` for chat completions, following the current OpenAI API.",
         ["protocol.py", "serving_chat.py"], False),
        ("Background mode for `/v1/responses`",
         "Add `background: true` to the Responses API: the request returns immediately with a response id "
         "and clients poll `GET /v1/responses/{id}`.", ["serving_responses.py", "api_server.py", "protocol.py"],
         False),
        ("Add `--kv-cache-memory-bytes` option",
         "Add a config option that sets the KV cache size in bytes directly, as an alternative to "
         "`gpu_memory_utilization`, which is hard to get right when several processes share a GPU.",
         ["cli.py"], True),
        ("Return `prompt_tokens_details.cached_tokens` in usage",
         "Report how many prompt tokens were served from the prefix cache in the usage block of completion "
         "and chat responses.", ["protocol.py", "serving_chat.py", "serving_completion.py"], False),
        ("Add `--served-model-alias` to expose one model under several names",
         "Allow serving one model under multiple names so that clients migrating between model names keep "
         "working without a second deployment.", ["api_server.py", "cli.py"], True),
    ]
    title, purpose, names, config = c.pick(variants)
    files = [c.f(("lumen/entrypoints/" if n == "cli.py" else OPENAI) + n, 35, 8) for n in names]
    if config:
        files += [c.f("lumen/config.py", 25, 4), c.f(CORE["arg_utils"], 12, 2)]
    tested = c.chance(0.6)
    if tested:
        files.append(c.f("tests/entrypoints/openai/test_" + names[0], 60, 2))
    if c.chance(0.45):
        files.append(c.f("docs/serving/openai_api.md", 20, 2))
    return dict(prefixes=["[Frontend]"] + (["[Feature]"] if c.chance(0.3) else []), title=title,
                purpose=purpose, files=files, labels=["frontend"], area="frontend", tested=tested, spec="frontend")


def feat_tool(c: Ctx) -> dict:
    key, name, _ = c.pick(NEW_MODELS[:6])
    files = [c.f(f"lumen/tool_parsers/{key}_tool_parser.py", 220, 0.5, "ADDED"),
             c.f("lumen/tool_parsers/__init__.py", 2, 0.5), c.f("docs/features/tool_calling.md", 18, 1)]
    tested = c.chance(0.7)
    if tested:
        files.append(c.f(f"tests/tool_parsers/test_{key}_tool_parser.py", 150, 0.5, "ADDED"))
    return dict(prefixes=["[Frontend]"], title=f"Add tool parser for {name}",
                purpose=f"Add a tool-call parser for {name}, which wraps calls in `<|tool_call|>` blocks with "
                        f"JSON arguments, with support for parallel calls and streaming deltas.",
                files=files, labels=["tool-calling", "frontend"], area="frontend", tested=tested, spec="tool")


def feat_mm(c: Ctx) -> dict:
    variants = [
        ("Sample video frames by target fps",
         "Add `video_fps` to `mm_processor_kwargs` so long videos are sampled at a fixed frame rate instead "
         "of a fixed frame count; a ten-minute clip no longer exceeds the context window.", ["video.py", "processing.py"]),
        ("Accept audio input in chat completions",
         "Accept `input_audio` content parts in chat completion messages and route them to audio-capable "
         "models through the multimodal processor.", ["audio.py", "inputs.py"]),
        ("Cache preprocessed images across requests",
         "Cache processor outputs keyed by image hash and processor kwargs so repeated images (system "
         "prompts with logos, multi-turn chats) skip preprocessing.", ["processing.py", "image.py"]),
        ("Move M-RoPE position computation to the GPU",
         "Compute multimodal rotary positions on the GPU during input preparation; the CPU implementation "
         "took up to 20% of step time for image-heavy batches.", ["inputs.py"]),
    ]
    title, purpose, names = c.pick(variants)
    files = [c.f("lumen/multimodal/" + n, 60, 15) for n in names]
    if c.chance(0.5):
        files.append(c.f(f"lumen/models/{c.pick(MM_MODELS)}.py", 20, 8))
    if "audio" in names[0]:
        files.append(c.f(OPENAI + "serving_chat.py", 25, 3))
    tested = c.chance(0.6)
    if tested:
        files.append(c.f(f"tests/multimodal/test_{names[0]}", 70, 2))
    return dict(prefixes=["[Feature]"] + (["[Frontend]"] if "audio" in names[0] else []), title=title,
                purpose=purpose, files=files, labels=["multi-modality"], area="models", tested=tested, spec="mm")


def feat_core(c: Ctx) -> dict:
    variants = [
        ("Priority scheduling with preemption",
         "Add `--scheduling-policy priority`: requests carry an integer priority and the scheduler preempts "
         "lower-priority running requests when a higher-priority one cannot be admitted.",
         ["scheduler", "arg_utils"], True),
        ("Async scheduling with overlapped output processing",
         "Schedule step N+1 while the outputs of step N are still being processed, hiding scheduler and "
         "detokenizer latency behind GPU execution.", ["scheduler", "llm_engine", "model_runner"], False),
        ("Hybrid KV cache manager for sliding-window layers",
         "Allocate KV blocks per layer group so sliding-window layers only keep the blocks inside their "
         "window; models that mix global and local attention use up to 40% less KV memory.",
         ["kv_cache", "block_manager", "scheduler"], False),
        ("KV cache offloading to CPU memory",
         "Evict cold prefix-cache blocks to pinned CPU memory instead of dropping them, and load them back "
         "asynchronously on a prefix hit.", ["kv_cache", "block_manager", "gpu_worker"], True),
        ("Speculative decoding with n-gram lookup in the model runner",
         "Propose draft tokens by matching the last n tokens against the prompt and verify them in one "
         "forward pass; no draft model is needed.", ["model_runner", "scheduler"], True),
    ]
    title, purpose, keys, config = c.pick(variants)
    files = [c.f(CORE[k], 90, 20) for k in keys]
    if config:
        files.append(c.f("lumen/config.py", 30, 3))
    tested = c.chance(0.7)
    if tested:
        files += [c.f(CORE_TESTS[k], 70, 3) for k in keys[:2]]
    if c.chance(0.4):
        files.append(c.f("docs/design/scheduler.md" if keys[0] == "scheduler" else "docs/design/kv_cache.md", 30, 5))
    return dict(prefixes=["[Core]"] + (["[Feature]"] if c.chance(0.4) else []), title=title,
                purpose=purpose, files=files, labels=["v1"], area="core", tested=tested, spec="core")


def feat_dist(c: Ctx) -> dict:
    variants = [
        ("Expert-parallel load balancer",
         "Add a load balancer for expert parallelism that periodically re-places hot experts across ranks "
         "based on routing statistics, reducing the slowest rank's MoE time.",
         ["expert_parallel.py", "parallel_state.py"]),
        ("KV transfer connector for disaggregated prefill",
         "Add a connector that ships KV blocks from prefill instances to decode instances over NCCL, the "
         "first step towards disaggregated prefill/decode serving.", ["kv_connector.py", "parallel_state.py"]),
        ("Fix hang in tensor-parallel all-reduce with empty batches",
         "When one rank received an empty batch it skipped the all-reduce and the other ranks waited "
         "forever. Empty ranks now participate with a zero-sized tensor.", ["device_communicator.py"]),
        ("Pipeline parallelism across nodes with Ray compiled graphs",
         "Use Ray compiled graphs for the inter-stage transfer in pipeline parallelism, removing one "
         "serialization round-trip per micro-batch.", ["parallel_state.py", "ray_executor.py"]),
    ]
    title, purpose, names = c.pick(variants)
    files = [c.f("lumen/distributed/" + n, 70, 15) for n in names]
    tested = c.chance(0.5)
    if tested:
        files.append(c.f("tests/distributed/test_" + names[0], 60, 2))
    bug = title.startswith("Fix")
    return dict(prefixes=["[Bugfix]" if bug else "[Core]", "[Distributed]"] if c.chance(0.5) else ["[Bugfix]" if bug else "[Core]"],
                title=title, purpose=purpose, files=files, labels=["bug"] if bug else ["v1"], area="core",
                tested=tested, spec="dist")


def feat_metrics(c: Ctx) -> dict:
    variants = [
        ("Add prefix-cache hit-rate metric", "Export `lumen:prefix_cache_hit_rate` as a Prometheus gauge, "
         "computed over a sliding window of the last 1000 requests."),
        ("Histogram of time spent in the waiting queue", "Export `lumen:request_queue_time_seconds` so "
         "operators can tell queueing delay from model latency."),
        ("Per-LoRA request counters", "Label the request-success counter with the LoRA adapter name so "
         "multi-adapter deployments can see traffic per adapter."),
    ]
    title, purpose = c.pick(variants)
    files = [c.f("lumen/metrics/stats.py", 30, 5), c.f("lumen/metrics/prometheus.py", 25, 4)]
    tested = c.chance(0.5)
    if tested:
        files.append(c.f("tests/metrics/test_prometheus.py", 30, 1))
    return dict(prefixes=["[Feature]"] if c.chance(0.6) else ["[Misc]"], title=title, purpose=purpose,
                files=files, labels=[], area="metrics", tested=tested, spec="metrics")


def platform(c: Ctx) -> dict:
    prefix, plat, name, spec = _platform_choice(c)
    variants = {
        "rocm": [
            ("Enable AITER flash attention on MI355", "Select the AITER flash-attention backend by default on "
             "MI355 (gfx950) and add its tuned block sizes.",
             ["lumen/platforms/rocm.py", "lumen/attention/backends/rocm_aiter.py"]),
            ("Use hipBLASLt for FP8 GEMM", "Route FP8 linear layers to hipBLASLt on MI300-class GPUs, which is "
             "faster than the Triton fallback for large batch sizes.",
             ["lumen/platforms/rocm.py", "lumen/quantization/fp8.py", "docker/Dockerfile.rocm"]),
            ("Build wheels for ROCm 7.1", "Add ROCm 7.1 to the wheel build matrix and bump the base image.",
             ["docker/Dockerfile.rocm", "requirements/rocm.txt", ".buildkite/scripts/run-amd-test.sh"]),
        ],
        "xpu": [
            ("FP8 weight-only quantization on XPU", "Support FP8 weight-only linear layers on Intel XPU "
             "through oneDNN, dequantizing weights on the fly.",
             ["lumen/platforms/xpu.py", "lumen/quantization/fp8.py"]),
            ("Enable chunked prefill on XPU", "Turn on chunked prefill for XPU now that the IPEX attention "
             "kernel handles mixed prefill/decode batches.", ["lumen/platforms/xpu.py", "docker/Dockerfile.xpu"]),
        ],
        "cpu": [
            ("AVX-512 BF16 GELU kernel", "Add a vectorised BF16 GELU kernel for CPUs with AVX512-BF16, "
             "replacing the scalar fallback.", ["csrc/cpu/activation.cpp", "lumen/platforms/cpu.py"]),
            ("NUMA-aware KV cache allocation on CPU", "Allocate each worker's KV cache on its own NUMA node "
             "so decode does not read across sockets.",
             ["lumen/platforms/cpu.py", "csrc/cpu/utils.cpp", "csrc/cpu/cpu_types.h"]),
            ("Paged attention for ARM Neoverse", "Add a NEON/SVE paged attention path for ARM server CPUs.",
             ["csrc/cpu/attention.cpp", "csrc/cpu/cpu_types_arm.h", "lumen/platforms/cpu.py", "CMakeLists.txt"]),
        ],
    }[plat]
    title, purpose, paths = c.pick(variants)
    files = [c.f(p, 120 if p.startswith("csrc") else 25, 8) for p in paths]
    tested = c.chance(0.35)
    if tested:
        files.append(c.f(f"tests/platforms/test_{plat}.py", 40, 1))
    labels = ["rocm"] if plat == "rocm" else []
    return dict(prefixes=[prefix] + (["[Perf]"] if c.chance(0.3) else []), title=title,
                purpose=purpose, files=files, labels=labels, area="platform", tested=tested, spec=spec)


def docs(c: Ctx) -> dict:
    variants = [
        ("Document prefix caching and its memory trade-offs", "docs/features/prefix_caching.md", "ADDED",
         "Add a page explaining how prefix caching shares KV blocks between requests, when it helps and "
         "how it interacts with `gpu_memory_utilization`."),
        ("Update the installation guide for CUDA 13", "docs/getting_started/installation.md", "MODIFIED",
         "Update the installation guide for the CUDA 13 wheels and remove the instructions for CUDA 11.8."),
        ("Fix broken links in the OpenAI server docs", "docs/serving/openai_api.md", "MODIFIED",
         "Fix twelve broken links to the sampling-parameter reference after the docs reorganisation."),
        ("Add a troubleshooting section for NCCL hangs", "docs/serving/troubleshooting.md", "MODIFIED",
         "Document how to diagnose NCCL hangs with `NCCL_DEBUG=INFO` and the most common causes in "
         "multi-node deployments."),
        ("Describe the scheduler's preemption policy", "docs/design/scheduler.md", "MODIFIED",
         "Describe when the scheduler preempts requests, how recomputation differs from swapping, and "
         "which metrics show it."),
        ("Add a quantization support matrix", "docs/features/quantization.md", "MODIFIED",
         "Add a table of quantization methods by hardware platform (CUDA, ROCm, XPU, CPU)."),
        ("Clarify contribution guidelines for new models", "CONTRIBUTING.md", "MODIFIED",
         "Spell out what a new-model PR needs: a registry entry, a correctness test against HF outputs and "
         "a line in the supported-models table."),
        ("Quickstart for tool calling", "docs/features/tool_calling.md", "MODIFIED",
         "Add a quickstart that starts the server with a tool parser and calls it with the OpenAI client."),
    ]
    title, path, ct, purpose = c.pick(variants)
    files = [c.f(path, 80 if ct == "ADDED" else 25, 0.5 if ct == "ADDED" else 10, ct)]
    if c.chance(0.3):
        files.append(c.f("docs/mkdocs.yml" if c.chance(0.5) else "README.md", 3, 1))
    return dict(prefixes=["[Doc]"] if c.chance(0.75) else ["[Docs]"], title=title, purpose=purpose,
                files=files, labels=["documentation"], area="docs", tested=False, spec="docs")


def ci(c: Ctx) -> dict:
    variants = [
        ("Shard the kernel tests across four GPUs", "Split the kernel test job into four shards; it was the "
         "slowest job at 52 minutes.", [".buildkite/test-pipeline.yaml"]),
        ("Run the ROCm smoke test on every PR", "Run a 10-minute ROCm smoke test on every PR instead of "
         "nightly only, so platform regressions are caught before merge.",
         [".buildkite/test-pipeline.yaml", ".buildkite/scripts/run-amd-test.sh"]),
        ("Cache the pip wheel directory in lint jobs", "Cache pip wheels between lint runs; the job spent "
         "most of its time installing dependencies.", [".github/workflows/lint.yml"]),
        ("Pin the CUDA base image by digest", "Pin the CUDA base image by digest so image updates cannot "
         "change the build silently.", ["docker/Dockerfile"]),
        ("Fail the build on new compiler warnings in csrc", "Compile csrc with `-Werror` for the warnings "
         "we have already fixed, so they do not come back.", ["CMakeLists.txt", ".github/workflows/build.yml"]),
        ("Retry flaky distributed tests once", "Retry the distributed test job once on infrastructure "
         "failures (NCCL timeouts on shared runners) instead of failing the PR.", [".buildkite/test-pipeline.yaml"]),
        ("Build release wheels for Python 3.14", "Add Python 3.14 to the release wheel matrix.",
         [".github/workflows/release.yml", "setup.py"]),
    ]
    title, purpose, paths = c.pick(variants)
    files = [c.f(p, 12, 5) for p in paths]
    return dict(prefixes=[c.pick(["[CI]", "[CI/Build]", "[CI/Build]"])], title=title, purpose=purpose,
                files=files, labels=["ci/build"], area="ci", tested=False, spec="ci")


def tests_only(c: Ctx) -> dict:
    variants = [
        ("Add scheduler tests for preemption under memory pressure", "tests/core/test_scheduler.py",
         "Add tests that fill the KV cache and check that the scheduler preempts the newest request first "
         "and resumes it without losing generated tokens."),
        ("Add correctness tests for FP8 KV cache", "tests/quantization/test_fp8_kv_cache.py",
         "Compare greedy outputs with the FP8 KV cache against bf16 for three models and fail on divergence "
         "within the first 32 tokens."),
        ("Deflake the async engine abort test", "tests/engine/test_async_engine.py",
         "The abort test relied on a sleep and failed about once in 30 runs; it now waits on an event."),
        ("Cover streaming tool calls with parallel calls", "tests/tool_parsers/test_streaming.py",
         "Add streaming tests with two parallel tool calls for every registered tool parser."),
        ("Speed up model tests by sharing one engine per module", "tests/models/conftest.py",
         "Reuse one engine per test module instead of per test; the model test job drops from 38 to 21 minutes."),
    ]
    title, path, purpose = c.pick(variants)
    files = [c.f(path, 70, 10)]
    if c.chance(0.3):
        files.append(c.f("tests/conftest.py", 10, 3))
    return dict(prefixes=[c.pick(["[Test]", "[Tests]", "[CI]"])], title=title, purpose=purpose, files=files,
                labels=[], area="tests", tested=True, spec="tests")


def deps(c: Ctx) -> dict:
    variants = [
        ("Bump transformers to 4.58", "Bump transformers to 4.58, needed for the new tokenizer config format "
         "of recent checkpoints.", ["requirements/common.txt", "pyproject.toml"]),
        ("Bump flashinfer to 0.4.2", "Bump flashinfer to 0.4.2, which fixes wrong results with FP8 KV cache "
         "and sliding windows.", ["requirements/cuda.txt"]),
        ("Pin numpy below 3", "Pin `numpy<3` until our custom ops are built against the numpy 3 ABI.",
         ["requirements/common.txt", "pyproject.toml"]),
        ("Upgrade xgrammar to 0.2", "Upgrade xgrammar for faster grammar compilation of large JSON schemas.",
         ["requirements/common.txt", "uv.lock"]),
        ("Bump the oneAPI toolchain for XPU", "Update IPEX and the oneAPI base image for XPU.",
         ["requirements/xpu.txt", "docker/Dockerfile.xpu"]),
        ("Drop the unused `py-cpuinfo` dependency", "Remove `py-cpuinfo`; CPU feature detection now reads "
         "`/proc/cpuinfo` directly.", ["requirements/common.txt", "lumen/platforms/cpu.py"]),
    ]
    title, purpose, paths = c.pick(variants)
    files = [c.f(p, 900 if p.endswith(".lock") else 2, 700 if p.endswith(".lock") else 2) for p in paths]
    return dict(prefixes=["[Deps]"] if c.chance(0.6) else ["[CI/Build]"], title=title, purpose=purpose,
                files=files, labels=["dependencies"], area="deps", tested=False, spec="deps")


def refactor(c: Ctx) -> dict:
    variants = [
        ("Move sampling parameter validation into `SamplingParams`",
         "Validation of sampling parameters was duplicated in the OpenAI server and the offline API; it now "
         "lives in `SamplingParams.__post_init__`.",
         [("lumen/sampling_params.py", "MODIFIED"), (OPENAI + "protocol.py", "MODIFIED"), ("lumen/entrypoints/llm.py", "MODIFIED")]),
        ("Remove the deprecated legacy engine",
         "Delete `lumen/engine/legacy_engine.py` and its tests, deprecated since 0.7.",
         [("lumen/engine/legacy_engine.py", "DELETED"), ("tests/engine/test_legacy_engine.py", "DELETED"),
          ("lumen/engine/__init__.py", "MODIFIED")]),
        ("Rename `worker/cache_engine.py` to `worker/kv_cache_engine.py`",
         "Rename the module to match what it manages; no behaviour change.",
         [("lumen/worker/kv_cache_engine.py", "RENAMED:lumen/worker/cache_engine.py"),
          ("lumen/worker/gpu_worker.py", "MODIFIED"), ("lumen/worker/model_runner.py", "MODIFIED")]),
        ("Split `arg_utils.py` argument groups into dataclasses",
         "Group engine arguments by concern (cache, scheduler, parallel) so each group is validated in one "
         "place.", [("lumen/engine/arg_utils.py", "MODIFIED"), ("lumen/config.py", "MODIFIED")]),
        ("Unify attention metadata builders",
         "Each attention backend had its own metadata builder with copy-pasted logic; they now share a base "
         "class.", [("lumen/attention/backends/flash_attn.py", "MODIFIED"), ("lumen/attention/backends/flashinfer.py", "MODIFIED"),
                    ("lumen/attention/backends/triton_attn.py", "MODIFIED"), ("lumen/attention/backends/common.py", "ADDED")]),
        ("Type-annotate the scheduler output",
         "Replace the scheduler's output tuple with a frozen dataclass; no behaviour change.",
         [("lumen/core/scheduler.py", "MODIFIED"), ("lumen/worker/model_runner.py", "MODIFIED")]),
    ]
    title, purpose, specs = c.pick(variants)
    files = []
    for path, ct in specs:
        if ct.startswith("RENAMED:"):
            f = c.f(path, 3, 3, "RENAMED", ct.split(":", 1)[1])
        else:
            f = c.f(path, 60, 50, ct)
            if ct == "DELETED":
                f["deletions"] = c.n(400)
        files.append(f)
    tested = any(f["path"].startswith("tests/") for f in files) or c.chance(0.3)
    if tested and not any(f["path"].startswith("tests/") for f in files):
        files.append(c.f("tests/engine/test_arg_utils.py", 20, 10))
    return dict(prefixes=["[Refactor]"] if c.chance(0.7) else ["[Misc]"], title=title, purpose=purpose,
                files=files, labels=[], area="core", tested=tested, spec="core")


def misc(c: Ctx) -> dict:
    variants = [
        ("Update CODEOWNERS for the quantization directory", [".github/CODEOWNERS"],
         "Add the quantization maintainers as code owners of `lumen/quantization/` and `csrc/quantization/`."),
        ("Remove unused imports in arg_utils", ["lumen/engine/arg_utils.py"],
         "Remove imports left over from the config refactor."),
        ("Fix typos in log messages", ["lumen/engine/llm_engine.py", "lumen/worker/gpu_worker.py"],
         "Fix spelling in three log messages."),
        ("Bump version to 0.9.0.dev", ["lumen/version.py"], "Start the 0.9 development cycle."),
        ("Add an example for offline batch inference with LoRA", ["examples/offline_inference/lora_batch.py"],
         "Add an example that runs offline batch inference with two LoRA adapters."),
        ("Add a tool to compare outputs against HF transformers", ["tools/compare_hf_outputs.py"],
         "Add a script that runs the same prompts through lumen and transformers and reports the first "
         "divergent token."),
        ("Silence the tokenizer-parallelism warning at start-up", ["lumen/entrypoints/cli.py"],
         "Set `TOKENIZERS_PARALLELISM=false` before forking workers to silence the HF warning."),
        ("Add benchmark for prefix-cache heavy workloads", ["benchmarks/benchmark_prefix_caching.py"],
         "Add a benchmark that replays multi-turn chats with shared system prompts to measure prefix-cache reuse."),
    ]
    title, paths, purpose = c.pick(variants)
    files = [c.f(p, 90, 0.5, "ADDED") if p.startswith(("examples", "tools", "benchmarks")) else c.f(p, 4, 4)
             for p in paths]
    return dict(prefixes=["[Misc]"] if c.chance(0.45) else [], title=title, purpose=purpose, files=files,
                labels=[], area="misc", tested=False, spec=None)


def revert(c: Ctx) -> dict:
    # Title and files are filled in once PR numbers are known (see _fill_reverts).
    return dict(prefixes=[], title="", purpose="", files=[], labels=["ready"], area="core", tested=False,
                spec="core", revert=True)


ARCHETYPES = {
    "bug_core": (bug_core, 8), "bug_model": (bug_model, 6), "bug_frontend": (bug_frontend, 5),
    "bug_quant": (bug_quant, 2), "bug_platform": (bug_platform, 3), "feat_model": (feat_model, 3.5),
    "feat_quant": (feat_quant, 1.5), "kernel_cuda": (kernel_cuda, 1.8), "kernel_triton": (kernel_triton, 1.4),
    "perf": (perf, 5), "feat_frontend": (feat_frontend, 4), "feat_tool": (feat_tool, 1.3),
    "feat_mm": (feat_mm, 2), "feat_core": (feat_core, 3), "feat_dist": (feat_dist, 1.5),
    "feat_metrics": (feat_metrics, 1), "platform": (platform, 4), "docs": (docs, 6), "ci": (ci, 5),
    "tests": (tests_only, 3.5), "deps": (deps, 2), "refactor": (refactor, 3.5), "misc": (misc, 4),
    "revert": (revert, 0.5),
}


def week_weights(week: int) -> list[float]:
    """Archetype weights for one week: the quantization push and the release stabilisation."""
    out = []
    for name, (_, w) in ARCHETYPES.items():
        if 4 <= week <= 7 and name in ("feat_quant", "bug_quant"):
            w *= 5 if name == "feat_quant" else 2
        if 4 <= week <= 7 and name in ("kernel_cuda", "kernel_triton"):
            w *= 2.5
        if name == "revert" and week == 0:
            w = 0.0  # nothing to revert yet
        if week >= 8:
            ramp = (1.8, 2.4, 2.8, 3.1)[week - 8]
            if name.startswith("bug_"):
                w *= ramp
            elif name.startswith("feat_") or name in ("kernel_cuda", "kernel_triton"):
                w *= 0.55
        out.append(w)
    return out


# ---------------------------------------------------------------------------------------------
# One-off PRs the report sections need: very large changes, binaries, CJK and emoji titles.
# ---------------------------------------------------------------------------------------------

def big_runner_split(c: Ctx) -> dict:
    files = [c.f("lumen/worker/model_runner.py", 180, 1400), c.f("lumen/worker/input_batch.py", 520, 0.5, "ADDED"),
             c.f("lumen/worker/input_preparation.py", 610, 0.5, "ADDED"), c.f("lumen/worker/gpu_worker.py", 40, 30),
             c.f("lumen/core/scheduler.py", 25, 18), c.f("lumen/engine/llm_engine.py", 12, 9),
             c.f("lumen/worker/runner_utils.py", 8, 6, "RENAMED", "lumen/worker/utils.py")]
    for m in list(MODELS)[:10]:
        files.append(c.f(f"lumen/models/{m}.py", 6, 6))
    for b in BACKENDS:
        files.append(c.f(f"lumen/attention/backends/{b}.py", 14, 12))
    for q in QUANTS:
        files.append(c.f(f"lumen/quantization/{q}.py", 4, 4))
    for t in ["test_model_runner.py", "test_input_batch.py", "test_input_preparation.py", "test_gpu_worker.py"]:
        files.append(c.f("tests/worker/" + t, 160, 20, "ADDED" if "input" in t else "MODIFIED"))
    for t in ["test_scheduler.py", "test_kv_cache.py", "test_block_manager.py"]:
        files.append(c.f("tests/core/" + t, 20, 15))
    for p in ["lumen/multimodal/inputs.py", "lumen/distributed/parallel_state.py", "lumen/worker/__init__.py",
              "lumen/kernels/triton/fused_moe.py", "lumen/platforms/cuda.py", "lumen/platforms/rocm.py",
              "lumen/platforms/xpu.py", "lumen/platforms/cpu.py", "lumen/config.py", "docs/design/model_runner.md",
              "lumen/metrics/stats.py", "lumen/sampling_params.py", "tests/conftest.py", "lumen/engine/arg_utils.py",
              "lumen/attention/layer.py"]:
        files.append(c.f(p, 12, 8))
    return dict(prefixes=["[Refactor]", "[Core]"],
                title="Split the model runner into input preparation and execution",
                purpose="Split the 3,000-line `model_runner.py` into `InputBatch` (persistent per-request state), "
                        "input preparation and model execution. Input preparation no longer rebuilds tensors "
                        "from Python lists every step, which cuts CPU time per step by about 35% at batch 256. "
                        "Platforms and attention backends now receive a typed `ModelInputs` instead of a dict.",
                files=files, labels=["v1", "ready"], area="core", tested=True, spec="core", big=True)


def big_nvfp4_kv(c: Ctx) -> dict:
    files = [c.f("csrc/quantization/nvfp4_kv_cache.cu", 900, 0.5, "ADDED"),
             c.f("csrc/attention/paged_attention_nvfp4.cu", 700, 0.5, "ADDED"), c.f("csrc/ops.h", 30, 2),
             c.f("csrc/torch_bindings.cpp", 40, 3), c.f("csrc/quantization/nvfp4_utils.cuh", 260, 0.5, "ADDED"),
             c.f("lumen/kernels/triton/nvfp4_kv_dequant.py", 240, 0.5, "ADDED"),
             c.f("lumen/quantization/nvfp4.py", 180, 30), c.f("lumen/quantization/kv_cache.py", 120, 40),
             c.f("lumen/core/kv_cache.py", 90, 25), c.f("lumen/core/block_manager.py", 30, 10),
             c.f("lumen/attention/layer.py", 40, 12), c.f("lumen/config.py", 35, 4), c.f("lumen/engine/arg_utils.py", 20, 3),
             c.f("lumen/worker/model_runner.py", 30, 8), c.f("CMakeLists.txt", 12, 2),
             c.f("docs/features/quantization.md", 60, 4)]
    for b in BACKENDS:
        files.append(c.f(f"lumen/attention/backends/{b}.py", 35, 10))
    for p in ["lumen/platforms/cuda.py", "lumen/platforms/rocm.py", "lumen/platforms/interface.py",
              "lumen/models/deepseek_v3.py", "lumen/models/llama.py", "lumen/models/qwen3.py",
              "lumen/models/mixtral.py", "lumen/metrics/stats.py", "benchmarks/kernels/bench_nvfp4_kv.py",
              "benchmarks/benchmark_serving.py", "lumen/quantization/fp8.py", "lumen/quantization/mxfp4.py",
              "lumen/kernels/triton/decode_attention.py", "lumen/kernels/triton/prefix_prefill.py"]:
        files.append(c.f(p, 25, 6))
    for t in ["test_nvfp4_kv_cache.py", "test_nvfp4.py", "test_kv_cache_scales.py"]:
        files.append(c.f("tests/quantization/" + t, 200, 0.5, "ADDED"))
    for t in ["tests/kernels/test_paged_attention_nvfp4.py", "tests/kernels/test_nvfp4_kv_dequant.py",
              "tests/core/test_kv_cache.py"]:
        files.append(c.f(t, 150, 5))
    return dict(prefixes=["[Quantization]", "[Kernel]"], title="NVFP4 KV cache with CUDA and Triton kernels",
                purpose="Add an NVFP4 KV cache: keys and values are stored as 4-bit floats with FP8 block scales, "
                        "quantized in `reshape_and_cache` and dequantized inside paged attention (CUDA) or the "
                        "Triton decode kernel. KV capacity grows 3.5x over bf16 and 1.8x over FP8; long-context "
                        "retrieval accuracy stays within 0.5 points of FP8 on the internal eval.",
                files=files, labels=["quantization", "performance", "ready"], area="kernel", tested=True,
                spec="quant", big=True)


def big_attention_move(c: Ctx) -> dict:
    files = []
    for b in list(BACKENDS) + ["pallas", "cpu_sdpa", "xformers", "flex_attention", "tree_attn"]:
        files.append(c.f(f"lumen/attention/backends/{b}.py", 10, 8, "RENAMED", f"lumen/attention/{b}_backend.py"))
    for p in ["lumen/attention/ops/paged_attn.py", "lumen/attention/ops/prefix_prefill.py",
              "lumen/attention/ops/triton_flash_attention.py", "lumen/attention/ops/chunked_prefill.py",
              "lumen/attention/ops/ipex_attn.py", "lumen/attention/ops/legacy_rocm.py",
              "lumen/attention/ops/__init__.py", "lumen/attention/selector_legacy.py"]:
        f = c.f(p, 1, 1, "DELETED")
        f["deletions"] = c.n(220)
        files.append(f)
    for p in ["lumen/attention/layer.py", "lumen/attention/selector.py", "lumen/attention/__init__.py",
              "lumen/worker/model_runner.py", "lumen/worker/gpu_worker.py", "lumen/core/kv_cache.py",
              "lumen/platforms/cuda.py", "lumen/platforms/rocm.py", "lumen/platforms/xpu.py", "lumen/platforms/cpu.py",
              "lumen/platforms/interface.py", "lumen/config.py", "lumen/engine/arg_utils.py"]:
        files.append(c.f(p, 20, 25))
    for m in MODELS:
        files.append(c.f(f"lumen/models/{m}.py", 3, 3))
    for p in ["lumen/kernels/triton/decode_attention.py", "lumen/kernels/triton/prefix_prefill.py",
              "lumen/quantization/fp8.py", "lumen/quantization/nvfp4.py", "lumen/multimodal/inputs.py",
              "lumen/distributed/kv_connector.py", "docs/design/attention_backends.md",
              "docs/contributing/adding_a_backend.md", "benchmarks/kernels/bench_paged_attention.py",
              "lumen/worker/input_preparation.py", "lumen/models/registry.py", "lumen/engine/llm_engine.py",
              "lumen/worker/input_batch.py", "lumen/metrics/stats.py", "lumen/sampling_params.py"]:
        files.append(c.f(p, 8, 8))
    return dict(prefixes=["[Refactor]"],
                title="Move attention backends under lumen/attention/backends and drop legacy ops",
                purpose="Move every attention backend into `lumen/attention/backends/` with one module per backend "
                        "and delete the legacy `lumen/attention/ops` helpers that only the removed v0 engine used. "
                        "Backend selection now goes through `selector.py` alone; out-of-tree backends must "
                        "update their import paths.",
                files=files, labels=["v1"], area="core", tested=False, spec="core", big=True)


def torch_bump(c: Ctx) -> dict:
    files = [c.f("requirements/cuda.txt", 2, 2), c.f("requirements/common.txt", 1, 1), c.f("requirements/build.txt", 1, 1),
             c.f("pyproject.toml", 2, 2), c.f("docker/Dockerfile", 6, 6), c.f("CMakeLists.txt", 3, 3),
             c.f("setup.py", 4, 2), c.f("lumen/platforms/cuda.py", 14, 20), c.f("csrc/torch_bindings.cpp", 8, 8),
             c.f("uv.lock", 700, 650)]
    return dict(prefixes=["[CI/Build]", "[Deps]"], title="Upgrade to torch 2.10",
                purpose="Upgrade torch to 2.10 and rebuild the custom ops against it. torch 2.10 removes the "
                        "deprecated `torch.cuda.amp` aliases we still used in the CUDA platform, and its NCCL 2.28 "
                        "fixes the all-gather hang seen on B200.",
                files=files, labels=["dependencies", "ci/build", "ready"], area="deps", tested=False, spec="deps")


def binary_diagram(c: Ctx) -> dict:
    files = [{"path": "docs/assets/design/architecture.png", "previous_path": None, "change_type": "ADDED",
              "additions": 0, "deletions": 0}, c.f("docs/design/architecture.md", 40, 6)]
    return dict(prefixes=["[Doc]"], title="Add an architecture diagram to the design docs",
                purpose="Add a diagram of the request path (API server, engine, scheduler, workers) and link it "
                        "from the architecture overview.", files=files, labels=["documentation"], area="docs",
                tested=False, spec="docs")


def cjk_docs(c: Ctx) -> dict:
    files = [c.f("docs/zh/deployment.md", 160, 0.5, "ADDED"), c.f("docs/mkdocs.yml", 3, 0.5)]
    return dict(prefixes=["[Doc]"], title="新增中文部署指南 (Chinese deployment guide)",
                purpose="Add a Chinese translation of the deployment guide, covering single-GPU serving, "
                        "tensor parallelism and the Docker images.", files=files, labels=["documentation"],
                area="docs", tested=False, spec="docs")


def emoji_ci(c: Ctx) -> dict:
    files = [c.f(".github/workflows/welcome.yml", 35, 0.5, "ADDED")]
    return dict(prefixes=["[CI]"], title="Greet first-time contributors 🎉",
                purpose="Add a workflow that comments on a first-time contributor's PR with links to the "
                        "contribution guide and the CI documentation.", files=files, labels=[], area="ci",
                tested=False, spec="ci")


SPECIALS = {1: [binary_diagram], 2: [big_runner_split], 3: [cjk_docs], 4: [torch_bump], 5: [big_nvfp4_kv],
            6: [emoji_ci], 9: [big_attention_move]}



# ---------------------------------------------------------------- stories the report should tell
# Drafts with a fixed merge moment ("at": day of week, hour, minute) and links to other story
# PRs ("{N:key}", "{T:key}", "{SHA:key}" are replaced by that PR's number, title and merge commit
# once numbers are known): a CI migration with its fix-ups, reverted the next week; a release
# train; a new model family; a regression fixed a week after the change that caused it.

def _story(key: str, at: tuple, prefixes: list, title: str, purpose: str, files: list, area: str,
           labels: list | None = None, spec: str | None = None, tested: bool = False, **extra) -> dict:
    return dict(story=key, at=at, prefixes=prefixes, title=title, purpose=purpose, files=files, area=area,
                labels=labels or [], spec=spec or area, tested=tested, **extra)


def _release(c: Ctx, key: str, at: tuple, version: str) -> dict:
    return _story(key, at, [], f"Bump version to {version}",
                  f"Release {version}: bump the package version and move the unreleased changelog entries "
                  f"under {version}.", [c.f("lumen/version.py", 1, 1), c.f("CHANGELOG.md", 25, 0.5)], "release",
                  labels=["release"])


def stories_week_10(c: Ctx) -> list[dict]:
    ci = [".github/workflows/gpu-tests.yml", ".github/actions/setup-gpu/action.yml"]
    return [
        _release(c, "rel-0.14.0", (0, 8, 5), "0.14.0"),
        _story("selfhosted", (1, 9, 10), ["[CI]"], "Move GPU test jobs to self-hosted runners",
               "Run the GPU test jobs on our self-hosted H100 pool instead of the hosted runners, which queue "
               "for up to two hours at peak. The jobs now select runners by label and mount the shared model "
               "cache.", [c.f(ci[0], 60, 35), c.f(ci[1], 40, 0.5, "ADDED")], "ci", labels=["ci/build"]),
        _story("fix-labels", (1, 10, 2), ["[CI]"], "Fix runner labels for self-hosted GPU jobs",
               "The GPU jobs asked for the `gpu-h100` label but the pool registers `h100`; every job queued "
               "forever after {N:selfhosted}.", [c.f(ci[0], 4, 4)], "ci", labels=["ci/build"]),
        _story("fix-cache", (1, 10, 41), ["[CI]"], "Fix HF cache path on self-hosted runners",
               "Point `HF_HOME` at the mounted cache; the jobs downloaded every model again since "
               "{N:selfhosted}.", [c.f(ci[1], 3, 2)], "ci", labels=["ci/build"]),
        _story("fix-login", (1, 11, 26), ["[CI]"], "Fix docker login on self-hosted runners",
               "Log in to the registry with the runner's credentials helper; pulls of the test image failed "
               "with 401 on the new pool.", [c.f(ci[1], 6, 3), c.f(ci[0], 2, 1)], "ci", labels=["ci/build"]),
        _story("lazyblocks", (2, 14, 30), ["[Core]"], "Allocate KV cache blocks lazily in the block manager",
               "Allocate KV cache blocks when a sequence first writes to them instead of at admission, so long "
               "prompts no longer reserve memory they may never use.",
               [c.f("lumen/core/block_manager.py", 120, 40), c.f("lumen/core/kv_cache.py", 30, 10)], "core",
               labels=["v1"], spec="core"),
    ]


def stories_week_11(c: Ctx) -> list[dict]:
    ci = [".github/workflows/gpu-tests.yml", ".github/actions/setup-gpu/action.yml"]
    model = "lumen/models/aurora2.py"
    return [
        _story("revert-selfhosted", (0, 2, 15), [], 'Revert "[CI] Move GPU test jobs to self-hosted runners ({N:selfhosted})"',
               "Reverts lumen-ai/lumen{N:selfhosted}. The self-hosted pool cannot keep up with the nightly "
               "load yet: jobs queued for six hours on Sunday. We will move back once the pool has autoscaling.",
               [c.f(ci[0], 35, 60), c.f(ci[1], 0, 40, "DELETED")], "ci", labels=["ci/build"], revert=True),
        _release(c, "rel-0.14.1", (0, 7, 30), "0.14.1"),
        _story("aurora-add", (0, 12, 5), ["[Model]"], "Add support for Aurora-2",
               "Add Aurora-2, a mixture-of-experts model with 128 experts and sliding-window attention in "
               "every other layer. It reuses the fused MoE layer and registers the architecture.",
               [c.f(model, 520, 0.5, "ADDED"), c.f("lumen/models/registry.py", 2, 0.5),
                c.f("tests/models/test_aurora2.py", 110, 0.5, "ADDED")], "models", labels=["new-model", "moe"],
               spec="models", tested=True),
        _story("aurora-swa", (1, 15, 40), ["[Bugfix]", "[Model]"], "Fix Aurora-2 sliding-window attention on odd layers",
               "The sliding window was applied to the even layers instead of the odd ones, so outputs drifted "
               "after 4k tokens.", [c.f(model, 6, 6), c.f("tests/models/test_aurora2.py", 30, 2)], "models",
               labels=["bug"], spec="models", tested=True),
        _release(c, "rel-0.14.2", (2, 16, 0), "0.14.2"),
        _story("aurora-moe", (2, 11, 20), ["[Kernel]"], "Tune fused MoE configs for Aurora-2 on H100",
               "Add tuned fused-MoE tile configs for Aurora-2's expert shape on H100; decode throughput rises "
               "by 11%.", [c.f("lumen/kernels/configs/E=128,N=1024,device_name=H100.json", 140, 0.5, "ADDED")],
               "kernels", labels=["performance", "moe"], spec="kernel"),
        _story("aurora-doc", (3, 10, 0), ["[Doc]"], "Add an Aurora-2 serving recipe",
               "Document how to serve Aurora-2 with tensor and expert parallelism on 8 GPUs.",
               [c.f("docs/recipes/aurora2.md", 90, 0.5, "ADDED")], "docs", labels=["documentation"]),
        _story("aurora-test", (3, 17, 45), ["[Tests]"], "Add Aurora-2 logprob correctness tests",
               "Compare Aurora-2 logprobs with the reference implementation on 50 prompts.",
               [c.f("tests/models/test_aurora2_logprobs.py", 120, 0.5, "ADDED")], "tests", spec="tests",
               tested=True),
        _story("regfix", (3, 9, 15), ["[Bugfix]", "[Core]"], "Fix prefix-cache hits lost after lazy block allocation",
               "Fixes a regression from {N:lazyblocks}: lazily allocated blocks were hashed before their first "
               "write, so prefix-cache hits dropped from 62% to 9% on the chat benchmark. Hash blocks when "
               "they are filled instead.", [c.f("lumen/core/block_manager.py", 14, 6),
                                          c.f("tests/core/test_block_manager.py", 40, 2)], "core",
               labels=["bug"], spec="core", tested=True),
        _release(c, "rel-0.14.3", (4, 9, 0), "0.14.3"),
    ]


STORIES = {10: stories_week_10, 11: stories_week_11}
_LINK = re.compile(r"\{(N|T|SHA):([\w-]+)\}")


def _link(text: str, by_story: dict[str, dict]) -> str:
    def sub(m: re.Match) -> str:
        rec = by_story[m.group(2)]
        return {"N": f"#{rec['number']}", "T": rec["title"], "SHA": rec["merge_commit_sha"]}[m.group(1)]
    return _LINK.sub(sub, text)


# Exact week boundaries, each (UTC moment, offset in minutes used to write it).
BOUNDARIES = [
    (dt.datetime(2026, 9, 20, 23, 59, 59, tzinfo=dt.timezone.utc), 0),    # Sunday end of week 2026-09-14
    (dt.datetime(2026, 9, 21, 0, 0, 0, tzinfo=dt.timezone.utc), 0),       # Monday start of week 2026-09-21
    (dt.datetime(2026, 10, 4, 23, 59, 59, tzinfo=dt.timezone.utc), 480),  # same, written in +08:00
    (dt.datetime(2026, 10, 5, 0, 0, 0, tzinfo=dt.timezone.utc), -420),    # same, written in -07:00
    # Asia/Shanghai week boundary (Sunday 23:59:59 / Monday 00:00:00 +08:00)
    (dt.datetime(2026, 10, 18, 15, 59, 59, tzinfo=dt.timezone.utc), 480),
    (dt.datetime(2026, 10, 18, 16, 0, 0, tzinfo=dt.timezone.utc), 480),
]

# ---------------------------------------------------------------------------------------------
# Bodies and reviews.
# ---------------------------------------------------------------------------------------------

TEMPLATE_COMMENT = [
    "<!-- Please fill in the sections below. PRs without a test plan may be closed. -->",
    "<!-- markdown comment: describe what the PR changes and why -->",
    "<!-- Thank you for contributing to lumen! -->",
]
CHECKLIST = [
    "- [x] The PR title carries the right prefix",
    "- [x] Tests added, or the change is covered by existing tests",
    "- [x] Documentation updated where user-facing behaviour changed",
    "- [ ] Benchmarks attached for performance-sensitive changes",
]
REVIEW_POOL = {
    "core": [
        "Can we add a test for the empty-batch case?",
        "Does this still work when prefix caching is disabled?",
        "I think the blocks have to be freed before the request is re-queued, otherwise we double count them.",
        "What happens if `num_free_blocks` is 0 here? We would spin forever.",
        "nit: this log line fires on every step; can it be debug level?",
        "This runs on the hot path; can we avoid allocating a new list each step?",
        "Please check this with pipeline parallelism too; the last rank takes a different branch.",
    ],
    "kernel": [
        "Is the launch guarded for head sizes that are not a multiple of 16?",
        "Can you share numbers for small batch sizes as well? Split-K usually hurts there.",
        "This reads past the end of the block when `seq_len % block_size == 0`.",
        "Please add the new op to the fake-tensor registrations so torch.compile keeps working.",
        "Which SM versions did you test? We still ship wheels for SM80.",
    ],
    "quant": [
        "The scale tensor is on CPU here, which forces a sync each step.",
        "Can we add an accuracy check against the bf16 baseline, not only a shape test?",
        "Does this handle checkpoints that store the scales transposed?",
    ],
    "frontend": [
        "This changes the default behaviour for existing clients; should it be behind a flag?",
        "Please document the new field in docs/serving/openai_api.md.",
        "Does this need a deprecation warning for one release before we remove the old name?",
        "Can you add a streaming test? Most of the bugs here were streaming-only.",
    ],
    "config": [
        "This should go through `LumenConfig` rather than an environment variable.",
        "Please validate the value in `__post_init__` so we fail at start-up, not mid-request.",
    ],
    "platform": [
        "Please run the ROCm CI as well, this path is shared.",
        "Does this break the CPU build? `cpu_types.h` is included there too.",
        "Can we keep the fallback for older drivers instead of raising?",
    ],
    "deps": [
        "Let's pin the upper bound as well; the last minor release broke our wheels.",
        "Did you regenerate uv.lock with the same uv version as CI?",
    ],
    "docs": ["A few typos inline, otherwise looks good.", "Can we link this page from the index?"],
    "generic": [
        "LGTM once CI is green.",
        "Can you split the rename into a separate PR? It makes the diff hard to review.",
        "Thanks! Could you rebase on main? There is a conflict in the tests.",
        "Please add a test that fails without this change.",
    ],
}


def _review_area(path: str) -> str:
    if path.startswith(("csrc/", "lumen/kernels/")):
        return "kernel"
    if path.startswith("lumen/quantization/"):
        return "quant"
    if path.startswith(("lumen/entrypoints/", "lumen/tool_parsers/")):
        return "frontend"
    if path in ("lumen/config.py", "lumen/engine/arg_utils.py"):
        return "config"
    if path.startswith("lumen/platforms/") or "rocm" in path or "xpu" in path:
        return "platform"
    if path.startswith("requirements/") or path in ("pyproject.toml", "uv.lock"):
        return "deps"
    if path.startswith("docs/") or path.endswith(".md"):
        return "docs"
    if path.startswith(("lumen/core/", "lumen/engine/", "lumen/worker/", "lumen/attention/", "lumen/distributed/")):
        return "core"
    return "generic"


def _iso(moment: dt.datetime, offset_min: int) -> str:
    return moment.astimezone(dt.timezone(dt.timedelta(minutes=offset_min))).isoformat()


def _test_plan(c: Ctx, pr: dict) -> tuple[str, str]:
    tests = [f["path"] for f in pr["files"] if f["path"].startswith("tests/") and f["change_type"] != "DELETED"]
    if tests:
        plan = "\n".join(f"pytest -q {t}" for t in tests[:2])
        result = c.pick([f"{c.rng.randint(6, 60)} passed", "All tests pass locally and in CI.",
                         f"{c.rng.randint(6, 60)} passed, {c.rng.randint(1, 4)} skipped (need 2 GPUs)"])
    elif pr.get("spec") in ("perf", "kernel", "quant"):
        plan = "python benchmarks/benchmark_serving.py --num-prompts 1000 --request-rate inf"
        before = c.rng.uniform(20, 60)
        result = f"Output throughput {before:.1f} -> {before * c.rng.uniform(1.04, 1.3):.1f} req/s"
    elif pr["area"] in ("docs",):
        plan = "mkdocs build --strict"
        result = "Builds without warnings."
    elif pr["area"] in ("ci", "deps"):
        plan = "CI on this PR."
        result = "Green, see the checks below."
    else:
        plan = c.pick(["Manual: started the server and sent 200 requests with the OpenAI client.",
                       "Ran the offline example before and after the change.", "Existing tests."])
        result = c.pick(["Before: the request fails with a traceback; after: it completes.", "Works as expected.",
                         "Outputs unchanged."])
    return plan, result


def _body(c: Ctx, pr: dict, author: dict) -> str:
    if pr["area"] == "misc" and c.chance(0.3):
        return ""
    purpose = pr["purpose"]
    if pr.get("issue"):
        purpose += f"\n\nFixes #{c.rng.randint(3500, 4090)}"
    if c.chance(0.15):
        return purpose  # no template
    plan, result = _test_plan(c, pr)
    parts = []
    if c.chance(0.35):
        parts.append(c.pick(TEMPLATE_COMMENT))
    parts += ["## Purpose\n" + purpose, "## Test Plan\n" + plan, "## Test Result\n" + result]
    if c.chance(0.4):
        parts.append("\n".join(CHECKLIST[: c.rng.randint(2, 4)]))
    if c.chance(0.5):
        email = (f"{author['login']}@users.noreply.github.com" if author["login"]
                 else author["name"].lower().replace(" ", ".") + "@example.com")
        if not author["login"] and not author["name"].isascii():
            email = "wang.lei@example.com"
        parts.append(f"Signed-off-by: {author['name']} <{email}>")
    return "\n\n".join(parts)


def _reviews(c: Ctx, pr: dict, author_login: str | None, created: dt.datetime, merged: dt.datetime) -> list[dict]:
    lines = pr["additions"] + pr["deletions"]
    big = lines >= 250 or pr["changed_files"] >= 5 or pr.get("big")
    if not (c.chance(0.85) if big else c.chance(0.12)):
        return []
    count = c.rng.randint(2, 4) if big else 1
    out = []
    span = (merged - created).total_seconds()
    used = set()
    for _ in range(count):
        f = c.pick(pr["files"])
        pool = REVIEW_POOL[_review_area(f["path"])] + REVIEW_POOL["generic"][:2]
        text = c.pick(pool)
        if text in used:
            continue
        used.add(text)
        reviewer = c.pick([r for r in REVIEWERS if r != author_login])
        at = created + dt.timedelta(seconds=int(span * c.rng.uniform(0.1, 0.95)))
        out.append({"author": reviewer, "path": f["path"], "body": text,
                    "created_at": at.replace(microsecond=0).isoformat().replace("+00:00", "Z")})
    out.sort(key=lambda r: r["created_at"])
    return out


def _labels(c: Ctx, pr: dict) -> list[str]:
    if c.chance(0.25):
        return []  # about a quarter of PRs are never labelled
    labels = list(pr["labels"])
    paths = [f["path"] for f in pr["files"]]
    if any(p.startswith("lumen/entrypoints/") for p in paths) and "frontend" not in labels:
        labels.append("frontend")
    if any(p.startswith("docs/") for p in paths) and "documentation" not in labels and c.chance(0.5):
        labels.append("documentation")
    if "ready" not in labels and c.chance(0.55):
        labels.append("ready")
    if "v1" not in labels and pr["area"] == "core" and c.chance(0.5):
        labels.append("v1")
    return sorted(set(labels))


# ---------------------------------------------------------------------------------------------
# Assembly.
# ---------------------------------------------------------------------------------------------

def _title(pr: dict) -> str:
    # vLLM-style prefixes are mostly glued together: "[Bugfix][Model] Fix ..."
    return "".join(pr["prefixes"]) + " " + pr["title"] if pr["prefixes"] else pr["title"]


def _authors(rng: random.Random):
    regulars = [dict(login=l, name=n, offset=o, assoc=a, weight=w, spec=s) for l, n, o, a, w, s in REGULARS]
    newcomers = [dict(login=l, name=n, offset=o, assoc="CONTRIBUTOR", weight=0.6, spec=set()) for l, n, o in NEWCOMERS]
    return regulars, newcomers


def _pick_author(c: Ctx, pr: dict, pool: list[dict]) -> dict:
    spec = pr.get("spec")
    if spec and c.chance(0.6):
        experts = [a for a in pool if spec in a["spec"]]
        if experts:
            return c.rng.choices(experts, weights=[a["weight"] for a in experts])[0]
    return c.rng.choices(pool, weights=[a["weight"] for a in pool])[0]


def _merge_moment(c: Ctx, monday: dt.date) -> dt.datetime:
    day = c.rng.choices(range(7), weights=[1, 1.1, 1.1, 1, 0.9, 0.35, 0.3])[0]
    start = dt.datetime.combine(monday + dt.timedelta(days=day), dt.time(0, 0), tzinfo=dt.timezone.utc)
    return start + dt.timedelta(seconds=c.rng.randrange(86400))


def generate(seed: int = SEED) -> list[dict]:
    """All sample PR records, sorted by merge time."""
    rng = random.Random(seed)
    regulars, newcomers = _authors(rng)
    names = list(ARCHETYPES)
    prs = []
    seen_titles: dict[str, int] = {}
    newcomer_iter = iter(newcomers)
    returning: list[dict] = []
    for week, count in enumerate(PR_COUNTS):
        c = Ctx(rng, week)
        monday = FIRST_MONDAY + dt.timedelta(weeks=week)
        weights = week_weights(week)
        drafts = [fn(c) for fn in SPECIALS.get(week, [])]
        drafts += STORIES[week](c) if week in STORIES else []
        # one topic once a week, whatever its prefixes, specials included
        week_titles: set[str] = {_topic(_title(d)) for d in drafts if not d.get("revert")}
        reverts = sum(1 for d in drafts if d.get("revert"))
        while len(drafts) < count:
            name = rng.choices(names, weights=weights)[0]
            draft = ARCHETYPES[name][0](c)
            if draft.get("revert"):
                if reverts:
                    continue  # at most one revert a week
                reverts += 1
                drafts.append(draft)
                continue
            title = _title(draft)
            # unique within a week; across weeks a title may recur once (a follow-up fix)
            if _topic(title) in week_titles or seen_titles.get(title, 0) >= 2:
                continue
            week_titles.add(_topic(title))
            seen_titles[title] = seen_titles.get(title, 0) + 1
            drafts.append(draft)
        # a few first-time contributors every week; some of them come back later
        first_timers = [next(newcomer_iter, None) for _ in range(1 + (week % 3 != 1))]
        first_timers = [a for a in first_timers if a]
        slots = rng.sample(range(len(drafts)), len(first_timers))
        for draft_index, draft in enumerate(drafts):
            if draft_index in slots:
                author = first_timers[slots.index(draft_index)]
                assoc = "FIRST_TIME_CONTRIBUTOR"
            else:
                author = _pick_author(c, draft, regulars + returning)
                assoc = author["assoc"]
            draft["author"] = author
            draft["association"] = assoc
            draft["merged"] = _merge_moment(c, monday)
            if draft.get("at"):  # stories happen at set hours (a fix-up burst is minutes apart)
                day, hour, minute = draft["at"]
                draft["merged"] = dt.datetime.combine(monday + dt.timedelta(days=day), dt.time(hour, minute),
                                                      tzinfo=dt.timezone.utc)
            draft["offset"] = author["offset"]
            draft["week"] = week
        returning += [a for a in first_timers if rng.random() < 0.4]
        prs += drafts
    taken: set[int] = set()
    for moment, offset in BOUNDARIES:
        pr = _boundary_target(prs, moment, taken, rng)
        pr["merged"], pr["offset"] = moment, offset
    prs.sort(key=lambda p: p["merged"])
    number = FIRST_NUMBER
    records = []
    by_story: dict[str, dict] = {}
    for pr in prs:
        c = Ctx(rng, 0)
        pr["number"] = number
        number += 1 + (rng.random() < 0.3) + (rng.random() < 0.1) * rng.randint(1, 4)
        if pr.get("story"):
            pr["title"], pr["purpose"] = _link(pr["title"], by_story), _link(pr["purpose"], by_story)
        elif pr.get("revert"):
            _fill_revert(c, pr, records)
        pr["additions"] = sum(f["additions"] for f in pr["files"])
        pr["deletions"] = sum(f["deletions"] for f in pr["files"])
        pr["changed_files"] = len(pr["files"])
        hours = rng.lognormvariate(math.log(30), 1.3)
        created = pr["merged"] - dt.timedelta(seconds=int(min(hours, 24 * 40) * 3600) + 60)
        author = pr["author"]
        records.append({
            "repo": REPO,
            "number": pr["number"],
            "title": _title(pr),
            "body": _body(c, pr, author),
            "url": f"https://github.com/{REPO}/pull/{pr['number']}",
            "author_login": author["login"],
            "author_name": author["name"],
            "created_at": _iso(created, author["offset"]),
            "merged_at": _iso(pr["merged"], pr["offset"]),
            "merge_commit_sha": f"{rng.getrandbits(160):040x}",
            "head_ref": None,
            "base_ref": "main",
            "additions": pr["additions"],
            "deletions": pr["deletions"],
            "changed_files": pr["changed_files"],
            "files": pr["files"],
            "labels": _labels(c, pr),
            "review_count": 0,
            "comment_count": 0,
            "author_association": pr["association"],
            "review_comments": _reviews(c, pr, author["login"], created, pr["merged"]),
        })
        rec = records[-1]
        if pr.get("story"):
            by_story[pr["story"]] = rec
        rec["review_count"] = max(1, len(rec["review_comments"])) + rng.randint(0, 2)
        rec["comment_count"] = len(rec["review_comments"]) + rng.randint(0, 6 if pr.get("big") else 3) * (rng.random() < 0.7)
    return records


def _topic(title: str) -> str:
    """A title without its bracketed prefixes: what the PR is about."""
    return re.sub(r"^(\[[^\]]*\]\s*)+", "", title).strip().lower()


def _boundary_target(prs: list[dict], moment: dt.datetime, taken: set[int], rng: random.Random) -> dict:
    """An ordinary PR of the boundary's own UTC week, so weekly counts stay as planned."""
    week = (moment.date() - FIRST_MONDAY).days // 7
    candidates = [i for i, p in enumerate(prs) if p["week"] == week and i not in taken and not p.get("big")
                  and not p.get("revert") and not p.get("story") and p["area"] in ("core", "frontend", "models", "docs")]
    index = rng.choice(candidates)
    taken.add(index)
    return prs[index]


def _fill_revert(c: Ctx, pr: dict, earlier: list[dict]) -> None:
    """Turn a revert placeholder into the revert of a recent perf/core PR."""
    recent = [r for r in earlier[-60:] if r["title"].startswith(("[Perf]", "[Core]", "[Kernel]"))]
    target = c.pick(recent) if recent else earlier[-1]
    pr["title"] = f'Revert "{target["title"]} (#{target["number"]})"'
    pr["files"] = [dict(f, additions=f["deletions"], deletions=f["additions"]) for f in target["files"]]
    reason = c.pick(["it causes a 9% throughput regression on the nightly benchmark",
                     "it breaks CUDA graph capture with pipeline parallelism",
                     "it produces wrong outputs with prefix caching enabled on ROCm"])
    pr["purpose"] = (f"This reverts commit {target['merge_commit_sha']} (#{target['number']}) because {reason}. "
                     "We will re-land it with a fix and a regression test.")


def write_sample(path: Path, seed: int = SEED) -> int:
    """Write the sample JSONL to ``path``; returns the number of PRs."""
    records = generate(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False, sort_keys=False) + "\n")
    return len(records)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    n = write_sample(args.out)
    print(f"wrote {n} PRs to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
