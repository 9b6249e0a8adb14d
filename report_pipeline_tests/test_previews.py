"""Metadata previews shown in the Dagster UI are inert, like the reports: hostile PR text
(links, emphasis, HTML, bidi overrides, pipes) is escaped in every Markdown table."""

from __future__ import annotations

import json
import re

import dagster as dg
import pandas as pd

from report_pipeline.cli import main
from report_pipeline.dagster_defs.assets._common import markdown_table
from report_pipeline_tests.conftest import write_config

REPO = "lumen-ai/lumen"
WEEK = "2026-11-16"
HOSTILE = [
    "[click me](javascript:alert(1)) **bold** _em_ ~~gone~~ `code`",
    "\u202eevil\u202c title | with pipe\nand newline <img src=x onerror=alert(1)>",
    "![img](https://evil.example/x.png) <https://evil.example> # heading",
]


def _unescaped(md: str, char: str) -> int:
    return len(re.findall(r"(?<!\\)" + re.escape(char), md))


def _assert_inert(md: str, columns: int) -> None:
    assert "\u202e" not in md and "\u202c" not in md
    assert "<img" not in md and "<https" not in md
    for marker in ("[", "]", "(", ")", "*", "_", "~", "`", "!["):
        body = md.split("\n", 2)[-1]  # the rows, after the header and its rule
        assert _unescaped(body, marker) == 0, (marker, md)
    for row in md.splitlines():
        assert _unescaped(row, "|") == columns + 1, row  # no cell broke the table


def test_markdown_table_escapes_pr_text():
    df = pd.DataFrame({"number": [1, 2, 3], "title": HOSTILE, "labels": [["**x**", "[y](z)"], [], ["a|b"]]})
    md = markdown_table(df, ["number", "title", "labels"])
    _assert_inert(md, 3)
    assert "click me" in md and "evil" in md


def test_long_cells_are_cut_before_escaping():
    md = markdown_table(pd.DataFrame({"t": ["x" * 79 + "|" * 30]}), ["t"])
    assert _unescaped(md.splitlines()[-1], "|") == 2


def test_previews_of_a_real_materialization_are_inert(project):
    lines = []
    for i, title in enumerate(HOSTILE):
        lines.append(json.dumps({
            "repo": REPO, "number": 10 + i, "title": title, "body": title, "url": f"https://github.com/{REPO}/pull/{10 + i}",
            "author_login": f"*eve{i}*", "created_at": "2026-11-16T10:00:00+00:00",
            "merged_at": f"2026-11-1{6 + i}T12:00:00+00:00", "additions": 5, "deletions": 1, "changed_files": 1,
            "labels": ["[x](y)"], "files": [{"path": "src/[evil](x).py", "previous_path": None,
                                            "change_type": "MODIFIED", "additions": 5, "deletions": 1}],
            "review_comments": [{"author": "r**v**", "path": "a|b", "body": title, "created_at": "2026-11-16T11:00:00+00:00"}],
        }))
    data = project / "hostile.jsonl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_config(project, repos=f'[[repositories]]\nname = "{REPO}"\nsource = "sample"\npath = "{data}"\nrules = "lumen"\n')
    assert main(["build", "--week", WEEK]) == 0
    tables = {}
    with dg.DagsterInstance.get() as instance:
        for run in instance.get_runs():
            for event in instance.all_logs(run.run_id):
                dagster_event = event.dagster_event
                if dagster_event is None or not dagster_event.is_step_materialization:
                    continue
                materialization = dagster_event.step_materialization_data.materialization
                for name, value in materialization.metadata.items():
                    if isinstance(value, dg.MarkdownMetadataValue) and value.md_str.startswith("|"):
                        tables[f"{materialization.asset_key.to_user_string()}.{name}"] = value.md_str
    assert {"raw_pull_requests.preview", "enriched_pull_requests.top_scores"} <= set(tables)
    for md in tables.values():
        columns = md.splitlines()[0].count("|") - 1
        _assert_inert(md, columns)
