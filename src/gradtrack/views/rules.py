"""``rules list --json`` (docs/json.md)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gradtrack.rules import Rule


def rules_doc(rules: Iterable[Rule], own: set[str], program_id: int | None) -> dict[str, Any]:
    """The rules in force; with ``program_id`` (``--program``), which are the program's own."""
    from gradtrack.rules import format_offsets

    docs = [
        {
            "key": r.key,
            "offsets": format_offsets(r.offsets),
            "latest": None if r.latest is None else format_offsets(r.latest),
            "anchors": list(r.anchors),
            "condition": r.condition,
            "enabled": r.enabled,
            "description": r.description,
            **({"program_override": r.key in own} if program_id is not None else {}),
        }
        for r in rules
    ]
    if program_id is None:
        return {"rules": docs}
    return {"program_id": program_id, "rules": docs}
