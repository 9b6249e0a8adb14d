"""Writing reports to disk: atomic files and the archive index."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def atomic_write_text(path: Path, text: str) -> int:
    """Write ``text`` to ``path`` through a temporary file and a rename; returns bytes written.

    A reader (or a crash) sees the old file or the new one, never half of one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return len(data)


def report_paths(output_dir: Path, repository: str, week: str, languages: tuple[str, ...]) -> dict:
    """Where a week's report files go.

    The first configured language gets ``<week>.md``/``<week>.html``; every other language
    ``<week>.<lang>.md``/``.html``; the JSON (language-neutral) is ``<week>.json``.
    """
    owner, name = repository.split("/", 1)
    folder = output_dir / owner / name
    paths = {"json": folder / f"{week}.json"}
    for i, lang in enumerate(languages):
        suffix = "" if i == 0 else f".{lang}"
        paths[(lang, "md")] = folder / f"{week}{suffix}.md"
        paths[(lang, "html")] = folder / f"{week}{suffix}.html"
    return paths


def publish_report(model: dict, output_dir: Path, languages: tuple[str, ...]) -> list[dict]:
    """Render ``model`` in every language and format and write the files; returns one row per file."""
    from report_pipeline.domain.render import render_html, render_json, render_markdown

    repository, week = model["repository"], model["week"]["key"]
    paths = report_paths(output_dir, repository, week, languages)
    rendered: list[tuple[str, str, Path, str]] = [("", "json", paths["json"], render_json(model))]
    for lang in languages:
        alternates = {other: paths[(other, "html")].name for other in languages if other != lang}
        rendered.append((lang, "md", paths[(lang, "md")], render_markdown(model, lang)))
        rendered.append((lang, "html", paths[(lang, "html")], render_html(model, lang, alternates)))
    # render everything before writing anything: a template error leaves the old report whole
    rows = []
    for lang, fmt, path, text in rendered:
        size = atomic_write_text(path, text)
        rows.append({"language": lang, "format": fmt, "path": str(path), "bytes": size})
    return rows


def rebuild_index(output_dir: Path, languages: tuple[str, ...]) -> Path:
    """Rewrite ``output_dir/index.html`` listing every report built so far."""
    from report_pipeline.domain.render import render_index

    entries = []
    for json_path in sorted(output_dir.glob("*/*/*.json")):
        try:
            model = json.loads(json_path.read_text(encoding="utf-8"))
            repository, week = model["repository"], model["week"]["key"]
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not one of ours, or mid-edit by a person: leave it out of the index
        paths = report_paths(output_dir, repository, week, languages)
        rel = lambda p: p.relative_to(output_dir).as_posix()  # noqa: E731
        entries.append({
            "repository": repository,
            "week": week,
            "iso": model["week"].get("iso", week),
            "pr_count": model["summary"].get("pr_count", 0),
            "highlight_count": model["summary"].get("highlight_count", 0),
            "links": {lang: {"md": rel(paths[(lang, "md")]), "html": rel(paths[(lang, "html")])}
                      for lang in languages if paths[(lang, "html")].exists()},
            "json": rel(paths["json"]),
        })
    index = output_dir / "index.html"
    atomic_write_text(index, render_index(entries))
    return index
