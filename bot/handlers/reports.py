"""Symptom reports, complaints and alerts: apply the flows' events."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import alerts, labels
from bot.alert_lifecycle import ACTIVE, finish
from bot.areas import AreaTree
from bot.clock import to_db
from bot.deps import HandlerDeps
from bot.lookups import is_new
from bot.models import Alert, Area, Contact, Person, Report, Visit, Worker


def _person_area(
    session: Session, contact: Contact, person_id: int | None, named: str | None = None
) -> int | None:
    """The person's area, else the contact's, else the area the message named (which then
    becomes the contact's)."""
    if person_id:
        person = session.get(Person, person_id)
        if person is not None and person.area_id:
            return person.area_id
    if contact.area_id is None and named:
        area = session.execute(select(Area).where(Area.code == named)).scalar_one_or_none()
        if area is not None:
            contact.area_id = area.id
    return contact.area_id


def report_filed(deps: HandlerDeps, contact: Contact, event: dict[str, Any]) -> None:
    session, now = deps.session, deps.now
    session.add(
        Report(
            ref=event["ref"],
            kind="symptom",
            contact_id=contact.id,
            person_id=event.get("person_id"),
            urgency=event["urgency"],
            symptoms=event.get("symptoms") or [],
            text=event.get("text", ""),
            status="open",
            created_at=to_db(now),
            updated_at=to_db(now),
        )
    )
    session.flush()


def _signs(event: dict[str, Any]) -> list[str]:
    """The optional `signs` of the event: Indonesian labels, as a list of non-empty texts."""
    raw = event.get("signs") or []
    if isinstance(raw, str):
        raw = [raw]
    return [str(s).strip()[:80] for s in raw if str(s).strip()][:10]


def alert_raised(deps: HandlerDeps, contact: Contact, event: dict[str, Any]) -> list[int]:
    session, now = deps.session, deps.now
    report = session.execute(select(Report).where(Report.ref == event["ref"])).scalar_one_or_none()
    text = event.get("text") or (report.text if report else "")
    symptoms = event.get("symptoms") or (report.symptoms if report else [])
    if report is not None and not report.text and text:
        report.text = text  # an older report_filed without the whole text
    person_id = event.get("person_id")
    about = (event.get("about") or "").strip()[:200] or None
    earlier = _told_before(deps, contact, report, event)
    if earlier is not None and report is not None:
        # the same story, begun as a routine report ("anak sy panas" / "udh 4 hari", then
        # "gusinya berdarah"): its words and its person go with the emergency, one case
        report.text = f"{earlier.text} / {report.text}"[:MAX_REPORT_TEXT]
        person_id = person_id or earlier.person_id
        _merge_into(deps, earlier, event["ref"])
    alert = Alert(
        ref=event["ref"],
        kind=event.get("kind", "symptom"),
        urgency=event["urgency"],
        report_id=report.id if report else None,
        contact_id=contact.id,
        person_id=person_id,
        area_id=_person_area(session, contact, event.get("person_id"), event.get("area_code")),
        status="open",
        level=1,
        summary=alerts.summary(deps.catalog, symptoms, text, _signs(event)),
        about=about,
        signs=_signs(event) or None,
        declined_by=[],
        created_at=to_db(now),
        updated_at=to_db(now),
    )
    session.add(alert)
    session.flush()
    return alerts.raise_alert(session, alert, now, deps.settings, deps.catalog)


MAX_REPORT_TEXT = 4000


def _told_before(
    deps: HandlerDeps, contact: Contact, report: Report | None, event: dict[str, Any]
) -> Report | None:
    """The routine symptom report this emergency continues: the contact's only open one of the
    last `alerts.followup_hours`, about the same person (or the emergency names nobody)."""
    if event.get("urgency") != "emergency" or report is None or contact.id is None:
        return None
    since = deps.now - timedelta(hours=deps.settings["alerts"]["followup_hours"])
    open_ones = list(
        deps.session.execute(
            select(Report).where(
                Report.contact_id == contact.id,
                Report.kind == "symptom",
                Report.urgency == "routine",
                Report.status.in_(("open", "in_progress")),
                Report.created_at >= to_db(since),
                Report.id != report.id,
            )
        ).scalars()
    )
    if len(open_ones) != 1:
        return None
    earlier, person = open_ones[0], event.get("person_id")
    if person is not None and earlier.person_id not in (None, person):
        return None  # about someone else in the household
    if person is None and event.get("about"):
        return None  # "istri saya ..." after a report about the child: not the same story
    return earlier


def _merge_into(deps: HandlerDeps, earlier: Report, ref: str) -> None:
    """The routine report and its alert end as part of emergency `ref` (the workers have the
    emergency, with these words in it)."""
    note = deps.catalog.t("alert.merged_note", ref=ref)
    for alert in deps.session.execute(
        select(Alert).where(Alert.report_id == earlier.id, Alert.status.in_(ACTIVE))
    ).scalars():
        finish(deps.session, alert, "cancelled", note, deps.now)
    earlier.status, earlier.updated_at = "closed", to_db(deps.now)


def open_emergency(deps: HandlerDeps, contact: Contact) -> dict[str, Any] | None:
    """The contact's emergency that is still open and recent: later messages go to it."""
    session, now = deps.session, deps.now
    if contact.id is None or is_new(session, contact):
        return None
    hours = deps.settings["alerts"]["followup_hours"]
    alert = session.execute(
        select(Alert)
        .where(
            Alert.contact_id == contact.id,
            Alert.urgency == "emergency",
            Alert.status.in_(ACTIVE),
            Alert.created_at >= to_db(now - timedelta(hours=hours)),
        )
        .order_by(Alert.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if alert is None:
        return None
    return {
        "ref": alert.ref,
        "area_known": alert.area_id is not None,
        "person_id": alert.person_id,
        "about": alert.about or "",
        "signs": list(alert.signs or []),
    }


def alert_updated(deps: HandlerDeps, contact: Contact, event: dict[str, Any]) -> list[int] | None:
    """More words (and maybe more signs) for an open emergency: kept with its report and sent
    to whoever has it (the accepting worker, else everyone it went to: bot.alerts.first_line_of,
    and the puskesmas once escalated)."""
    session, now = deps.session, deps.now
    alert = session.execute(select(Alert).where(Alert.ref == event.get("ref"))).scalar_one_or_none()
    if alert is None or alert.contact_id != contact.id:
        return None
    news = (event.get("text") or "").strip()
    report = session.get(Report, alert.report_id) if alert.report_id else None
    if report is not None and news:
        report.text = f"{report.text} / {news}"[:4000] if report.text else news[:4000]
        report.symptoms = sorted(set(report.symptoms or []) | set(event.get("symptoms") or []))
        report.updated_at = to_db(now)
    signs = list(dict.fromkeys([*(alert.signs or []), *_signs(event)]))
    if signs:
        alert.signs = signs
        alert.summary = alerts.summary(deps.catalog, [], "", signs)
    alert.updated_at = to_db(now)
    session.flush()
    tree = AreaTree(session)
    if alert.accepted_by:
        workers = [w for w in [session.get(Worker, alert.accepted_by)] if w is not None]
    else:  # everyone it was sent to (a desa-level alert: every dusun kader of the desa too)
        workers = alerts.first_line_of(session, alert, tree)
        if not workers or alert.level > 1:
            workers += alerts.responsible(session, alert.area_id, ("admin",), tree=tree)
        workers = list({w.id: w for w in workers}.values())  # once each
    tag = f"upd{event.get('n') or now.isoformat()}"
    return alerts.notify(
        session, alert, workers, "alert.update", now, tag, deps.catalog, news=labels.clip(news, 300)
    )


def alert_area_given(deps: HandlerDeps, contact: Contact, event: dict[str, Any]) -> list[int]:
    """The resident told us their desa (maybe its dusun) after an alert: remember it, tell its
    first line (bot.alerts.first_line_of), as for a new alert there, of any urgency."""
    session, now = deps.session, deps.now
    area = session.execute(select(Area).where(Area.code == event["area_code"])).scalar_one()
    if contact.area_id is None:
        contact.area_id = area.id
    given = session.execute(select(Alert).where(Alert.ref == event.get("ref"))).scalar_one_or_none()
    # that alert, and any other open alert of hers still without an area (told in two messages)
    pending = session.execute(
        select(Alert)
        .where(
            Alert.contact_id == contact.id,
            Alert.area_id.is_(None),
            Alert.status.in_(ACTIVE),
        )
        .order_by(Alert.id)
    ).scalars()
    ids: list[int] = []
    tree = AreaTree(session)
    for alert in {a.id: a for a in [*([given] if given else []), *pending]}.values():
        if alert.area_id is not None or alert.contact_id != contact.id:
            continue
        alert.area_id = area.id
        # its first line, as raise_alert sends a new one (a desa: every dusun kader of it too)
        workers = alerts.first_line_of(session, alert, tree)
        key = alerts.alert_key(alert)
        ids += alerts.notify(session, alert, workers, key, now, "area", deps.catalog)
    return ids


def _place_name(deps: HandlerDeps, code: str | None) -> str:
    """'pustu-skm' -> 'Pustu Sukamaju' (district.yml), as staff read it."""
    places = {p["code"]: p["name"] for p in deps.places}
    return places.get(code or "", code or "-")


def complaint_filed(deps: HandlerDeps, contact: Contact, event: dict[str, Any]) -> None:
    session, now = deps.session, deps.now
    session.add(
        Report(
            ref=event["ref"],
            kind="complaint",
            contact_id=contact.id,
            urgency="routine",
            category=event["category"],
            symptoms=[],
            text=f"[{_place_name(deps, event.get('facility'))}] {event.get('text', '')}",
            status="open",
            created_at=to_db(now),
            updated_at=to_db(now),
        )
    )


def question_forwarded(deps: HandlerDeps, contact: Contact, event: dict[str, Any]) -> list[int]:
    """A question the bot cannot answer goes to the kader/bidan as a routine alert."""
    session, now = deps.session, deps.now
    text = deps.catalog.t("alert.question_summary", text=labels.clip(event.get("text", ""), 200))
    alert = Alert(
        ref=event["ref"],
        kind="question",
        urgency="routine",
        contact_id=contact.id,
        area_id=contact.area_id,
        status="open",
        level=1,
        summary=text,
        declined_by=[],
        created_at=to_db(now),
        updated_at=to_db(now),
    )
    session.add(alert)
    session.flush()
    return alerts.raise_alert(session, alert, now, deps.settings, deps.catalog)


def new_ref(deps: HandlerDeps) -> str:
    """A fresh 6-digit reference from the runtime (like a flow's ctx.ref), unused so far."""
    for _ in range(10):
        ref = deps.new_ref()
        if not any(
            deps.session.execute(select(model.id).where(model.ref == ref)).first()
            for model in (Alert, Report, Visit)
        ):
            return ref
    return ref  # the database's unique constraint decides (the pipeline retries)


def help_needed(deps: HandlerDeps, contact: Contact, event: dict[str, Any]) -> list[int] | None:
    """The bot gave up after asking three times: a kader takes over (routine alert)."""
    session, now = deps.session, deps.now
    ref = str(event.get("ref") or "") or new_ref(deps)
    if session.execute(select(Alert.id).where(Alert.ref == ref)).first():
        return None
    flow = labels.word(deps.catalog, "flow", event.get("flow") or "other")
    alert = Alert(
        ref=ref,
        kind="help",
        urgency="routine",
        contact_id=contact.id,
        area_id=contact.area_id,
        status="open",
        level=1,
        summary=deps.catalog.t("alert.help_summary", flow=flow),
        declined_by=[],
        created_at=to_db(now),
        updated_at=to_db(now),
    )
    session.add(alert)
    session.flush()
    return alerts.raise_alert(session, alert, now, deps.settings, deps.catalog)


HANDLERS = {
    "report_filed": report_filed,
    "alert_raised": alert_raised,
    "alert_updated": alert_updated,
    "alert_area_given": alert_area_given,
    "complaint_filed": complaint_filed,
    "question_forwarded": question_forwarded,
    "help_needed": help_needed,
}


PROVIDERS = {
    "emergency": open_emergency,
}
