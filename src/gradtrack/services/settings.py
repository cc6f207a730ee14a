"""Settings (docs/storage.md): the applicant's zone, working days, holidays, crowding, base URL."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import insert, select, update

from gradtrack import timeutil
from gradtrack.errors import InvalidValue
from gradtrack.schema import settings as settings_t
from gradtrack.vocab import SETTING_KEYS, WEEKEND_POLICIES

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from gradtrack.schema import Reader

_HOST = re.compile(r"[A-Za-z0-9._:-]{1,253}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Settings(NamedTuple):
    zone: str
    weekend_policy: str = "back"
    holidays: tuple[date, ...] = ()
    crowding_threshold: int = 6
    base_url: str = "http://127.0.0.1:8080"
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_starttls: bool = True
    mail_from: str = ""
    #: True when no zone is stored and ``zone`` is the system's (the CLI then says so).
    zone_from_system: bool = False

    def as_dict(self) -> dict[str, str]:
        return {
            "timezone": self.zone,
            "weekend-policy": self.weekend_policy,
            "holidays": ",".join(d.isoformat() for d in self.holidays),
            "crowding-threshold": str(self.crowding_threshold),
            "base-url": self.base_url,
            "smtp-host": self.smtp_host,
            "smtp-port": str(self.smtp_port),
            "smtp-user": self.smtp_user,
            "smtp-starttls": "on" if self.smtp_starttls else "off",
            "mail-from": self.mail_from,
        }


def parse_setting(key: str, value: str) -> str:
    """Validate ``value`` for ``key``; return its canonical stored form."""
    value = value.strip()
    if key == "timezone":
        return timeutil.check_zone(value)
    if key == "weekend-policy":
        if value not in WEEKEND_POLICIES:
            raise InvalidValue.of("weekend policy", value, f"one of {', '.join(WEEKEND_POLICIES)}")
        return value
    if key == "holidays":
        try:
            days = sorted({timeutil.parse_date(part) for part in value.split(",") if part.strip()})
        except InvalidValue as bad:
            raise InvalidValue(f"invalid holidays {value!r}: {bad}") from None
        return ",".join(d.isoformat() for d in days)
    if key == "crowding-threshold":
        if not value.isdigit() or not 1 <= int(value) <= 100:
            raise InvalidValue.of("crowding threshold", value, "a number 1-100")
        return str(int(value))
    if key == "base-url":
        if not value.startswith(("http://", "https://")) or len(value) < 10 or " " in value:
            raise InvalidValue.of("base URL", value, "http://host[:port] or https://host/path")
        return value.rstrip("/")
    if key == "smtp-host":
        if not _HOST.fullmatch(value):
            raise InvalidValue.of("SMTP host", value, "a host name or address")
        return value
    if key == "smtp-port":
        if not value.isdigit() or not 1 <= int(value) <= 65535:
            raise InvalidValue.of("SMTP port", value, "a number 1-65535")
        return str(int(value))
    if key == "smtp-user":
        if _CONTROL.search(value) or len(value) > 200:
            raise InvalidValue(f"invalid SMTP user {value!r}")
        return value
    if key == "smtp-starttls":
        if value.lower() not in ("on", "off"):
            raise InvalidValue.of("smtp-starttls", value, "on or off")
        return value.lower()
    if key == "mail-from":
        from gradtrack.services.mail import check_address

        return check_address(value, "mail-from address")
    raise InvalidValue(f"unknown setting {key!r} (expected one of {', '.join(SETTING_KEYS)})")


def load_settings(reader: Reader) -> Settings:
    stored: dict[str, str] = dict(
        reader.execute(select(settings_t.c.key, settings_t.c.value)).all()
    )
    holidays = tuple(timeutil.parse_date(d) for d in stored.get("holidays", "").split(",") if d)
    return Settings(
        zone=stored.get("timezone") or timeutil.system_zone_name(),
        weekend_policy=stored.get("weekend-policy", "back"),
        holidays=holidays,
        crowding_threshold=int(stored.get("crowding-threshold", "6")),
        base_url=stored.get("base-url", "http://127.0.0.1:8080"),
        smtp_host=stored.get("smtp-host", ""),
        smtp_port=int(stored.get("smtp-port", "587")),
        smtp_user=stored.get("smtp-user", ""),
        smtp_starttls=stored.get("smtp-starttls", "on") == "on",
        mail_from=stored.get("mail-from", ""),
        zone_from_system=not stored.get("timezone"),
    )


def set_setting(session: Session, key: str, value: str) -> str:
    canonical = parse_setting(key, value)
    changed = session.execute(
        update(settings_t).where(settings_t.c.key == key).values(value=canonical)
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        session.execute(insert(settings_t).values(key=key, value=canonical))
    return canonical
