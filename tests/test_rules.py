"""Rules: offsets parse and print exactly; defaults match docs/planner.md."""

from __future__ import annotations

import pytest

from gradtrack.errors import InvalidValue
from gradtrack.rules import (
    DEFAULT_RULES,
    RULE_KEYS,
    Offset,
    default_rule,
    format_offsets,
    parse_offsets,
    with_latest,
    with_offsets,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("35d", (Offset(35, "d"),)),
        ("15wd", (Offset(15, "wd"),)),
        ("14d,7d,3d", (Offset(14, "d"), Offset(7, "d"), Offset(3, "d"))),
        ("0d", (Offset(0, "d"),)),
        ("3650d", (Offset(3650, "d"),)),
        (" 14d, 7d ", (Offset(14, "d"), Offset(7, "d"))),
        ("10WD", (Offset(10, "wd"),)),
        ("3d,3wd", (Offset(3, "d"), Offset(3, "wd"))),
    ],
)
def test_parse_offsets_accepts(text: str, expected: tuple[Offset, ...]) -> None:
    assert parse_offsets(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "d",
        "35",
        "-3d",
        "+3d",
        "14d,,7d",
        "14d,",
        ",7d",
        "3 d",
        "3h",
        "1.5d",
        "3dw",
        "3d;7d",
    ],
)
def test_parse_offsets_rejects_naming_text(text: str) -> None:
    with pytest.raises(InvalidValue) as err:
        parse_offsets(text)
    assert str(err.value) == (f"invalid offset {text!r} (expected e.g. 42d, 15wd or 14d,7d,3d)")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3651d", "at most 3650 days or working days"),
        ("99999d", "at most 3650 days or working days"),
        ("14d,99999999999d", "e.g. 42d, 15wd or 14d,7d,3d"),
        ("7d,7d", "each offset once (7d is repeated)"),
    ],
)
def test_parse_offsets_says_the_limit(text: str, expected: str) -> None:
    with pytest.raises(InvalidValue) as err:
        parse_offsets(text)
    assert str(err.value) == f"invalid offset {text!r} (expected {expected})"


def test_offset_str_and_format_round_trip() -> None:
    assert str(Offset(42, "d")) == "42d"
    assert str(Offset(15, "wd")) == "15wd"
    offsets = parse_offsets("14d,7d,3d")
    assert format_offsets(offsets) == "14d,7d,3d"
    assert parse_offsets(format_offsets(offsets)) == offsets


def test_default_rules_match_spec_table() -> None:
    table = {
        r.key: (
            format_offsets(r.offsets),
            None if r.latest is None else format_offsets(r.latest),
            r.anchors,
            r.condition,
        )
        for r in DEFAULT_RULES
    }
    # (ideal lead, latest lead, anchors, condition): docs/planner.md's table.
    assert table == {
        "submit": ("3d", "0d", ("deadline",), None),
        "letters.ask": ("42d", "14d", ("letters_due",), None),
        "letters.packet": ("35d", "14d", ("letters_due",), None),
        "letters.remind": ("14d,7d,3d", None, ("letters_due",), "letter_not_submitted"),
        "cv.ready": ("7d,10d", "0d,3d", ("milestone:letters.ask", "deadline"), None),
        "sop.draft": ("49d,7d", "7d,0d", ("deadline", "milestone:letters.packet"), None),
        "sop.final": ("10d", "1d", ("deadline",), None),
        "scores.send": ("21d", "10d", ("scores_due",), "wants_scores"),
        "transcripts.request": ("15wd", "5wd", ("deadline",), None),
        "fee.waiver": ("21d", "14d", ("deadline",), "waiver_planned"),
        "requirements.check": ("60d", "3d", ("deadline",), "requirements_unknown"),
        "decision.reply": ("", None, (), None),
        # No latest date in the rule: a follow-up is due until done; a decline's latest date
        # is the other offer's reply-by date (docs/people.md).
        "outreach.followup": ("14d,28d", None, ("last_message",), None),
        "decline.others": ("2d", None, ("accepted",), None),
    }
    assert default_rule("letters.remind").lapses
    assert frozenset(table) == RULE_KEYS
    assert all(r.enabled for r in DEFAULT_RULES)


def test_default_rule_unknown_key_lists_known() -> None:
    assert default_rule("submit").key == "submit"
    with pytest.raises(InvalidValue) as err:
        default_rule("letters.nag")
    assert "'letters.nag'" in str(err.value)
    assert "letters.ask" in str(err.value) and "decision.reply" in str(err.value)


def test_pairs() -> None:
    sop = default_rule("sop.draft")
    assert sop.pairs() == (
        (Offset(49, "d"), "deadline"),
        (Offset(7, "d"), "milestone:letters.packet"),
    )
    one = with_offsets(sop, (Offset(60, "d"),))
    assert one.pairs() == (
        (Offset(60, "d"), "deadline"),
        (Offset(60, "d"), "milestone:letters.packet"),
    )


def test_with_offsets_checks_count() -> None:
    assert with_offsets(default_rule("submit"), parse_offsets("5d")).offsets == (Offset(5, "d"),)
    remind = with_offsets(default_rule("letters.remind"), parse_offsets("10d,2d"))
    assert remind.offsets == (Offset(10, "d"), Offset(2, "d"))
    with pytest.raises(InvalidValue, match="'submit' takes 1 offset"):
        with_offsets(default_rule("submit"), parse_offsets("5d,2d"))
    with pytest.raises(InvalidValue, match=r"'sop\.draft' takes 1 or 2 offsets"):
        with_offsets(default_rule("sop.draft"), parse_offsets("5d,2d,1d"))
    with pytest.raises(InvalidValue, match=r"'decision\.reply' takes no offsets"):
        with_offsets(default_rule("decision.reply"), parse_offsets("5d"))


def test_with_no_offsets_for_decision_reply_is_the_rule() -> None:
    assert with_offsets(default_rule("decision.reply"), ()) == default_rule("decision.reply")


def test_with_latest_checks_rule_count_and_order() -> None:
    ask = with_latest(default_rule("letters.ask"), parse_offsets("10d"))
    assert ask.latest == (Offset(10, "d"),)
    with pytest.raises(InvalidValue, match=r"'letters\.remind' has no latest date"):
        with_latest(default_rule("letters.remind"), parse_offsets("1d"))
    with pytest.raises(InvalidValue, match=r"latest offset '50d' of rule 'letters\.ask' is longer"):
        with_latest(default_rule("letters.ask"), parse_offsets("50d"))
    with pytest.raises(InvalidValue, match="'submit' takes 1 latest offset"):
        with_latest(default_rule("submit"), parse_offsets("1d,0d"))
