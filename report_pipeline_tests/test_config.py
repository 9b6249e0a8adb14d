"""Configuration: a valid file loads; every invalid one names its key and problem."""

from __future__ import annotations

import re

import pytest

from report_pipeline.config import ConfigError, HighlightConfig, load_config
from report_pipeline_tests.conftest import PROJECT, write_config


def test_project_config_loads():
    config = load_config(PROJECT / "report_pipeline.toml")
    assert config.timezone == "UTC"
    assert config.languages == ("en", "zh")
    repo = config.repository("lumen-ai/lumen")
    assert repo.source == "sample" and repo.path.exists()
    assert config.output_dir == (PROJECT / "data" / "reports").resolve()


def test_enterprise_graphql_url_follows_api_url(tmp_path):
    repos = '[[repositories]]\nname = "o/r"\nsource = "github"\napi_url = "https://ghe.example.com/api/v3"\n'
    config = load_config(write_config(tmp_path, repos=repos))
    assert config.repositories[0].graphql_url == "https://ghe.example.com/api/graphql"


BAD = [
    ({"timezone": '"Mars/Olympus"'}, None, "timezone: unknown time zone 'Mars/Olympus'"),
    ({"languages": '["en", "fr"]'}, None, "languages: unsupported language 'fr'"),
    ({"first_week": '"2026-09-01"'}, None, "first_week: 2026-09-01 is a Tuesday"),
    ({"colour": '"blue"'}, None, "colour: unknown key"),
    ({}, '[[repositories]]\nname = "lumen"\nsource = "sample"\npath = "x"\n', "repositories[0].name: must be 'owner/repo'"),
    ({}, '[[repositories]]\nname = "a/b"\nsource = "gitlab"\n', "repositories[0].source: must be one of git, github, sample (got 'gitlab')"),
    ({}, '[[repositories]]\nname = "a/b"\nsource = "git"\n', "repositories[0].path: required for source = 'git'"),
    ({}, '[[repositories]]\nname = "a/b"\nsource = "github"\napi_url = "ftp://x"\n', "repositories[0].api_url: must be an http(s) URL"),
    ({}, '[[repositories]]\nname = "a/b"\nsource = "github"\n[[repositories]]\nname = "a/b"\nsource = "github"\n', "repositories[0].name 'a/b' and repositories[1].name 'a/b': configured twice"),
    ({}, '[[repositories]]\nname = "lumen-ai/lumen"\nsource = "github"\n[[repositories]]\nname = "Lumen-AI/Lumen"\nsource = "github"\n',
     "repositories[0].name 'lumen-ai/lumen' and repositories[1].name 'Lumen-AI/Lumen': the same repository (names ignore case)"),
    ({}, "", "repositories: at least one [[repositories]] table is required"),
]


@pytest.mark.parametrize("top,repos,message", BAD)
def test_invalid_config_names_key(tmp_path, top, repos, message):
    path = write_config(tmp_path, repos=repos, **top)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_highlight_bounds_invalid(tmp_path):
    path = write_config(tmp_path, extra="[highlights]\nmin = 9\nmax = 3\n")
    with pytest.raises(ConfigError, match="highlights.min: 9 is larger than highlights.max 3"):
        load_config(path)


def test_not_toml(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("timezone = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


def test_missing_file_names_env_var(tmp_path):
    with pytest.raises(ConfigError, match="REPORT_PIPELINE_CONFIG"):
        load_config(tmp_path / "nope.toml")


@pytest.mark.parametrize("n,expected", [(0, 0), (2, 2), (10, 3), (40, 4), (183, 18), (500, 20)])
def test_highlight_count(n, expected):
    assert HighlightConfig(share=0.1, min=3, max=20).count(n) == expected


@pytest.mark.parametrize("name,problem", [
    ("../..", "owner '..' is not a GitHub owner name"),
    ("x/..", "'..' is not a GitHub repository name"),
    ("./.", "owner '.' is not a GitHub owner name"),
    ("acme/.", "'.' is not a GitHub repository name"),
    ("a.b/c", "owner 'a.b' is not a GitHub owner name"),
    ("acme/a/b", "must be 'owner/repo'"),
    ("acme/wid gets", "'wid gets' is not a GitHub repository name"),
    ("-acme/x", "owner '-acme' is not a GitHub owner name"),
    ("acme/widgets.git", "ends in '.git'"),
])
def test_names_that_walk_out_of_their_directory_are_refused(tmp_path, name, problem):
    path = write_config(tmp_path, repos=f'[[repositories]]\nname = "{name}"\nsource = "github"\n')
    with pytest.raises(ConfigError, match=re.escape("repositories[0].name: ") + ".*" + re.escape(problem)):
        load_config(path)


@pytest.mark.parametrize("name", ["acme/.github", "my_org-1/repo.name_x-y", "octo_emu/x", "A/B"])
def test_github_names_are_accepted(tmp_path, name):
    path = write_config(tmp_path, repos=f'[[repositories]]\nname = "{name}"\nsource = "github"\n')
    assert load_config(path).repositories[0].name == name


def test_unknown_repository_suggests_the_other_case(tmp_path):
    config = load_config(write_config(tmp_path))
    with pytest.raises(ConfigError, match="did you mean 'lumen-ai/lumen'"):
        config.repository("Lumen-AI/Lumen")


def test_object_store_warehouse_is_kept_as_a_uri(tmp_path):
    config = load_config(write_config(tmp_path, warehouse_dir='"s3://bucket/report_pipeline/warehouse/"'))
    assert str(config.warehouse_dir) == "s3://bucket/report_pipeline/warehouse"
    config = load_config(write_config(tmp_path, warehouse_dir='"GS://bucket"'))
    assert config.warehouse_dir == "gs://bucket"


def test_output_dir_is_a_local_folder_not_a_uri(tmp_path):
    with pytest.raises(ConfigError, match="output_dir: must be a local folder, not a URI"):
        load_config(write_config(tmp_path, output_dir='"s3://bucket/reports"'))


@pytest.mark.parametrize("url", ["https://github.com/astral-sh/uv", "git@github.com:astral-sh/uv.git"])
def test_a_git_repository_path_that_is_a_url_asks_for_a_clone(tmp_path, url):
    repos = f'[[repositories]]\nname = "astral-sh/uv"\nsource = "git"\npath = "{url}"\n'
    with pytest.raises(ConfigError, match=r"repositories\[0\]\.path: must be a local folder, not a URL .*git clone"):
        load_config(write_config(tmp_path, repos=repos))


@pytest.mark.parametrize(("uri", "told"), [
    ("s3://", "names no bucket"),  # once read as the local folder "s3:" beside the working directory
    ("s3:///prefix", "names no bucket"),
    ("ftp://host/x", "ftp:// is not object storage"),
    ("https://bucket.example.com/x", "https:// is not object storage"),
    ("s3://my bucket/x", "contains a space"),
])
def test_an_object_store_uri_that_cannot_work_is_a_config_error(tmp_path, uri, told):
    with pytest.raises(ConfigError, match=f"report_pipeline.toml: warehouse_dir: .*{re.escape(told)}"):
        load_config(write_config(tmp_path, warehouse_dir=f'"{uri}"'))
