"""The data model. Times are stored in UTC (naive columns hold UTC); phones in E.164."""

from __future__ import annotations

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship, validates

from bot.db import Base

CHANNELS = ("whatsapp", "sms", "simulator")
WORKER_ROLES = ("kader", "bidan", "perawat", "mantri", "admin")
ALERT_KINDS = (
    "symptom",
    "visit",
    "birth",
    "number_check",
    "question",
    "help",
    "kia_check",
    "miscarriage",
    "no_anc",
)
ALERT_STATUSES = ("open", "accepted", "escalated", "done", "referred", "closed")
URGENCIES = ("emergency", "routine")
OUTBOUND_STATUSES = (
    "queued",
    "sending",
    "retry",
    "accepted",
    "scheduled",
    "sent",
    "delivered",
    "read",
    "undelivered",
    "failed",
    "canceled",
)


class Area(Base):
    """A desa, dusun, RW or RT; children inherit the parent's time zone when theirs is empty."""

    __tablename__ = "area"
    id = Column(Integer, primary_key=True)
    code = Column(String(40), nullable=False, unique=True)
    name = Column(String(120), nullable=False)
    level = Column(String(10), nullable=False)  # desa | dusun | rw | rt
    parent_id = Column(Integer, ForeignKey("area.id"))
    timezone = Column(String(40))
    je_endemic = Column(Boolean, nullable=False, default=False)
    parent = relationship("Area", remote_side=[id])


worker_area = Table(
    "worker_area",
    Base.metadata,
    Column("worker_id", Integer, ForeignKey("worker.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", Integer, ForeignKey("area.id", ondelete="CASCADE"), primary_key=True),
)


class Contact(Base):
    """One phone number; it may receive the messages of a whole household."""

    __tablename__ = "contact"
    id = Column(Integer, primary_key=True)
    phone = Column(String(20), nullable=False, unique=True)
    channel = Column(String(10), nullable=False, default="whatsapp")
    language = Column(String(10), nullable=False, default="id")
    name = Column(String(120))
    area_id = Column(Integer, ForeignKey("area.id"))
    opted_out = Column(Boolean, nullable=False, default=False)
    opted_out_at = Column(DateTime)
    consent_at = Column(DateTime)
    last_inbound_at = Column(DateTime)
    created_at = Column(DateTime, nullable=False)
    persons = relationship("Person", back_populates="contact")
    area = relationship("Area")


class Person(Base):
    """A resident; their messages go to `contact`."""

    __tablename__ = "person"
    id = Column(Integer, primary_key=True)
    contact_id = Column(Integer, ForeignKey("contact.id"), nullable=False, index=True)
    name = Column(String(120), nullable=False)
    sex = Column(String(1))  # L | P
    birth_date = Column(Date)
    birth_date_estimated = Column(Boolean, nullable=False, default=False)
    hpht = Column(Date)  # last menstrual period of a current pregnancy
    edd = Column(Date)  # estimated due date
    delivery_date = Column(Date)  # the day the pregnancy ended (birth or loss)
    pregnancy_outcome = Column(String(10))  # birth | loss, for delivery_date
    delivery_weeks = Column(Integer)  # completed weeks of pregnancy on delivery_date, if known
    mother_id = Column(Integer, ForeignKey("person.id"))
    area_id = Column(Integer, ForeignKey("area.id"))
    status = Column(String(10), nullable=False, default="active")  # active | removed
    removed_reason = Column(String(40))
    created_at = Column(DateTime, nullable=False)
    updated_at = Column(DateTime, nullable=False)
    contact = relationship("Contact", back_populates="persons", foreign_keys=[contact_id])
    area = relationship("Area")


class Worker(Base):
    """A kader, bidan, perawat/mantri or puskesmas admin."""

    __tablename__ = "worker"
    id = Column(Integer, primary_key=True)
    phone = Column(String(20), nullable=False, unique=True)
    name = Column(String(120), nullable=False)
    role = Column(String(10), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False)
    areas = relationship("Area", secondary=worker_area)


class InboundMessage(Base):
    __tablename__ = "inbound_message"
    id = Column(Integer, primary_key=True)
    provider_message_id = Column(String(64), nullable=False, unique=True)
    channel = Column(String(10), nullable=False)
    contact_id = Column(Integer, ForeignKey("contact.id"), index=True)
    from_phone = Column(String(20), nullable=False)
    body = Column(Text, nullable=False, default="")
    intent = Column(String(40))
    confidence = Column(Float)
    status = Column(String(10), nullable=False, default="processed")  # processed | ignored | error
    received_at = Column(DateTime, nullable=False)


class OutboundMessage(Base):
    """The outbox: every message we send, with its delivery state."""

    __tablename__ = "outbound_message"
    id = Column(Integer, primary_key=True)
    idempotency_key = Column(String(120), nullable=False, unique=True)
    contact_id = Column(Integer, ForeignKey("contact.id"), index=True)
    inbound_id = Column(Integer, ForeignKey("inbound_message.id"), index=True)
    to_phone = Column(String(20), nullable=False)
    channel = Column(String(10), nullable=False)
    kind = Column(String(20), nullable=False, default="reply")  # reply | reminder | alert | system
    body = Column(Text, nullable=False)
    status = Column(String(12), nullable=False, default="queued", index=True)
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime, index=True)
    provider_message_id = Column(String(64), unique=True)
    error_code = Column(String(10))
    last_error = Column(Text)
    created_at = Column(DateTime, nullable=False)
    sent_at = Column(DateTime)
    updated_at = Column(DateTime, nullable=False)


