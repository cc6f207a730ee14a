"""The plan as a picture (docs/report.md): one self-contained HTML page (docs/report.md).

:func:`page_document` gathers, in one read transaction, the very documents ``plan --json``
and ``status --json`` print (:func:`gradtrack.views.plan_doc`,
:func:`gradtrack.views.status.status_document`) plus the store's own views of programs,
recommenders, letters and materials: one plan, built once, is the only source.
:func:`page_view` turns that plain data into what the template draws (the timeline's
geometry, the sections' rows), and :func:`render_page` fills the Jinja2 template shipped in
``gradtrack/templates`` (autoescaped; Jinja2 is imported only here).

How a milestone's status is drawn lives in :data:`MARKS` and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from gradtrack.views import countdown_text
from gradtrack.views.late import closed_flag

if TYPE_CHECKING:
    import jinja2
    from markupsafe import Markup

    from gradtrack.schema import Reader
    from gradtrack.services.settings import Settings

TEMPLATE = "report.html.j2"
NEXT_WEEKS_DAYS = 21  # "the next weeks": today through today + 21 days, as `status --within`
LOOKBACK_DAYS = 91  # marks older than 13 weeks before today sit on the timeline's left edge
MAX_SPAN_DAYS = 800  # and marks past ~2 years after its start on its right edge
# Timeline geometry, in SVG user units (= CSS pixels at 100 %).
LABEL_WIDTH = 230
PLOT_WIDTH = 900
RIGHT_PAD = 20
ROW_HEIGHT = 22
TOP = 42  # room for the month ticks
BOTTOM = 12
NAME_CHARS = 34
DODGE = 4  # how far right each further mark of a row on the same day is drawn
PAGE_FILE_MODE = 0o644


class MarkStyle(NamedTuple):
    """How one milestone status is drawn: CSS class, SVG shape and the legend's words."""

    css: str
    shape: str  # circle | triangle | square | cross | check
    label: str


UPCOMING = MarkStyle("upcoming", "circle", "Upcoming: its ideal date is today or later")
LATE = MarkStyle("late", "square", "Late: its ideal date has passed, its latest has not: do it now")
MISSED = MarkStyle("missed", "cross", "Missed: even its latest date has passed")
DONE = MarkStyle("done", "check", "Done")
# The one place that maps a planner status to its mark (docs/planner.md).  Before
# the late-start planner the statuses were "done | overdue | due | upcoming"; "overdue" was
# drawn as late and "due" as a triangle: that was the only change here.
MARKS: dict[str, MarkStyle] = {
    "done": DONE,
    "upcoming": UPCOMING,
    "late": LATE,
    "missed": MISSED,
}
# The legend: each style once, in this order (done milestones are not drawn).
LEGEND: tuple[MarkStyle, ...] = tuple(dict.fromkeys(s for s in MARKS.values() if s is not DONE))

DEADLINE_WORDS = {
    "deadline": "Deadline",
    "closes": "Applications close",
    "letters": "Letters due",
    "scores": "Test scores due",
    "funding": "Funding deadline",
    "reply_by": "Reply by",
}


# Each shape's SVG element centred on (x, y).  Drawn here, not by a template macro: a page
# has thousands of marks, and a macro call each was most of its render (docs/report.md).
_SHAPES: dict[str, Callable[[float, float], str]] = {
    "circle": lambda x, y: f'<circle cx="{x}" cy="{y}" r="5"/>',
    "triangle": lambda x, y: f'<polygon points="{x},{y - 6} {x + 6},{y + 5} {x - 6},{y + 5}"/>',
    "square": lambda x, y: f'<rect x="{x - 5}" y="{y - 5}" width="10" height="10"/>',
    "cross": lambda x, y: (
        f'<path d="M{x - 5} {y - 5}L{x + 5} {y + 5}M{x + 5} {y - 5}L{x - 5} {y + 5}"/>'
    ),
    "check": lambda x, y: f'<path d="M{x - 5} {y}L{x - 1} {y + 4}L{x + 5} {y - 5}"/>',
    "diamond": lambda x, y: f'<polygon points="{x},{y - 7} {x + 7},{y} {x},{y + 7} {x - 7},{y}"/>',
}


