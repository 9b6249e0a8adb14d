"""Writing reports: files stay inside output_dir / warehouse_dir and are readable by a web server."""

from __future__ import annotations

import json
import os
import stat

import pandas as pd
import pytest

from report_pipeline.dagster_defs.io import WeeklyParquetIOManager
from report_pipeline.publish import (
    GCS_RETRY_SECONDS,
    UnsafePathError,
    atomic_write_text,
    filesystem_for,
    publish_report,
    rebuild_index,
)
from report_pipeline_tests.report_model_fixture import empty_model

LANGS = ("en", "zh")


def _model(repository: str) -> dict:
    model = empty_model()
    model["repository"] = repository
    return model


def _files(root) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("repository", ["../..", "x/..", "./.", "acme/../../escaped"])
def test_names_cannot_walk_out_of_output_dir(tmp_path, repository):
    out = tmp_path / "a" / "b" / "out"
    with pytest.raises(UnsafePathError, match="refusing to write"):
        publish_report(_model(repository), out, LANGS)
    assert _files(tmp_path) == set(), "nothing was written anywhere"


def test_symlink_out_of_output_dir_is_refused(tmp_path):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    os.symlink(elsewhere, out / "acme")
    with pytest.raises(UnsafePathError):
        publish_report(_model("acme/widgets"), out, LANGS)
    assert _files(elsewhere) == set()


def test_reports_are_readable_by_a_web_server(tmp_path):
    mask = os.umask(0o022)
    try:
        rows = publish_report(_model("acme/widgets"), tmp_path / "out", LANGS)
        index = rebuild_index(tmp_path / "out", LANGS)
    finally:
        os.umask(mask)
    for path in [r["path"] for r in rows] + [index]:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o644, path
    atomic_write_text(tmp_path / "x.txt", "x")
    assert stat.S_IMODE(os.stat(tmp_path / "x.txt").st_mode) & 0o444 == 0o444


def test_index_skips_reports_that_claim_another_place(tmp_path):
    out = tmp_path / "out"
    publish_report(_model("acme/widgets"), out, LANGS)
    stray = out / "evil" / "x" / "2026-04-13.json"
    stray.parent.mkdir(parents=True)
    stray.write_text(json.dumps(_model("../../outside") | {"week": {"key": "2026-04-13"}}), encoding="utf-8")
    html = rebuild_index(out, LANGS).read_text(encoding="utf-8")
    assert "acme/widgets" in html and "outside" not in html


def test_io_manager_paths_stay_inside_the_warehouse(tmp_path):
    io = WeeklyParquetIOManager(base_path=str(tmp_path / "wh"))
    with pytest.raises(UnsafePathError):
        io.path_for("raw_pull_requests", "acme/widgets|../../../../evil")
    path = io.write("other", "acme/widgets|2026-04-13", pd.DataFrame({"x": [1]}))
    assert path.startswith(str(tmp_path / "wh"))


def test_an_object_store_client_is_made_once_per_process_and_again_in_a_forked_one(tmp_path):
    # a file:// URI goes the object-store way (FileSystem.from_uri) without a network
    uri = (tmp_path / "wh").as_uri()
    fs, root = filesystem_for(uri)
    assert filesystem_for(uri)[0] is fs and root == str(tmp_path / "wh")
    if not hasattr(os, "fork"):
        pytest.skip("no fork on this platform")
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child says whether it got the parent's client
        os.write(write, b"shared" if filesystem_for(uri)[0] is fs else b"own")
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    assert os.read(read, 16) == b"own"


def test_a_gcs_client_gives_up_retrying_soon_unless_the_uri_says_otherwise():
    # Google's default is 15 minutes of retries inside C++, deaf to Ctrl-C; building the client needs no network
    import datetime as dt

    def retry_limit(uri: str):
        fs, _ = filesystem_for(uri)
        return fs.__reduce__()[1][0]["retry_time_limit"]  # the options pyarrow would rebuild it with

    assert retry_limit("gs://bucket/warehouse") == dt.timedelta(seconds=GCS_RETRY_SECONDS)
    assert retry_limit("gs://bucket/warehouse?retry_limit_seconds=5") == dt.timedelta(seconds=5)