class Conversation(Base):
    """Where a contact is in a flow: flow, step and the slots collected so far."""

    __tablename__ = "conversation"
    id = Column(Integer, primary_key=True)
    contact_id = Column(Integer, ForeignKey("contact.id"), nullable=False, unique=True)
    flow = Column(String(40))
    step = Column(String(40))
    slots = Column(JSON, nullable=False, default=dict)
    expires_at = Column(DateTime)
    updated_at = Column(DateTime, nullable=False)


class Report(Base):
    """A symptom report or a service complaint."""

    __tablename__ = "report"
    id = Column(Integer, primary_key=True)
    ref = Column(String(20), nullable=False, unique=True)
    kind = Column(String(12), nullable=False)  # symptom | complaint
    contact_id = Column(Integer, ForeignKey("contact.id"), nullable=False, index=True)
    person_id = Column(Integer, ForeignKey("person.id"))
    urgency = Column(String(10), nullable=False, default="routine")  # emergency | routine
    category = Column(String(20))
    symptoms = Column(JSON, nullable=False, default=list)
    text = Column(Text, nullable=False, default="")
    status = Column(String(12), nullable=False, default="open")
    # open | in_progress | resolved | referred | closed (its alert's outcome, or the dashboard)
    created_at = Column(DateTime, nullable=False)
    updated_at = Column(DateTime, nullable=False)


class Visit(Base):
    """A home visit or an appointment at a pustu, posyandu or puskesmas."""

    __tablename__ = "visit"
    id = Column(Integer, primary_key=True)
    ref = Column(String(20), nullable=False, unique=True)
    contact_id = Column(Integer, ForeignKey("contact.id"), nullable=False, index=True)
    person_id = Column(Integer, ForeignKey("person.id"))
    purpose = Column(String(30), nullable=False)
    place = Column(String(60), nullable=False)
    scheduled_at = Column(DateTime)
    status = Column(String(12), nullable=False, default="requested")
    created_at = Column(DateTime, nullable=False)
    updated_at = Column(DateTime, nullable=False)


class EventLog(Base):
    """Every domain event the flows emitted, as applied by the pipeline."""

    __tablename__ = "event_log"
    __table_args__ = (UniqueConstraint("inbound_id", "seq", name="uq_event_inbound_seq"),)
    id = Column(Integer, primary_key=True)
    type = Column(String(40), nullable=False, index=True)
    payload = Column(JSON, nullable=False, default=dict)
    contact_id = Column(Integer, ForeignKey("contact.id"), index=True)
    inbound_id = Column(Integer, ForeignKey("inbound_message.id"))
    seq = Column(Integer, nullable=False, default=0)
    created_at = Column(DateTime, nullable=False)


class DoseRecord(Base):
    """An immunization dose or a visit/check recorded as done (by the resident, a kader...)."""

    __tablename__ = "dose_record"
    __table_args__ = (UniqueConstraint("person_id", "item", "occurrence", name="uq_dose_once"),)
    id = Column(Integer, primary_key=True)
    person_id = Column(Integer, ForeignKey("person.id"), nullable=False, index=True)
    item = Column(String(10), nullable=False)  # item code: HB0, BCG, DPT1, ANC2, KN1, VITA...
    occurrence = Column(String(12), nullable=False, default="1")
    given_on = Column(Date, nullable=False)
    # self_report | kader | dashboard | import | kia_book | kia_estimate (Buku KIA as told by
    # the parent at registration; _estimated: the date is the scheduled one, not the book's)
    source = Column(String(12), nullable=False)
    worker_id = Column(Integer, ForeignKey("worker.id"))
    created_at = Column(DateTime, nullable=False)