def shape_svg(kind: str, x: float, y: float) -> str:
    """The SVG element of a shape (``MarkStyle.shape``, or ``diamond`` for a deadline)
    centred on (x, y); nothing for an unknown shape.  Only numbers go in: nothing to escape."""
    draw = _SHAPES.get(kind)
    return draw(x, y) if draw is not None else ""


# -- the data: the same documents as plan --json and status --json ---------------------------


def page_document(reader: Reader, now: datetime, settings: Settings) -> dict[str, Any]:
    """Everything the page shows, as plain data, from one plan built as of ``now``.

    Program names and letter statuses are the plan input's own (every stored program, every
    letter request): the store is not read again for them.
    """
    from gradtrack import planner
    from gradtrack.services import planinput, reads
    from gradtrack.services.report import status_report
    from gradtrack.views import material_doc, plan_doc, recommender_doc
    from gradtrack.views.status import status_document

    inp = planinput.plan_input(reader, now, settings)
    plan = planner.build_plan(inp)
    open_milestones = [m for m in plan.milestones if m.status != "done"]
    status = status_report(reader, now, settings, within=NEXT_WEEKS_DAYS, planned=(inp, plan))
    return {
        "plan": plan_doc(plan, settings.zone, open_milestones),
        "status": status_document(status),
        "names": {p.id: p.name for p in inp.programs},  # display_name, as program lists say
        "recommenders": [recommender_doc(r) for r in reads.recommender_rows(reader)],
        "letters": [
            {"program_id": x.program_id, "recommender_id": x.recommender_id, "status": x.status}
            for x in inp.letters
        ],
        "materials": [material_doc(m) for m in reads.material_rows(reader)],
        "crowding_threshold": settings.crowding_threshold,
    }


# -- the view: what the template draws ----------------------------------------------------


@dataclass(frozen=True)
class Axis:
    """Dates to x: day ``d`` is drawn at the middle of its column."""

    start: date  # a Monday
    days: int

    @property
    def per_day(self) -> float:
        return PLOT_WIDTH / self.days

    def x(self, day: date) -> float:
        offset = min(max((day - self.start).days, 0), self.days - 1)
        return round(LABEL_WIDTH + (offset + 0.5) * self.per_day, 2)

    def left(self, day: date) -> float:
        offset = min(max((day - self.start).days, 0), self.days)
        return round(LABEL_WIDTH + offset * self.per_day, 2)

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days - 1)


def _d(text: str) -> date:
    return date.fromisoformat(text[:10])


def _short(name: str) -> str:
    return name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1] + "…"


def _axis(today: date, dates: Iterable[date]) -> Axis:
    known = list(dates)
    first = max(min([today, *known]), today - timedelta(days=LOOKBACK_DAYS))
    start = first - timedelta(days=first.weekday())  # the Monday of its week
    last = max([today + timedelta(days=28), *known])
    end = last + timedelta(days=6 - last.weekday())  # the Sunday of its week
    return Axis(start, min((end - start).days + 1, MAX_SPAN_DAYS))


def _months(axis: Axis) -> list[dict[str, Any]]:
    ticks = []
    day = axis.start.replace(day=1)
    while day <= axis.end:
        if day >= axis.start:
            ticks.append({"x": axis.left(day), "label": f"{day:%b %Y}"})
        day = (day + timedelta(days=32)).replace(day=1)
    return ticks


class TimelineRow(NamedTuple):
    """One program's row of the timeline (a tuple: the template reads each field by name,
    and a dict's ``.name`` is an attribute miss before Jinja2 tries the key)."""

    id: int
    name: str
    label: str  # the name cut to NAME_CHARS
    y: int
    x1: float  # the bar from today to the deadline
    x2: float


class TimelineMark(NamedTuple):
    """One open milestone's mark: its CSS class, tooltip and shape (SVG, numbers only)."""

    id: str
    css: str
    tip: str
    shape: Markup


class DeadlineMark(NamedTuple):
    main: bool  # the deadline or closing date (filled), else letters, scores, funding
    tip: str
    shape: Markup


