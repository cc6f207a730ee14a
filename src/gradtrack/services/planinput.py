"""Reading the store for the pure planner, through Core (docs/planner.md).

:func:`plan_input` reads the store with a handful of column queries (no lazy loads, so it stays
linear at 10,000 programs) into the planner's plain records.  Everything here takes a
:data:`~gradtrack.schema.Reader`: the read commands pass a Core connection and never import the
ORM; a write passes its session, which flushes before it reads (docs/architecture.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from gradtrack import planner, schema
from gradtrack.requirements import requirements_unknown
from gradtrack.rules import (
    DEFAULT_RULES,
    Rule,
    default_rule,
    format_offsets,
    parse_offsets,
    with_latest,
    with_offsets,
)
from gradtrack.services.settings import Settings, load_settings
from gradtrack.timeutil import local_date
from gradtrack.vocab import display_name

if TYPE_CHECKING:
    from gradtrack.schema import Reader

rules_t = schema.rules
program_rules_t = schema.program_rules


def _applied(default: Rule, offsets: str | None, latest: str | None, enabled: bool) -> Rule:
    """``default`` with stored offsets / latest offsets / enabled flag (empty = the default's)."""
    rule = default
    if offsets is not None and offsets != format_offsets(default.offsets):
        rule = with_offsets(rule, parse_offsets(offsets) if offsets else ())
    if latest and (default.latest is None or latest != format_offsets(default.latest)):
        rule = with_latest(rule, parse_offsets(latest))
    return rule if enabled else rule._replace(enabled=False)


def load_rules(reader: Reader) -> tuple[Rule, ...]:
    """The shipped rules with the stored offsets, latest offsets and enabled flags applied."""
    stored = {
        row.key: row
        for row in reader.execute(
            select(rules_t.c.key, rules_t.c.offsets, rules_t.c.latest, rules_t.c.enabled)
        )
    }
    rules = []
    for default in DEFAULT_RULES:
        row = stored.get(default.key)
        if row is None:
            rules.append(default)
        else:
            rules.append(_applied(default, row.offsets, row.latest, row.enabled))
    return tuple(rules)


def program_rules(
    reader: Reader, globals_: Sequence[Rule], program_ids: set[int] | None = None
) -> dict[int, tuple[Rule, ...]]:
    """program id → its own rules (``rules set ... --program P``), built on the global ones."""
    by_key = {r.key: r for r in globals_}
    found: dict[int, list[Rule]] = defaultdict(list)
    for row in reader.execute(
        select(program_rules_t).order_by(program_rules_t.c.program_id, program_rules_t.c.key)
    ):
        if program_ids is not None and row.program_id not in program_ids:
            continue
        base = by_key.get(row.key) or default_rule(row.key)
        found[row.program_id].append(
            _applied(base._replace(enabled=True), row.offsets, row.latest, row.enabled)
        )
    return {pid: tuple(rs) for pid, rs in found.items()}


def plan_settings(settings: Settings) -> planner.PlanSettings:
    return planner.PlanSettings(
        zone=settings.zone,
        weekend_policy=settings.weekend_policy,
        holidays=frozenset(settings.holidays),
        crowding_threshold=settings.crowding_threshold,
    )


SCORE_KINDS = ("gre_scores", "english_scores")


def plan_input(
    reader: Reader,
    now: datetime,
    settings: Settings | None = None,
    *,
    program_ids: set[int] | None = None,
) -> planner.PlanInput:
    """Everything the planner needs, read with one query per table."""
    settings = settings or load_settings(reader)
    extras: dict[int, list[planner.ExtraDeadline]] = defaultdict(list)
    for intake_id, kind, at in reader.execute(
        select(
            schema.extra_deadlines.c.intake_id,
            schema.extra_deadlines.c.kind,
            schema.extra_deadlines.c.at_utc,
        ).order_by(schema.extra_deadlines.c.intake_id, schema.extra_deadlines.c.kind)
    ):
        extras[intake_id].append(planner.ExtraDeadline(kind=kind, instant=at))
    # Rows are unpacked, not read by attribute name: a Row's attribute lookup costs several
    # times a tuple unpack, and these loops run once per stored row (docs/benchmarks.md).
    intakes: dict[int, list[planner.IntakeIn]] = defaultdict(list)
    for iid, program_id, term, kind, deadline, zone, opens, closes, target_date in reader.execute(
        select(
            schema.intakes.c.id,
            schema.intakes.c.program_id,
            schema.intakes.c.term,
            schema.intakes.c.kind,
            schema.intakes.c.deadline_utc,
            schema.intakes.c.zone,
            schema.intakes.c.opens,
            schema.intakes.c.closes_utc,
            schema.intakes.c.target_date,
        ).order_by(schema.intakes.c.id)
    ):
        intakes[program_id].append(
            planner.IntakeIn(
                id=iid,
                program_id=program_id,
                term=term,
                kind=kind,
                deadline=deadline,
                zone=zone,
                opens=opens,
                closes=closes,
                target_date=target_date,
                extra=tuple(extras.get(iid, ())),
            )
        )
    materials = [
        planner.MaterialIn(id=mid, kind=kind, name=name, program_id=program_id, status=status)
        for mid, kind, name, program_id, status in reader.execute(
            select(
                schema.materials.c.id,
                schema.materials.c.kind,
                schema.materials.c.name,
                schema.materials.c.program_id,
                schema.materials.c.status,
            ).order_by(schema.materials.c.id)
        )
    ]
    rules = load_rules(reader)
    own_rules = program_rules(reader, rules, program_ids)
    accepted_on = _accepted_on(reader, settings.zone)
    scored_programs = {m.program_id for m in materials if m.kind in SCORE_KINDS}
    shared_scores = None in scored_programs
    programs = []
    for (
        pid,
        institution,
        name,
        degree,
        status,
        letters_required,
        gre,
        english_test,
        fee,
        verified,
        source_url,
        fee_waiver,
        target_intake_id,
        target_chosen,
        offer_funded,
        offer_reply_by,
    ) in reader.execute(
        select(
            schema.programs.c.id,
            schema.programs.c.institution,
            schema.programs.c.name,
            schema.programs.c.degree,
            schema.programs.c.status,
            schema.programs.c.letters_required,
            schema.programs.c.gre,
            schema.programs.c.english_test,
            schema.programs.c.fee,
            schema.programs.c.verified,
            schema.programs.c.source_url,
            schema.programs.c.fee_waiver,
            schema.programs.c.target_intake_id,
            schema.programs.c.target_chosen,
            schema.programs.c.offer_funded,
            schema.programs.c.offer_reply_by,
        ).order_by(schema.programs.c.id)
    ):
        if program_ids is not None and pid not in program_ids:
            continue
        offer = (
            planner.OfferIn(
                funded=bool(offer_funded),
                reply_by=offer_reply_by,
                accepted_on=accepted_on.get(pid) if status == "accepted" else None,
            )
            if offer_funded is not None or offer_reply_by is not None or status == "accepted"
            else None
        )
        programs.append(
            planner.ProgramIn(
                rules=own_rules.get(pid, ()),
                id=pid,
                name=display_name(institution, name, degree),
                status=status,
                letters_required=letters_required,
                requirements_unknown=requirements_unknown(
                    letters_required, gre, english_test, fee, verified, source_url
                ),
                wants_scores=gre == "required" or shared_scores or pid in scored_programs,
                fee_waiver=fee_waiver,
                target_intake_id=target_intake_id,
                target_chosen=target_chosen,
                offer=offer,
                intakes=tuple(intakes.get(pid, ())),
            )
        )
    recommenders = tuple(
        planner.RecommenderIn(id=rid, name=name, zone=zone)
        for rid, name, zone in reader.execute(
            select(
                schema.recommenders.c.id, schema.recommenders.c.name, schema.recommenders.c.zone
            ).order_by(schema.recommenders.c.id)
        )
    )
    letters = tuple(
        planner.LetterIn(id=lid, recommender_id=rid, program_id=program_id, status=status)
        for lid, rid, program_id, status in reader.execute(
            select(
                schema.letter_requests.c.id,
                schema.letter_requests.c.recommender_id,
                schema.letter_requests.c.program_id,
                schema.letter_requests.c.status,
            ).order_by(schema.letter_requests.c.id)
        )
    )
    outreach = _outreach_input(reader)
    done = frozenset(reader.scalars(select(schema.done_marks.c.milestone_id)))
    moves = {
        mid: day
        for mid, day in reader.execute(
            select(schema.level_moves.c.milestone_id, schema.level_moves.c.day)
        )
    }
    return planner.PlanInput(
        settings=plan_settings(settings),
        rules=rules,
        programs=tuple(programs),
        recommenders=recommenders,
        letters=letters,
        materials=tuple(materials),
        done=done,
        moves=moves,
        outreach=outreach,
        now=now,
    )


def _accepted_on(reader: Reader, zone: str) -> dict[int, date]:
    """program id → the applicant's date of its last change to ``accepted``."""
    found: dict[int, date] = {}
    for pid, at in reader.execute(
        select(schema.status_changes.c.program_id, schema.status_changes.c.changed_at)
        .where(schema.status_changes.c.status == "accepted")
        .order_by(schema.status_changes.c.changed_at, schema.status_changes.c.id)
    ):
        found[pid] = local_date(at, zone)
    return found


def _outreach_input(reader: Reader) -> tuple[planner.OutreachIn, ...]:
    steps: dict[int, list[planner.OutreachStep]] = defaultdict(list)
    for pid, kind, on, via in reader.execute(
        select(
            schema.outreach_events.c.person_id,
            schema.outreach_events.c.kind,
            schema.outreach_events.c.on,
            schema.outreach_events.c.via,
        ).order_by(
            schema.outreach_events.c.person_id,
            schema.outreach_events.c.on,
            schema.outreach_events.c.id,
        )
    ):
        steps[pid].append(planner.OutreachStep(kind=kind, on=on, via=via))
    if not steps:
        return ()
    names = {
        pid: name
        for pid, name in reader.execute(
            select(schema.recommenders.c.id, schema.recommenders.c.name).where(
                schema.recommenders.c.id.in_(list(steps))
            )
        )
    }
    return tuple(
        planner.OutreachIn(person_id=pid, name=names[pid], steps=tuple(found))
        for pid, found in sorted(steps.items())
    )


def build(reader: Reader, now: datetime, settings: Settings | None = None) -> planner.Plan:
    return planner.build_plan(plan_input(reader, now, settings))
