"""``catalog search --json`` (docs/json.md); an entry's own document is
:func:`gradtrack.catalog.entry_doc`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any


def search_doc(today: date, hits: Sequence[Any]) -> dict[str, Any]:
    return {"today": today.isoformat(), "entries": [hit_doc(h) for h in hits]}


def hit_doc(hit: Any) -> dict[str, Any]:
    from gradtrack.catalog import entry_doc

    doc = entry_doc(hit.entry)
    nxt = hit.next_intake
    doc["next_intake"] = None if nxt is None else {"term": nxt.term, "kind": nxt.kind}
    doc["earliest_feasible"] = (
        None
        if hit.earliest is None
        else {
            "term": hit.earliest.term,
            "earliest_completion": hit.earliest_completion.isoformat()
            if hit.earliest_completion
            else None,
        }
    )
    return doc
