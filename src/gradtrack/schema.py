"""The store's schema as SQLAlchemy Core tables: the one definition (docs/storage.md).

The ORM models (:mod:`gradtrack.models`) map these tables; the read commands (``plan``,
``status``, ``digest``, ``report``, ``letter packet``, ``program list|show``) read them through
Core on a connection, so they never import ``sqlalchemy.orm`` (docs/architecture.md,
docs/benchmarks.md).  Instants are stored as naive UTC and come back aware (UTC) through
:class:`UTCDateTime`, so SQLite and PostgreSQL behave the same; local deadline wall-clock times
are stored next to their zone, so a deadline can be shown exactly as the program stated it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeAlias

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from gradtrack.timeutil import clock_now
from gradtrack.vocab import ENGLISH_TEST_LENGTH, NAME_LENGTH, TERM_LENGTH, URL_LENGTH

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

    #: What the read services take: a Core connection (the read commands, no ORM imported) or
    #: a session (a write reading in its own transaction: the session flushes first).
    Reader: TypeAlias = Connection | Session

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """The clock that stamps rows (``GRADTRACK_NOW`` pins it, docs/time.md)."""
    return clock_now()


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out; stored naive UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _stamped(name: str, *parts: Any) -> Table:
    """A table whose rows record when they were created and last changed (the feeds need it)."""
    return Table(
        name,
        metadata,
        *parts,
        Column("created_at", UTCDateTime(), nullable=False, default=utcnow),
        Column("updated_at", UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow),
    )


def _id() -> Column[int]:
    return Column("id", Integer(), primary_key=True)


def _text(name: str, length: int | None = None, **kw: Any) -> Column[str]:
    """A NOT NULL text column, empty by default (on the server too when ``server=True``)."""
    server = kw.pop("server", False)
    kind = Text() if length is None else String(length)
    return Column(
        name, kind, nullable=False, default="", server_default="" if server else None, **kw
    )


def _fk(name: str, target: str, *, nullable: bool = False, **kw: Any) -> Column[int]:
    return Column(
        name, Integer(), ForeignKey(f"{target}.id", ondelete="CASCADE"), nullable=nullable, **kw
    )


programs = _stamped(
    "programs",
    _id(),
    Column("slug", String(200), nullable=False),
    Column("institution", String(NAME_LENGTH), nullable=False),
    Column("name", String(NAME_LENGTH), nullable=False),
    Column("degree", String(10), nullable=False),
    _text("field", NAME_LENGTH),
    _text("url", URL_LENGTH),
    _text("source_url", URL_LENGTH),
    Column("verified", Date(), nullable=True),
    Column("fee", Numeric(10, 2), nullable=True),
    _text("currency", 3),
    Column("fee_waiver", String(10), nullable=False, default="none"),
    Column("fee_paid", Boolean(), nullable=False, default=False),
    # Requirements: NULL is "not stated" (unknown), never a guess (docs/catalog.md);
    # english_test "" is "no English test needed".
    Column("letters_required", Integer(), nullable=True, default=3),
    Column("gre", String(20), nullable=True, default="optional"),
    Column("english_test", String(ENGLISH_TEST_LENGTH), nullable=True, default=""),
    Column("writing_sample", Boolean(), nullable=False, default=False),
    Column("priority", Integer(), nullable=True),
    _text("notes"),
    Column("status", String(20), nullable=False, default="researching"),
    Column("offer_funded", Boolean(), nullable=True),
    Column("offer_reply_by", Date(), nullable=True),
    # The rest of the offer (docs/people.md); NULL / "" means not stated (unknown, never "no").
    Column("offer_stipend", Numeric(12, 2), nullable=True),
    _text("offer_stipend_currency", 3, server=True),
    _text("offer_stipend_period", 10, server=True),
    Column("offer_tuition_covered", Boolean(), nullable=True),
    _text("offer_conditions", server=True),
    Column(
        "target_intake_id",
        Integer(),
        ForeignKey("intakes.id", ondelete="SET NULL", use_alter=True),
        nullable=True,
    ),
    # True when the user chose the target (`program target`, a file's target mark); otherwise
    # it is the default, chosen again whenever the program's intakes change.
    Column("target_chosen", Boolean(), nullable=False, default=False, server_default=false()),
    # The short name people type (``cmu-phd-cs``); kept when the name changes (docs/catalog.md).
    Column("handle", String(24), nullable=False),
    UniqueConstraint("slug"),
    UniqueConstraint("handle"),
)

# One timestamped step of a program's application status.
status_changes = _stamped(
    "status_changes",
    _id(),
    _fk("program_id", "programs"),
    Column("status", String(20), nullable=False),
    Column("changed_at", UTCDateTime(), nullable=False, default=utcnow),
)

# One concrete chance to apply to a program (docs/storage.md).
intakes = _stamped(
    "intakes",
    _id(),
    _fk("program_id", "programs"),
    Column("term", String(TERM_LENGTH), nullable=False),
    Column("kind", String(10), nullable=False, default="fixed"),
    Column("zone", String(64), nullable=False),
    # fixed/term: the deadline; rolling: the priority date (optional).
    Column("deadline_local", DateTime(), nullable=True),
    Column("deadline_utc", UTCDateTime(), nullable=True),
    Column("opens", Date(), nullable=True),
    Column("closes_local", DateTime(), nullable=True),
    Column("closes_utc", UTCDateTime(), nullable=True),
    Column("target_date", Date(), nullable=True),
    UniqueConstraint("program_id", "term"),
)

# A typed extra deadline of an intake: letters, scores or funding consideration.
extra_deadlines = _stamped(
    "extra_deadlines",
    _id(),
    Column("intake_id", Integer(), ForeignKey("intakes.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("local", DateTime(), nullable=False),
    Column("at_utc", UTCDateTime(), nullable=False),
    UniqueConstraint("intake_id", "kind"),
)

# People (docs/people.md): a contact, a recommender or both -- always one row.  The table keeps
# its first name, so the ids users typed (``r1``) and every foreign key to it stay as they were;
# a person's role is stored in the column first called ``title``.
recommenders = _stamped(
    "recommenders",
    _id(),
    Column("name", String(200), nullable=False),
    Column("lookup_name", String(200), nullable=False),
    _text("email", 200),
    _text("title", 200),
    _text("relationship", 200),
    Column("zone", String(64), nullable=False),
    # When `letter remind --send` last had a reminder accepted by the mail server.
    Column("reminded_at", UTCDateTime(), nullable=True),
    _text("affiliation", 200, server=True),
    _text("interests", server=True),
    _text("url", 500, server=True),
    _text("notes", server=True),
    Column("is_recommender", Boolean(), nullable=False, default=True, server_default=true()),
    Column("is_contact", Boolean(), nullable=False, default=False, server_default=false()),
    UniqueConstraint("lookup_name"),
)

# A person linked to a program ("faculty of interest").
person_programs = _stamped(
    "person_programs",
    _id(),
    _fk("person_id", "recommenders"),
    _fk("program_id", "programs"),
    UniqueConstraint("person_id", "program_id"),
)

# One step of outreach to a person: a message sent, a reply received, or a close.
outreach_events = _stamped(
    "outreach_events",
    _id(),
    _fk("person_id", "recommenders"),
    Column("kind", String(10), nullable=False),  # message | reply | close
    _text("via", 10),  # email | meeting | call
    Column("on", Date(), nullable=False),
    _text("about"),
)

letter_requests = _stamped(
    "letter_requests",
    _id(),
    _fk("recommender_id", "recommenders"),
    _fk("program_id", "programs"),
    Column("status", String(20), nullable=False, default="planned"),
    Column("asked_at", UTCDateTime(), nullable=True),
    Column("agreed_at", UTCDateTime(), nullable=True),
    Column("submitted_at", UTCDateTime(), nullable=True),
    Column("declined_at", UTCDateTime(), nullable=True),
    UniqueConstraint("recommender_id", "program_id"),
)

# A document or task; ``program_id`` NULL means shared by every program.
materials = _stamped(
    "materials",
    _id(),
    Column("kind", String(30), nullable=False),
    Column("name", String(200), nullable=False),
    _fk("program_id", "programs", nullable=True),
    Column("status", String(10), nullable=False, default="todo"),
    Column("status_changed_at", UTCDateTime(), nullable=True),
    _text("notes"),
)

# A milestone rule (docs/planner.md); seeded with the defaults by a migration.
rules = _stamped(
    "rules",
    Column("key", String(40), primary_key=True),
    Column("offsets", String(200), nullable=False),
    Column("anchors", String(200), nullable=False),
    Column("condition", String(40), nullable=True),
    Column("enabled", Boolean(), nullable=False, default=True),
    Column("latest", String(200), nullable=True),
)

# A rule changed (or switched off) for one program: ``rules set KEY ... --program P``;
# ``offsets`` / ``latest`` empty: the global rule's.
program_rules = _stamped(
    "program_rules",
    Column(
        "program_id",
        Integer(),
        ForeignKey("programs.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", String(40), primary_key=True),
    Column("offsets", String(200), nullable=True),
    Column("latest", String(200), nullable=True),
    Column("enabled", Boolean(), nullable=False, default=True),
)

settings = _stamped(
    "settings",
    Column("key", String(40), primary_key=True),
    Column("value", Text(), nullable=False),
)

# A milestone the user marked done (``gradtrack done ID``); ``changes``: what ``done`` changed
# besides the mark (JSON), so ``undo`` reverts exactly that.
done_marks = _stamped(
    "done_marks",
    Column("milestone_id", String(120), primary_key=True),
    Column("changes", Text(), nullable=True),
)

# A stored move: ``level`` (``plan --level --apply``) or ``catch-up`` (a late step's date).
level_moves = _stamped(
    "level_moves",
    Column("milestone_id", String(120), primary_key=True),
    Column("day", Date(), nullable=False),
    Column("kind", String(10), nullable=False, default="level", server_default="level"),
)

# What was last published for one event of one feed namespace (docs/calendar.md).
published_events = _stamped(
    "published_events",
    Column("namespace", String(60), primary_key=True),
    Column("key", String(120), primary_key=True),
    Column("content_hash", String(64), nullable=False),
    Column("sequence", Integer(), nullable=False, default=0),
    Column("changed_at", UTCDateTime(), nullable=False),
)

# A secret feed URL; only the token's hash is stored.
subscriptions = _stamped(
    "subscriptions",
    _id(),
    Column("token_hash", String(64), nullable=False),
    _fk("recommender_id", "recommenders", nullable=True),
    _fk("program_id", "programs", nullable=True),
    _text("label", 200),
    Column("revoked_at", UTCDateTime(), nullable=True),
    UniqueConstraint("token_hash"),
)

# A file re-exported after every data-changing command (``calendar publish``); ``format`` is
# "ics" (a feed) or "html" (the report page, ``calendar publish --html``).
publish_targets = _stamped(
    "publish_targets",
    _id(),
    Column("path", String(1000), nullable=False),
    _fk("recommender_id", "recommenders", nullable=True),
    _fk("program_id", "programs", nullable=True),
    Column("format", String(10), nullable=False, default="ics", server_default="ics"),
    UniqueConstraint("path"),
)

# A CalDAV collection a feed is pushed to (``calendar push``).  Only the name of the environment
# variable holding the password is stored, never the password.  ``registered`` targets are
# synced again after every data-changing command.  ``synced_state``: what the last complete push
# showed (data version, renderer, feed); while it is still current, a push only compares the
# remote ETags with the stored ones.
push_targets = _stamped(
    "push_targets",
    _id(),
    Column("url", String(1000), nullable=False),
    _text("username", 200),
    _text("password_env", 200),
    _fk("recommender_id", "recommenders", nullable=True),
    _fk("program_id", "programs", nullable=True),
    Column("todo", Boolean(), nullable=False, default=False),
    Column("registered", Boolean(), nullable=False, default=False),
    Column("synced_at", UTCDateTime(), nullable=True),
    _text("synced_state", 300),
    UniqueConstraint("url"),
)

# One resource gradtrack created in a push target: where, its remote ETag, what it sent.
pushed_resources = _stamped(
    "pushed_resources",
    Column(
        "target_id",
        Integer(),
        ForeignKey("push_targets.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("uid", String(120), primary_key=True),
    Column("href", String(1000), nullable=False),
    Column("etag", String(200), nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("summary", String(200), nullable=False),
)

# One row, bumped by every write transaction: feeds are cached by it.
data_version = Table(
    "data_version",
    metadata,
    _id(),
    Column("version", Integer(), nullable=False, default=0),
    Column("changed_at", UTCDateTime(), nullable=True),
)

# One feed namespace as last published: its body's hash and its Last-Modified, which moves
# (from the clock) only when the body's bytes change, and never backwards, so HTTP validators
# and file exports agree on when a feed last changed.
feed_states = _stamped(
    "feed_states",
    Column("namespace", String(60), primary_key=True),
    Column("body_hash", String(64), nullable=False),
    Column("last_modified", UTCDateTime(), nullable=False),
)

# The bytes of one feed variant as last rendered, and what they were rendered from.  A cache,
# not published state: ``body`` (zlib-compressed) is the feed for ``namespace`` with
# ``variant`` options (``""`` or ``"alarms"``) at data version ``data_version``, by the
# renderer ``renderer`` names (gradtrack's version, the feed format, the applicant's zone).
# While all of them still hold, an export or a served request returns these bytes without
# building the plan (docs/calendar.md).
rendered_feeds = _stamped(
    "rendered_feeds",
    Column("namespace", String(60), primary_key=True),
    Column("variant", String(20), primary_key=True),
    Column("data_version", Integer(), nullable=False),
    Column("renderer", String(200), nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("body", LargeBinary(), nullable=False),
)
