"""Writing reports to disk: atomic files and the archive index."""

from __future__ import annotations

import functools
import json
import os
import tempfile
from pathlib import Path

import pyarrow.fs as pafs

from report_pipeline.config import validate_repo_name


class UnsafePathError(ValueError):
    """A file would be written outside the directory it belongs in."""


def inside(root: Path, path: Path) -> Path:
    """``path`` resolved, when it lies inside ``root`` (resolved too); ``UnsafePathError`` otherwise.

    Names from the configuration become directories; a name like ``../..`` (refused by the
    configuration too) or a symlink out of the tree must never place a file elsewhere.
    """
    base = Path(root).resolve()
    target = Path(path).resolve()
    if target != base and base not in target.parents:
        raise UnsafePathError(f"refusing to write {path}: it resolves to {target}, outside {base}")
    return target


@functools.cache
def _file_mode() -> int:
    """0666 minus the process umask: the mode any file the user writes gets (0644 usually)."""
    try:  # Linux shows the umask without changing it
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: read it by setting it, once
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_text(path: Path, text: str) -> int:
    """Write ``text`` to ``path`` through a temporary file and a rename; returns bytes written.

    A reader (or a crash) sees the old file or the new one, never half of one. The file gets
    the usual mode of a new file (0644 under the common umask), not mkstemp's private 0600,
    so a web server can serve the reports.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), _file_mode())
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return len(data)


def report_paths(
    output_dir: Path, repository: str, week: str, languages: tuple[str, ...]
) -> dict[str | tuple[str, str], Path]:
    """Where a week's report files go.

    The first configured language gets ``<week>.md``/``<week>.html``; every other language
    ``<week>.<lang>.md``/``.html``; the JSON (language-neutral) is ``<week>.json``.
    """
    owner, name = repository.split("/", 1)
    folder = output_dir / owner / name
    paths: dict[str | tuple[str, str], Path] = {"json": folder / f"{week}.json"}
    for i, lang in enumerate(languages):
        suffix = "" if i == 0 else f".{lang}"
        paths[(lang, "md")] = folder / f"{week}{suffix}.md"
        paths[(lang, "html")] = folder / f"{week}{suffix}.html"
    return paths


def publish_report(model: dict, output_dir: Path, languages: tuple[str, ...]) -> list[dict]:
    """Render ``model`` in every language and format and write the files; returns one row per file."""
    from report_pipeline.domain.render import render_html, render_json, render_markdown

    repository, week = model["repository"], model["week"]["key"]
    try:
        validate_repo_name(repository, "repository")
    except ValueError as exc:
        raise UnsafePathError(f"refusing to write the report of {repository!r}: {exc}") from None
    paths = report_paths(output_dir, repository, week, languages)
    for path in paths.values():
        inside(output_dir, path)
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
            repository, week = validate_repo_name(model["repository"]), str(model["week"]["key"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not one of ours, or mid-edit by a person: leave it out of the index
        paths = report_paths(output_dir, repository, week, languages)
        if paths["json"] != json_path:
            continue  # its repository or week does not match where it lies
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
    atomic_write_text(inside(output_dir, index), render_index(entries))
    return index


GCS_RETRY_SECONDS = 30


def filesystem_for(base_path: str) -> tuple[pafs.FileSystem, str]:
    """The pyarrow filesystem and root of a local folder or an object-store URI (``s3://...``)."""
    if "://" in base_path:
        return _object_store(base_path, os.getpid())
    return pafs.LocalFileSystem(), os.path.abspath(base_path)


@functools.lru_cache(maxsize=16)
def _object_store(uri: str, pid: int) -> tuple[pafs.FileSystem, str]:
    # one client per process and URI (a forked process makes its own: the pid is in the key):
    # building one per call was a third of a range's IO time against S3. Arrow's filesystems
    # are thread-safe, and the AWS SDK behind S3 renews expiring credentials itself
    if uri.startswith("s3://"):
        # an object smaller than a multipart part is then uploaded with one PUT, not three
        # requests (create, part, complete); still published only when complete
        uri = _with_option(uri, "allow_delayed_open", "true")
    if uri.startswith(("gs://", "gcs://")):
        # Google's client retries a failing request for up to 15 minutes, inside C++ where
        # neither Ctrl-C nor SIGTERM reaches Python: missing credentials hung a build that
        # long. Half a minute of retries per request, then the run fails with Google's reason
        uri = _with_option(uri, "retry_limit_seconds", str(GCS_RETRY_SECONDS))
    return pafs.FileSystem.from_uri(uri)


def _with_option(uri: str, name: str, value: str) -> str:
    """``uri`` with the query option ``name=value``, unless it sets ``name`` itself."""
    if f"{name}=" in uri.partition("?")[2]:
        return uri
    return f"{uri}{'&' if '?' in uri else '?'}{name}={value}"
