"""The store: SQLAlchemy 2 typed models (docs/storage.md).

Instants are stored as naive UTC in ``DateTime`` columns and come back aware (UTC) through
:class:`UTCDateTime`, so SQLite and PostgreSQL behave the same (docs/storage.md).  Local
deadline wall-clock times are stored next to their zone, so a deadline can be shown exactly as
the program stated it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from gradtrack.requirements import requirements_unknown, unknown_requirements
from gradtrack.timeutil import clock_now
from gradtrack.vocab import ENGLISH_TEST_LENGTH, NAME_LENGTH, TERM_LENGTH, URL_LENGTH

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


DEGREE_LABELS = {"phd": "PhD", "ms": "MS", "mphil": "MPhil", "other": "other"}


def display_name(institution: str, name: str, degree: str) -> str:
    """``Institution — Program (PhD)``: how people read a program."""
    return f"{institution} — {name} ({DEGREE_LABELS.get(degree, degree)})"


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


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Timestamped:
    """Every row records when it was created and last changed (the feeds need it)."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Program(Timestamped, Base):
    __tablename__ = "programs"
    __table_args__ = (UniqueConstraint("slug"), UniqueConstraint("handle"))

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200))
    institution: Mapped[str] = mapped_column(String(NAME_LENGTH))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    degree: Mapped[str] = mapped_column(String(10))
    field: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    url: Mapped[str] = mapped_column(String(URL_LENGTH), default="")
    source_url: Mapped[str] = mapped_column(String(URL_LENGTH), default="")
    verified: Mapped[date | None] = mapped_column(Date())
    fee: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    currency: Mapped[str] = mapped_column(String(3), default="")
    fee_waiver: Mapped[str] = mapped_column(String(10), default="none")
    fee_paid: Mapped[bool] = mapped_column(Boolean(), default=False)
    # Requirements: NULL is "not stated" (unknown), never a guess (docs/catalog.md); english_test ""
    # is "no English test needed".
    letters_required: Mapped[int | None] = mapped_column(Integer(), default=3)
    gre: Mapped[str | None] = mapped_column(String(20), default="optional")
    english_test: Mapped[str | None] = mapped_column(String(ENGLISH_TEST_LENGTH), default="")
    writing_sample: Mapped[bool] = mapped_column(Boolean(), default=False)
    priority: Mapped[int | None] = mapped_column(Integer())
    notes: Mapped[str] = mapped_column(Text(), default="")
    status: Mapped[str] = mapped_column(String(20), default="researching")
    offer_funded: Mapped[bool | None] = mapped_column(Boolean())
    offer_reply_by: Mapped[date | None] = mapped_column(Date())
    # The rest of the offer (docs/people.md); None / "" means not stated (unknown, never "no").
    offer_stipend: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    offer_stipend_currency: Mapped[str] = mapped_column(String(3), default="", server_default="")
    offer_stipend_period: Mapped[str] = mapped_column(String(10), default="", server_default="")
    offer_tuition_covered: Mapped[bool | None] = mapped_column(Boolean())
    offer_conditions: Mapped[str] = mapped_column(Text(), default="", server_default="")
    target_intake_id: Mapped[int | None] = mapped_column(
        ForeignKey("intakes.id", ondelete="SET NULL", use_alter=True)
    )
    # True when the user chose the target (`program target`, a file's target mark); otherwise
    # it is the default, chosen again whenever the program's intakes change.
    target_chosen: Mapped[bool] = mapped_column(Boolean(), default=False, server_default=false())
    # The short name people type (``cmu-phd-cs``); kept when the name changes (docs/catalog.md).
    handle: Mapped[str] = mapped_column(String(24))

    intakes: Mapped[list[Intake]] = relationship(
        back_populates="program",
        cascade="all, delete-orphan",
        passive_deletes=True,
        foreign_keys="Intake.program_id",
        order_by="Intake.id",
    )
    status_changes: Mapped[list[StatusChange]] = relationship(
        back_populates="program",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="StatusChange.id",
    )
    letters: Mapped[list[LetterRequest]] = relationship(
        back_populates="program", cascade="all, delete-orphan", passive_deletes=True
    )
    materials: Mapped[list[Material]] = relationship(
        back_populates="program", cascade="all, delete-orphan", passive_deletes=True
    )
    faculty: Mapped[list[Person]] = relationship(
        secondary="person_programs", viewonly=True, order_by="Person.lookup_name"
    )

    @property
    def display_name(self) -> str:
        return display_name(self.institution, self.name, self.degree)

    @property
    def unknown_requirements(self) -> list[str]:
        return unknown_requirements(
            self.letters_required, self.gre, self.english_test, self.fee, self.source_url
        )

    @property
    def requirements_unknown(self) -> bool:
        """A requirement the program states is not known, or its data is unverified."""
        return requirements_unknown(
            self.letters_required,
            self.gre,
            self.english_test,
            self.fee,
            self.verified,
            self.source_url,
        )

    @property
    def has_offer_details(self) -> bool:
        """Whether any part of an offer is stored (current or not: docs/people.md)."""
        return any(
            v not in (None, "")
            for v in (
                self.offer_funded,
                self.offer_reply_by,
                self.offer_stipend,
                self.offer_tuition_covered,
                self.offer_conditions,
            )
        )