def _row_order(doc: Mapping[str, Any], names: Mapping[int, str]) -> list[tuple[int, date | None]]:
    """One row per active program, then any other planned one; the earliest deadline first:
    each with its deadline's day in the applicant's zone."""
    lines = {p["id"]: p for p in doc["status"]["programs"]}
    order = list(lines)
    seen = set(order)  # a set: a list's `in` made this quadratic in the plan
    for item in [*doc["plan"]["milestones"], *doc["plan"]["deadlines"]]:
        for pid in item.get("program_ids", [item.get("program_id")]):
            if pid is not None and pid not in seen and pid in names:
                order.append(pid)
                seen.add(pid)

    def deadline_day(pid: int) -> date | None:
        deadline = lines[pid]["deadline"] if pid in lines else None
        return _d(deadline["yours"]) if deadline else None

    days = {pid: deadline_day(pid) for pid in order}
    order.sort(key=lambda pid: (days[pid] is None, days[pid] or date.max, names.get(pid, "")))
    return [(pid, days[pid]) for pid in order]


def _timeline(doc: Mapping[str, Any]) -> dict[str, Any]:
    from markupsafe import Markup

    from gradtrack.planner import ideal_and_latest

    plan = doc["plan"]
    today = _d(plan["today"])
    names: Mapping[int, str] = doc["names"]
    order = _row_order(doc, names)
    y_of = {pid: TOP + index * ROW_HEIGHT + ROW_HEIGHT // 2 for index, (pid, _) in enumerate(order)}
    deadlines = [d for d in plan["deadlines"] if d["program_id"] in y_of]
    milestones = [m for m in plan["milestones"] if m["status"] != "done"]
    days: dict[str, date] = {}  # a date's text → the date: thousands of marks share few days
    for text in [*(m["date"] for m in milestones), *(d["local_date"] for d in deadlines)]:
        if text not in days:
            days[text] = _d(text)
    axis = _axis(today, days.values())
    x_of = {text: axis.x(day) for text, day in days.items()}
    rows = []
    for pid, deadline_day in order:
        end = deadline_day or today
        name = names.get(pid, f"p{pid}")
        x1, x2 = axis.x(min(today, end)), axis.x(max(today, end))
        rows.append(TimelineRow(pid, name, _short(name), y_of[pid], x1, x2))
    marks = []
    stacked: dict[tuple[int, str], int] = {}  # (row, date) → marks already drawn there
    for m in milestones:
        home = [y_of[p] for p in m["program_ids"] if p in y_of]
        if not home:
            continue
        y = min(home)  # a batched step: its earliest deadline's row (rows have distinct y)
        style = MARKS[m["status"]]
        # Kept short: a 300-program page has thousands of marks (docs/report.md).
        tip = f"{m['id']} · {m['date']} · {m['title']} · {m['status']}"
        if style in (LATE, MISSED):
            tip += f" ({ideal_and_latest(m['ideal'], m['latest'])})"
        # Several marks of one row on one day step right, DODGE units each, so each shows.
        nth = stacked.get((y, m["date"]), 0)
        stacked[y, m["date"]] = nth + 1
        x = round(x_of[m["date"]] + nth * DODGE, 2)
        marks.append(TimelineMark(m["id"], style.css, tip, Markup(shape_svg(style.shape, x, y))))
    diamonds = []
    for d in deadlines:
        y = y_of[d["program_id"]]
        words = DEADLINE_WORDS.get(d["kind"], d["kind"])
        name = names.get(d["program_id"], f"p{d['program_id']}")
        diamonds.append(
            DeadlineMark(
                d["kind"] in ("deadline", "closes"),
                f"{words}: {name} · {d['local_date']} ({d['instant']})",
                Markup(shape_svg("diamond", x_of[d["local_date"]], y)),
            )
        )
    crowded = [
        {
            "x": axis.left(_d(w["monday"])),
            "width": round(
                axis.left(_d(w["monday"]) + timedelta(days=7)) - axis.left(_d(w["monday"])), 2
            ),
            "tip": f"Crowded week of {w['monday']}: {w['count']} open milestones",
        }
        for w in plan["crowded_weeks"]
        if axis.start <= _d(w["monday"]) <= axis.end
    ]
    height = TOP + len(rows) * ROW_HEIGHT + BOTTOM
    return {
        "width": LABEL_WIDTH + PLOT_WIDTH + RIGHT_PAD,
        "height": height,
        "plot_left": LABEL_WIDTH,
        "plot_right": LABEL_WIDTH + PLOT_WIDTH,
        "start": axis.start.isoformat(),
        "days": axis.days,
        "per_day": axis.per_day,
        "today_x": axis.x(today),
        "months": _months(axis),
        "rows": rows,
        "marks": marks,
        "deadlines": diamonds,
        "crowded": crowded,
    }


def _known(count: int | None) -> str:
    """A count the program may not state: ``?`` when unknown, as ``status`` shows it."""
    return "?" if count is None else str(count)


def _countdown(timed: Mapping[str, Any] | None) -> str:
    if timed is None:
        return "—"
    c = timed["countdown"]
    return countdown_text(c["days"], c["hours"], c["passed"])


def _with_style(m: Mapping[str, Any]) -> dict[str, Any]:
    return {**m, "style": MARKS[m["status"]]}


class ProgramRow(NamedTuple):
    """A row of the Programs table, every cell's text made (Jinja2 still escapes each)."""

    name: str
    term: str
    stated: str  # the deadline as stated: kind (unless a plain deadline), local time, zone
    yours: str
    left: str
    letters: str  # submitted/required
    materials: str  # done/needed
    fee: str
    status: str
    flags: str


def _program_row(line: Mapping[str, Any]) -> ProgramRow:
    intake, deadline, letters = line["intake"], line["deadline"], line["letters"]
    stated, yours = "—", "—"
    if deadline:
        kind = deadline["kind"]
        words = DEADLINE_WORDS[kind] if kind != "deadline" else ""
        stated = f"{words} {deadline['stated']['local']} {deadline['stated']['zone']}"
        yours = deadline["yours"]
    flags = "" if line["verified"] else "unverified "
    problem = line["infeasible"]
    if problem:
        flags += "infeasible target"
        later = problem["next_feasible_intake"]
        if later:
            flags += f" (next feasible: {later['term']})"
    passed_by = line.get("skipped")
    if passed_by:
        flags += " " if flags else ""
        flags += closed_flag(
            passed_by["intake"]["term"], passed_by["deadline"], passed_by["passed"]
        )
    return ProgramRow(
        name=line["name"],
        term=intake["term"] if intake else "—",
        stated=stated,
        yours=yours,
        left=_countdown(deadline),
        letters=f"{letters['submitted']}/{_known(letters['required'])}",
        materials=f"{line['materials']['done']}/{line['materials']['needed']}",
        fee=line["fee"]["state"],
        status=line["status"],
        flags=flags,
    )


class LetterRow(NamedTuple):
    """A row of the letter grid: one cell per recommender with letters, each the letter's
    status (``None``: no letter) and its text."""

    name: str
    required: str  # the count, or ? when the program does not state it
    cells: list[tuple[str | None, str]]


@cache  # a few statuses, thousands of cells
def _letter_cell(status: str | None) -> tuple[str | None, str]:
    return status, ("✓ " if status == "submitted" else "") + (status or "—")


class MaterialRow(NamedTuple):
    name: str
    kind: str
    program: str  # its program's slug, or that it is shared
    status: str


def page_view(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The template's context: plain data, every text still unescaped (Jinja2 escapes it).

    The many-row parts (the timeline, programs, letters, materials) are named tuples with
    their text already put together: the template only places them (docs/report.md).
    """
    status = doc["status"]
    today = status["today"]
    due_now = [
        _with_style(m)
        for m in doc["plan"]["milestones"]
        if m["date"] <= today or MARKS[m["status"]] in (LATE, MISSED)
    ]
    due_now.sort(key=lambda m: (m["date"], m["id"]))
    shown = {m["id"] for m in due_now}
    today_deadlines = [x for d in status["due"] if d["date"] == today for x in d["deadlines"]]
    weeks = [
        {
            "date": day["date"],
            "milestones": [_with_style(m) for m in day["milestones"] if m["id"] not in shown],
            "deadlines": day["deadlines"],
        }
        for day in status["due"]
        if day["date"] > today
    ]
    weeks = [day for day in weeks if day["milestones"] or day["deadlines"]]
    programs = [_program_row(line) for line in status["programs"]]
    offers = [
        {**line, "reply_left": _countdown(line["offer"]["reply_by"])}
        for line in status["programs"]
        if line["offer"] is not None
    ]
    letters = {(x["program_id"], x["recommender_id"]): x["status"] for x in doc["letters"]}
    writers = [r for r in doc["recommenders"] if r["letters"]]
    grid = []
    for line in status["programs"]:
        statuses = [letters.get((line["id"], r["id"])) for r in writers]  # None: no letter
        required = line["letters"]["required"]
        if required or any(x is not None for x in statuses):
            grid.append(
                LetterRow(line["name"], _known(required), [_letter_cell(x) for x in statuses])
            )
    materials = [
        MaterialRow(m["name"], m["kind"], m["program"] or "every program (shared)", m["status"])
        for m in doc["materials"]
    ]
    counts = {style.css: 0 for style in LEGEND}
    for m in doc["plan"]["milestones"]:
        counts[MARKS[m["status"]].css] += 1
    return {
        "today": today,
        "timezone": status["timezone"],
        "now": status["now"],
        "window_to": status["window"]["to"],
        "counts": counts,
        "open_count": len(doc["plan"]["milestones"]),
        "legend": LEGEND,
        "due_now": due_now,
        "today_deadlines": today_deadlines,
        "weeks": weeks,
        "timeline": _timeline(doc),
        "programs": programs,
        "writers": writers,
        "grid": grid,
        "materials": materials,
        "offers": offers,
        "crowding_threshold": doc["crowding_threshold"],
        "crowded": status["crowded_weeks"],
        "deadline_words": DEADLINE_WORDS,
    }


@cache
def icon(css: str, kind: str) -> Markup:
    """The legend's 16×16 picture of a mark (the template's ``icon``): ``css`` is a
    :class:`MarkStyle`'s class (or ``deadline``), escaped all the same."""
    from markupsafe import Markup, escape

    return Markup(
        f'<svg class="icon mark-{escape(css)}" width="16" height="16" viewBox="0 0 16 16"'
        f' aria-hidden="true">{shape_svg(kind, 8, 8)}</svg>'
    )


def template_cache_dir() -> Path:
    """Where the compiled template is kept between runs (docs/report.md): the platform's user
    cache dir, or ``cache/`` inside ``GRADTRACK_DATA_DIR`` when that is set."""
    import os

    override = os.environ.get("GRADTRACK_DATA_DIR")
    if override:
        return Path(override) / "cache"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("gradtrack", appauthor=False))


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    import jinja2

    class TemplateCache(jinja2.FileSystemBytecodeCache):
        """Jinja2's bytecode cache (keyed by the template's source and Python's version), but
        a cache that cannot be written is no error: the page is rendered all the same."""

        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            try:
                super().load_bytecode(bucket)
            except (OSError, ValueError, EOFError):  # unreadable, or not a cache file
                bucket.reset()

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            try:
                Path(self.directory).mkdir(parents=True, exist_ok=True)
                super().dump_bytecode(bucket)
            except OSError:
                pass

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("gradtrack", "templates"),
        bytecode_cache=TemplateCache(str(template_cache_dir()), "gradtrack-%s.cache"),
        autoescape=True,  # every value is text to show, never markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["icon"] = icon
    return env


def render_page(doc: Mapping[str, Any]) -> bytes:
    """The page's bytes (UTF-8) for :func:`page_document`'s data."""
    return _environment().get_template(TEMPLATE).render(page_view(doc)).encode("utf-8")


def build_page(reader: Reader, now: datetime, settings: Settings) -> bytes:
    """The page as of ``now``: what ``gradtrack report`` writes and ``calendar serve`` serves."""
    return render_page(page_document(reader, now, settings))


def write_page(path: Path, body: bytes) -> bool:
    """Replace the file atomically (as feeds are); ``False`` when it already holds ``body``."""
    from gradtrack.fsutil import atomic_write

    return atomic_write(path, body, PAGE_FILE_MODE, what="page")
