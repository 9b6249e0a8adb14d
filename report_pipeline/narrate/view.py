"""What the templates need of a model's ``narration``: the model-written text per section.

Pure and cheap (no ``openai``): the renderer calls it for every report, narrated or not.
A section's text is returned only when the fact lock passed it (``by == "model"``);
everything else renders the deterministic text.
"""

from __future__ import annotations

from report_pipeline.narrate.facts import suggestion_keys

MARK = "✎"


def narrated_view(model: dict, language: str) -> dict:
    """``{"summary", "themes", "highlights", "suggestions", "written", "kept", "model"}`` for one language."""
    narration = model.get("narration") or {}
    record = (narration.get("languages") or {}).get(language) or {}
    sections = record.get("sections") or {}

    def text(key: str) -> str | None:
        section = sections.get(key) or {}
        return section.get("text") if section.get("by") == "model" and isinstance(section.get("text"), str) else None

    suggestions = model.get("suggestions") or []
    keys = suggestion_keys(suggestions)
    written: list[dict] = []
    kept: list[dict] = []
    view = {
        "summary": text("summary"),
        "themes": {th.get("name"): t for th in model.get("themes") or [] if (t := text(f"theme:{th.get('name')}"))},
        "highlights": {h["number"]: t for h in model.get("highlights") or [] if (t := text(f"highlight:{h['number']}"))},
        "suggestions": [text(f"suggestion:{k}") for k in keys],
        "model": narration.get("model"),
        "written": written, "kept": kept,
    }
    index = {f"suggestion:{k}": i + 1 for i, k in enumerate(keys)}
    for key, section in sections.items():
        kind, _, name = key.partition(":")
        label = {"kind": kind, "name": name, "index": index.get(key)}
        (written if section.get("by") == "model" else kept).append(label)
    return view
