"""The life of an alert, in one place for the WhatsApp commands (bot/kader.py), the dashboard
(bot/dashboard/services.py) and the scheduler: accept, decline, close with an outcome, refer,
escalate. Its report and visit follow it.

    open --accept--> accepted --close/refer--> done | referred | closed
      |  \\--decline--> (next kader it was sent to, else) escalated --accept--> accepted ...
      \\--nobody in time--> escalated

Who may act: a worker on the alerts of her own areas and the areas below them, a kader also on
an alert placed only at her desa (sent to every kader of the desa), the puskesmas admin on all
(bot.areas.worker_scope, bot.areas.alert_scope). A refused action raises Refused; the caller
words it from the catalog (`kader.<reason>` on WhatsApp, `dashboard.refused.<reason>` on the
web)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import alerts, labels, outbox
from bot.areas import AreaTree, alert_scope, in_scope, worker_scope
from bot.catalog import Catalog, load_catalog
from bot.clock import from_db, to_db
from bot.models import Alert, Contact, OutboundMessage, Person, Report, StaffUser, Visit, Worker

log = logging.getLogger(__name__)
ACTIVE = ("open", "accepted", "escalated")
CLOSED = ("done", "referred", "closed")
OUTCOMES = ("visited", "referred", "no_one_home", "cancelled")
# what each outcome makes of the alert, its report and its visit
ALERT_STATUS = {
    "visited": "done",
    "no_one_home": "done",
    "referred": "referred",
    "cancelled": "closed",
}
REPORT_STATUS = {  # the dashboard's report statuses: open, in_progress, resolved, referred, closed
    "visited": "resolved",
    "no_one_home": "resolved",
    "referred": "referred",
    "cancelled": "closed",
}
VISIT_STATUS = {
    "visited": "done",
    "referred": "done",
    "no_one_home": "no_show",
    "cancelled": "cancelled",
}
VISIT_FINAL = ("done", "no_show", "cancelled")


class Refused(Exception):
    """The action is not allowed: `reason` names the catalog text, `values` fill it in."""

    def __init__(self, reason: str, **values: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.values = values

    def text(self, cat: Catalog, prefix: str) -> str:
        return cat.t(f"{prefix}.{self.reason}", **self.values)


@dataclass(frozen=True)
class Actor:
    """Who acts: a worker (WhatsApp, or a dashboard login linked to one) or a puskesmas login
    without a worker (worker_id None)."""

    worker_id: int | None
    name: str
    role: str
    scope: frozenset[int] | None  # area ids; None = every area
    tag: str  # part of outbox idempotency keys

    def may_act(self, area_id: int | None) -> bool:
        """On a resident's data (doses, visits) in `area_id`."""
        return in_scope(self.scope, area_id)

    def may_act_on_alert(self, tree: AreaTree, area_id: int | None) -> bool:
        """On an alert placed in `area_id`: as on its data, and a kader also on an alert
        placed above her area within her desa, which was sent to her (bot.areas.alert_scope)."""
        return in_scope(alert_scope(tree, self.scope, self.role), area_id)


def worker_actor(tree: AreaTree, worker: Worker) -> Actor:
    return Actor(worker.id, worker.name, worker.role, worker_scope(tree, worker), str(worker.id))


def staff_actor(tree: AreaTree, staff: StaffUser, cat: Catalog | None = None) -> Actor:
    """A dashboard login acts as its linked worker, with the login's role."""
    worker = staff.worker
    if worker is not None:
        return Actor(
            worker.id,
            worker.name,
            worker.role,
            worker_scope(tree, worker, staff.role),
            str(worker.id),
        )
    cat = cat or load_catalog("id")
    scope = worker_scope(tree, None, staff.role)
    return Actor(None, cat.t("alert.staff_name"), "admin", scope, f"staff{staff.id}")


def check(alert: Alert, actor: Actor, tree: AreaTree, cat: Catalog) -> None:
    """Refused unless the actor may act on this alert and it is still active."""
    if not actor.may_act_on_alert(tree, alert.area_id):
        raise Refused(
            "not_your_area",
            ref=alert.ref,
            area=tree.name(alert.area_id, cat.t("alert.unknown_area")),
        )
    if alert.status in CLOSED:
        raise Refused(
            "already_closed", ref=alert.ref, status=labels.word(cat, "alert_status", alert.status)
        )


