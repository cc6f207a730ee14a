# ruff: noqa: E501  (whole expected outputs are wider than code)
"""``gradtrack letter packet``: what a recommender is sent (docs/status.md).

Due times are converted into the recommender's zone: Alpha's 2026-12-01 23:59 AoE is
2026-12-02 11:59 UTC, so 11:59 in London (GMT in December) and 20:59 in Tokyo (UTC+9); Bay's
letters deadline 2026-12-08 17:00 Los Angeles (UTC−8) is 2026-12-09 01:00 UTC. The soft date is
the due date's local date in the *recommender's* zone minus 14 days (Alpha: 2026-12-02 − 14 =
Wed 2026-11-18; Bay: 2026-12-09 − 14 = Wed 2026-11-25 in London and Tokyo); "please submit
by" is the soft date while it is ahead, else the due date itself (with its time: "by Wednesday"
would read as all of Wednesday), never a past day. On
2026-11-30 both soft dates have passed, so Ada is asked for 12-02 and 12-09; Coast's soft date
(2027-01-11 in Tokyo − 14 = Mon 2026-12-28) is still ahead. Ada's Alpha letter was marked
submitted at the pinned clock, 2026-11-28 12:00 UTC.
"""

from __future__ import annotations

from support import Run, build_status_scenario

ADA_MD = """\
# Letters of recommendation: Ada Lovelace

Times are in your time zone, Europe/London. 'Please submit by' leaves two weeks before the real deadline where there is still time, else it is the deadline itself.

## Alpha University — Computer Science (PhD), Fall 2027

- **Please submit by:** Wed 2026-12-02 11:59 Europe/London (the deadline itself)
- **Due:** Wed 2026-12-02 11:59 Europe/London (the program states 2026-12-01 23:59 AoE)
- **How to submit:** the program will e-mail you a link; its page: https://apply.alpha.example/grad
- **Your letter:** submitted on Sat 2026-11-28, thank you

## Bay University — EECS (PhD), Fall 2027

- **Please submit by:** Wed 2026-12-09 01:00 Europe/London (the deadline itself)
- **Due:** Wed 2026-12-09 01:00 Europe/London (the program states 2026-12-08 17:00 America/Los_Angeles)
- **How to submit:** the program will e-mail you a link
- **Your letter:** not submitted yet
"""

GRACE_TEXT = """\
Letters of recommendation: Grace Hopper

Times are in your time zone, Asia/Tokyo. 'Please submit by' leaves two weeks before the real deadline where there is still time, else it is the deadline itself.

Alpha University — Computer Science (PhD), Fall 2027
  Please submit by  Wed 2026-12-02 20:59 Asia/Tokyo (the deadline itself)
  Due               Wed 2026-12-02 20:59 Asia/Tokyo (the program states 2026-12-01 23:59 AoE)
  How to submit     the program will e-mail you a link; its page: https://apply.alpha.example/grad
  Your letter       not submitted yet

Bay University — EECS (PhD), Fall 2027
  Please submit by  Wed 2026-12-09 10:00 Asia/Tokyo (the deadline itself)
  Due               Wed 2026-12-09 10:00 Asia/Tokyo (the program states 2026-12-08 17:00 America/Los_Angeles)
  How to submit     the program will e-mail you a link
  Your letter       not submitted yet

Coast Tech — Data Science (MS), Fall 2027
  Please submit by  Mon 2026-12-28
  Due               Mon 2027-01-11 16:59 Asia/Tokyo (the program states 2027-01-10 23:59 America/Los_Angeles)
  How to submit     the program will e-mail you a link
  Your letter       not submitted yet
"""

PRIVATE = ("secret note", "120", "USD", "90.00", "priority", "fee", "@")


def test_packets_in_two_recommender_zones(gt: Run) -> None:
    build_status_scenario(gt)
    ada = gt("letter", "packet", "Ada", today="2026-11-30")
    assert (ada.exit_code, ada.output) == (0, ADA_MD)
    grace = gt("letter", "packet", "grace", "--format", "text", today="2026-11-30")
    assert (grace.exit_code, grace.output) == (0, GRACE_TEXT)
    # Nothing else of the applicant's: no other recommender, no other program, no private data.
    assert "Grace" not in ada.output and "Coast" not in ada.output
    assert "Ada" not in grace.output
    for secret in PRIVATE:
        assert secret not in ada.output.lower() and secret not in grace.output.lower()
    # A month earlier the soft dates are ahead: the soft dates, in the recommender's zone.
    early = gt("letter", "packet", "Ada", today="2026-11-01").output
    assert "two weeks before the real deadline.\n" in early  # no "where there is still time"
    assert "- **Please submit by:** Wed 2026-11-18\n" in early
    assert "- **Please submit by:** Wed 2026-11-25\n" in early


def test_packet_leaves_out_declined_letters_and_closed_programs(gt: Run) -> None:
    build_status_scenario(gt)
    gt("letter", "mark", "grace", "coast", "declined")
    gt("program", "mark", "bay", "withdrawn")
    result = gt("letter", "packet", "grace", "--format", "text", today="2026-11-30")
    assert result.exit_code == 0
    assert "Coast" not in result.output and "Bay" not in result.output
    assert "Alpha University — Computer Science (PhD), Fall 2027" in result.output


def test_packet_with_nothing_to_write(gt: Run) -> None:
    gt("recommender", "add", "Ada Lovelace", "--timezone", "Europe/London")
    result = gt("letter", "packet", "ada")
    assert result.exit_code == 0
    assert (
        result.output == "# Letters of recommendation: Ada Lovelace\n\nNothing to write for now.\n"
    )


def test_packet_unknown_recommender_and_bad_format(gt: Run) -> None:
    missing = gt("letter", "packet", "nobody")
    assert missing.exit_code == 1
    assert "no recommender matches 'nobody'" in missing.output
    bad = gt("letter", "packet", "nobody", "--format", "pdf")
    assert bad.exit_code == 2
