"""The narrator in the pipeline: configuration, the Dagster resource, and a week built through it."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from report_pipeline.cli import main
from report_pipeline.config import ConfigError, load_config
from report_pipeline_tests.conftest import PROJECT, write_config
from report_pipeline_tests.openai_server import FakeOpenAI, answer, error

WEEK = "2026-11-16"
KEY = "sk-test-secret-0123456789"


def _narrator_toml(base_url: str, **extra) -> str:
    lines = [f'base_url = "{base_url}"', 'model = "test-model"', 'api_key_env = "NARRATOR_TEST_KEY"'] + [
        f"{k} = {v}" for k, v in extra.items()]
    return "[narrator]\n" + "\n".join(lines) + "\n"


def test_narrator_is_off_by_default():
    assert load_config(PROJECT / "report_pipeline.toml").narrator is None


def test_narrator_config_loads(tmp_path):
    cfg = load_config(write_config(tmp_path, _narrator_toml("http://localhost:8000/v1/", languages='["zh"]', max_requests=10)))
    n = cfg.narrator
    assert (n.base_url, n.model, n.api_key_env, n.languages, n.max_requests) == (
        "http://localhost:8000/v1", "test-model", "NARRATOR_TEST_KEY", ("zh",), 10)
    assert n.max_retries == 2 and n.timeout_seconds == 60


@pytest.mark.parametrize("extra,message", [
    ('[narrator]\nmodel = "m"\n', "narrator.base_url: must be a non-empty string"),
    ('[narrator]\nbase_url = "localhost:8000"\nmodel = "m"\n', "narrator.base_url: must be an http(s) URL"),
    ('[narrator]\nbase_url = "http://h/v1"\n', "narrator.model: must be a non-empty string"),
    ('[narrator]\nbase_url = "http://h/v1"\nmodel = "m"\napi_key_env = "sk-abc 123"\n', "narrator.api_key_env: must be the name"),
    ('[narrator]\nbase_url = "http://h/v1"\nmodel = "m"\nlanguages = ["fr"]\n', "narrator.languages: 'fr' is not a report language"),
    ('[narrator]\nbase_url = "http://h/v1"\nmodel = "m"\nmax_requests = -1\n', "narrator.max_requests: must be a number"),
    ('[narrator]\nbase_url = "http://h/v1"\nmodel = "m"\ntemperature = 0.7\n', "narrator.temperature: unknown key"),
])
def test_bad_narrator_config_names_its_key(tmp_path, extra, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(write_config(tmp_path, extra))


def _report(root, suffix="json"):
    path = root / "out" / "reports" / "lumen-ai" / "lumen" / f"{WEEK}.{suffix}"
    return json.loads(path.read_text(encoding="utf-8")) if suffix == "json" else path.read_text(encoding="utf-8")


def test_a_week_is_narrated_through_dagster(project, monkeypatch, capsys):
    """English gets a faithful answer, Chinese a server error: the week is built either way."""
    from report_pipeline_tests.openai_server import good_answer

    class Scripted(FakeOpenAI):
        def next_reply(self):
            user = self.requests[-1]["body"]["messages"][1]["content"]
            if "Chinese" in user:
                return error(500, "boom")
            sheet = json.loads(user.split("Fact sheet:\n", 1)[1])
            return answer(json.dumps(good_answer(sheet, "en"), ensure_ascii=False))

    monkeypatch.setenv("NARRATOR_TEST_KEY", KEY)
    with Scripted().serve() as fake:
        write_config(project, _narrator_toml(fake.base_url, max_retries=0))
        assert main(["build", "--week", WEEK]) == 0
        assert len(fake.requests) == 2  # one per language
        assert fake.requests[0]["authorization"] == f"Bearer {KEY}"  # the key reached the endpoint through EnvVar
    model = _report(project)
    narration = model["narration"]
    assert narration["model"] == "test-model"
    kept = {k: s["reason"] for k, s in narration["languages"]["en"]["sections"].items() if s["by"] != "model"}
    assert kept == {} and narration["languages"]["en"]["status"] == "model"
    assert narration["languages"]["zh"] == {"status": "deterministic", "reason": "server error (HTTP 500); gave up after 1 attempt",
                                            "cached": False, "sections": {}}
    # the English answer is cached in the warehouse, keyed by model, prompt version and fact sheet
    assert len(list((project / "out" / "warehouse" / "narrator_answers").glob("*/*.json"))) == 1
    assert KEY not in capsys.readouterr().out + json.dumps(model)


def test_without_narrator_nothing_changes_and_openai_is_not_imported(tmp_path):
    code = (
        "import sys, json\n"
        "from report_pipeline.config import load_config\n"
        "from report_pipeline.dagster_defs.definitions import build_definitions\n"
        "from report_pipeline.publish import publish_report\n"
        "from report_pipeline_tests.report_model_fixture import report_model\n"
        f"cfg = load_config({str(PROJECT / 'report_pipeline.toml')!r})\n"
        "defs = build_definitions(cfg)\n"
        "assert defs.resources['narrator'].session() is None\n"
        f"rows = publish_report(report_model(), __import__('pathlib').Path({str(tmp_path)!r}), ('en', 'zh'))\n"
        "model = json.load(open([r['path'] for r in rows if r['format'] == 'json'][0]))\n"
        "assert 'narration' not in model\n"
        "assert 'openai' not in sys.modules, 'openai was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT)
    assert done.returncode == 0, done.stderr[-2000:]