def _taken_by_other(
    session: Session, alert: Alert, actor: Actor, cat: Catalog | None = None
) -> None:
    if alert.accepted_by and alert.accepted_by != actor.worker_id:
        other = session.get(Worker, alert.accepted_by)
        raise Refused("already_taken", ref=alert.ref, worker=other.name if other else "-")
    if alert.status == "accepted" and alert.accepted_by is None and actor.worker_id is not None:
        # taken on the dashboard by a puskesmas login without a worker: it is theirs too
        staff = (cat or load_catalog("id")).t("alert.staff_name")
        raise Refused("already_taken", ref=alert.ref, worker=staff)


def _told_workers(session: Session, alert: Alert, but: Actor) -> list[Worker]:
    """The workers the alert (or its updates) was sent to, but the actor."""
    phones = set(
        session.execute(
            select(OutboundMessage.to_phone).where(
                OutboundMessage.kind == "alert",
                OutboundMessage.idempotency_key.like(f"alert:{alert.ref}:%"),
            )
        ).scalars()
    )
    if not phones:
        return []
    workers = session.execute(
        select(Worker).where(Worker.phone.in_(sorted(phones)), Worker.active.is_(True))
    ).scalars()
    return [w for w in workers if w.id != but.worker_id]


def _tell_others(
    session: Session, alert: Alert, actor: Actor, key: str, now: datetime, cat: Catalog, **values
) -> list[int]:
    """The other workers the alert went to hear who took or closed it, so nobody drives out
    twice and nobody assumes someone else went."""
    text = cat.t(key, ref=alert.ref, worker=actor.name, **values)
    tag = f"alert:{alert.ref}:{key.rsplit('.', 1)[-1]}:{actor.tag}:{{worker}}"
    return outbox.to_workers(session, _told_workers(session, alert, actor), text, now, tag)


def _hears(contact: Contact, alert: Alert) -> bool:
    """Whether the resident is told what happens to her alert: always for her emergency (who
    is coming, that nobody answered), even after STOP; otherwise unless she opted out."""
    return alert.urgency == "emergency" or not contact.opted_out


def _report(session: Session, alert: Alert) -> Report | None:
    return session.get(Report, alert.report_id) if alert.report_id else None


def accept(
    session: Session, alert: Alert, actor: Actor, now: datetime, cat: Catalog | None = None
) -> list[int]:
    """TERIMA / Tangani: the alert is the actor's, no escalation, its report in progress, and
    the resident is told who is coming. Returns the outbound ids to send."""
    cat = cat or load_catalog("id")
    check(alert, actor, AreaTree(session), cat)
    _taken_by_other(session, alert, actor, cat)
    if alert.status != "accepted" or alert.accepted_at is None:
        alert.accepted_at = to_db(now)
    alert.status, alert.escalate_at = "accepted", None
    alert.accepted_by = actor.worker_id or alert.accepted_by
    alert.updated_at = to_db(now)
    report = _report(session, alert)
    if report is not None and report.status == "open":
        report.status, report.updated_at = "in_progress", to_db(now)
    others = _tell_others(session, alert, actor, "alert.taken_by_other", now, cat)
    contact = session.get(Contact, alert.contact_id)
    if contact is None or not _hears(contact, alert):
        return others
    role = labels.word(cat, "role", actor.role)
    if actor.role == "admin" or role.lower() in actor.name.lower():
        # "Puskesmas (piket) menerima ...", "Kader Cici menerima ...": no role after the name
        body = cat.t("alert.resident_accepted_puskesmas", worker=actor.name, ref=alert.ref)
    else:
        body = cat.t("alert.resident_accepted", worker=actor.name, role=role, ref=alert.ref)
    msg = outbox.queue(
        session,
        key=f"alert:{alert.ref}:accepted:{actor.tag}",
        to_phone=contact.phone,
        channel=contact.channel,
        body=body,
        now=now,
        contact_id=contact.id,
        kind="alert",
    )
    return [msg.id, *others]


