"""Milestone rules (docs/planner.md): offsets, anchors and the shipped defaults.

Pure data and parsing, shared by the planner and the CLI's ``rules`` commands.  How a rule turns
into dates is the planner's business (:mod:`gradtrack.planner`); docs/planner.md has the table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from gradtrack.errors import InvalidValue

DAYS = "d"
WORKING_DAYS = "wd"
MAX_OFFSET = 3650

ANCHOR_DEADLINE = "deadline"
ANCHOR_LETTERS_DUE = "letters_due"
ANCHOR_SCORES_DUE = "scores_due"
ANCHOR_FUNDING_DUE = "funding_due"
ANCHOR_LAST_MESSAGE = "last_message"
ANCHOR_ACCEPTED = "accepted"
MILESTONE_ANCHOR_PREFIX = "milestone:"

CONDITION_LETTER_NOT_SUBMITTED = "letter_not_submitted"
CONDITION_WANTS_SCORES = "wants_scores"
CONDITION_WAIVER_PLANNED = "waiver_planned"
CONDITION_REQUIREMENTS_UNKNOWN = "requirements_unknown"

_PART = re.compile(r"^(\d{1,9})(d|wd)$")  # above MAX_OFFSET: refused, saying the limit


class Offset(NamedTuple):
    """``amount`` calendar days (``d``) or working days (``wd``) before an anchor."""

    amount: int
    unit: str

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"


def _bad_offsets(text: str) -> InvalidValue:
    return InvalidValue.of("offset", text, "e.g. 42d, 15wd or 14d,7d,3d")


def parse_offsets(text: str) -> tuple[Offset, ...]:
    """``"35d"``, ``"15wd"``, ``"14d,7d,3d"`` → offsets, in the order given.

    Spaces around parts and upper-case units are accepted; empty parts, signs, amounts above
    3650 and duplicates are not (:class:`InvalidValue` naming the whole text).
    """
    if not isinstance(text, str) or not text.strip():
        raise _bad_offsets(text)
    offsets: list[Offset] = []
    for part in text.split(","):
        m = _PART.match(part.strip().lower())
        if m is None:
            raise _bad_offsets(text)
        offset = Offset(int(m[1]), m[2])
        if offset.amount > MAX_OFFSET:
            raise InvalidValue.of("offset", text, f"at most {MAX_OFFSET} days or working days")
        if offset in offsets:
            raise InvalidValue.of("offset", text, f"each offset once ({offset} is repeated)")
        offsets.append(offset)
    return tuple(offsets)


def format_offsets(offsets: Iterable[Offset]) -> str:
    """Offsets as ``parse_offsets`` reads them: ``"14d,7d,3d"``."""
    return ",".join(str(o) for o in offsets)


class Rule(NamedTuple):
    """One milestone rule.

    ``anchors``: several anchors → the earliest resulting date wins.  Offsets pair with anchors
    by position when there are as many of each (``sop.draft``: 49d before the deadline, 7d before
    the packet); a single offset applies to every anchor.  ``each_offset`` rules (only
    ``letters.remind`` by default) instead make one milestone per offset.  ``after`` rules
    (``outreach.followup``, ``decline.others``) count their offsets *after* the anchor.
    """

    key: str
    offsets: tuple[Offset, ...]
    anchors: tuple[str, ...]
    condition: str | None = None
    enabled: bool = True
    description: str = ""
    each_offset: bool = False
    scope: str = "program"
    # The latest (shortest) lead: the last date that still makes the anchor.  ``None``: the
    # rule has no latest date (due until done, never missed).
    latest: tuple[Offset, ...] | None = None
    # A passed date drops the milestone instead of making it late (letters.remind).
    lapses: bool = False
    after: bool = False

    def pairs(self) -> tuple[tuple[Offset, str], ...]:
        """The (offset, anchor) combinations whose earliest date is the milestone's date."""
        return _pair(self.offsets, self.anchors)

    def latest_pairs(self) -> tuple[tuple[Offset, str], ...] | None:
        """Like :meth:`pairs` for the latest lead; ``None`` when the rule has none."""
        return None if self.latest is None else _pair(self.latest, self.anchors)


