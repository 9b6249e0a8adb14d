"""Shared fixtures: a project configuration in a temporary directory over the bundled sample."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
SAMPLE = PROJECT / "data" / "sample" / "lumen-ai__lumen.jsonl"
SHARED = PROJECT.parent / "shared"
SAMPLE_WEEKS = ["2026-10-26", "2026-11-02", "2026-11-09", "2026-11-16"]


def write_config(tmp_path: Path, extra: str = "", repos: str | None = None, **top) -> Path:
    """A configuration file in ``tmp_path`` whose outputs stay in ``tmp_path``."""
    settings = {
        "timezone": '"UTC"',
        "languages": '["en", "zh"]',
        "output_dir": '"out/reports"',
        "warehouse_dir": '"out/warehouse"',
        "first_week": '"2026-08-31"',
    } | {k: v for k, v in top.items()}
    lines = [f"{k} = {v}" for k, v in settings.items()]
    if repos is None:
        repos = f'[[repositories]]\nname = "lumen-ai/lumen"\nsource = "sample"\npath = "{SAMPLE}"\nrules = "lumen"\n'
    path = tmp_path / "report_pipeline.toml"
    path.write_text("\n".join(lines) + "\n" + extra + "\n" + repos, encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A temporary project: configuration, DAGSTER_HOME, outputs, all under ``tmp_path``."""
    cfg = write_config(tmp_path)
    monkeypatch.setenv("REPORT_PIPELINE_CONFIG", str(cfg))
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    return tmp_path


def shared_pulls() -> Path:
    """The shared real-PR data folder, or a skip when it is absent."""
    folder = SHARED / "data" / "pulls"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent: the shared PR data is not part of the project")
    return folder


os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
