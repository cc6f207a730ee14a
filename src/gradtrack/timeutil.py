"""Time rules (docs/time.md): zones, deadline instants, "today" and "now".

Pure functions over the standard library only (cheap to import).  Decisions:

* ``AoE`` ("anywhere on earth") is UTC−12, the zone database's ``Etc/GMT+12`` (inverted sign).
* A deadline given without a time means 23:59 in its zone.
* A local time that does not exist (DST gap) is rejected.  An ambiguous local time (DST
  overlap) resolves to its *first* occurrence (the earlier instant, ``fold=0``): for a deadline
  the earlier reading is the safe one.  Both rules are in docs/time.md.
* Instants are stored and compared in UTC.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gradtrack.errors import InvalidValue

AOE = "AoE"
AOE_ZONE = "Etc/GMT+12"
END_OF_DAY = time(23, 59)

# The years a date may have, on the command line and in a CSV file: far enough either way for
# any application, near enough that every computed date (lead times, next occurrences, the
# planner's weeks) stays inside what ``datetime`` can hold.
MIN_YEAR, MAX_YEAR = 1900, 2999

_LOCAL_DT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2}))?$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


@lru_cache(maxsize=512)
def zone(name: str) -> tzinfo:
    """The tzinfo for an IANA zone name or ``AoE``; :class:`InvalidValue` if unknown."""
    if name == AOE or name.lower() == "aoe":
        return ZoneInfo(AOE_ZONE)
    if not name or name != name.strip() or "\x00" in name or name.startswith(("/", ".")):
        raise InvalidValue(f"unknown time zone {name!r} ({_ZONE_HELP})")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidValue(f"unknown time zone {name!r} ({_ZONE_HELP})") from None


#: Abbreviations and POSIX-style rule zones: not a place, so not a zone for a person (they
#: ignore local DST history, or are not zones at all).  Each suggests the zone usually meant.
NOT_A_PLACE: dict[str, str] = {
    "EST": "America/New_York",
    "EDT": "America/New_York",
    "EST5EDT": "America/New_York",
    "CST": "America/Chicago",
    "CDT": "America/Chicago",
    "CST6CDT": "America/Chicago",
    "MST": "America/Denver",
    "MDT": "America/Denver",
    "MST7MDT": "America/Denver",
    "PST": "America/Los_Angeles",
    "PDT": "America/Los_Angeles",
    "PST8PDT": "America/Los_Angeles",
    "AKST": "America/Anchorage",
    "HST": "Pacific/Honolulu",
    "WET": "Europe/Lisbon",
    "CET": "Europe/Paris",
    "CEST": "Europe/Paris",
    "MET": "Europe/Paris",
    "EET": "Europe/Athens",
    "BST": "Europe/London",
    "IST": "Asia/Kolkata",
    "JST": "Asia/Tokyo",
    "KST": "Asia/Seoul",
    "AEST": "Australia/Sydney",
    "AEDT": "Australia/Sydney",
}
_ZONE_HELP = "expected an IANA name like 'America/New_York', or 'AoE'"


def zone_suggestion(name: str) -> str | None:
    """The zone an abbreviation (``EST``) usually means, else None."""
    return NOT_A_PLACE.get(name.strip().upper())


@lru_cache(maxsize=1)
def _zones_by_folded_name() -> dict[str, str]:
    from zoneinfo import available_timezones

    return {name.casefold(): name for name in available_timezones()}


def check_zone(name: str) -> str:
    """The canonical spelling of a zone a person typed (``AoE`` for any case of it).

    IANA names are matched without case (``america/los_angeles``); abbreviations and rule
    zones (``EST``, ``PST8PDT``) are refused with the zone usually meant.
    """
    suggestion = zone_suggestion(name)
    if suggestion is not None:
        raise InvalidValue(
            f"time zone {name!r} is an abbreviation, not a place (did you mean {suggestion}?)"
        )
    if name.lower() == "aoe":
        return AOE
    try:
        zone(name)
        return name
    except InvalidValue:
        canonical = _zones_by_folded_name().get(name.casefold())
        if canonical is None:
            raise
        return canonical


def system_zone_name() -> str:
    """The system's IANA zone name, best effort; ``UTC`` when it cannot be told."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz:
        try:
            zone(tz)
            return tz
        except InvalidValue:
            pass
    try:
        target = os.path.realpath("/etc/localtime")
        marker = "zoneinfo/"
        if marker in target:
            name = target.split(marker, 1)[1]
            zone(name)
            return name
    except (OSError, InvalidValue):
        pass
    try:
        with open("/etc/timezone", encoding="utf-8") as fh:
            name = fh.read().strip()
        zone(name)
        return name
    except (OSError, InvalidValue):
        return "UTC"


def year_problem(year: int) -> str | None:
    """ "expected a year from 1900 to 2999" when ``year`` is outside them, else ``None``.

    The one bound on dates: the click types, ``--today`` / ``GRADTRACK_TODAY`` and the CSV
    reader all ask it.
    """
    if MIN_YEAR <= year <= MAX_YEAR:
        return None
    return f"expected a year from {MIN_YEAR} to {MAX_YEAR}"


def _check_year(text: str, year: int) -> None:
    problem = year_problem(year)
    if problem is not None:
        raise InvalidValue(f"invalid date {text!r} ({problem})")


