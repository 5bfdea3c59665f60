"""Visits: book one (for whom, what for, where, when), see the schedule, cancel or reschedule.

Every step is pure. Booked counts and the contact's upcoming visits come from the `visits`
lookup (bot/handlers/visits.py):
  {"upcoming": [{ref, person_id, person_name, purpose, place, scheduled_at, status}],
   "booked": {"<place code>|<local ISO date>": n},
   "persons": {"<person id>": {"given": [[item, ISO date]], "registered_on", "je_endemic"}}}
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from functools import partial
from typing import Any

from flows import asking
from flows import slots as rules
from flows.answers import clean_name, is_self, name_problem, yes_no
from flows.base import IDLE, AreaInfo, Context, Message, PersonInfo, State, Step
from flows.choices import NUMBER_WORDS, numbered, pick
from flows.events import VisitBooked, VisitCancelled, VisitRequested, VisitRescheduled
from flows.lifestage import life_stage
from flows.reports import PERSON_MATCH
from nlu.dates import When, resolve
from scheduler.planner import DUE, EXPIRED, OVERDUE, UPCOMING, Given, PersonFacts, plan
from scheduler.rules import DOSE_ITEMS

FLOW = "booking"
PAGE_LINES = 10  # JADWAL lines per page (headings included), readable on a phone
PURPOSES = ("anc", "immunization", "postnatal", "elderly", "bp_sugar", "ckg", "general")
# Words that name a purpose in a free answer or in the first message (first match wins).
PURPOSE_WORDS = (
    ("postnatal", r"nifas|(habis|setelah|sesudah|abis) (melahirkan|lahiran|persalinan)"),
    ("anc", r"hamil|kandungan|\banc\b|bumil|\busg\b|\bk[1-6]\b"),
    (
        "immunization",
        r"imuni[sz]asi|vaksin|polio|\bbcg\b|campak|\bdpt\b|\bpcv\b|rotavirus|\bmr\b|\bipv\b"
        r"|\bhb0\b|\bbias\b",
    ),
    ("ckg", r"\bckg\b|kesehatan gratis|skrining|screening"),
    ("elderly", r"lansia|manula|sepuh|posbindu"),
    (
        "bp_sugar",
        r"tensi|tekanan darah|\bgula\b|darah tinggi|hipertensi|diabetes|kolesterol|asam urat",
    ),
    ("general", r"konsultasi|\bumum\b|berobat|kontrol"),
)
PLACE_WORDS = (
    ("home", r"\brumah\b|home ?visit|dikunjungi|jemput bola"),
    ("pustu", r"\bpustu\b"),
    ("posyandu", r"\bposyandu\b"),
    ("puskesmas", r"\bpuskesmas\b|\bpkm\b"),
)
# A bare menu choice or service word starts the flow without answering any question.
START_WORDS = {"3", "4", "kunjungan", "janji", "booking", "jadwal", "jadwal kunjungan"}
_CHOICE = re.compile(r"^(?:no\.?|nomor|nomer|pilihan|pilih|yang|yg)?\s*(\w+)[.)!]*$")
_REF = re.compile(r"\b(\d{6})\b")
# Words that really ask to cancel; without them a lone visit is cancelled only after YA
# (the NLU model also reads the menu word KUNJUNGAN as cancel_visit).
CANCEL_WORDS = re.compile(
    r"batal|cancel|\b(ga|gak|g|nggak|ngga|enggak|tidak|tdk|tak|ndak)\s*jadi\b|berhalangan"
    r"|\b(ga|gak|nggak|ngga|enggak|tidak|tdk|tak|ndak)\s*bisa\s*(dateng|datang|hadir|ke)\b"
)
# "Whenever": offer the earliest free times instead of asking again.
ANY_TIME = re.compile(
    r"terserah|kapan (saja|aja|pun|bisa)|kapanpun|bebas|secepatnya|paling cepat|secepat mungkin"
    r"|yang kosong|yg kosong|ada yang (kosong|bisa)"
)
ACTIVE = ("requested", "booked")


# ----------------------------------------------------------------------------- formatting


def fmt_date(day: date, t: Any, today: date | None = None) -> str:
    """'Senin 23 Nov' ('Selasa 12 Jan 2027' when the year differs from today's)."""
    values = {
        "weekday": t(f"booking.day.{day.isoweekday()}"),
        "day": day.day,
        "month": t(f"booking.month.{day.month}"),
        "year": day.year,
    }
    key = "booking.date" if today is None or day.year == today.year else "booking.date_year"
    return t(key, **values)


def fmt_time(at: time) -> str:
    """09:00 -> '09.00' (Indonesian style)."""
    return f"{at.hour:02d}.{at.minute:02d}"


def purpose_name(code: str | None, t: Any) -> str:
    """The Indonesian label of a purpose code."""
    return t(f"booking.purpose.{code}") if code in PURPOSES else (code or "-")


def item_name(code: str, t: Any) -> str:
    """The Indonesian name of a schedule item (the reminders' `items.*` texts), else the code."""
    try:
        return t(f"items.{code}")
    except Exception:  # an item without a catalog text: show its code rather than fail
        return code


def opening(place: Mapping[str, Any], ctx: Context) -> str:
    """'Senin-Jumat jam 08.00-14.00', 'Selasa ke-2 tiap bulan jam 09.00-12.00'..."""
    start, end = rules.hours(place)
    hours = {"open": fmt_time(start), "close": fmt_time(end)}
    parts = []
    days = sorted(set(place.get("days") or ()))
    if days:
        names = [ctx.t(f"booking.day.{d}") for d in days]
        contiguous = len(days) >= 3 and days == list(range(days[0], days[-1] + 1))
        text = f"{names[0]}-{names[-1]}" if contiguous else ", ".join(names)
        parts.append(ctx.t("booking.opening.weekly", days=text, **hours))
    rule = place.get("posyandu_rule")
    if rule:
        weekday = ctx.t(f"booking.day.{int(rule['weekday']) + 1}")
        key = "booking.opening.monthly_last" if rule["nth"] == -1 else "booking.opening.monthly"
        parts.append(ctx.t(key, weekday=weekday, nth=rule["nth"], **hours))
    if place.get("dates"):
        today = ctx.today()
        upcoming = sorted(date.fromisoformat(str(d)) for d in place["dates"])
        shown = [fmt_date(d, ctx.t, today) for d in upcoming if d >= today][:3]
        if shown:
            parts.append(ctx.t("booking.opening.dates", dates=", ".join(shown), **hours))
    return "; ".join(parts)


def slot_label(at: datetime, ctx: Context) -> str:
    """'Senin 23 Nov 09.00'."""
    return ctx.t("booking.slot", date=fmt_date(at.date(), ctx.t, ctx.today()), time=fmt_time(at))


# ----------------------------------------------------------------------------- small helpers


_ask = partial(asking.ask, FLOW)  # a new question in this flow


def number_choice(text: str, count: int) -> int | None:
    """Index for '2', 'dua', 'no 2', 'pilihan dua' within 1..count, else None."""
    m = _CHOICE.match(" ".join(text.lower().split()))
    if not m:
        return None
    word = m.group(1)
    n = int(word) if word.isdigit() else NUMBER_WORDS.get(word)
    return n - 1 if n is not None and 1 <= n <= count else None


def _choose(text: str, labels: Sequence[str]) -> int | None:
    """A numbered choice by number, number word, or the option's words."""
    i = number_choice(text, len(labels))
    return i if i is not None else pick(text, labels)


def _place(ctx: Context, code: str | None) -> Mapping[str, Any] | None:
    return next((p for p in ctx.places if p["code"] == code), None)


def _is_home(place: Mapping[str, Any] | None) -> bool:
    return place is not None and place.get("kind") == "home"


def _lookup(ctx: Context) -> Mapping[str, Any]:
    return ctx.lookups.get("visits") or {}


def _person(ctx: Context, person_id: Any) -> PersonInfo | None:
    return next((p for p in ctx.household if p.id == person_id), None)


def _contact_person(ctx: Context) -> PersonInfo | None:
    """The household member who is the contact, when their names match."""
    name = (ctx.contact.name or "").strip().lower()
    return next((p for p in ctx.household if name and p.name.strip().lower() == name), None)


def _area(s: Mapping[str, Any], ctx: Context) -> str | None:
    """The area that decides places and kader: the person's, else the contact's, else asked."""
    person = _person(ctx, s.get("person_id"))
    return (person.area_code if person else None) or ctx.contact.area_code or s.get("area_code")


def _place_options(s: Mapping[str, Any], ctx: Context) -> list[Mapping[str, Any]]:
    """Places serving the area (all of them when it is unknown), the home visit last."""
    area = _area(s, ctx)
    served = [p for p in ctx.places if rules.serves(p, area, ctx.areas)]
    return [p for p in served if not _is_home(p)] + [p for p in served if _is_home(p)]


def _area_options(ctx: Context) -> list[AreaInfo]:
    """Dusun (else desa) a home visit can be routed to."""
    dusun = [a for a in ctx.areas if a.level == "dusun"]
    return dusun or [a for a in ctx.areas if a.level == "desa"]


def _area_label(area: AreaInfo, ctx: Context) -> str:
    parent = next((a for a in ctx.areas if a.code == area.parent), None)
    return f"{area.name} ({parent.name})" if parent else area.name


def _self_slots(ctx: Context) -> dict[str, Any]:
    person = _contact_person(ctx)
    return {
        "who_done": True,
        "self": True,
        "person_id": person.id if person else None,
        "person_name": person.name if person else ctx.contact.name,
    }


def _person_slots(person: PersonInfo, ctx: Context) -> dict[str, Any]:
    me = _contact_person(ctx)
    mine = me is not None and me.id == person.id
    return {"who_done": True, "self": mine, "person_id": person.id, "person_name": person.name}


def _who(s: Mapping[str, Any], ctx: Context) -> str:
    return ctx.t("booking.you") if s.get("self") else (s.get("person_name") or ctx.t("booking.you"))


def _utc_iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat()


def _local(iso: str | None, ctx: Context) -> datetime | None:
    """A stored UTC ISO moment in the contact's zone."""
    if not iso:
        return None
    at = datetime.fromisoformat(iso)
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(ctx.local_now().tzinfo)


def _counts(s: Mapping[str, Any], ctx: Context) -> dict[str, int]:
    """Booked counts per place and day; a visit being moved does not count against itself."""
    counts = {k: int(v) for k, v in (_lookup(ctx).get("booked") or {}).items()}
    visit = s.get("visit")
    if visit:
        at = _local(visit.get("scheduled_at"), ctx)
        if at is not None:
            key = rules.count_key(visit["place"], at.date())
            counts[key] = max(counts.get(key, 0) - 1, 0)
    return counts


def first_when(text: str, ctx: Context) -> When | None:
    """The first date/time expression in the text, resolved in the contact's zone."""
    found = resolve(text, ctx.now, ctx.tz)
    return found[0] if found else None


# ----------------------------------------------------------------------------- guessing


def _guess_person(msg: Message, ctx: Context) -> dict[str, Any]:
    """The household member a first message clearly names, or 'saya'."""
    text = msg.text.lower()
    for p in ctx.household:
        if p.name and re.search(rf"\b{re.escape(p.name.lower())}\b", text):
            return _person_slots(p, ctx)
    wanted = [str(e.get("value")) for e in msg.entities if e.get("entity") == "person"]
    today = ctx.today()
    for value in wanted:
        if value == "self":
            return _self_slots(ctx)
        stages = PERSON_MATCH.get(value, ())
        hits = [p for p in ctx.household if life_stage(p, today) in stages]
        if len(hits) == 1:
            return _person_slots(hits[0], ctx)
    return {}


def purpose_in(text: str) -> str | None:
    """The purpose a text names by its words, if any."""
    lowered = text.lower()
    return next((code for code, words in PURPOSE_WORDS if re.search(words, lowered)), None)


def _place_in(text: str, options: Sequence[Mapping[str, Any]]) -> int | None:
    """The option a text names by its kind ('pustu', 'rumah'...) when exactly one matches."""
    lowered = text.lower()
    for kind, words in PLACE_WORDS:
        if re.search(words, lowered):
            hits = [i for i, p in enumerate(options) if p.get("kind") == kind]
            if len(hits) == 1:
                return hits[0]
            named = [i for i in hits if options[i]["name"].lower() in lowered]
            return named[0] if len(named) == 1 else None
    return None


def _guess(msg: Message, ctx: Context) -> dict[str, Any]:
    """What the first message already says: who, what for, where, when."""
    if msg.text.strip().lower() in START_WORDS:
        return {}
    found: dict[str, Any] = _guess_person(msg, ctx)
    purpose = purpose_in(msg.text)
    if purpose:
        found["purpose"] = purpose
    options = _place_options(found, ctx)
    i = _place_in(msg.text, options)
    if i is not None:
        found["place"] = options[i]["code"]
    if first_when(msg.text, ctx) is not None:
        found["when_text"] = msg.text[:200]
    return found


# ----------------------------------------------------------------------------- booking


def start_booking(state: State, msg: Message, ctx: Context) -> Step:
    """Intent book_visit (menu 3)."""
    return _next({"mode": "book", **_guess(msg, ctx)}, ctx)


def _who_labels(ctx: Context) -> list[str]:
    """Household names, SAYA when the contact is not among them, and someone else."""
    labels = [p.name for p in ctx.household]
    if _contact_person(ctx) is None:
        labels.append(ctx.t("booking.self_option"))
    return labels + [ctx.t("booking.other_option")]


def _purpose_labels(ctx: Context) -> list[str]:
    return [purpose_name(code, ctx.t) for code in PURPOSES]


def _next(s: dict[str, Any], ctx: Context) -> Step:
    """Ask the first missing answer, or check the time and book."""
    if s.get("mode") == "book":
        if not s.get("who_done"):
            if ctx.household:
                return _ask("who", s, ctx.t("booking.ask_who", options=numbered(_who_labels(ctx))))
            return _ask("name", s, ctx.t("booking.ask_name"))
        if not s.get("purpose"):
            labels = numbered(_purpose_labels(ctx))
            return _ask("purpose", s, ctx.t("booking.ask_purpose", options=labels))
    place = _place(ctx, s.get("place"))
    if place is None:
        s.pop("place", None)
        names = numbered([p["name"] for p in _place_options(s, ctx)])
        return _ask("place", s, ctx.t("booking.ask_place", options=names))
    home_needs_area = s.get("mode") == "book" and _is_home(place) and _area(s, ctx) is None
    if home_needs_area and _area_options(ctx):
        labels = numbered([_area_label(a, ctx) for a in _area_options(ctx)])
        return _ask("area", s, ctx.t("booking.ask_area", options=labels))
    text = s.pop("when_text", None)
    when = first_when(text, ctx) if text else None
    if when is not None:
        return _try(_ask("when", s).state, when, ctx, failed=False)  # a time said already
    return _ask("when", s, _when_question(s, place, ctx))


def _when_question(s: Mapping[str, Any], place: Mapping[str, Any], ctx: Context) -> str:
    visit = s.get("visit")
    if visit:
        at = _local(visit.get("scheduled_at"), ctx)
        return ctx.t(
            "booking.reschedule.ask_when",
            ref=visit["ref"],
            when=slot_label(at, ctx) if at else "-",
            place=place["name"],
            opening=opening(place, ctx),
        )
    key = "booking.ask_when_home" if _is_home(place) else "booking.ask_when"
    return ctx.t(key, place=place["name"], opening=opening(place, ctx))


def step_who(state: State, msg: Message, ctx: Context) -> Step:
    """For whom: a household member by number or name, SAYA, or someone else."""
    s = dict(state.slots)
    labels = _who_labels(ctx)
    if is_self(msg.text):
        return _next({**s, **_self_slots(ctx)}, ctx)
    i = _choose(msg.text, labels)
    if i is None:
        named = _guess_person(msg, ctx)
        if named:
            return _next({**s, **named}, ctx)
        return asking.again(state, ctx, ctx.t("booking.reask_choice", options=numbered(labels)))
    if i < len(ctx.household):
        return _next({**s, **_person_slots(ctx.household[i], ctx)}, ctx)
    if labels[i] == ctx.t("booking.self_option"):
        return _next({**s, **_self_slots(ctx)}, ctx)
    return _ask("name", s, ctx.t("booking.ask_other_name"))


def step_name(state: State, msg: Message, ctx: Context) -> Step:
    """The name of the person to be seen (or SAYA) when the household does not list them."""
    s = dict(state.slots)
    if is_self(msg.text):
        return _next({**s, **_self_slots(ctx)}, ctx)
    name = clean_name(msg.text)
    if name_problem(name) is not None:
        return asking.again(state, ctx, ctx.t("booking.reask_name"))
    known = next((p for p in ctx.household if p.name.lower() == name.lower()), None)
    if known is not None:
        return _next({**s, **_person_slots(known, ctx)}, ctx)
    return _next(
        {**s, "who_done": True, "self": False, "person_id": None, "person_name": name}, ctx
    )


def step_purpose(state: State, msg: Message, ctx: Context) -> Step:
    """What for: one of the seven purposes by number or words."""
    labels = _purpose_labels(ctx)
    i = number_choice(msg.text, len(labels))
    code = PURPOSES[i] if i is not None else purpose_in(msg.text)
    if code is None:
        j = pick(msg.text, labels)
        code = PURPOSES[j] if j is not None else None
    if code is None:
        return asking.again(state, ctx, ctx.t("booking.reask_choice", options=numbered(labels)))
    return _next({**state.slots, "purpose": code}, ctx)


def step_place(state: State, msg: Message, ctx: Context) -> Step:
    """Where: a place serving the area, or a home visit."""
    options = _place_options(state.slots, ctx)
    names = [p["name"] for p in options]
    i = number_choice(msg.text, len(options))
    if i is None:
        i = _place_in(msg.text, options)
    if i is None:
        i = pick(msg.text, names)
    if i is None:
        return asking.again(state, ctx, ctx.t("booking.reask_choice", options=numbered(names)))
    s = {**state.slots, "place": options[i]["code"]}
    if first_when(msg.text, ctx) is not None:
        s["when_text"] = msg.text[:200]
    return _next(s, ctx)


def step_area(state: State, msg: Message, ctx: Context) -> Step:
    """Which dusun a home visit is for, when the contact's area is unknown."""
    options = _area_options(ctx)
    labels = [_area_label(a, ctx) for a in options]
    i = _choose(msg.text, labels)
    if i is None:
        i = pick(msg.text, [a.name for a in options])
    if i is None:
        return asking.again(state, ctx, ctx.t("booking.reask_choice", options=numbered(labels)))
    return _next({**state.slots, "area_code": options[i].code}, ctx)


def step_when(state: State, msg: Message, ctx: Context) -> Step:
    """When: an offered option by number or words, or a new day and time to check."""
    s = dict(state.slots)
    offered = [datetime.fromisoformat(o) for o in s.get("options") or []]
    if offered:
        i = number_choice(msg.text, len(offered))
        if i is not None:
            return _check(state, offered[i], ctx, failed=True)
    when = first_when(msg.text, ctx)
    if when is not None:
        if when.date is not None and when.time is None and when.part_of_day is None:
            same = [o for o in offered if o.date() == when.date]
            if same:
                return _check(state, same[0], ctx, failed=True)
        return _try(state, when, ctx, failed=True)
    if ANY_TIME.search(msg.text.lower()):
        return _earliest(state, ctx)
    if offered:
        i = pick(msg.text, [slot_label(o, ctx) for o in offered])
        if i is not None:
            return _check(state, offered[i], ctx, failed=True)
        labels = numbered([slot_label(o, ctx) for o in offered])
        return asking.again(state, ctx, ctx.t("booking.reask_options", options=labels))
    return asking.again(state, ctx, ctx.t("booking.reask_when"))


def _default_day(s: Mapping[str, Any], ctx: Context) -> date | None:
    """Rescheduling 'ke jam 10' keeps the visit's day."""
    visit = s.get("visit")
    at = _local(visit.get("scheduled_at"), ctx) if visit else None
    return at.date() if at and at > ctx.local_now() else None


def _try(state: State, when: When, ctx: Context, failed: bool) -> Step:
    """Check the moment an answer asks for at the chosen place."""
    place = _place(ctx, state.slots.get("place"))
    at = rules.requested_at(when, place, ctx.local_now(), _default_day(state.slots, ctx))
    return _check(state, at, ctx, failed)


def _check(state: State, at: datetime, ctx: Context, failed: bool) -> Step:
    """Book `at` when it is free; otherwise say why and offer the next free options."""
    s = dict(state.slots)
    place = _place(ctx, s.get("place"))
    now = ctx.local_now()
    at = at.astimezone(now.tzinfo)
    counts = _counts(s, ctx)
    why = rules.problem(place, at, now, counts)
    if why is None:
        return _done(s, at, ctx)
    start = now.date() if why in (rules.PAST, rules.FAR) else at.date()
    free = rules.free_options(place, start, at.time(), now, counts)
    if not free:  # nothing free after that day: look from today
        free = rules.free_options(place, now.date(), at.time(), now, counts)
    reason = ctx.t(
        f"booking.reason.{why}",
        place=place["name"],
        date=fmt_date(at.date(), ctx.t, now.date()),
        open=fmt_time(rules.hours(place)[0]),
        close=fmt_time(rules.hours(place)[1]),
        days=rules.HORIZON_DAYS,
    )
    return _offer(state, ctx, reason, free, failed)


def _earliest(state: State, ctx: Context) -> Step:
    """'Terserah': the earliest free times from now."""
    place = _place(ctx, state.slots.get("place"))
    now = ctx.local_now()
    start = rules.hours(place)[0]
    free = rules.free_options(place, now.date(), start, now, _counts(state.slots, ctx))
    return _offer(state, ctx, ctx.t("booking.reason.any", place=place["name"]), free, True)


def _offer(state: State, ctx: Context, reason: str, free: list[datetime], failed: bool) -> Step:
    """Say why, and list the free options to pick by number; a person takes over when none
    are left or the question was asked three times."""
    place = _place(ctx, state.slots.get("place"))
    if not free:
        text = ctx.t("booking.no_options", place=place["name"], days=rules.HORIZON_DAYS)
        return asking.human(state, ctx, reason + " " + text)
    labels = numbered([slot_label(o, ctx) for o in free])
    text = ctx.t("booking.options", reason=reason, options=labels)
    options = {"options": [o.isoformat() for o in free]}
    if failed:  # the answer to "when?" did not fit: the same question again
        return asking.again(state, ctx, text, changes=options)
    return _ask("when", {**state.slots, **options}, text)  # a time from the first message


def _done(s: Mapping[str, Any], at: datetime, ctx: Context) -> Step:
    """Book (or request, or move) the visit at `at` and confirm it."""
    place = _place(ctx, s.get("place"))
    when = {
        "scheduled_at": _utc_iso(at),
        "local_date": at.date().isoformat(),
        "local_time": at.strftime("%H:%M"),
    }
    shown = {
        "date": fmt_date(at.date(), ctx.t, ctx.today()),
        "time": fmt_time(at),
        "place": place["name"],
    }
    visit = s.get("visit")
    if visit:
        event = VisitRescheduled(ref=visit["ref"], place=place["code"], **when)
        who = visit.get("person_name") or ctx.t("booking.you")
        reply = ctx.t("booking.reschedule.done", ref=visit["ref"], who=who, **shown)
        return Step(IDLE, (reply,), (event,))
    booked = {
        "ref": ctx.ref,
        "person_id": s.get("person_id"),
        "person_name": s.get("person_name"),
        "purpose": s["purpose"],
        "place": place["code"],
        **when,
    }
    event: VisitBooked | VisitRequested = VisitBooked(**booked)
    key = "booking.booked"
    if _is_home(place):
        event = VisitRequested(**booked, area_code=_area(s, ctx))
        key = "booking.requested"
    purpose = purpose_name(s["purpose"], ctx.t)
    reply = ctx.t(key, ref=ctx.ref, who=_who(s, ctx), purpose=purpose, **shown)
    return Step(IDLE, (reply,), (event,))


# ----------------------------------------------------------------------------- visits on file


def upcoming(ctx: Context) -> list[dict[str, Any]]:
    """The contact's requested or booked visits still ahead, soonest first."""
    now = ctx.local_now()
    out = []
    for v in _lookup(ctx).get("upcoming") or ():
        at = _local(v.get("scheduled_at"), ctx)
        if v.get("status", "booked") in ACTIVE and (at is None or at > now):
            out.append(dict(v))
    far = datetime.max.replace(tzinfo=timezone.utc)
    return sorted(out, key=lambda v: (_local(v.get("scheduled_at"), ctx) or far, v["ref"]))


def visit_label(v: Mapping[str, Any], ctx: Context) -> str:
    """One visit in a list: when, where, what for, for whom, reference."""
    place = _place(ctx, v.get("place"))
    at = _local(v.get("scheduled_at"), ctx)
    return ctx.t(
        "booking.visit_label",
        when=slot_label(at, ctx) if at else "-",
        place=place["name"] if place else v.get("place", "-"),
        purpose=purpose_name(v.get("purpose"), ctx.t),
        who=v.get("person_name") or ctx.t("booking.you"),
        ref=v["ref"],
    )


def _named_visit(msg: Message, visits: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    refs = set(_REF.findall(msg.text))
    hits = [v for v in visits if v["ref"] in refs]
    return hits[0] if len(hits) == 1 else None


def start_cancel(state: State, msg: Message, ctx: Context) -> Step:
    """Intent cancel_visit: cancel the one upcoming visit, or ask which."""
    return _start_on_visit("cancel", msg, ctx)


def start_reschedule(state: State, msg: Message, ctx: Context) -> Step:
    """Intent reschedule_visit: move the one upcoming visit, or ask which first."""
    return _start_on_visit("reschedule", msg, ctx)


def _start_on_visit(mode: str, msg: Message, ctx: Context) -> Step:
    if msg.text.strip().lower() in START_WORDS - {"4", "jadwal"}:
        return start_booking(IDLE, msg, ctx)  # the menu word KUNJUNGAN books, never cancels
    visits = upcoming(ctx)
    if not visits:
        return Step(IDLE, (ctx.t("booking.none"),))
    s: dict[str, Any] = {"mode": mode}
    if mode == "reschedule" and first_when(msg.text, ctx) is not None:
        s["when_text"] = msg.text[:200]
    named = _named_visit(msg, visits)
    chosen = named or (visits[0] if len(visits) == 1 else None)
    if chosen is not None:
        if mode == "cancel" and named is None and not CANCEL_WORDS.search(msg.text.lower()):
            label = visit_label(chosen, ctx)
            s["ref"] = chosen["ref"]
            return _ask("confirm", s, ctx.t("booking.cancel.confirm", visit=label))
        return _on_visit(s, chosen, ctx)
    labels = numbered([visit_label(v, ctx) for v in visits])
    return _ask("which", s, ctx.t(f"booking.{mode}.ask_which", options=labels))


def step_confirm(state: State, msg: Message, ctx: Context) -> Step:
    """YA cancels the visit asked about; TIDAK keeps it."""
    answer = yes_no(msg)
    visit = next((v for v in upcoming(ctx) if v["ref"] == state.slots.get("ref")), None)
    if answer is False or visit is None:
        return Step(IDLE, (ctx.t("booking.cancel.kept"),))
    if answer is None:
        return asking.again(state, ctx, ctx.t("booking.cancel.reask"))
    return _on_visit(dict(state.slots), visit, ctx)


def _on_visit(s: dict[str, Any], visit: Mapping[str, Any], ctx: Context) -> Step:
    """Cancel the visit, or go on to ask the new time."""
    if s["mode"] == "cancel":
        event = VisitCancelled(ref=visit["ref"], place=visit.get("place"))
        at = _local(visit.get("scheduled_at"), ctx)
        place = _place(ctx, visit.get("place"))
        reply = ctx.t(
            "booking.cancel.done",
            ref=visit["ref"],
            when=slot_label(at, ctx) if at else "-",
            place=place["name"] if place else visit.get("place", "-"),
        )
        return Step(IDLE, (reply,), (event,))
    keep = ("ref", "place", "purpose", "person_id", "person_name", "scheduled_at")
    s = {**s, "visit": {k: visit.get(k) for k in keep}, "place": visit.get("place")}
    return _next(s, ctx)


def step_which(state: State, msg: Message, ctx: Context) -> Step:
    """Which visit to cancel or move, by number, words or reference."""
    visits = upcoming(ctx)
    if not visits:
        return Step(IDLE, (ctx.t("booking.none"),))
    labels = [visit_label(v, ctx) for v in visits]
    chosen = _named_visit(msg, visits)
    if chosen is None:
        i = _choose(msg.text, labels)
        chosen = visits[i] if i is not None else None
    if chosen is None:
        return asking.again(state, ctx, ctx.t("booking.reask_choice", options=numbered(labels)))
    return _on_visit(dict(state.slots), chosen, ctx)


# ----------------------------------------------------------------------------- schedule


def due_items(ctx: Context) -> list[tuple[PersonInfo, Any]]:
    """(person, plan item) due, overdue or upcoming within 60 days, for the whole household."""
    today = ctx.today()
    persons = _lookup(ctx).get("persons") or {}
    out = []
    for p in ctx.household:
        info = persons.get(str(p.id)) or {}
        registered = info.get("registered_on")
        check_from = info.get("book_check_from")
        facts = PersonFacts(
            book_check_from=date.fromisoformat(check_from) if check_from else None,
            birth_date=p.birth_date,
            sex=p.sex,
            hpht=p.hpht,
            edd=p.edd,
            delivery_date=p.delivery_date,
            pregnancy_lost=p.pregnancy_outcome == "loss",
            je_endemic=bool(info.get("je_endemic")),
            registered_on=date.fromisoformat(registered) if registered else None,
        )
        given = [Given(item, date.fromisoformat(on)) for item, on in info.get("given") or ()]
        horizon = today + timedelta(days=rules.HORIZON_DAYS)
        seen: set[str] = set()  # a recurring item (CKG, vitamin A) is shown once
        for item in plan(facts, given, today, horizon_days=rules.HORIZON_DAYS):
            if item.awaits_check:  # past doses: one line, the kader checks the Buku KIA
                if "awaits_check" not in seen:
                    seen.add("awaits_check")
                    out.append((p, replace(item, status="awaits_check")))
                continue
            soon = item.status == UPCOMING and item.due_from <= horizon
            if (item.status in (DUE, OVERDUE) or soon or _ended(item, today)) and (
                item.item not in seen
            ):
                seen.add(item.item)
                out.append((p, item))
    return sorted(out, key=lambda pair: _urgency(pair[1], today))


ENDED_DAYS = 30  # a vaccine no longer given is named in JADWAL for this long after its limit


def _ended(item: Any, today: date) -> bool:
    """A vaccine of a series that can no longer be given (RV3 when RV2 came too late for it,
    past its upper age): said once in the schedule rather than silently dropped, for a month
    after its limit. A gap in the record (OPV2 missing, OPV3 given) is the bidan's to check."""
    return (
        item.status == EXPIRED
        and item.item in DOSE_ITEMS
        and item.gap_after is None
        and item.expires_on is not None
        and item.expires_on >= today - timedelta(days=ENDED_DAYS)
    )


URGENT_DAYS = 30  # a due item whose window closes within this many days is listed first


def _urgency(item: Any, today: date) -> tuple[int, date, date]:
    """The most time-critical first: due or overdue items whose window closes soon (a
    newborn's KN1 and HB0, a mother's KF), then the other due and overdue ones, the doses
    waiting for the Buku KIA check, then the upcoming ones by date; the household's order
    within each."""
    if item.status in (DUE, OVERDUE):
        closes = item.expires_on or date.max
        return (0 if closes <= today + timedelta(days=URGENT_DAYS) else 1, closes, item.due_from)
    if item.status == "awaits_check":
        return (2, date.max, item.due_from)
    if item.status == EXPIRED:
        return (4, item.due_from, item.due_from)
    return (3, item.due_from, item.due_from)


SCHEDULE_FLOW = "schedule"
PAGE_CHARS = 1200  # a page stays well inside one WhatsApp/Twilio message (1600)
MORE_WORDS = {
    "lagi", "lanjut", "lanjutkan", "berikutnya", "selanjutnya", "next", "terus", "trus",
    "deui", "lagi dong", "lagi bu", "maneh", "lg",
}  # fmt: skip


def check_schedule(state: State, msg: Message, ctx: Context) -> Step:
    """Intent check_schedule (menu 4): upcoming visits, then due immunizations and checkups;
    a long list comes in pages (LAGI for the next one), never cut."""
    return _schedule_page(ctx, 1)


def _schedule_lines(ctx: Context) -> list[str]:
    today = ctx.today()
    lines = []
    visits = upcoming(ctx)
    if visits:
        lines.append(ctx.t("booking.check.visits"))
        lines += ["- " + visit_label(v, ctx) for v in visits]
    items = due_items(ctx)
    if items:
        lines.append(ctx.t("booking.check.items"))
        persons = _lookup(ctx).get("persons") or {}
        listed: dict[int, list[str]] = {}  # per person, the items listed before (ANC ke-n)
        for person, item in items:
            given = [g[0] for g in (persons.get(str(person.id)) or {}).get("given") or ()]
            before = listed.setdefault(person.id, [])
            lines.append(
                ctx.t(
                    f"booking.check.item_{item.status}",
                    name=person.name,
                    item=item_name(anc_in_order(item.item, given + before), ctx.t),
                    date=fmt_date(
                        item.expires_on if item.status == EXPIRED else item.due_from, ctx.t, today
                    ),
                )
            )
            before.append(item.item)
    return lines


def anc_in_order(code: str, given: Sequence[str]) -> str:
    """An antenatal check named as the woman and her bidan count them, not by its window:
    her first (K1: a doctor, ultrasound and lab; the text `items.ANC_first`) when none is on
    record, else the next number after those she had ("ke-3" after two checks, though the
    window at 30 weeks is the fifth). `given`: her item codes on record, and those listed
    before this one in the same schedule (the check after the next is one further). Any
    other item as it is."""
    if not code.startswith("ANC") or not code[3:].isdigit():
        return code
    had = sum(1 for g in given if g.startswith("ANC") and g != code)
    return "ANC_first" if had == 0 else f"ANC{min(had + 1, 6)}"


def pages(lines: Sequence[str], per_page: int, max_chars: int = PAGE_CHARS) -> list[list[str]]:
    """Lines in pages of at most `per_page` lines and `max_chars` characters; a heading line
    (one not starting with '-') is never left alone at the bottom of a page."""
    out: list[list[str]] = [[]]
    for line in lines:
        page = out[-1]
        if page and (
            len(page) >= per_page or sum(len(x) + 1 for x in page) + len(line) > max_chars
        ):
            carried = [page.pop()] if page and not page[-1].startswith("-") else []
            out.append(carried)
        out[-1].append(line)
    return [p for p in out if p] or [[]]


def _schedule_page(ctx: Context, number: int) -> Step:
    lines = _schedule_lines(ctx)
    if not lines:
        replies = [ctx.t("booking.check.empty", days=rules.HORIZON_DAYS)]
        if not ctx.household:
            replies.append(ctx.t("booking.check.no_household"))
        return Step(IDLE, tuple(replies))
    chunks = pages(lines, PAGE_LINES)
    number = min(max(number, 1), len(chunks))
    header = ctx.t("booking.check.header")
    if len(chunks) > 1:
        header = ctx.t("booking.check.header_page", page=number, pages=len(chunks))
    replies = ["\n".join([header, *chunks[number - 1]])]
    if not ctx.household:
        replies.append(ctx.t("booking.check.no_household"))
    if number < len(chunks):
        replies.append(ctx.t("booking.check.more", page=number + 1, pages=len(chunks)))
        return Step(State(SCHEDULE_FLOW, "more", {"page": number + 1}), tuple(replies))
    if ctx.household:
        replies.append(ctx.t("booking.check.footer"))
    return Step(IDLE, tuple(replies))


def step_more(state: State, msg: Message, ctx: Context) -> Step | None:
    """LAGI (lanjut, berikutnya, the page number): the next page; anything else leaves the
    list (None) and the router reads it as usual."""
    answer = " ".join(re.sub(r"[^\w\s]", " ", msg.text.lower()).split())
    page = int(state.slots.get("page", 2))
    if answer in MORE_WORDS or answer == str(page):
        return _schedule_page(ctx, page)
    return None


SCHEDULE_STEPS = {"more": step_more}


STEPS = {
    "who": step_who,
    "name": step_name,
    "purpose": step_purpose,
    "place": step_place,
    "area": step_area,
    "when": step_when,
    "which": step_which,
    "confirm": step_confirm,
}
BOOKING_FLOW, BOOKING_STEPS = FLOW, STEPS
