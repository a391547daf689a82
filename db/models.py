"""The school's people and the links that let them talk to the bot.

Every row that belongs to a school carries `school_id`, so one deployment can serve a
whole school board. Times are stored in UTC (`UTCDateTime`).
"""
from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from db.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


ROLE_TEACHER = "teacher"
ROLE_COORDINATOR = "coordinator"
STAFF_ROLES = (ROLE_TEACHER, ROLE_COORDINATOR)


class School(Base):
    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The school's short name in a board's schools file (`--school`); None for a
    # deployment set up from the environment alone.
    key: Mapped[str | None] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    default_language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Account(Base):
    """A Telegram user who has talked to a school's bot. Linked to a guardian and/or staff.

    One per school: a parent with children at two schools of the board talks to two bots,
    and has two accounts (each with its own language, dialog and reachability)."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("school_id", "telegram_user_id", name="uq_accounts_school_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    # The language the person chose with /language; None means "not chosen".
    language: Mapped[str | None] = mapped_column(String(8))
    # What Telegram reported as the app's language, as received.
    telegram_language: Mapped[str | None] = mapped_column(String(16))
    # Set when Telegram answered 403 (blocked the bot, deleted the account); cleared
    # when the person writes to the bot again.
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Staff(Base):
    """A teacher or the coordinator."""

    __tablename__ = "staff"
    __table_args__ = (
        UniqueConstraint("school_id", "name", name="uq_staff_school_name"),
        CheckConstraint("role IN ('teacher', 'coordinator')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(8))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The private calendar feed's secret (a capability URL, like a calendar app's "secret
    # address"): kept readable so /calendar can show it again; /calendar renews it.
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)

    account: Mapped[Account | None] = relationship(lazy="raise")


class SchoolClass(Base):
    """A class (group) with its teacher."""

    __tablename__ = "classes"
    __table_args__ = (UniqueConstraint("school_id", "name", name="uq_classes_school_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    teacher_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)

    teacher: Mapped[Staff | None] = relationship(lazy="raise")


pupil_households = Table(
    "pupil_households",
    Base.metadata,
    Column("pupil_id", Integer, ForeignKey("pupils.id", ondelete="CASCADE"), primary_key=True),
    Column("household_id", Integer, ForeignKey("households.id", ondelete="CASCADE"), primary_key=True),
)


class Pupil(Base):
    __tablename__ = "pupils"
    __table_args__ = (UniqueConstraint("school_id", "external_id", name="uq_pupils_school_external"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    external_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id"), index=True)
    # A pupil who left the school stays for history but is no longer invited.
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    school_class: Mapped[SchoolClass] = relationship(lazy="raise")
    households: Mapped[list[Household]] = relationship(
        secondary=pupil_households, back_populates="pupils", lazy="raise"
    )


class Household(Base):
    __tablename__ = "households"
    __table_args__ = (UniqueConstraint("school_id", "external_id", name="uq_households_school_external"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    external_id: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The home's postcode as the roster gives it, normalised ("1234 AB" in the
    # Netherlands, "1234" in Belgium); None when the roster has no postcode column.
    postcode: Mapped[str | None] = mapped_column(String(8))

    pupils: Mapped[list[Pupil]] = relationship(
        secondary=pupil_households, back_populates="households", lazy="raise"
    )
    guardians: Mapped[list[Guardian]] = relationship(back_populates="household", lazy="raise")


class Guardian(Base):
    """A parent or carer, member of one household."""

    __tablename__ = "guardians"
    __table_args__ = (UniqueConstraint("household_id", "name", name="uq_guardians_household_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # After /forget: name and phone are gone; this hash of the roster's (household, name)
    # keeps a later roster import from bringing them back.
    forgotten_key: Mapped[str | None] = mapped_column(String(64), index=True)

    household: Mapped[Household] = relationship(back_populates="guardians", lazy="raise")
    account: Mapped[Account | None] = relationship(lazy="raise")


class InviteToken(Base):
    """A personal link's token. Only its SHA-256 hash is stored."""

    __tablename__ = "invite_tokens"
    __table_args__ = (
        CheckConstraint(
            "(guardian_id IS NULL) <> (staff_id IS NULL)", name="one_person"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    guardian_id: Mapped[int | None] = mapped_column(ForeignKey("guardians.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_by_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    # Set when a newer link was issued for the same person before this one was used.
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebLink(Base):
    """A household's personal web page (`/v/<token>`), for families without Telegram.

    One live link per household: a new one replaces the old (`revoked_at`). Only the
    token's SHA-256 hash is stored. The page works while a visit period is open."""

    __tablename__ = "web_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class StaffWebSession(Base):
    """The coordinator on the dashboard: a one-time login link (`login`), then the
    browser's session (`session`, its cookie). Only the tokens' hashes are stored."""

    __tablename__ = "staff_web_sessions"
    __table_args__ = (CheckConstraint("kind IN ('login', 'session')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ProcessedUpdate(Base):
    """Telegram update ids already handled, so a re-delivered update is handled once.
    Update ids are counted per bot, so per school."""

    __tablename__ = "processed_updates"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True, autoincrement=False)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


# -- the visit loop ---------------------------------------------------------------

class PeriodStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class InvitationStatus(StrEnum):
    PENDING = "pending"  # not answered (again), e.g. after a cancellation
    REQUESTED = "requested"  # a time asked for, or proposed by the teacher
    BOOKED = "booked"  # a visit confirmed
    DECLINED = "declined"  # not this year
    NO_FIT = "no_fit"  # none of the times fits: the teacher is to call


class AppointmentStatus(StrEnum):
    REQUESTED = "requested"
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    REPLACED = "replaced"


class BroadcastStatus(StrEnum):
    DRAFT = "draft"
    SENDING = "sending"
    DONE = "done"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a worker, for the length of its lease
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # the news was stale when its turn came


class Channel(StrEnum):
    """How a family was reached, or how an answer came: in the bot, or the teacher
    recording what was agreed by phone, at the door or by a letter sent back."""

    BOT = "bot"
    PHONE = "phone"
    DOOR = "door"
    LETTER = "letter"
    WEB = "web"


def _one_of(enum: type[StrEnum], column: str = "status") -> str:
    """A CHECK constraint's condition: the column holds one of the enum's values."""
    return f"{column} IN (" + ", ".join(f"'{member.value}'" for member in enum) + ")"


class VisitPeriod(Base):
    """The weeks in which teachers visit. One open period per school at a time."""

    __tablename__ = "visit_periods"
    __table_args__ = (
        CheckConstraint(_one_of(PeriodStatus), name="status"),
        CheckConstraint("last_day >= first_day", name="days"),
        Index("uq_visit_periods_one_open", "school_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    visit_minutes: Mapped[int] = mapped_column(Integer)
    buffer_minutes: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(8))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


period_classes = Table(
    "period_classes",
    Base.metadata,
    Column("period_id", Integer, ForeignKey("visit_periods.id", ondelete="CASCADE"), primary_key=True),
    Column("class_id", Integer, ForeignKey("classes.id", ondelete="CASCADE"), primary_key=True),
)
"""The classes a period covers (a school that visits every other year). A period with no
rows here covers every class."""


class AvailabilityWindow(Base):
    """A stretch of time in which a teacher can make visits."""

    __tablename__ = "availability_windows"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("visit_periods.id"), index=True)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Invitation(Base):
    """One household invited by one teacher in one period (siblings in two classes: two)."""

    __tablename__ = "invitations"
    __table_args__ = (
        UniqueConstraint("period_id", "household_id", "teacher_id", name="uq_invitations_period_household_teacher"),
        CheckConstraint(_one_of(InvitationStatus), name="status"),
        CheckConstraint(_one_of(Channel, "reached_by"), name="reached_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("visit_periods.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    decline_reason: Mapped[str | None] = mapped_column(String(16))
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("guardians.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Optimistic lock: every change bumps it; a press on an old state cannot win.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Gentle reminders to a household that has not answered (never after a decline).
    nudges_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_nudged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The visit's UID in calendars (RFC 5545): one per invitation, kept when the visit moves,
    # random so that no two schools or deployments ever share one.
    calendar_uid: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: f"{uuid.uuid4()}@homevisit")
    # How the household's last answer came (None: nobody has reached them yet).
    reached_by: Mapped[str | None] = mapped_column(String(8))
    # The family's answer to "would an interpreter help?" (None: not asked or not answered).
    interpreter_wanted: Mapped[bool | None] = mapped_column(Boolean)
    # Siblings visited together (SIBLING_VISITS=together): the household's invitations of
    # one period share the id of the first of them; None when visited on their own.
    joint_id: Mapped[int | None] = mapped_column(Integer, index=True)


VENUES = ("home", "school", "park", "cafe", "phone")
ACTIVE_APPOINTMENT_STATES = (AppointmentStatus.REQUESTED, AppointmentStatus.PROPOSED, AppointmentStatus.CONFIRMED)


class Appointment(Base):
    """A time and a place for one invitation's visit."""

    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint(_one_of(AppointmentStatus), name="status"),
        CheckConstraint(_one_of(Channel, "channel"), name="channel"),
        CheckConstraint("venue IN ('home', 'school', 'park', 'cafe', 'phone')", name="venue"),
        # A slot can be taken once: the database refuses a second live appointment
        # of one teacher at the same start, whatever the Python code does.
        Index("uq_appointments_live_slot", "teacher_id", "starts_at", unique=True,
              sqlite_where=text("status IN ('requested', 'proposed', 'confirmed')"),
              postgresql_where=text("status IN ('requested', 'proposed', 'confirmed')")),
        # At most one live appointment per invitation.
        Index("uq_appointments_live_invitation", "invitation_id", unique=True,
              sqlite_where=text("status IN ('requested', 'proposed', 'confirmed')"),
              postgresql_where=text("status IN ('requested', 'proposed', 'confirmed')")),
        Index("ix_appointments_teacher_time", "teacher_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id"), index=True)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    venue: Mapped[str] = mapped_column(String(8))
    place: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(12))
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("guardians.id", ondelete="SET NULL"))
    cancelled_by: Mapped[str | None] = mapped_column(String(12))  # guardian or teacher
    cancel_reason: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When the visit was fixed (the family was sent its calendar file): a visit that was
    # confirmed and then no longer holds is withdrawn from calendars.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # How it was arranged: in the bot, or recorded by the teacher (phone, door, letter).
    channel: Mapped[str] = mapped_column(String(8), default=Channel.BOT, server_default=Channel.BOT.value)
    # A second visitor: a colleague of the same school, and/or an interpreter (not a user
    # of the bot, so a name and a phone number).
    colleague_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"), index=True)
    interpreter_name: Mapped[str | None] = mapped_column(String(120))
    interpreter_phone: Mapped[str | None] = mapped_column(String(40))
    # The teacher said, on the evening itself, that they run this many minutes late.
    late_minutes: Mapped[int | None] = mapped_column(Integer)


class CallAttempt(Base):
    """The teacher phoned the family and nobody answered."""

    __tablename__ = "call_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), index=True)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class DialogState(Base):
    """Where a person is in a multi-step flow, kept in the database (restarts, two workers)."""

    __tablename__ = "dialog_states"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    flow: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Broadcast(Base):
    """The coordinator's announcement to a group; its messages are outbox rows."""

    __tablename__ = "broadcasts"
    __table_args__ = (
        CheckConstraint("audience IN ('guardians', 'class', 'staff')", name="audience"),
        CheckConstraint(_one_of(BroadcastStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    audience: Mapped[str] = mapped_column(String(12))
    class_id: Mapped[int | None] = mapped_column(ForeignKey("classes.id"))
    # A personal line per language, added below the catalog's announcement.
    extra: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(8))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    # Where the coordinator watches progress (a chat message we edit), if in chat.
    progress_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # Recipients without Telegram, per class: {"Groep 3": 2, ...}
    not_linked: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OutboxMessage(Base):
    """A message that must not be lost or doubled, written with the change that causes it."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(_one_of(OutboxStatus), name="status"),
        Index("ix_outbox_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # False for messages that answer the reader's own action: those go out at night too.
    quiet: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    # Planned messages (reminders, nudges) carry a key so that planning twice, or by two
    # workers at once, cannot queue them twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"), index=True)
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True)


class OutboxLease(Base):
    """Which worker may send for a bot now. Telegram's limits are per bot, so one worker at
    a time sends (the others handle updates); a lease not renewed is taken over."""

    __tablename__ = "outbox_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)  # "bot:<bot id>"
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Telegram said 429 (to any worker, for an outbox message or a reply): nobody sends
    # for this bot before this moment.
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


# -- after the visit ------------------------------------------------------------------

NOTE_OUTCOMES = ("done", "not_home", "at_school", "by_phone")
FOLLOW_UP_KINDS = ("books", "library", "homework_place", "care_talk", "other")


class Note(Base):
    """The teacher's record of one visit. Read by its author and the coordinator only."""

    __tablename__ = "notes"
    __table_args__ = (
        CheckConstraint("outcome IN ('done', 'not_home', 'at_school', 'by_phone')", name="outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"), unique=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(12))
    # {question key: {"text": "..."} or {"voice": telegram file id, "seconds": n}}
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FollowUp(Base):
    """Something agreed at a visit that the teacher ticks off later."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        CheckConstraint("kind IN ('books', 'library', 'homework_place', 'care_talk', 'other')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"), index=True)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """Who read or exported notes, and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    actor: Mapped[str] = mapped_column(String(120))  # "staff:12" or "cli"
    action: Mapped[str] = mapped_column(String(24))  # note_read, notes_export
    subject: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
