"""Rule-set loading: built-ins, extends, user sets from extra dirs, and errors naming file and key."""

from __future__ import annotations

import re

import pytest

from report_pipeline.domain.rules import BUILTIN_DIR, RuleSetError, glob_to_regex, load_rule_set


@pytest.mark.parametrize("name", ["default", "vllm", "uv", "lumen"])
def test_builtin_sets_load(name):
    rules = load_rule_set(name)
    assert rules.name == name
    assert rules.sources[-1] == (BUILTIN_DIR / f"{name}.toml").resolve()


@pytest.mark.parametrize(
    ("glob", "path", "hit"),
    [
        ("docs/**", "docs/a/b.md", True),
        ("docs/**", "docs", True),
        ("docs/**", "mydocs/a.md", False),
        ("**/*.md", "README.md", True),
        ("**/*.md", "a/b/c.md", True),
        ("*.cu", "csrc/attention/x.cu", True),  # no slash: any depth
        ("csrc/*.h", "csrc/ops.h", True),
        ("csrc/*.h", "csrc/sub/ops.h", False),
        ("lumen/**/test_*.py", "lumen/core/test_x.py", True),
        ("lumen/**/test_*.py", "lumen/test_x.py", True),
        ("*.{cu,cuh}", "a/b.cuh", True),
        ("requirements/?.txt", "requirements/a.txt", True),
    ],
)
def test_glob_to_regex(glob, path, hit):
    assert bool(re.fullmatch(glob_to_regex(glob), path)) is hit


def test_lumen_modules_follow_sample_layout():
    rules = load_rule_set("lumen")
    expect = {
        "lumen/core/scheduler.py": ("core", ("scheduler",)),
        "lumen/core/kv_cache.py": ("core", ("kv_cache",)),
        "lumen/engine/llm_engine.py": ("engine", ("engine",)),
        "lumen/worker/model_runner.py": ("worker", ("model_runner",)),
        "lumen/attention/backends/flash.py": ("attention", ("attention",)),
        "lumen/models/llama.py": ("models", ()),
        "lumen/entrypoints/openai/serving.py": ("frontend", ()),
        "lumen/core/test_scheduler.py": ("tests", ()),  # tests win over the code module
        "csrc/attention/paged.cu": ("kernels", ()),
        ".github/workflows/ci.yml": ("ci/build", ()),
        "requirements/cuda.txt": ("dependencies", ()),
        "docs/usage.md": ("docs", ()),
        "benchmarks/run.py": ("benchmarks", ()),
    }
    for path, (module, core) in expect.items():
        info = rules.path_info(path)
        assert (info.module, info.core) == (module, core), path


def test_uv_crates_fall_back_to_crate_name():
    rules = load_rule_set("uv")
    assert rules.modules_of("crates/uv-resolver/src/resolver/mod.rs") == "uv-resolver"
    assert rules.modules_of("crates/uv-new-thing/src/lib.rs") == "uv-new-thing"
    assert rules.modules_of("crates/uv/src/commands/pip/install.rs") == "cli"
    assert rules.modules_of("crates/uv/tests/it/pip_install.rs") == "tests"
    assert rules.path_info("crates/uv-resolver/src/lock/mod.rs").core == ("resolver", "lockfile")


def test_vllm_ascend_paths():
    rules = load_rule_set("vllm")
    assert rules.modules_of("vllm_ascend/ops/fused_moe/moe_mlp.py") == "fused_moe"
    assert rules.modules_of("vllm_ascend/ops/layernorm.py") == "ops"
    assert rules.modules_of("vllm_ascend/utils.py") == "core"
    assert rules.modules_of("vllm_ascend/worker/model_runner_v1.py") == "model_runner"
    assert "model_runner" in rules.path_info("vllm_ascend/worker/model_runner_v1.py").core


def test_extends_adds_and_overrides(tmp_path):
    (tmp_path / "mine.toml").write_text(
        'extends = "default"\n'
        "[modules]\n"
        'engine = ["engine/**"]\n'
        "[risks]\n"
        "large_lines = 10\n"
        "[kinds.prefixes]\n"
        'hack = "feature"\n',
        encoding="utf-8",
    )
    rules = load_rule_set("mine", extra_dirs=[tmp_path])
    assert rules.name == "mine"
    assert rules.large_lines == 10  # overridden
    assert rules.large_files == load_rule_set("default").large_files  # inherited
    assert rules.modules_of("engine/core.py") == "engine"  # added
    assert rules.modules_of("benchmarks/x.py") == "benchmarks"  # inherited module
    assert rules.kind_prefixes["hack"] == "feature" and rules.kind_prefixes["bugfix"] == "bugfix"


def test_replace_drops_parent_value(tmp_path):
    (tmp_path / "r.toml").write_text(
        'extends = "default"\nreplace = ["modules"]\n[modules]\nonly = ["only/**"]\n', encoding="utf-8"
    )
    rules = load_rule_set(str(tmp_path / "r.toml"))
    assert rules.modules_of("benchmarks/x.py") == "benchmarks"  # falls back to top-level dir name
    assert rules._module_names and "benchmarks" not in rules._module_names.values()


def test_user_set_in_extra_dir_shadows_nothing_else(tmp_path):
    (tmp_path / "acme.toml").write_text('[modules]\napi = ["api/**"]\n', encoding="utf-8")
    rules = load_rule_set("acme", extra_dirs=[tmp_path])
    assert rules.modules_of("api/v1.py") == "api"
    assert rules.kind_prefixes == {}  # no extends: nothing inherited


def test_path_to_toml(tmp_path):
    p = tmp_path / "x.toml"
    p.write_text('extends = "uv"\n', encoding="utf-8")
    assert load_rule_set(str(p)).modules_of("crates/uv-git/src/lib.rs") == "uv-git"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[kinds.prefixes]\nbugfix = "oops"\n', "kinds.prefixes.bugfix"),
        ("[risks]\nlarge_lines = -3\n", "risks.large_lines"),
        ('[modules]\ncore = "core/**"\n', "modules.core"),
        ('[[kinds.keywords]]\npattern = "(unclosed"\nkind = "bugfix"\n', "kinds.keywords[0].pattern"),
        ('surprise = 1\n', "surprise"),
        ('[score.kinds]\nfeature = 99\n', "score.kinds.feature"),
        ('extends = "nope"\n', "extends"),
        ('[module_fallback]\n"x/{a}/**" = "{b}"\n', "module_fallback"),
        ("not toml at all [", "not valid TOML"),
    ],
)
def test_malformed_rule_file_names_file_and_key(tmp_path, text, key):
    p = tmp_path / "bad.toml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(RuleSetError) as err:
        load_rule_set("bad", extra_dirs=[tmp_path])
    assert str(p) in str(err.value) and key in str(err.value)


def test_unknown_set_and_cycle(tmp_path):
    with pytest.raises(RuleSetError, match="unknown rule set 'missing'"):
        load_rule_set("missing")
    (tmp_path / "a.toml").write_text('extends = "b"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('extends = "a"\n', encoding="utf-8")
    with pytest.raises(RuleSetError, match="circular"):
        load_rule_set("a", extra_dirs=[tmp_path])


def test_error_in_parent_names_parent_file(tmp_path):
    (tmp_path / "parent.toml").write_text("[risks]\nlarge_files = 'many'\n", encoding="utf-8")
    (tmp_path / "child.toml").write_text('extends = "parent"\n', encoding="utf-8")
    with pytest.raises(RuleSetError, match=r"parent\.toml: risks\.large_files"):
        load_rule_set("child", extra_dirs=[tmp_path])