def _pair(offsets: tuple[Offset, ...], anchors: tuple[str, ...]) -> tuple[tuple[Offset, str], ...]:
    if len(offsets) == len(anchors):
        return tuple(zip(offsets, anchors, strict=True))
    return tuple((o, a) for a in anchors for o in offsets)


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(
        "submit",
        (Offset(3, DAYS),),
        (ANCHOR_DEADLINE,),
        description="3 days before the deadline",
        latest=(Offset(0, DAYS),),
    ),
    Rule(
        "letters.ask",
        (Offset(42, DAYS),),
        (ANCHOR_LETTERS_DUE,),
        description="42 days before the letters' due date (or the deadline)",
        scope="recommender",
        latest=(Offset(14, DAYS),),
    ),
    Rule(
        "letters.packet",
        (Offset(35, DAYS),),
        (ANCHOR_LETTERS_DUE,),
        description="35 days before (send CV, SOP draft, program list)",
        scope="recommender",
        latest=(Offset(14, DAYS),),
    ),
    Rule(
        "letters.remind",
        (Offset(14, DAYS), Offset(7, DAYS), Offset(3, DAYS)),
        (ANCHOR_LETTERS_DUE,),
        condition=CONDITION_LETTER_NOT_SUBMITTED,
        description="14, 7 and 3 days before, only after the letter was asked",
        each_offset=True,
        scope="letter",
        lapses=True,
    ),
    Rule(
        "cv.ready",
        (Offset(7, DAYS), Offset(10, DAYS)),
        ("milestone:letters.ask", ANCHOR_DEADLINE),
        description="7 days before the earliest letters.ask; with no letters, 10 days before",
        scope="material",
        latest=(Offset(0, DAYS), Offset(3, DAYS)),
    ),
    Rule(
        "sop.draft",
        (Offset(49, DAYS), Offset(7, DAYS)),
        (ANCHOR_DEADLINE, "milestone:letters.packet"),
        description="49 days before, and no later than 7 days before the earliest letters.packet",
        scope="material",
        latest=(Offset(7, DAYS), Offset(0, DAYS)),
    ),
    Rule(
        "sop.final",
        (Offset(10, DAYS),),
        (ANCHOR_DEADLINE,),
        description="10 days before",
        scope="material",
        latest=(Offset(1, DAYS),),
    ),
    Rule(
        "scores.send",
        (Offset(21, DAYS),),
        (ANCHOR_SCORES_DUE,),
        condition=CONDITION_WANTS_SCORES,
        description="21 days before, only if the program wants scores",
        latest=(Offset(10, DAYS),),
    ),
    Rule(
        "transcripts.request",
        (Offset(15, WORKING_DAYS),),
        (ANCHOR_DEADLINE,),
        description="15 working days before",
        latest=(Offset(5, WORKING_DAYS),),
    ),
    Rule(
        "fee.waiver",
        (Offset(21, DAYS),),
        (ANCHOR_DEADLINE,),
        condition=CONDITION_WAIVER_PLANNED,
        description="21 days before, only if a waiver is planned",
        latest=(Offset(14, DAYS),),
    ),
    Rule(
        "requirements.check",
        (Offset(60, DAYS),),
        (ANCHOR_DEADLINE,),
        latest=(Offset(3, DAYS),),
        condition=CONDITION_REQUIREMENTS_UNKNOWN,
        description="60 days before, only while a requirement is unknown or the data unverified",
    ),
    Rule(
        "decision.reply",
        (),
        (),
        description="April 15 of the entry year for funded Fall offers, else the offer's date",
    ),
    Rule(
        "outreach.followup",
        (Offset(14, DAYS), Offset(28, DAYS)),
        (ANCHOR_LAST_MESSAGE,),
        description="14 and 28 days after a message with no reply (one follow-up per offset)",
        each_offset=True,
        scope="person",
        after=True,
    ),
    Rule(
        "decline.others",
        (Offset(2, DAYS),),
        (ANCHOR_ACCEPTED,),
        description="2 days after accepting an offer, for every other open offer",
        scope="offer",
        after=True,
    ),
)

RULE_KEYS: frozenset[str] = frozenset(r.key for r in DEFAULT_RULES)
_DEFAULTS = {r.key: r for r in DEFAULT_RULES}


def default_rule(key: str) -> Rule:
    """The shipped rule for ``key``; :class:`InvalidValue` naming an unknown key."""
    try:
        return _DEFAULTS[key]
    except KeyError:
        known = ", ".join(r.key for r in DEFAULT_RULES)
        raise InvalidValue(f"unknown rule {key!r} (known rules: {known})") from None


def _checked(rule: Rule, offsets: tuple[Offset, ...], text: str, what: str) -> tuple[Offset, ...]:
    """``offsets`` if their number fits ``rule``'s anchors, else :class:`InvalidValue`.

    A rule with several anchors takes one offset (for all of them) or one per anchor; other
    rules take one offset unless they repeat per offset.
    """
    if not rule.anchors:
        raise InvalidValue(f"rule {rule.key!r} takes no {what}s (got {text!r})")
    if not offsets:
        raise _bad_offsets(text)
    if rule.each_offset:
        return offsets
    allowed = {1, len(rule.anchors)}
    if len(offsets) not in allowed:
        want = " or ".join(str(n) for n in sorted(allowed))
        plural = "s" if max(allowed) > 1 else ""
        raise InvalidValue(f"rule {rule.key!r} takes {want} {what}{plural} (got {text!r})")
    return offsets


def with_offsets(rule: Rule, offsets: tuple[Offset, ...], typed: str | None = None) -> Rule:
    """``rule`` with new ideal offsets, checked against its anchors (for ``rules set``).

    ``decision.reply`` takes no offsets.  Messages name the offsets as typed.
    """
    text = format_offsets(offsets) if typed is None else typed
    if not rule.anchors and not offsets:
        return rule
    return rule._replace(offsets=_checked(rule, offsets, text, "offset"))


def with_latest(rule: Rule, latest: tuple[Offset, ...], typed: str | None = None) -> Rule:
    """``rule`` with new latest offsets (``rules set KEY IDEAL --latest L``).

    A rule without a latest date (``letters.remind``: a passed reminder is dropped) takes
    none.  A latest lead longer than the ideal one (in the same unit) is refused: the latest
    date is never before the ideal date.
    """
    text = format_offsets(latest) if typed is None else typed
    if rule.latest is None and rule.anchors:
        why = (
            "its milestones are dropped once their day has passed"
            if rule.lapses
            else "its milestones are due until done, or until a date of their own (docs/people.md)"
        )
        raise InvalidValue(f"rule {rule.key!r} has no latest date (got --latest {text!r}): {why}")
    checked = _checked(rule, latest, text, "latest offset")
    ideal = rule.pairs()
    for (lo, _), (io, _) in zip(_pair(checked, rule.anchors), ideal, strict=False):
        if lo.unit == io.unit and lo.amount > io.amount:
            raise InvalidValue(
                f"latest offset {text!r} of rule {rule.key!r} is longer than its ideal "
                f"offset {format_offsets(rule.offsets)!r} (the latest date comes last)"
            )
    return rule._replace(latest=checked)