class Reminder(Base):
    """The source of truth for reminders: one row per person, item, occurrence and stage."""

    __tablename__ = "reminder"
    __table_args__ = (
        UniqueConstraint("person_id", "item", "occurrence", "stage", name="uq_reminder_once"),
    )
    id = Column(Integer, primary_key=True)
    person_id = Column(Integer, ForeignKey("person.id"), nullable=False, index=True)
    contact_id = Column(Integer, ForeignKey("contact.id"), nullable=False, index=True)
    item = Column(String(10), nullable=False)
    occurrence = Column(String(12), nullable=False, default="1")
    stage = Column(String(8), nullable=False, default="due")  # due | overdue
    due_on = Column(Date, nullable=False)
    send_at = Column(DateTime, nullable=False, index=True)  # UTC, inside local quiet hours
    status = Column(String(10), nullable=False, default="pending")  # pending|sent|cancelled|done
    outbound_id = Column(Integer, ForeignKey("outbound_message.id"))
    created_at = Column(DateTime, nullable=False)
    updated_at = Column(DateTime, nullable=False)


class Alert(Base):
    """A report or request routed to health workers, with escalation when nobody accepts."""

    __tablename__ = "alert"
    id = Column(Integer, primary_key=True)
    ref = Column(String(20), nullable=False, unique=True)
    kind = Column(String(12), nullable=False)  # ALERT_KINDS
    urgency = Column(String(10), nullable=False)  # emergency | routine
    report_id = Column(Integer, ForeignKey("report.id"))

    @validates("kind")
    def _known_kind(self, _key: str, kind: str) -> str:
        """An unknown kind (or one too long for the column) fails on every database alike."""
        if kind not in ALERT_KINDS:
            raise ValueError(f"unknown alert kind {kind!r}")
        return kind

    visit_id = Column(Integer, ForeignKey("visit.id"))
    contact_id = Column(Integer, ForeignKey("contact.id"), nullable=False, index=True)
    person_id = Column(Integer, ForeignKey("person.id"))
    area_id = Column(Integer, ForeignKey("area.id"))
    status = Column(String(10), nullable=False, default="open")  # ALERT_STATUSES
    level = Column(Integer, nullable=False, default=1)  # 1 kader+bidan, 2 puskesmas on duty
    summary = Column(Text, nullable=False, default="")
    about = Column(String(200))  # who is affected, in the resident's words, when not a member
    signs = Column(JSON)  # danger signs as the flow worded them for workers (Indonesian)
    accepted_by = Column(Integer, ForeignKey("worker.id"))
    accepted_at = Column(DateTime)
    declined_by = Column(JSON, nullable=False, default=list)  # worker ids
    outcome = Column(String(20))  # visited | referred | no_one_home | cancelled
    note = Column(Text)
    closed_by = Column(Integer, ForeignKey("worker.id"))
    closed_at = Column(DateTime)
    escalate_at = Column(DateTime, index=True)
    created_at = Column(DateTime, nullable=False)
    updated_at = Column(DateTime, nullable=False)


class StaffUser(Base, UserMixin):
    """A dashboard login: admin sees everything, bidan/kader the areas of their linked worker.
    The Flask-Login user of the dashboard's sessions (UserMixin: `get_id` is the id)."""

    __tablename__ = "staff_user"
    id = Column(Integer, primary_key=True)
    username = Column(String(40), nullable=False, unique=True)
    password_hash = Column(String(255), nullable=False)  # werkzeug.security hash
    role = Column(String(10), nullable=False)  # admin | bidan | kader
    worker_id = Column(Integer, ForeignKey("worker.id"))
    active = Column(Boolean, nullable=False, default=True)
    last_login_at = Column(DateTime)
    created_at = Column(DateTime, nullable=False)
    updated_at = Column(DateTime, nullable=False)
    worker = relationship("Worker")

    @property
    def is_active(self) -> bool:
        """Flask-Login: a deactivated login cannot sign in."""
        return bool(self.active)


class AuditLog(Base):
    """Who viewed or changed which resident's data in the dashboard, and every login attempt."""

    __tablename__ = "audit_log"
    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, index=True)
    staff_id = Column(Integer, ForeignKey("staff_user.id"))
    username = Column(String(40), nullable=False, index=True)  # as typed, for failed logins too
    action = Column(String(30), nullable=False, index=True)  # view_person | record_dose | ...
    person_id = Column(Integer, ForeignKey("person.id"), index=True)
    target = Column(String(60))  # e.g. "report:100001", "visit:12", "export:overdue"
    detail = Column(JSON, nullable=False, default=dict)
    ip = Column(String(45))
