"""What the dashboard changes, done like the kader commands: alerts through the same lifecycle
(bot/alert_lifecycle.py), reminders stopped when a dose is recorded."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import alert_lifecycle as lifecycle
from bot import doses
from bot.areas import AreaTree
from bot.catalog import Catalog
from bot.clock import to_db
from bot.models import (
    Alert,
    DoseRecord,
    Person,
    Report,
    StaffUser,
    Visit,
)
from scheduler.rules import DoseRule, default_rules

RECORDABLE = doses.RECORDABLE
REPORT_STATUSES = ("open", "in_progress", "resolved")
VISIT_OUTCOMES = lifecycle.OUTCOMES
SCHOOL_AGE = 6  # years: where flows/lifestage.py starts the school_age stage (BIAS doses)


class ChangeError(ValueError):
    """The change is not allowed; the message is Indonesian, for the page."""


def record_dose(
    session: Session,
    person: Person,
    item: str,
    given_on: date,
    staff: StaffUser,
    today: date,
    now: datetime,
    settings: dict[str, Any],
    *,
    catalog: Catalog,
) -> DoseRecord:
    """Record a dose or ANC/KN/KF visit (source "dashboard"): its pending reminders are done
    and the person's reminders re-planned (e.g. the next dose's interval starts now).
    `catalog` words a refusal (the runtime's)."""
    try:
        (dose,) = doses.record(
            session,
            person,
            [doses.Given(item, given_on, "dashboard", staff.worker_id)],
            today,
            now,
            settings,
        )
    except doses.DoseRefused as exc:
        raise ChangeError(exc.text(catalog)) from exc
    return dose


def add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def fits_person(person: Person, item: str, today: date, je_area: bool = True) -> bool:
    """Whether the dose form offers `item` for this person: the dose service's own rule
    (bot/doses.check does not refuse it as not for this person on some date from birth to
    today: sex, HPV for girls, ANC/KF for girls and women of 10 and older, KN in the first
    weeks of life), and an item timed from birth only while the planner still follows it at
    the person's age (its rule's `track_until`: the infant vaccines to 59 months, KN to 3
    months, the school doses and HPV to 15 years), so an adult is not offered HB0 or BCG;
    the school (BIAS) doses from school age on (the life stage school_age); JE only when
    `je_area` (the person's area is JE-endemic, bot.doses.je_area)."""
    rule = default_rules().get(item)
    if isinstance(rule, DoseRule) and rule.only_if == "je_endemic" and not je_area:
        return False
    probe = Person(
        name=person.name,
        sex=person.sex,
        birth_date=person.birth_date,
        hpht=person.hpht,
        edd=person.edd,
        delivery_date=person.delivery_date,
    )
    # `probe` is not in the session: check() judges the person, not the doses recorded
    for on in dict.fromkeys(d for d in (today, person.birth_date) if d is not None):
        try:
            doses.check(None, probe, doses.Given(item, on, "dashboard"), on)
        except doses.DoseRefused as exc:
            if exc.reason in ("not_for_person", "not_in_pregnancy", "not_after_birth"):
                continue
        break
    else:
        return False
    birth = person.birth_date
    if getattr(rule, "anchor", None) != "birth" or birth is None:
        return True
    if isinstance(rule, DoseRule) and rule.campaign and today < add_years(birth, SCHOOL_AGE):
        return False  # a school (BIAS) dose: not for a child below school age
    return today <= rule.track_until.last_day(birth)


def _actor(session: Session, staff: StaffUser) -> lifecycle.Actor:
    return lifecycle.staff_actor(AreaTree(session), staff)


def _refused(exc: lifecycle.Refused, catalog: Catalog) -> ChangeError:
    return ChangeError(exc.text(catalog, "dashboard.refused"))


def accept_alert(
    session: Session, alert: Alert, staff: StaffUser, now: datetime, *, catalog: Catalog
) -> list[int]:
    """Tangani = TERIMA: the alert is taken (no escalation), its report in progress, and the
    resident is told who took it."""
    try:
        return lifecycle.accept(session, alert, _actor(session, staff), now)
    except lifecycle.Refused as exc:
        raise _refused(exc, catalog) from exc


def close_alert(
    session: Session,
    alert: Alert,
    outcome: str,
    note: str,
    staff: StaffUser,
    now: datetime,
    settings: dict[str, Any] | None = None,
    *,
    catalog: Catalog,
) -> None:
    """Selesai = SELESAI/RUJUK: the outcome and note; the linked report and visit follow.
    On the dashboard both are required (a closed emergency needs a record of what was done)."""
    if alert.status in lifecycle.ACTIVE and not (note or "").strip():
        raise ChangeError(catalog.t("dashboard.refused.need_note"))
    try:
        lifecycle.close(
            session, alert, _actor(session, staff), outcome, note, now, settings=settings
        )
    except lifecycle.Refused as exc:
        raise _refused(exc, catalog) from exc


def _active_alert(session: Session, **link: int) -> Alert | None:
    column = Alert.report_id if "report_id" in link else Alert.visit_id
    return (
        session.execute(
            select(Alert)
            .where(column == next(iter(link.values())), Alert.status.in_(lifecycle.ACTIVE))
            .order_by(Alert.id)
        )
        .scalars()
        .first()
    )


def set_report_status(
    session: Session,
    report: Report,
    status: str,
    note: str,
    staff: StaffUser,
    now: datetime,
    settings: dict[str, Any] | None = None,
    *,
    catalog: Catalog,
) -> tuple[str, list[int]]:
    """open -> in_progress -> resolved (a note is required to resolve). A linked alert is
    taken when work starts (like Tangani) and closed on resolution (the outcome read from the
    note, like SELESAI), and the report then follows its alert. Returns (the previous status,
    outbound ids to send)."""
    if status not in REPORT_STATUSES:
        raise ChangeError("Status tidak dikenal.")
    if status == report.status:
        raise ChangeError("Status tidak berubah.")
    if status == "resolved" and not note:
        raise ChangeError("Tulis catatan penyelesaian.")
    previous = report.status
    alert = _active_alert(session, report_id=report.id)
    if previous == "resolved" and alert is None:
        closed = session.execute(
            select(Alert.ref).where(Alert.report_id == report.id).order_by(Alert.id.desc())
        ).scalar()
        if closed is not None:  # reopened alone, it would wait for nobody and never escalate
            raise ChangeError(
                f"Laporan ini selesai bersama peringatan {closed}, jadi tidak bisa dibuka lagi "
                "dari sini. Bila warga masih butuh bantuan, hubungi warga; pesan darurat baru "
                "dari warga membuat peringatan baru."
            )
    ids: list[int] = []
    try:
        if alert is not None and status == "in_progress" and alert.status != "accepted":
            ids = lifecycle.accept(session, alert, _actor(session, staff), now)
        elif alert is not None and status == "resolved":
            from flows.kader_commands import outcome_of

            lifecycle.close(
                session,
                alert,
                _actor(session, staff),
                outcome_of(note),
                note,
                now,
                settings=settings,
            )
    except lifecycle.Refused as exc:
        raise _refused(exc, catalog) from exc
    if status != "resolved" or alert is None:
        report.status = status
    report.updated_at = to_db(now)
    return previous, ids


def visit_outcome(
    session: Session,
    visit: Visit,
    outcome: str,
    note: str,
    staff: StaffUser,
    now: datetime,
    settings: dict[str, Any] | None = None,
    *,
    catalog: Catalog,
) -> str:
    """The result of a visit: done (visited or referred), no_show or cancelled; a linked open
    alert is closed with the same outcome (like SELESAI). Returns the previous status."""
    if outcome not in VISIT_OUTCOMES:
        raise ChangeError("Pilih hasil kunjungan.")
    if visit.status in lifecycle.VISIT_FINAL:
        raise ChangeError("Kunjungan ini sudah dicatat hasilnya.")
    previous = visit.status
    visit.status = lifecycle.VISIT_STATUS[outcome]
    visit.updated_at = to_db(now)
    alert = _active_alert(session, visit_id=visit.id)
    if alert is not None:
        try:
            lifecycle.close(
                session, alert, _actor(session, staff), outcome, note, now, settings=settings
            )
        except lifecycle.Refused as exc:
            raise _refused(exc, catalog) from exc
    return previous