def decline(
    session: Session,
    alert: Alert,
    actor: Actor,
    reason: str,
    now: datetime,
    settings: dict[str, Any],
    cat: Catalog | None = None,
) -> tuple[list[int], bool]:
    """TOLAK with a reason: the next kader it was sent to (bot.alerts.first_line_of) gets the
    alert; when there is none left, the puskesmas on duty at once. Returns (outbound ids,
    escalated)."""
    cat = cat or load_catalog("id")
    tree = AreaTree(session)
    check(alert, actor, tree, cat)
    reason = " ".join((reason or "").split())[:200]
    if not reason:
        raise Refused("need_reason", ref=alert.ref)
    _taken_by_other(session, alert, actor, cat)
    declined = set(alert.declined_by or [])
    if actor.worker_id is not None:
        declined.add(actor.worker_id)
    alert.declined_by = sorted(declined)
    alert.note = cat.t("alert.declined_note", worker=actor.name, reason=reason)
    if alert.status == "accepted":  # she took it, now gives it back
        alert.status = "escalated" if alert.level > 1 else "open"
        alert.accepted_by = alert.accepted_at = None
        report = _report(session, alert)
        if report is not None and report.status == "in_progress":
            report.status, report.updated_at = "open", to_db(now)
    alert.updated_at = to_db(now)
    if alert.level > 1:  # already with the puskesmas: they hear she gave it back
        duty = alerts.responsible(session, alert.area_id, ("admin",), tree=tree) or (
            alerts.responsible(session, None, ("admin",), tree=tree)
        )
        since = labels.elapsed(cat, now - from_db(alert.created_at))
        ids = alerts.notify(
            session, alert, duty, "alert.escalated_declined", now, f"redecl{len(declined)}",
            cat, elapsed=since, worker=actor.name, reason=reason,
        )  # fmt: skip
        return ids, True
    # the next kader among those it was sent to (a desa-level alert: every dusun kader of the
    # desa), none who said no; an unknown area is the puskesmas's, not every kader's
    others = [
        w
        for w in alerts.first_line_of(session, alert, tree)
        if w.role == "kader" and w.id not in declined
    ]
    if others:
        # the next kader has until the alert's own deadline, like the first ones had
        deadline = from_db(alert.created_at) + alerts.escalation_delay(settings, alert.urgency)
        alert.escalate_at = to_db(max(deadline, now))
        ids = alerts.notify(
            session, alert, others[:1], alerts.alert_key(alert), now, f"next{len(declined)}", cat
        )
        return ids, False
    return escalate(session, alert, now, cat, declined=(actor.name, reason)), True


def close(
    session: Session,
    alert: Alert,
    actor: Actor,
    outcome: str,
    note: str,
    now: datetime,
    cat: Catalog | None = None,
    settings: dict[str, Any] | None = None,
) -> list[int]:
    """SELESAI / RUJUK / Selesai: the alert ends with an outcome (visited, referred,
    no_one_home, cancelled) and a note; its report and visit follow. With `settings`, a closed
    Buku KIA check re-plans the child at once (the doses that waited for it are reminded).
    A kader closes only her own or an untaken case; when the bidan or the puskesmas closes a
    case someone took, she is told (the outbox ids returned; the dispatcher sends them)."""
    cat = cat or load_catalog("id")
    check(alert, actor, AreaTree(session), cat)
    if outcome not in OUTCOMES:
        raise Refused("bad_outcome", ref=alert.ref)
    if actor.role == "kader":  # another kader's case is hers to close (the bidan may)
        _taken_by_other(session, alert, actor, cat)
    ids: list[int] = []
    taker = session.get(Worker, alert.accepted_by) if alert.accepted_by else None
    if taker is not None and taker.id != actor.worker_id:  # she hears her case was closed
        words = labels.word(cat, "outcome", outcome)
        body = cat.t("alert.closed_by_other", ref=alert.ref, worker=actor.name, outcome=words)
        key = f"alert:{alert.ref}:closed_by_other:{actor.tag}:{{worker}}"
        ids += outbox.to_workers(session, [taker], body, now, key)
    finish(session, alert, outcome, note, now, actor.worker_id)
    from scheduler.reminders import BOOK_CHECK_KIND

    if settings is not None and alert.kind == BOOK_CHECK_KIND and alert.person_id is not None:
        from bot.doses import replan

        person = session.get(Person, alert.person_id)
        if person is not None:
            session.flush()
            replan(session, person, now, settings)
    return ids


