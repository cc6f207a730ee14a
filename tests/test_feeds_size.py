"""A feed's size grows linearly with the store: no event's text grows with the programs.

The first export of a 10,000-program store was quadratic (docs/benchmarks.md): a batched
step's title lists every program, and every milestone anchored on it quoted that title, so
both the number of such events and their size grew with the store. These tests count, they
do not time: events and bytes per program stay the same from 28 to 168 programs.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gradtrack import feeds
from gradtrack.planner import (
    IntakeIn,
    LetterIn,
    MaterialIn,
    PlanInput,
    PlanSettings,
    ProgramIn,
    RecommenderIn,
    build_plan,
)
from gradtrack.rules import DEFAULT_RULES
from gradtrack.services.feeds import content

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)
ZONE = "America/New_York"
SIZES = (28, 84, 168)  # whole cycles of the deadlines' 28 days
SMALL = 10  # a batch small enough to name every program


def _name(k: int) -> str:
    # Every third name holds ", " (the planner joins a batch's names with ", " too).
    place = "University of California, Berkeley" if k % 3 == 0 else f"University {k:04d}"
    return f"{place} — Program {k:04d} in Computational Things (PhD)"


def _steps(values: list[int]) -> list[float]:
    """The increment per program between each two of :data:`SIZES`."""
    pairs = zip(values, values[1:], SIZES, SIZES[1:], strict=False)
    return [(b - a) / (m - n) for a, b, n, m in pairs]


def _feed(n: int) -> tuple[tuple[feeds.FeedEvent, ...], bytes]:
    programs = tuple(
        ProgramIn(
            k,
            _name(k),
            "preparing",
            target_intake_id=k,
            intakes=(
                IntakeIn(
                    k, k, "Fall 2027", "fixed", datetime(2026, 12, 1 + k % 28, 17, tzinfo=UTC), ZONE
                ),
            ),
        )
        for k in range(1, n + 1)
    )
    recommenders = (RecommenderIn(1, "Ada Lovelace", ZONE), RecommenderIn(2, "Alan Turing", ZONE))
    letters = tuple(
        LetterIn(10 * p.id + r.id, r.id, p.id, "planned") for p in programs for r in recommenders
    )
    sops = (MaterialIn(100 + p.id, "sop", "Statement of purpose", p.id, "todo") for p in programs)
    materials = (MaterialIn(1, "cv", "CV", None, "todo"), *sops)
    inp = PlanInput(
        PlanSettings(ZONE),
        DEFAULT_RULES,
        programs,
        recommenders=recommenders,
        letters=letters,
        materials=materials,
        now=NOW,
        as_stored=True,
    )
    short = {p.id: f"U{p.id:04d}" for p in programs}
    events = content.plan_events(inp, build_plan(inp), short, {})
    uids = feeds.event_uids("applicant", events)
    states = feeds.reconcile("applicant", events, {}, NOW, uids=uids)
    return events, feeds.render_calendar("t", "applicant", events, states, uids=uids)


@pytest.fixture(scope="module")
def sized() -> dict[int, tuple[tuple[feeds.FeedEvent, ...], bytes]]:
    return {n: _feed(n) for n in (SMALL, *SIZES)}


def _ask(events: tuple[feeds.FeedEvent, ...]) -> feeds.FeedEvent:
    return next(e for e in events if e.key == "letters.ask:r1:2027")


def test_events_and_bytes_per_program_do_not_grow(sized: dict) -> None:
    # Events and bytes are a·n + b: the same increment per program between every two sizes.
    counts = [len(sized[n][0]) for n in SIZES]
    step = _steps(counts)
    assert step[0] == step[1], counts
    sizes = [len(sized[n][1]) for n in SIZES]
    step = _steps(sizes)
    assert step[1] / step[0] < 1.03, sizes
    longest = [max(len(e.description) for e in sized[n][0]) for n in SIZES]
    assert longest[-1] <= longest[0] + 10, longest  # a few more digits, nothing more


def test_a_large_batch_is_counted_and_says_how_to_list_it(sized: dict) -> None:
    for n in SIZES:
        ask = _ask(sized[n][0])
        assert n > content.LISTED_PROGRAMS
        assert ask.summary == f"Ask Ada Lovelace for letters ({n} programs)"
        lines = ask.description.splitlines()
        assert lines[0] == f"All {n} programs: gradtrack letter list --recommender r1"
        assert "Computational Things" not in lines[0]
        assert lines[-1] == "When it is done: gradtrack done letters.ask:r1:2027"


def test_a_small_batch_names_every_program_in_full(sized: dict) -> None:
    n = SMALL
    assert n <= content.LISTED_PROGRAMS
    ask = _ask(sized[n][0])
    assert ask.summary == f"Ask Ada Lovelace for letters ({n} programs)"
    for k in range(1, n + 1):
        assert _name(k) in ask.description


def test_a_step_anchored_on_a_batch_quotes_it_counted(sized: dict) -> None:
    for n in (SMALL, *SIZES):
        quoting = [e for e in sized[n][0] if "“Ask Ada Lovelace for letters" in e.description]
        assert quoting
        for ev in quoting:
            assert f"“Ask Ada Lovelace for letters ({n} programs)” on " in ev.description
