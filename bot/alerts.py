"""Alert routing and wording: who is responsible for an area, and the alert text a worker
reads (the whole report: who, where, the signs, the resident's own words, how to answer).
What happens to an alert afterwards (accept, decline, close, escalate) is
bot/alert_lifecycle.py."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import labels, outbox
from bot.areas import AreaTree
from bot.catalog import Catalog
from bot.clock import to_db
from bot.models import Alert, Contact, Person, Report, Worker
from flows.base import PersonInfo
from flows.lifestage import age_days, life_stage, weeks_pregnant

WORDS_MAX = 300  # the resident's own words in an alert, at most


def escalation_delay(settings: dict[str, Any], urgency: str) -> timedelta:
    a = settings["alerts"]
    if urgency == "emergency":
        return timedelta(minutes=a["escalate_emergency_minutes"])
    return timedelta(hours=a["escalate_routine_hours"])


def responsible(
    session: Session,
    area_id: int | None,
    roles: tuple[str, ...],
    exclude: set[int] = frozenset(),
    tree: AreaTree | None = None,
) -> list[Worker]:
    """Active workers with one of `roles` covering the area (the area is inside one of theirs;
    with no area: all of them)."""
    chain = (tree or AreaTree(session)).chain_ids(area_id)
    workers = session.execute(
        select(Worker).where(Worker.active.is_(True), Worker.role.in_(roles)).order_by(Worker.id)
    ).scalars()
    return [
        w
        for w in workers
        if w.id not in exclude and (not chain or any(a.id in chain for a in w.areas))
    ]


def below(
    session: Session, area_id: int, tree: AreaTree, exclude: set[int] = frozenset()
) -> list[Worker]:
    """The kader of the areas inside this one: an alert known only by its desa goes to the
    kader of every dusun of that desa too (one of them is nearest; the first TERIMA wins).
    They may act on it: bot.areas.alert_scope is the same rule."""
    inside = tree.descendants([area_id])
    if not inside:
        return []
    workers = session.execute(
        select(Worker).where(Worker.active.is_(True), Worker.role == "kader").order_by(Worker.id)
    ).scalars()
    return [w for w in workers if w.id not in exclude and any(a.id in inside for a in w.areas)]


def who(cat: Catalog, person: Person | None, about: str | None, today: date) -> str:
    """'Bayu Pratama (bayi, umur 6 bulan)', 'Wulan (pasca keguguran, umur 28 tahun)'; else
    what the message says ('istri, hamil 8 bulan'); else 'tidak diketahui'."""
    if person is None:
        return (about or "").strip()[:120] or cat.t("alert.who_unknown")
    info = PersonInfo(
        person.id,
        person.name,
        person.sex,
        person.birth_date,
        person.hpht,
        person.edd,
        person.delivery_date,
    )
    parts = []
    weeks = weeks_pregnant(info, today)
    days = age_days(info, today)
    if weeks is not None:
        parts.append(cat.t("age.pregnant", n=weeks))
    else:
        stage = life_stage(info, today)
        if stage == "postpartum" and person.pregnancy_outcome == "loss":
            # the weeks after a miscarriage: no baby, not "ibu nifas" (life_stage keeps
            # postpartum for triage: bleeding or fever after a miscarriage is a danger sign)
            parts.append(cat.t("birth.loss.stage"))
        elif stage:
            parts.append(labels.word(cat, "stage", stage))
    if days is not None and days >= 0:
        if days < 60:
            parts.append(cat.t("age.days", n=days))
        elif days < 365 * 2:
            parts.append(cat.t("age.months", n=days // 30))
        else:
            parts.append(cat.t("age.years", n=days // 365))
    return f"{person.name} ({', '.join(parts)})" if parts else person.name


def signs_of(cat: Catalog, signs: list[str] | None, symptoms: list[str] | None) -> list[str]:
    """The danger signs as the flow worded them, else the NLU symptoms in the catalog's words."""
    worded = [str(s).strip() for s in signs or [] if str(s).strip()]
    return worded or labels.symptoms(cat, symptoms or [])