class StatusChange(Timestamped, Base):
    """One timestamped step of a program's application status."""

    __tablename__ = "status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    program: Mapped[Program] = relationship(back_populates="status_changes")


class Intake(Timestamped, Base):
    """One concrete chance to apply to a program (docs/storage.md)."""

    __tablename__ = "intakes"
    __table_args__ = (UniqueConstraint("program_id", "term"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    term: Mapped[str] = mapped_column(String(TERM_LENGTH))
    kind: Mapped[str] = mapped_column(String(10), default="fixed")
    zone: Mapped[str] = mapped_column(String(64))
    # fixed/term: the deadline; rolling: the priority date (optional).
    deadline_local: Mapped[datetime | None] = mapped_column(DateTime())
    deadline_utc: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opens: Mapped[date | None] = mapped_column(Date())
    closes_local: Mapped[datetime | None] = mapped_column(DateTime())
    closes_utc: Mapped[datetime | None] = mapped_column(UTCDateTime())
    target_date: Mapped[date | None] = mapped_column(Date())

    program: Mapped[Program] = relationship(back_populates="intakes", foreign_keys=[program_id])
    extra_deadlines: Mapped[list[ExtraDeadline]] = relationship(
        back_populates="intake",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ExtraDeadline.kind",
    )


class ExtraDeadline(Timestamped, Base):
    """A typed extra deadline of an intake: letters, scores or funding consideration."""

    __tablename__ = "extra_deadlines"
    __table_args__ = (UniqueConstraint("intake_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[int] = mapped_column(ForeignKey("intakes.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    local: Mapped[datetime] = mapped_column(DateTime())
    at_utc: Mapped[datetime] = mapped_column(UTCDateTime())

    intake: Mapped[Intake] = relationship(back_populates="extra_deadlines")


class Person(Timestamped, Base):
    """A person (docs/people.md): a contact, a recommender or both -- always one row.

    The table keeps its first name, ``recommenders``, so the ids users typed (``r1``) and every
    foreign key to it stay as they were (docs/people.md).  ``role`` is stored in the column
    first called ``title``.
    """

    __tablename__ = "recommenders"
    __table_args__ = (UniqueConstraint("lookup_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    lookup_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column("title", String(200), default="")
    relationship_: Mapped[str] = mapped_column("relationship", String(200), default="")
    zone: Mapped[str] = mapped_column(String(64))
    # When `letter remind --send` last had a reminder accepted by the mail server.
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    affiliation: Mapped[str] = mapped_column(String(200), default="", server_default="")
    interests: Mapped[str] = mapped_column(Text(), default="", server_default="")
    url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    notes: Mapped[str] = mapped_column(Text(), default="", server_default="")
    is_recommender: Mapped[bool] = mapped_column(Boolean(), default=True, server_default=true())
    is_contact: Mapped[bool] = mapped_column(Boolean(), default=False, server_default=false())

    letters: Mapped[list[LetterRequest]] = relationship(
        back_populates="recommender", cascade="all, delete-orphan", passive_deletes=True
    )
    links: Mapped[list[PersonProgram]] = relationship(
        back_populates="person",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="PersonProgram.program_id",
    )
    outreach: Mapped[list[OutreachEvent]] = relationship(
        back_populates="person",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="[OutreachEvent.on, OutreachEvent.id]",
    )


Recommender = Person  # the recommender view of people: the name the letter code knows


class PersonProgram(Timestamped, Base):
    """A person linked to a program ("faculty of interest")."""

    __tablename__ = "person_programs"
    __table_args__ = (UniqueConstraint("person_id", "program_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("recommenders.id", ondelete="CASCADE"))
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))

    person: Mapped[Person] = relationship(back_populates="links")
    program: Mapped[Program] = relationship()


class OutreachEvent(Timestamped, Base):
    """One step of outreach to a person: a message sent, a reply received, or a close."""

    __tablename__ = "outreach_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("recommenders.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # message | reply | close
    via: Mapped[str] = mapped_column(String(10), default="")  # email | meeting | call
    on: Mapped[date] = mapped_column(Date())
    about: Mapped[str] = mapped_column(Text(), default="")

    person: Mapped[Person] = relationship(back_populates="outreach")


class LetterRequest(Timestamped, Base):
    __tablename__ = "letter_requests"
    __table_args__ = (UniqueConstraint("recommender_id", "program_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recommender_id: Mapped[int] = mapped_column(ForeignKey("recommenders.id", ondelete="CASCADE"))
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default="planned")
    asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    recommender: Mapped[Person] = relationship(back_populates="letters")
    program: Mapped[Program] = relationship(back_populates="letters")


class Material(Timestamped, Base):
    """A document or task; ``program_id`` NULL means shared by every program."""

    __tablename__ = "materials"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10), default="todo")
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notes: Mapped[str] = mapped_column(Text(), default="")

    program: Mapped[Program | None] = relationship(back_populates="materials")


class RuleRow(Timestamped, Base):
    """A milestone rule (docs/planner.md); seeded with the defaults by a migration."""

    __tablename__ = "rules"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    offsets: Mapped[str] = mapped_column(String(200))
    anchors: Mapped[str] = mapped_column(String(200))
    condition: Mapped[str | None] = mapped_column(String(40))
    enabled: Mapped[bool] = mapped_column(Boolean(), default=True)
    latest: Mapped[str | None] = mapped_column(String(200))


class ProgramRule(Timestamped, Base):
    """A rule changed (or switched off) for one program: ``rules set KEY ... --program P``.

    ``offsets`` / ``latest`` empty: the global rule's.
    """

    __tablename__ = "program_rules"

    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    offsets: Mapped[str | None] = mapped_column(String(200))
    latest: Mapped[str | None] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean(), default=True)


class Setting(Timestamped, Base):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text())


class DoneMark(Timestamped, Base):
    """A milestone the user marked done (``gradtrack done ID``)."""

    __tablename__ = "done_marks"

    milestone_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    # What ``done`` changed besides the mark (JSON), so ``undo`` reverts exactly that.
    changes: Mapped[str | None] = mapped_column(Text())


class LevelMove(Timestamped, Base):
    """A stored move: ``level`` (``plan --level --apply``) or ``catch-up`` (a late step's date)."""

    __tablename__ = "level_moves"

    milestone_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    day: Mapped[date] = mapped_column(Date())
    kind: Mapped[str] = mapped_column(String(10), default="level", server_default="level")


class PublishedEvent(Timestamped, Base):
    """What was last published for one event of one feed namespace (docs/calendar.md)."""

    __tablename__ = "published_events"

    namespace: Mapped[str] = mapped_column(String(60), primary_key=True)
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(Integer(), default=0)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Subscription(Timestamped, Base):
    """A secret feed URL; only the token's hash is stored."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    recommender_id: Mapped[int | None] = mapped_column(
        ForeignKey("recommenders.id", ondelete="CASCADE")
    )
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(200), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PublishTarget(Timestamped, Base):
    """A file re-exported after every data-changing command (``calendar publish``)."""

    __tablename__ = "publish_targets"
    __table_args__ = (UniqueConstraint("path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(1000))
    recommender_id: Mapped[int | None] = mapped_column(
        ForeignKey("recommenders.id", ondelete="CASCADE")
    )
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    # "ics" (a feed) or "html" (the report page, ``calendar publish --html``).
    format: Mapped[str] = mapped_column(String(10), default="ics", server_default="ics")


class PushTarget(Timestamped, Base):
    """A CalDAV collection a feed is pushed to (``calendar push``).

    Only the name of the environment variable holding the password is stored, never the
    password.  ``registered`` targets are synced again after every data-changing command.
    """

    __tablename__ = "push_targets"
    __table_args__ = (UniqueConstraint("url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(1000))
    username: Mapped[str] = mapped_column(String(200), default="")
    password_env: Mapped[str] = mapped_column(String(200), default="")
    recommender_id: Mapped[int | None] = mapped_column(
        ForeignKey("recommenders.id", ondelete="CASCADE")
    )
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    todo: Mapped[bool] = mapped_column(Boolean(), default=False)
    registered: Mapped[bool] = mapped_column(Boolean(), default=False)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What the last complete push showed (data version, renderer, feed): while it is still
    # current, a push only compares the remote ETags with the stored ones.
    synced_state: Mapped[str] = mapped_column(String(300), default="")


class PushedResource(Timestamped, Base):
    """One resource gradtrack created in a push target: where, its remote ETag, what it sent."""

    __tablename__ = "pushed_resources"

    target_id: Mapped[int] = mapped_column(
        ForeignKey("push_targets.id", ondelete="CASCADE"), primary_key=True
    )
    uid: Mapped[str] = mapped_column(String(120), primary_key=True)
    href: Mapped[str] = mapped_column(String(1000))
    etag: Mapped[str] = mapped_column(String(200))
    body_hash: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(String(200))


class DataVersion(Base):
    """One row, bumped by every write transaction: feeds are cached by it."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer(), default=0)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FeedState(Timestamped, Base):
    """One feed namespace as last published: its body's hash and its Last-Modified.

    ``last_modified`` moves (from the clock) only when the body's bytes change, and never
    backwards, so HTTP validators and file exports agree on when a feed last changed.
    """

    __tablename__ = "feed_states"

    namespace: Mapped[str] = mapped_column(String(60), primary_key=True)
    body_hash: Mapped[str] = mapped_column(String(64))
    last_modified: Mapped[datetime] = mapped_column(UTCDateTime())


class RenderedFeed(Timestamped, Base):
    """The bytes of one feed variant as last rendered, and what they were rendered from.

    A cache, not published state: ``body`` (zlib-compressed) is the feed for ``namespace``
    with ``variant`` options (``""`` or ``"alarms"``) at data version ``data_version``, by
    the renderer ``renderer`` names (gradtrack's version, the feed format, the applicant's
    zone).  While all of them still hold, an export or a served request returns these bytes
    without building the plan (docs/calendar.md).
    """

    __tablename__ = "rendered_feeds"

    namespace: Mapped[str] = mapped_column(String(60), primary_key=True)
    variant: Mapped[str] = mapped_column(String(20), primary_key=True)
    data_version: Mapped[int] = mapped_column(Integer())
    renderer: Mapped[str] = mapped_column(String(200))
    body_hash: Mapped[str] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary())
