"""The ORM models: SQLAlchemy 2 typed classes mapped onto the Core tables of
:mod:`gradtrack.schema` (docs/storage.md).

The writes use these (relationships, cascades, the unit of work); the read commands read the
same tables through Core and never import this module (docs/architecture.md).  Each class
declares its columns' Python types for the type checker; the columns themselves, their
defaults and constraints are defined once, in the schema.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import DeclarativeBase, Mapped, column_property, relationship

from gradtrack import schema
from gradtrack.requirements import requirements_unknown, unknown_requirements
from gradtrack.schema import UTCDateTime, utcnow
from gradtrack.vocab import display_name

__all__ = ["UTCDateTime", "display_name", "utcnow"]


class Base(DeclarativeBase):
    metadata = schema.metadata


class Timestamped:
    """Every row records when it was created and last changed (the feeds need it)."""

    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Program(Timestamped, Base):
    __table__ = schema.programs

    id: Mapped[int]
    slug: Mapped[str]
    institution: Mapped[str]
    name: Mapped[str]
    degree: Mapped[str]
    field: Mapped[str]
    url: Mapped[str]
    source_url: Mapped[str]
    verified: Mapped[date | None]
    fee: Mapped[Decimal | None]
    currency: Mapped[str]
    fee_waiver: Mapped[str]
    fee_paid: Mapped[bool]
    letters_required: Mapped[int | None]
    gre: Mapped[str | None]
    english_test: Mapped[str | None]
    writing_sample: Mapped[bool]
    priority: Mapped[int | None]
    notes: Mapped[str]
    status: Mapped[str]
    offer_funded: Mapped[bool | None]
    offer_reply_by: Mapped[date | None]
    offer_stipend: Mapped[Decimal | None]
    offer_stipend_currency: Mapped[str]
    offer_stipend_period: Mapped[str]
    offer_tuition_covered: Mapped[bool | None]
    offer_conditions: Mapped[str]
    target_intake_id: Mapped[int | None]
    target_chosen: Mapped[bool]
    handle: Mapped[str]

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

    __table__ = schema.status_changes

    id: Mapped[int]
    program_id: Mapped[int]
    status: Mapped[str]
    changed_at: Mapped[datetime]

    program: Mapped[Program] = relationship(back_populates="status_changes")


class Intake(Timestamped, Base):
    """One concrete chance to apply to a program (docs/storage.md)."""

    __table__ = schema.intakes

    id: Mapped[int]
    program_id: Mapped[int]
    term: Mapped[str]
    kind: Mapped[str]
    zone: Mapped[str]
    deadline_local: Mapped[datetime | None]
    deadline_utc: Mapped[datetime | None]
    opens: Mapped[date | None]
    closes_local: Mapped[datetime | None]
    closes_utc: Mapped[datetime | None]
    target_date: Mapped[date | None]

    program: Mapped[Program] = relationship(
        back_populates="intakes", foreign_keys=[schema.intakes.c.program_id]
    )
    extra_deadlines: Mapped[list[ExtraDeadline]] = relationship(
        back_populates="intake",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ExtraDeadline.kind",
    )


class ExtraDeadline(Timestamped, Base):
    """A typed extra deadline of an intake: letters, scores or funding consideration."""

    __table__ = schema.extra_deadlines

    id: Mapped[int]
    intake_id: Mapped[int]
    kind: Mapped[str]
    local: Mapped[datetime]
    at_utc: Mapped[datetime]

    intake: Mapped[Intake] = relationship(back_populates="extra_deadlines")


class Person(Timestamped, Base):
    """A person (docs/people.md): a contact, a recommender or both -- always one row.

    The table keeps its first name, ``recommenders``, so the ids users typed (``r1``) and every
    foreign key to it stay as they were (docs/people.md).  ``role`` is stored in the column
    first called ``title``.
    """

    __table__ = schema.recommenders

    id: Mapped[int]
    name: Mapped[str]
    lookup_name: Mapped[str]
    email: Mapped[str]
    role: Mapped[str] = column_property(schema.recommenders.c.title)
    relationship_: Mapped[str] = column_property(schema.recommenders.c.relationship)
    zone: Mapped[str]
    reminded_at: Mapped[datetime | None]
    affiliation: Mapped[str]
    interests: Mapped[str]
    url: Mapped[str]
    notes: Mapped[str]
    is_recommender: Mapped[bool]
    is_contact: Mapped[bool]

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

    __table__ = schema.person_programs

    id: Mapped[int]
    person_id: Mapped[int]
    program_id: Mapped[int]

    person: Mapped[Person] = relationship(back_populates="links")
    program: Mapped[Program] = relationship()


class OutreachEvent(Timestamped, Base):
    """One step of outreach to a person: a message sent, a reply received, or a close."""

    __table__ = schema.outreach_events

    id: Mapped[int]
    person_id: Mapped[int]
    kind: Mapped[str]
    via: Mapped[str]
    on: Mapped[date]
    about: Mapped[str]

    person: Mapped[Person] = relationship(back_populates="outreach")


class LetterRequest(Timestamped, Base):
    __table__ = schema.letter_requests

    id: Mapped[int]
    recommender_id: Mapped[int]
    program_id: Mapped[int]
    status: Mapped[str]
    asked_at: Mapped[datetime | None]
    agreed_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    declined_at: Mapped[datetime | None]

    recommender: Mapped[Person] = relationship(back_populates="letters")
    program: Mapped[Program] = relationship(back_populates="letters")


class Material(Timestamped, Base):
    """A document or task; ``program_id`` NULL means shared by every program."""

    __table__ = schema.materials

    id: Mapped[int]
    kind: Mapped[str]
    name: Mapped[str]
    program_id: Mapped[int | None]
    status: Mapped[str]
    status_changed_at: Mapped[datetime | None]
    notes: Mapped[str]

    program: Mapped[Program | None] = relationship(back_populates="materials")


class RuleRow(Timestamped, Base):
    """A milestone rule (docs/planner.md); seeded with the defaults by a migration."""

    __table__ = schema.rules

    key: Mapped[str]
    offsets: Mapped[str]
    anchors: Mapped[str]
    condition: Mapped[str | None]
    enabled: Mapped[bool]
    latest: Mapped[str | None]


class ProgramRule(Timestamped, Base):
    """A rule changed (or switched off) for one program: ``rules set KEY ... --program P``."""

    __table__ = schema.program_rules

    program_id: Mapped[int]
    key: Mapped[str]
    offsets: Mapped[str | None]
    latest: Mapped[str | None]
    enabled: Mapped[bool]


class Setting(Timestamped, Base):
    __table__ = schema.settings

    key: Mapped[str]
    value: Mapped[str]


class DoneMark(Timestamped, Base):
    """A milestone the user marked done (``gradtrack done ID``)."""

    __table__ = schema.done_marks

    milestone_id: Mapped[str]
    changes: Mapped[str | None]


class LevelMove(Timestamped, Base):
    """A stored move: ``level`` (``plan --level --apply``) or ``catch-up`` (a late step's date)."""

    __table__ = schema.level_moves

    milestone_id: Mapped[str]
    day: Mapped[date]
    kind: Mapped[str]


class PublishedEvent(Timestamped, Base):
    """What was last published for one event of one feed namespace (docs/calendar.md)."""

    __table__ = schema.published_events

    namespace: Mapped[str]
    key: Mapped[str]
    content_hash: Mapped[str]
    sequence: Mapped[int]
    changed_at: Mapped[datetime]


class Subscription(Timestamped, Base):
    """A secret feed URL; only the token's hash is stored."""

    __table__ = schema.subscriptions

    id: Mapped[int]
    token_hash: Mapped[str]
    recommender_id: Mapped[int | None]
    program_id: Mapped[int | None]
    label: Mapped[str]
    revoked_at: Mapped[datetime | None]


class PublishTarget(Timestamped, Base):
    """A file re-exported after every data-changing command (``calendar publish``)."""

    __table__ = schema.publish_targets

    id: Mapped[int]
    path: Mapped[str]
    recommender_id: Mapped[int | None]
    program_id: Mapped[int | None]
    format: Mapped[str]


class PushTarget(Timestamped, Base):
    """A CalDAV collection a feed is pushed to (``calendar push``)."""

    __table__ = schema.push_targets

    id: Mapped[int]
    url: Mapped[str]
    username: Mapped[str]
    password_env: Mapped[str]
    recommender_id: Mapped[int | None]
    program_id: Mapped[int | None]
    todo: Mapped[bool]
    registered: Mapped[bool]
    synced_at: Mapped[datetime | None]
    synced_state: Mapped[str]


class PushedResource(Timestamped, Base):
    """One resource gradtrack created in a push target: where, its remote ETag, what it sent."""

    __table__ = schema.pushed_resources

    target_id: Mapped[int]
    uid: Mapped[str]
    href: Mapped[str]
    etag: Mapped[str]
    body_hash: Mapped[str]
    summary: Mapped[str]


class DataVersion(Base):
    """One row, bumped by every write transaction: feeds are cached by it."""

    __table__ = schema.data_version

    id: Mapped[int]
    version: Mapped[int]
    changed_at: Mapped[datetime | None]


class FeedState(Timestamped, Base):
    """One feed namespace as last published: its body's hash and its Last-Modified."""

    __table__ = schema.feed_states

    namespace: Mapped[str]
    body_hash: Mapped[str]
    last_modified: Mapped[datetime]


class RenderedFeed(Timestamped, Base):
    """The bytes of one feed variant as last rendered, and what they were rendered from."""

    __table__ = schema.rendered_feeds

    namespace: Mapped[str]
    variant: Mapped[str]
    data_version: Mapped[int]
    renderer: Mapped[str]
    body_hash: Mapped[str]
    body: Mapped[bytes]
