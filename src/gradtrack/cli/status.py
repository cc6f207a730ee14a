"""``gradtrack status`` and ``gradtrack digest`` (docs/status.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from gradtrack.app import App
from gradtrack.cli.base import PlanCommand, pass_app
from gradtrack.cli.options import json_option, program_option, within_option
from gradtrack.cli.output import (
    STATUS_COLOURS,
    Ref,
    View,
    crowded_lines,
    cut,
    emit,
    short_ref,
    summary_text,
    table,
    terminal,
    wide_option,
    zone_note_text,
)
from gradtrack.textcheck import visible
from gradtrack.vocab import PRE_SUBMISSION

if TYPE_CHECKING:
    from gradtrack.planner import Milestone
    from gradtrack.services.report import (
        Countdown,
        ProgramLine,
        StatusReport,
        Timed,
    )

OVERDUE_EXIT = 3  # digest: something is overdue (1 and 2 are click's errors)
INDENT = "  "
DEADLINE_WORDS = {
    "deadline": "deadline",
    "closes": "closes",
    "letters": "letters due",
    "scores": "scores due",
    "funding": "funding due",
}

Paint = Callable[..., str]


def _plain(text: str, **_: Any) -> str:
    return text


# -- rendering -------------------------------------------------------------------------------


def left_text(c: Countdown | None) -> str | None:
    from gradtrack.views import countdown_text

    return None if c is None else countdown_text(c.days, c.hours, c.passed)


def _stated(t: Timed) -> str:
    return f"{t.stated:%Y-%m-%d %H:%M} {t.zone}"


def _aligned(rows: list[tuple[str, str]], indent: str, width: int | None = None) -> list[str]:
    """Two aligned columns; with ``width`` (a terminal) the second is cut with … to fit.

    Stored text is shown, never obeyed: control and bidi characters are neutralised."""
    rows = [(visible(a), visible(b)) for a, b in rows]
    left = max((len(a) for a, _ in rows), default=0)
    room = None if width is None else max(width - len(indent) - left - 2, 8)
    return [
        f"{indent}{a.ljust(left)}  {b if room is None else cut(b, room)}".rstrip() for a, b in rows
    ]


def _milestone_row(m: Milestone) -> tuple[str, str]:
    from gradtrack.planner import ideal_and_latest

    if m.status == "late":
        return m.id, f"{m.title} (late: {ideal_and_latest(m.rule_date, m.latest)})"
    return m.id, m.title


def _known(value: int | None) -> str:
    return "?" if value is None else str(value)


def _short_of_letters(line: ProgramLine) -> bool:
    """Some letters requested, fewer than the program needs, before it is submitted."""
    required = line.letters_required
    return (
        line.status in PRE_SUBMISSION
        and required is not None
        and 0 < line.letters_requested < required
    )


def _flags(line: ProgramLine) -> str:
    flags = []
    if line.skipped is not None:  # first: the one a person must not miss
        from gradtrack.views.late import skipped_flag

        flags.append(skipped_flag(line.skipped))
    if line.verified is None:
        flags.append("unverified")
    if line.unknown:
        flags.append(f"? {', '.join(line.unknown)}")
    if line.infeasible:
        why = "deadline passed" if line.deadline_passed else f"{len(line.missed)} missed"
        nxt = (
            f"next feasible: {line.next_feasible_term} (i{line.next_feasible_intake_id})"
            if line.next_feasible_intake_id is not None
            else "no later intake is feasible"
        )
        flags.append(f"infeasible: {why}; {nxt}")
    elif line.late_steps:
        shared = f" ({line.late_shared} shared)" if line.late_shared else ""
        flags.append(f"{line.late_steps} step{'s' * (line.late_steps != 1)} late{shared}")
    if line.unrequested is not None:
        by = line.unrequested.latest
        missed = line.unrequested.status == "missed"
        flags.append(f"no letter requested ({'needed by' if missed else 'ask by'} {by})")
    elif _short_of_letters(line):
        flags.append(f"{line.letters_requested} of {line.letters_required} letters requested")
    if line.letters_unasked:
        # The plan has no step for them once the program is submitted (docs/status.md).
        n = line.letters_unasked
        flags.append(f"{n} letter{'s' * (n != 1)} not asked")
    return ", ".join(flags)


def _program_row(line: ProgramLine) -> tuple[Any, ...]:
    shown = line.reply_by if line.reply_by is not None else line.deadline
    deadline: str | Ref | None
    if shown is None:
        deadline = None
    elif shown.kind == "reply_by":
        deadline = f"reply by {shown.stated:%Y-%m-%d}"
    elif shown.kind == "closes":
        deadline = f"closes {_stated(shown)}"
    else:
        deadline = Ref(_stated(shown), f"{shown.stated:%Y-%m-%d}")
    return (
        Ref(line.name, short_ref(line)),
        line.term,
        deadline,
        left_text(shown.countdown if shown else None),
        f"{line.letters_submitted}/{_known(line.letters_required)}",
        f"{line.materials_done}/{line.materials_needed}",
        line.fee_state,
        line.status,
        _flags(line),
    )


def money_text(pairs: tuple[tuple[str, Any], ...]) -> str:
    return " + ".join(f"{amount:.2f} {currency}".rstrip() for currency, amount in pairs) or "0"


def fees_line(report: StatusReport) -> str:
    fees = report.fees
    assert fees is not None
    head = f"Fees ({fees.programs} targeted program{'s' * (fees.programs != 1)}): "
    unknown = f"{fees.unknown} fee{'s' * (fees.unknown != 1)} unknown"
    if fees.unknown and fees.unknown == fees.programs:
        return head + unknown  # not "0 in all": nothing is known
    text = (
        f"{head}{money_text(fees.total)} in all, {money_text(fees.paid)} paid, "
        f"{money_text(fees.waived)} waived"
    )
    return f"{text}; {unknown}" if fees.unknown else text


def _waiting_row(w: Any) -> tuple[str, str]:
    via = f" ({w.via})" if w.via else ""
    nxt = w.next_followup
    follow = f"follow up {nxt.date} ({nxt.id})" if nxt is not None else "no follow-ups left"
    return f"r{w.person_id} {w.name}", f"since {w.since}{via}, {follow}"


def status_lines(report: StatusReport, colour: bool = False, width: int | None = None) -> list[str]:
    """The human summary: overdue, due by day, programs, crowded weeks (docs/status.md).

    With ``width`` (a terminal), the programs table fits it less the indent.
    """
    paint: Paint = click.style if colour else _plain
    out: list[str] = []
    if report.overdue:
        out.append(
            paint(
                f"Overdue ({len(report.overdue)}): latest date passed",
                fg=STATUS_COLOURS["overdue"],
                bold=True,
            )
        )
        late = [(f"{m.date}  {m.id}", m.title) for m in report.overdue]
        out += [
            paint(text, fg=STATUS_COLOURS.get(m.status, STATUS_COLOURS["overdue"]))
            for m, text in zip(report.overdue, _aligned(late, INDENT, width), strict=True)
        ]
    else:
        out.append("Overdue: nothing.")
    out.append("")
    window = f"Due {report.today} to {report.last_day}"
    if report.due:
        out.append(paint(window, bold=True))
        rows: list[tuple[str, str]] = []
        days: list[tuple[int, str]] = []
        for day in report.due:
            days.append((len(rows), f"{day.day:%a %Y-%m-%d}"))
            rows += [_milestone_row(m) for m in day.milestones]
            rows += [
                (
                    f"{DEADLINE_WORDS[x.timed.kind]} {x.timed.yours:%H:%M}",
                    f"{x.program}, {x.term} ({_stated(x.timed)})",
                )
                for x in day.deadlines
            ]
        lines = _aligned(rows, INDENT * 2, width)
        starts = dict(days)
        for i, text in enumerate(lines):
            if i in starts:
                out.append(INDENT + starts[i])
            out.append(text)
    else:
        out.append(f"{window}: nothing.")
    out.append("")
    if report.programs:
        out.append(paint("Programs", bold=True))
        headers = (
            "program",
            "intake",
            "deadline",
            "left",
            Ref("letters", "ltrs"),
            Ref("materials", "mat."),
            "fee",
            "status",
            "flags",
        )
        rendered = table(
            headers,
            [_program_row(line) for line in report.programs],
            None if width is None else width - len(INDENT),
        )
        out += [INDENT + text for text in rendered.splitlines()]
    else:
        out.append("Programs: none active.")
    if report.fees is not None and (report.fees.total or report.fees.unknown):
        out.append("")
        out += summary_text([fees_line(report)], width).splitlines()
    if report.waiting:
        out.append("")
        out.append(paint(f"Waiting for a reply ({len(report.waiting)})", bold=True))
        out += _aligned([_waiting_row(w) for w in report.waiting], INDENT)
    crowded = crowded_lines(
        report.crowded,
        report.crowding_threshold,
        report.today,
        report.today,
        report.last_day,
        colour=colour,
    )
    if crowded:
        out += ["", *summary_text(crowded, width).splitlines()]
    return out


# -- commands --------------------------------------------------------------------------------


def _report(app: App, within: int, program_ref: str | None = None) -> StatusReport:
    from gradtrack.services import report

    with app.connect() as conn:
        return report.status_report(
            conn, app.now(), app.settings, within=within, program_ref=program_ref
        )


@click.command(cls=PlanCommand)
@within_option()
@program_option()
@json_option
@wide_option
@pass_app
def status(app: App, within: int, program_ref: str | None, fmt: str) -> None:
    """What is overdue, what is due soon, and where every active program stands.

    Overdue milestones first; then what is due today through today + N days, by day; then one
    line per active program: its target intake's deadline and the time left (days, or hours
    inside 48 hours, in your time zone), letters submitted/required, materials done/needed,
    fee, status and flags (an intake that just closed, unverified data, an infeasible target).
    Crowded weeks are flagged.

    \b
    Examples:
      gradtrack status
      gradtrack status --within 30d --program stanford
      gradtrack status --json
    """
    from gradtrack.views.status import status_document

    built = _report(app, within, program_ref)
    term = terminal()
    note = zone_note_text(app.zone, app.settings.zone_from_system)
    emit(
        fmt,
        View(
            lambda: status_document(built),
            text=lambda: "\n".join(status_lines(built, term.colour, term.width)),
            note=note,
        ),
    )


@click.command(cls=PlanCommand)
@within_option()
@json_option
@click.option(
    "--mail",
    "mail_to",
    metavar="ADDRESS",
    help="Write it as an e-mail message to ADDRESS (printed unless --send).",
)
@click.option("--send", is_flag=True, help="With --mail: send it over SMTP (the smtp-* settings).")
@click.pass_context
def digest(ctx: click.Context, within: int, fmt: str, mail_to: str | None, send: bool) -> None:
    """The status summary as plain text, for a cron job or an e-mail.

    Exit status: 0 when nothing is overdue; 3 when something is overdue (the summary is
    printed, or mailed, either way); 1 and 2 are errors, as for every command
    (docs/status.md).

    \b
    Examples:
      gradtrack digest | mail -s "applications" me@example.org
      gradtrack digest --mail me@example.org --send
      gradtrack digest > /dev/null; [ $? -eq 3 ] && notify-send "something is overdue"
    """
    from gradtrack.views.status import status_document

    app = ctx.find_object(App)
    assert app is not None
    if send and not mail_to:
        raise click.UsageError("--send needs --mail ADDRESS", ctx)
    if mail_to and fmt == "json":
        raise click.UsageError("--mail writes the plain-text digest: not with --json", ctx)
    built = _report(app, within)
    code = OVERDUE_EXIT if built.overdue else 0
    headline = (
        f"gradtrack digest for {built.today:%a %Y-%m-%d} ({built.zone}): "
        f"{len(built.overdue)} overdue, {built.due_count} due by {built.last_day}"
    )

    def text() -> str:
        return "\n".join([headline, "", *status_lines(built)])

    if mail_to:
        _mail_digest(app, mail_to, headline, text(), send)
    else:
        emit(fmt, View(lambda: {**status_document(built), "exit_status": code}, text=text))
    ctx.exit(code)


def _mail_digest(app: App, mail_to: str, headline: str, text: str, send: bool) -> None:
    from gradtrack.cli.mail import deliver
    from gradtrack.services import mail

    msg = mail.compose(app.settings, "", mail_to, headline, text + "\n", app.clock())
    deliver(app, msg, send)