def describe(
    session: Session,
    alert: Alert,
    now: datetime,
    cat: Catalog,
    tree: AreaTree | None = None,
) -> dict[str, str]:
    """The alert's placeholders: ref, who, area, what, phone, and `body`, the whole report on
    a few lines (who, where, signs, the resident's words, phone)."""
    tree = tree or AreaTree(session)
    contact = session.get(Contact, alert.contact_id)
    person = session.get(Person, alert.person_id) if alert.person_id else None
    report = session.get(Report, alert.report_id) if alert.report_id else None
    values = {
        "ref": alert.ref,
        "who": who(cat, person, alert.about, now.date()),
        "area": tree.name(alert.area_id, cat.t("alert.unknown_area")),
        "what": alert.summary or "-",
        "phone": contact.phone if contact else "-",
    }
    signs = signs_of(cat, alert.signs, report.symptoms if report else None)
    words = labels.clip(report.text if report else "", WORDS_MAX)
    lines = [cat.t("alert.line.who", **values), cat.t("alert.line.area", **values)]
    if signs:
        key = "alert.line.signs" if alert.urgency == "emergency" else "alert.line.complaint"
        lines.append(cat.t(key, signs=", ".join(signs)))
    if words:
        lines.append(cat.t("alert.line.words", words=words))
    elif not signs:
        lines.append(cat.t("alert.line.what", **values))
    lines.append(cat.t("alert.line.phone", **values))
    return {**values, "body": "\n".join(lines)}


def summary(cat: Catalog, symptoms: list[str], text: str, signs: list[str] | None = None) -> str:
    """A few words for lists (dashboard, JADWAL): the signs, else the start of the text."""
    words = signs_of(cat, signs, symptoms)
    if words:
        return ", ".join(words)[:80]
    return labels.clip(text, 80)


def alert_key(alert: Alert) -> str:
    """The catalog text of a new alert to a worker."""
    return "alert.emergency" if alert.urgency == "emergency" else "alert.routine"


def notify(
    session: Session,
    alert: Alert,
    workers: list[Worker],
    key: str,
    now: datetime,
    tag: str,
    cat: Catalog,
    **extra: str,
) -> list[int]:
    """Queue the alert text to each worker (WhatsApp; SMS fallback is the outbox's job)."""
    text = cat.t(key, **describe(session, alert, now, cat), **extra)
    return outbox.to_workers(session, workers, text, now, f"alert:{alert.ref}:{tag}:{{worker}}")


FIRST_LINE = ("kader", "bidan")  # who a new alert goes to
# kinds sent to fewer roles: a miscarriage is the bidan's only (sensitive; the handler
# bot/handlers/household.pregnancy_lost sends it so), and so is what follows it
KIND_ROLES: dict[str, tuple[str, ...]] = {"miscarriage": ("bidan",)}


def first_line(
    session: Session,
    area_id: int | None,
    tree: AreaTree | None = None,
    roles: tuple[str, ...] = FIRST_LINE,
) -> list[Worker]:
    """Who a new alert in the area goes to (and who may act on it, bot.areas.alert_scope): the
    kader and bidan covering it, and the kader inside it (an alert known only by its desa is
    for every dusun kader of that desa too). Nobody for an unknown area. `roles` narrows it
    (("bidan",): the bidan covering the area only)."""
    if area_id is None:
        return []
    tree = tree or AreaTree(session)
    workers = responsible(session, area_id, roles, tree=tree)
    if "kader" not in roles:
        return workers
    return workers + below(session, area_id, tree, exclude={w.id for w in workers})


def first_line_of(session: Session, alert: Alert, tree: AreaTree | None = None) -> list[Worker]:
    """Whoever this alert was sent to in its area (first_line, for its kind's roles): they hear
    what follows (INFO TAMBAHAN, the escalation notice), and a TOLAK passes it to the next
    kader among them."""
    return first_line(session, alert.area_id, tree, KIND_ROLES.get(alert.kind, FIRST_LINE))


def raise_alert(
    session: Session,
    alert: Alert,
    now: datetime,
    settings: dict[str, Any],
    cat: Catalog,
) -> list[int]:
    """Send a new alert to the area's kader and bidan (first_line) and set its escalation
    time."""
    # unknown area (an unregistered resident): the puskesmas on duty, until the area is known
    tree = AreaTree(session)
    workers = first_line_of(session, alert, tree)
    if not workers:
        workers = responsible(session, alert.area_id, ("admin",), tree=tree)
    alert.escalate_at = to_db(now + escalation_delay(settings, alert.urgency))
    return notify(session, alert, workers, alert_key(alert), now, f"l{alert.level}", cat)
