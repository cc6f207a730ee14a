"""Synthetic stores for the benchmark, built through gradtrack's own paths.

* :func:`programs_csv` writes N programs in the import format with ``csvio.format_programs_csv``
  (a mix of fixed, term and rolling intakes, some with a separate letters deadline).
* The harness imports that file with the real ``gradtrack program import``.
* :func:`add_people_and_progress` then adds, in one write transaction through the services, a
  pool of recommenders with 3 letter requests per program, a shared CV and one SOP per
  program, and marks some letters asked, some materials drafted and some milestones done.

Everything is pinned to :data:`TODAY` / :data:`NOW` (the harness exports them as
``GRADTRACK_TODAY`` / ``GRADTRACK_NOW``), so every run plans and stamps the same data.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

TODAY = "2026-09-01"
NOW = "2026-09-01T12:00:00+00:00"
RECOMMENDERS = 12
ZONES = (
    "America/New_York",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Zurich",
    "Asia/Tokyo",
    "Etc/GMT+12",  # AoE
)
DEGREES = ("phd", "ms", "mphil", "other")


def _intakes(i: int, zone: str) -> list:
    """Two intakes per program, cycling through fixed+fixed, fixed+term and rolling+fixed."""
    from gradtrack.csvio import IntakeRecord

    day = 1 + i % 28
    hour = 12 + i % 12
    shape = i % 3
    if shape == 0:
        return [
            IntakeRecord(
                row=0,
                term="Fall 2027",
                kind="fixed",
                deadline=datetime(2026, 12, day, hour, 0),
                zone=zone,
                letters_due=datetime(2027, 1, day, 23, 59) if i % 2 else None,
            ),
            IntakeRecord(
                row=0,
                term="Fall 2028",
                kind="fixed",
                deadline=datetime(2027, 12, day, hour, 0),
                zone=zone,
            ),
        ]
    if shape == 1:
        return [
            IntakeRecord(
                row=0,
                term="Fall 2027",
                kind="fixed",
                deadline=datetime(2027, 1, day, 23, 59),
                zone=zone,
            ),
            IntakeRecord(
                row=0,
                term="Spring 2028",
                kind="term",
                deadline=datetime(2027, 10, day, 17, 0),
                zone=zone,
            ),
        ]
    return [
        IntakeRecord(
            row=0,
            term="Fall 2027",
            kind="rolling",
            deadline=datetime(2027, 1, day, 23, 59),
            zone=zone,
            opens=date(2026, 10, day),
            closes=datetime(2027, 4, day, 23, 59),
        ),
        IntakeRecord(
            row=0,
            term="Fall 2028",
            kind="fixed",
            deadline=datetime(2027, 12, day, 23, 59),
            zone=zone,
        ),
    ]


def programs_csv(n: int) -> bytes:
    """N synthetic programs (2 intakes each) as the import CSV."""
    from gradtrack.csvio import ProgramRecord, format_programs_csv

    records = []
    for i in range(n):
        zone = ZONES[i % len(ZONES)]
        records.append(
            ProgramRecord(
                institution=f"University {i // 4:05d}",
                program=f"Program {i:05d} in Computational Things",
                degree=DEGREES[i % len(DEGREES)],
                field="Computer Science" if i % 2 else "Statistics",
                url=f"https://example.edu/u{i // 4}/p{i}",
                source_url=f"https://example.edu/u{i // 4}/p{i}/admissions",
                verified=date(2026, 8, 1 + i % 28),
                fee=Decimal(50 + i % 100) if i % 5 else None,
                currency="USD" if i % 5 else "",
                letters=3,
                gre=("optional", "required", "not-accepted")[i % 3],
                english_test="TOEFL/IELTS" if i % 2 else "",
                status="preparing" if i % 4 == 0 else "researching",
                notes=f"synthetic program {i}; priority date, funding, and a comma",
                intakes=_intakes(i, zone),
            )
        )
    return format_programs_csv(records)


def add_people_and_progress(url: str) -> dict[str, int]:
    """Recommenders, letters, materials and done marks, in one write transaction."""
    from sqlalchemy import select

    from gradtrack.app import App
    from gradtrack.models import DoneMark, Program
    from gradtrack.services import materials, people, planinput, planning
    from gradtrack.services.people import RecommenderFields

    app = App(db=url)
    counts = {"recommenders": 0, "letters": 0, "materials": 0, "done": 0}
    try:
        now = app.clock()
        with app.write() as session:
            pool = [
                people.add_recommender(
                    session,
                    RecommenderFields(
                        name=f"Professor {chr(65 + r)}. Writer{r:02d}",
                        email=f"writer{r}@example.edu",
                        zone=ZONES[r % len(ZONES)],
                    ),
                    "America/New_York",
                )
                for r in range(RECOMMENDERS)
            ]
            counts["recommenders"] = len(pool)
            cv = materials.add_material(session, "cv", None, None, now)
            materials.mark_material(session, cv, "final", now)
            programs = list(session.scalars(select(Program).order_by(Program.id)))
            for i, program in enumerate(programs):
                for k in range(3):
                    letter = people.request_letter(session, pool[(i + k) % RECOMMENDERS], program)
                    if i % 5 == 0:
                        people.mark_letter(session, letter, "asked", now)
                    counts["letters"] += 1
                sop = materials.add_material(session, "sop", None, program, now)
                if i % 4 == 0:
                    materials.mark_material(session, sop, "draft", now)
                counts["materials"] += 1
            counts["materials"] += 1
            built = planinput.build(session, app.now(), app.settings)
            candidates = [
                m
                for m in built.milestones
                if m.status != "done" and m.key not in planning.LETTER_STAGES
            ]
            for m in candidates[:: max(1, len(candidates) // max(1, len(programs) // 2))]:
                session.add(DoneMark(milestone_id=m.id))
                counts["done"] += 1
    finally:
        app.close()
    return counts