def parse_date(text: str) -> date:
    """``YYYY-MM-DD`` → date, or :class:`InvalidValue` naming the text."""
    m = _DATE.match(text.strip()) if isinstance(text, str) else None
    if m:
        _check_year(text, int(m[1]))
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            pass
    raise InvalidValue.of("date", text, "YYYY-MM-DD")


def parse_local_datetime(text: str) -> datetime:
    """``YYYY-MM-DD[ HH:MM]`` → naive local datetime; a missing time means 23:59."""
    m = _LOCAL_DT.match(text.strip()) if isinstance(text, str) else None
    if m:
        _check_year(text, int(m[1]))
        try:
            day = date(int(m[1]), int(m[2]), int(m[3]))
            if m[4] is None:
                return datetime.combine(day, END_OF_DAY)
            return datetime.combine(day, time(int(m[4]), int(m[5])))
        except ValueError:
            pass
    raise InvalidValue.of("date-time", text, "YYYY-MM-DD or YYYY-MM-DD HH:MM")


def local_to_utc(local: datetime, zone_name: str) -> datetime:
    """Convert a naive local date-time in ``zone_name`` to an aware UTC instant.

    Raises :class:`InvalidValue` for a local time that does not exist (DST gap).  An ambiguous
    time (DST overlap) takes its first occurrence.
    """
    if local.tzinfo is not None:
        raise ValueError("local_to_utc expects a naive local date-time")
    return _local_to_utc(local, zone_name)


# An import checks every deadline (DST gap) and then stores its instant: the same conversion,
# and in a real file many deadlines share a date, time and zone.
@lru_cache(maxsize=4096)
def _local_to_utc(local: datetime, zone_name: str) -> datetime:
    tz = zone(zone_name)
    first = local.replace(tzinfo=tz, fold=0)
    instant = first.astimezone(UTC)
    back = instant.astimezone(tz).replace(tzinfo=None)
    if back != local:
        raise InvalidValue(
            f"local time {local:%Y-%m-%d %H:%M} does not exist in {zone_name} "
            "(the clocks skip it at a daylight-saving change)"
        )
    return instant


def utc_to_local(instant: datetime, zone_name: str) -> datetime:
    """An aware instant as an aware date-time in ``zone_name``."""
    return as_utc(instant).astimezone(zone(zone_name))


def as_utc(instant: datetime) -> datetime:
    """Aware UTC; naive values are taken to be UTC already (as SQLite returns them)."""
    if instant.tzinfo is None:
        return instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC)


def local_date(instant: datetime, zone_name: str) -> date:
    """The calendar date of an instant in a zone."""
    return utc_to_local(instant, zone_name).date()


def start_of_day(day: date, zone_name: str) -> datetime:
    """00:00 on ``day`` in ``zone_name`` as a UTC instant (a gap at midnight moves forward)."""
    tz = zone(zone_name)
    local = datetime.combine(day, time(0, 0))
    try:
        return local_to_utc(local, zone_name)
    except InvalidValue:
        # A few zones skip midnight itself; the day starts at the first instant that exists.
        return (
            (local.replace(tzinfo=tz) + timedelta(hours=1))
            .astimezone(UTC)
            .replace(minute=0, second=0, microsecond=0)
        )


def parse_instant(text: str) -> datetime:
    """An ISO 8601 date-time *with* an offset (``GRADTRACK_NOW``) → aware UTC."""
    try:
        value = datetime.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        value = None
    if value is not None and value.tzinfo is not None:
        _check_year(text, value.year)
    if value is None or value.tzinfo is None:
        raise InvalidValue(
            f"invalid instant {text!r} (expected an ISO date-time with offset, "
            "e.g. 2026-11-28T09:00:00+00:00)"
        )
    return value.astimezone(UTC)


def resolve_now(
    zone_name: str,
    today: date | None = None,
    environ: Mapping[str, str] | None = None,
) -> datetime:
    """The current instant (docs/time.md), as aware UTC.

    ``today`` (from ``--today``) wins, then ``GRADTRACK_TODAY``: both mean 00:00 on that date in
    the applicant's zone.  Then ``GRADTRACK_NOW`` pins an exact instant.  Else the clock.
    """
    env = os.environ if environ is None else environ
    if today is None and env.get("GRADTRACK_TODAY"):
        today = parse_date(env["GRADTRACK_TODAY"])
    if today is not None:
        return start_of_day(today, zone_name)
    if env.get("GRADTRACK_NOW"):
        return parse_instant(env["GRADTRACK_NOW"])
    return datetime.now(UTC)


def clock_now(environ: Mapping[str, str] | None = None) -> datetime:
    """The instant that stamps changes: ``GRADTRACK_NOW`` when set, else the clock."""
    env = os.environ if environ is None else environ
    if env.get("GRADTRACK_NOW"):
        return parse_instant(env["GRADTRACK_NOW"])
    return datetime.now(UTC)


def format_local(instant: datetime, zone_name: str) -> str:
    """``YYYY-MM-DD HH:MM Zone`` for people.

    A wall-clock time that happens twice (the hour repeated when clocks go back) says which
    one with the zone's abbreviation: ``2026-11-01 01:30 EDT America/New_York``.
    """
    local = utc_to_local(instant, zone_name)
    text = f"{local:%Y-%m-%d %H:%M}"
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        text += f" {local:%Z}"
    return f"{text} {zone_name}"