def refer(
    session: Session,
    alert: Alert,
    actor: Actor,
    note: str,
    now: datetime,
    cat: Catalog | None = None,
    settings: dict[str, Any] | None = None,
) -> list[int]:
    """RUJUK: closed as referred to the puskesmas or a hospital."""
    return close(session, alert, actor, "referred", note, now, cat, settings)


def finish(
    session: Session,
    alert: Alert,
    outcome: str,
    note: str | None,
    now: datetime,
    worker_id: int | None = None,
) -> None:
    """Close the alert with `outcome` (no checks: for the resident cancelling her own visit, or
    after close() checked), then its report and visit."""
    alert.status = ALERT_STATUS[outcome]
    alert.outcome, alert.note = outcome, (note or "")[:500] or alert.note
    if worker_id is not None:
        alert.accepted_by = alert.accepted_by or worker_id
        alert.accepted_at = alert.accepted_at or to_db(now)
    alert.closed_by, alert.closed_at = worker_id, to_db(now)
    alert.escalate_at = None
    alert.updated_at = to_db(now)
    report = _report(session, alert)
    if report is not None:
        report.status, report.updated_at = REPORT_STATUS[outcome], to_db(now)
    visit = session.get(Visit, alert.visit_id) if alert.visit_id else None
    if visit is not None and visit.status not in VISIT_FINAL:
        visit.status, visit.updated_at = VISIT_STATUS[outcome], to_db(now)


def escalate(
    session: Session,
    alert: Alert,
    now: datetime,
    cat: Catalog | None = None,
    declined: tuple[str, str] | None = None,
) -> list[int]:
    """To the puskesmas on duty, with the real time since the alert was raised; whoever it was
    sent to (bot.alerts.first_line_of: a desa-level alert's dusun kader too) and the resident
    are told."""
    cat = cat or load_catalog("id")
    tree = AreaTree(session)
    since = labels.elapsed(cat, now - from_db(alert.created_at))
    first = alerts.first_line_of(session, alert, tree)  # whoever it was sent to hears of it
    duty = alerts.responsible(session, alert.area_id, ("admin",), tree=tree) or (
        alerts.responsible(session, None, ("admin",), tree=tree)
    )
    key, extra = "alert.escalated", {"elapsed": since}
    if declined is not None:  # (who, why): the last kader of the area said no
        key, extra = (
            "alert.escalated_declined",
            {**extra, "worker": declined[0], "reason": declined[1]},
        )
    ids = alerts.notify(session, alert, duty, key, now, "esc", cat, **extra)
    ids += alerts.notify(
        session, alert, first, "alert.escalated_notice", now, "escnote", cat, elapsed=since
    )
    contact = session.get(Contact, alert.contact_id)
    if contact is not None and _hears(contact, alert):
        # an emergency nobody answered: she must not wait for us (the puskesmas is told)
        key = (
            "alert.resident_escalated_emergency"
            if alert.urgency == "emergency"
            else "alert.resident_escalated"
        )
        msg = outbox.queue(
            session,
            key=f"alert:{alert.ref}:resident-esc",
            to_phone=contact.phone,
            channel=contact.channel,
            body=cat.t(key, ref=alert.ref),
            now=now,
            contact_id=contact.id,
            kind="alert",
        )
        ids.append(msg.id)
    alert.status = "escalated"
    alert.level = 2
    alert.escalate_at = None
    alert.updated_at = to_db(now)
    log.info("alert %s escalated to %d on-duty worker(s) after %s", alert.ref, len(duty), since)
    return ids


def escalate_due(
    session: Session, now: datetime, settings: dict[str, Any], cat: Catalog | None = None
) -> list[int]:
    """Alerts nobody accepted in time go to the puskesmas on duty (the scheduler, every
    minute, with the runtime's catalog)."""
    due = session.execute(
        select(Alert)
        .where(Alert.status == "open", Alert.escalate_at <= to_db(now))
        .order_by(Alert.id)
        .with_for_update(skip_locked=True)
    ).scalars()
    cat = cat or load_catalog("id")
    ids: list[int] = []
    for alert in list(due):
        ids += escalate(session, alert, now, cat)
    return ids
