"""Materials: shared documents (one CV) and per-program ones (a tailored SOP) (docs/storage.md)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from gradtrack.errors import InvalidValue
from gradtrack.models import Material, Program
from gradtrack.services import refs
from gradtrack.textcheck import check_text
from gradtrack.vocab import MATERIAL_KINDS, MATERIAL_STATUSES

DEFAULT_NAMES = {
    "sop": "Statement of purpose",
    "personal_statement": "Personal statement",
    "research_statement": "Research statement",
    "cv": "CV",
    "transcripts": "Transcripts",
    "gre_scores": "GRE scores",
    "english_scores": "English test scores",
    "writing_sample": "Writing sample",
    "fee": "Application fee",
    "fee_waiver": "Fee waiver",
    "custom": "Custom task",
}


def check_kind(kind: str) -> str:
    if kind not in MATERIAL_KINDS:
        raise InvalidValue.of("material kind", kind, f"one of {', '.join(MATERIAL_KINDS)}")
    return kind


def check_status(status: str) -> str:
    if status not in MATERIAL_STATUSES:
        raise InvalidValue.of("material status", status, f"one of {', '.join(MATERIAL_STATUSES)}")
    return status


def find_material(session: Session, ref: str) -> Material:
    """A material by id (``4`` / ``m4``), or by its name or kind, without case.

    Several of one name (a tailored SOP per program): ambiguous, listed with their programs.
    """
    found = refs.by_id(session, Material, ref, "m")
    if found is not None:
        return found
    wanted = " ".join(ref.split()).casefold()
    everything = list(
        session.scalars(
            select(Material).options(selectinload(Material.program)).order_by(Material.id)
        )
    )
    named = [m for m in everything if m.name.casefold() == wanted]
    matches = named or [m for m in everything if m.kind == wanted.replace(" ", "_")]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise refs.not_found("material", ref, wanted, sorted({m.name for m in everything}))
    raise refs.ambiguous("material", ref, [_shown(m) for m in matches], len(matches))


def _shown(material: Material) -> str:
    where = material.program.slug if material.program else "shared"
    return f"m{material.id} {material.name} ({where})"


def add_material(
    session: Session, kind: str, name: str | None, program: Program | None, now: datetime
) -> Material:
    check_text("material name", name, Material.name)
    material = Material(
        kind=check_kind(kind),
        name=(name or DEFAULT_NAMES[kind]).strip(),
        program=program,
        status="todo",
        notes="",
    )
    if not material.name:
        raise InvalidValue.of("material name", name, "a non-empty name")
    session.add(material)
    session.flush()
    return material


def edit_material(
    session: Session,
    material: Material,
    *,
    name: str | None = None,
    notes: str | None = None,
    kind: str | None = None,
) -> Material:
    check_text("material name", name, Material.name)
    check_text("notes", notes, Material.notes, multiline=True)
    if name is not None:
        if not name.strip():
            raise InvalidValue.of("material name", name, "a non-empty name")
        material.name = name.strip()
    if notes is not None:
        material.notes = notes
    if kind is not None:
        material.kind = check_kind(kind)
    session.flush()
    return material


def mark_material(session: Session, material: Material, status: str, now: datetime) -> Material:
    material.status = check_status(status)
    material.status_changed_at = now
    session.flush()
    return material


def remove_material(session: Session, material: Material) -> None:
    session.delete(material)
    session.flush()
