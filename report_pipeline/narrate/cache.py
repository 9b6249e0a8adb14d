"""Answers kept in the warehouse, keyed by model, prompt version, language and fact-sheet hash.

A rebuild or a backfill of an unchanged week re-asks nothing. Only answers that parsed are
kept (a section that then fails the lock is failed again, at no cost, on every rebuild);
transport failures and malformed answers are not, so a later run asks again. The warehouse
may be a local path or object storage (``s3://...``), as for the IO manager.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import uuid

import pyarrow.fs as pafs

from report_pipeline.publish import filesystem_for

FOLDER = "narrator_answers"


def cache_key(model: str, prompt_version: str, language: str, sheet_digest: str) -> str:
    """The cache key of one answer."""
    return hashlib.sha256(f"{model}\n{prompt_version}\n{language}\n{sheet_digest}".encode()).hexdigest()


class AnswerCache:
    """One JSON file per answer under ``<warehouse>/narrator_answers/``."""

    def __init__(self, base_path: str):
        self.base_path = base_path

    def _fs(self) -> tuple[pafs.FileSystem, str]:
        return filesystem_for(self.base_path)

    def _path(self, key: str) -> tuple[pafs.FileSystem, str]:
        fs, root = self._fs()
        return fs, f"{root}/{FOLDER}/{key[:2]}/{key}.json"

    def get(self, key: str) -> str | None:
        """The cached answer text, or None."""
        try:
            fs, path = self._path(key)
            with fs.open_input_stream(path) as fh:
                return json.loads(fh.read().decode("utf-8"))["content"]
        except (OSError, ValueError, KeyError, TypeError):
            return None  # absent or unreadable: ask again

    def put(self, key: str, content: str, model: str, prompt_version: str, language: str) -> None:
        """Keep an answer; written to a temporary name and renamed, so readers never see half of it."""
        fs, path = self._path(key)
        record = {"model": model, "prompt_version": prompt_version, "language": language, "content": content,
                  "stored_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        data = json.dumps(record, ensure_ascii=False).encode("utf-8")
        fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
        if isinstance(fs, pafs.LocalFileSystem):
            tmp = f"{path}.{uuid.uuid4().hex}.tmp"
            try:
                with open(tmp, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, path)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        else:
            with fs.open_output_stream(path) as out:  # object stores publish on completion
                out.write(data)
