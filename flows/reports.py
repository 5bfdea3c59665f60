"""Symptom reports with danger-sign triage first, and service complaints."""

from __future__ import annotations

import re

from flows.base import IDLE, Context, Message, PersonInfo, State, Step
from flows.choices import numbered, pick
from flows.lifestage import age_days, life_stage, weeks_pregnant
from flows.triage import TriageInput, triage

SYMPTOM_FLOW = "symptom"
COMPLAINT_FLOW = "complaint"
MAX_ASKS = 3
PERSON_MATCH = {
    "baby": ("newborn", "infant"),
    "toddler": ("infant", "child"),
    "child": ("newborn", "infant", "child", "school_age"),
    "grandchild": ("newborn", "infant", "child", "school_age"),
    "wife": ("pregnant", "postpartum", "adult"),
    "mother": ("pregnant", "postpartum", "adult", "elderly"),
    "husband": ("adult", "elderly"),
    "father": ("adult", "elderly"),
    "grandmother": ("elderly",),
    "grandfather": ("elderly",),
}
COMPLAINT_CATEGORIES = (
    ("staff", r"petugas|judes|galak|kasar|jutek|marah|bentak|ramah|perawat|dokter|bidan"),
    ("waiting_time", r"lama|antri|antre|nunggu|menunggu|ngantri|ngantre|lelet"),
    ("medicine_stock", r"obat\w* (habis|kosong|tidak ada|ga ada|gak ada)|stok|obatnya kosong"),
    ("facility_closed", r"tutup|libur|tidak buka|ga buka|gak buka|nggak buka|kosong|sepi"),
    ("cost", r"bayar|biaya|bpjs|pungli|mahal|tarif|duit|uang"),
    ("reminder", r"pengingat|sms|pesan|reminder|jadwal salah|salah jadwal"),
)
CATEGORY_ORDER = (
    "staff",
    "waiting_time",
    "medicine_stock",
    "facility_closed",
    "cost",
    "reminder",
    "other",
)


def _entities(msg: Message, kind: str) -> list[str]:
    return [str(e.get("value")) for e in msg.entities if e.get("entity") == kind]


def find_person(msg: Message, ctx: Context) -> PersonInfo | None:
    """The household member the message is about, when it is clear."""
    today = ctx.today()
    wanted = _entities(msg, "person")
    text = msg.text.lower()
    for p in ctx.household:
        if p.name and re.search(rf"\b{re.escape(p.name.lower())}\b", text):
            return p
    for value in wanted:
        stages = PERSON_MATCH.get(value)
        if not stages:
            continue
        hits = [p for p in ctx.household if life_stage(p, today) in stages]
        if len(hits) == 1:
            return hits[0]
    if len(ctx.household) == 1 and (not wanted or wanted == ["self"]):
        return ctx.household[0]
    return None


def _triage_input(msg: Message, ctx: Context, person: PersonInfo | None) -> TriageInput:
    today = ctx.today()
    temps = []
    for value in _entities(msg, "temperature"):
        m = re.search(r"\d{2}(?:[.,]\d)?", value)
        if m:
            temps.append(float(m.group().replace(",", ".")))
    return TriageInput(
        text=msg.text,
        symptoms=tuple(_entities(msg, "symptom")),
        life_stage=life_stage(person, today) if person else None,
        age_days=age_days(person, today) if person else None,
        weeks_pregnant=weeks_pregnant(person, today) if person else None,
        temperature_c=max(temps) if temps else None,
    )


def emergency_check(state: State, msg: Message, ctx: Context) -> Step | None:
    """Runs on every message before anything else: a danger sign interrupts any flow."""
    if not msg.text.strip():
        return None
    person = find_person(msg, ctx) or _slot_person(state, ctx)
    result = triage(_triage_input(msg, ctx, person))
    if result.urgency != "emergency":
        return None
    details = {
        "ref": ctx.ref,
        "urgency": "emergency",
        "symptoms": sorted(set(_entities(msg, "symptom"))),
        "person_id": person.id if person else None,
        "matched": list(result.matched),
        "text": msg.text[:500],
    }
    replies = [
        ctx.t(result.advice_key or "danger.general"),
        ctx.t("report.emergency_sent", ref=ctx.ref),
    ]
    events = (
        {"type": "report_filed", **details},
        {"type": "alert_raised", "kind": "symptom", **details},
    )
    if ctx.contact.area_code is None and _desa(ctx):
        options = numbered([a.name for a in _desa(ctx)])
        replies.append(ctx.t("report.ask_area", options=options))
        return Step(
            State(SYMPTOM_FLOW, "area", {"ref": ctx.ref, "asked": 1}), tuple(replies), events
        )
    return Step(IDLE, tuple(replies), events)


def _desa(ctx: Context):
    return [a for a in ctx.areas if a.level == "desa"]


def _slot_person(state: State, ctx: Context) -> PersonInfo | None:
    pid = state.slots.get("person_id") if state.flow == SYMPTOM_FLOW else None
    return next((p for p in ctx.household if p.id == pid), None)


def start_symptom(state: State, msg: Message, ctx: Context) -> Step:
    person = find_person(msg, ctx)
    slots = {
        "text": msg.text[:500],
        "symptoms": sorted(set(_entities(msg, "symptom"))),
        "duration": (_entities(msg, "duration") or [None])[0],
        "person_id": person.id if person else None,
        "asked": 0,
    }
    if msg.text.strip() in {"2"} or msg.text.strip().lower() in {"sakit", "lapor sakit"}:
        slots["text"] = ""
    return _next_question(State(SYMPTOM_FLOW, None, slots), ctx)


def _next_question(state: State, ctx: Context) -> Step:
    s = dict(state.slots)
    if s.get("person_id") is None and len(ctx.household) > 1 and not s.get("who_other"):
        return Step(State(SYMPTOM_FLOW, "who", s), (ctx.t("report.ask_who", options=_who(ctx)),))
    if not s.get("text") and not s.get("symptoms"):
        return Step(State(SYMPTOM_FLOW, "symptoms", s), (ctx.t("report.ask_symptoms"),))
    if not s.get("duration"):
        return Step(State(SYMPTOM_FLOW, "since", s), (ctx.t("report.ask_since"),))
    details = {
        "ref": ctx.ref,
        "urgency": "routine",
        "symptoms": s.get("symptoms") or [],
        "person_id": s.get("person_id"),
        "duration": s.get("duration"),
        "text": s.get("text") or "",
    }
    events = (
        {"type": "report_filed", **details},
        {"type": "alert_raised", "kind": "symptom", **details},
    )
    return Step(IDLE, (ctx.t("report.filed", ref=ctx.ref),), events)


def _who(ctx: Context) -> str:
    return numbered([p.name for p in ctx.household] + [ctx.t("report.other_person")])


def _reask(state: State, ctx: Context, key: str, **values: str) -> Step:
    asked = int(state.slots.get("asked", 0)) + 1
    if asked >= MAX_ASKS:
        event = {"type": "help_needed", "flow": state.flow, "ref": ctx.ref}
        return Step(IDLE, (ctx.t("menu.human"),), (event,))
    return Step(
        State(state.flow, state.step, {**state.slots, "asked": asked}), (ctx.t(key, **values),)
    )


def step_who(state: State, msg: Message, ctx: Context) -> Step:
    names = [p.name for p in ctx.household] + [ctx.t("report.other_person")]
    i = pick(msg.text, names)
    if i is None:
        return _reask(state, ctx, "report.reask", options=_who(ctx))
    slots = dict(state.slots, asked=0)
    if i < len(ctx.household):
        slots["person_id"] = ctx.household[i].id
    else:
        slots["who_other"] = True
    return _next_question(State(SYMPTOM_FLOW, None, slots), ctx)


def step_symptoms(state: State, msg: Message, ctx: Context) -> Step:
    if not msg.text.strip():
        return _reask(state, ctx, "report.ask_symptoms")
    slots = dict(state.slots, asked=0, text=msg.text[:500])
    slots["symptoms"] = sorted(set(slots.get("symptoms") or []) | set(_entities(msg, "symptom")))
    if _entities(msg, "duration"):
        slots["duration"] = _entities(msg, "duration")[0]
    return _next_question(State(SYMPTOM_FLOW, None, slots), ctx)


def step_since(state: State, msg: Message, ctx: Context) -> Step:
    answer = msg.text.strip()
    if not answer:
        return _reask(state, ctx, "report.ask_since")
    slots = dict(state.slots, asked=0, duration=(_entities(msg, "duration") or [answer[:60]])[0])
    return _next_question(State(SYMPTOM_FLOW, None, slots), ctx)


def step_area(state: State, msg: Message, ctx: Context) -> Step:
    desa = _desa(ctx)
    i = pick(msg.text, [a.name for a in desa])
    if i is None:
        return _reask(state, ctx, "report.reask", options=numbered([a.name for a in desa]))
    area = desa[i]
    event = {"type": "alert_area_given", "ref": state.slots.get("ref"), "area_code": area.code}
    return Step(IDLE, (ctx.t("report.area_thanks", area=area.name),), (event,))


def start_complaint(state: State, msg: Message, ctx: Context) -> Step:
    text = msg.text.lower()
    slots = {"text": msg.text[:500], "asked": 0}
    for name, pattern in COMPLAINT_CATEGORIES:
        if re.search(pattern, text):
            slots["category"] = name
            break
    facility = _facility_in(text, ctx)
    if facility:
        slots["facility"] = facility
    return _complaint_next(State(COMPLAINT_FLOW, None, slots), ctx)


def _facility_in(text: str, ctx: Context) -> str | None:
    for place in ctx.places:
        if place["kind"] == "home":
            continue
        if place["name"].lower() in text:
            return place["code"]
    kinds = [p for p in ctx.places if p["kind"] != "home" and p["kind"] in text]
    return kinds[0]["code"] if len(kinds) == 1 else None


def _facilities(ctx: Context) -> list[dict]:
    return [p for p in ctx.places if p["kind"] != "home"]


def _complaint_next(state: State, ctx: Context) -> Step:
    s = dict(state.slots)
    if not s.get("category"):
        return Step(State(COMPLAINT_FLOW, "category", s), (ctx.t("complaint.ask_category"),))
    if not s.get("facility"):
        options = numbered([p["name"] for p in _facilities(ctx)])
        return Step(
            State(COMPLAINT_FLOW, "facility", s),
            (ctx.t("complaint.ask_facility", options=options),),
        )
    event = {
        "type": "complaint_filed",
        "ref": ctx.ref,
        "category": s["category"],
        "facility": s["facility"],
        "text": s.get("text", ""),
    }
    return Step(IDLE, (ctx.t("complaint.filed", ref=ctx.ref),), (event,))


def step_category(state: State, msg: Message, ctx: Context) -> Step:
    labels = [
        "petugas",
        "antrean lama",
        "obat kosong",
        "tempat tutup",
        "biaya bpjs",
        "pengingat",
        "lainnya",
    ]
    i = pick(msg.text, labels)
    if i is None:
        return _reask(state, ctx, "complaint.reask")
    slots = dict(state.slots, asked=0, category=CATEGORY_ORDER[i])
    return _complaint_next(State(COMPLAINT_FLOW, None, slots), ctx)


def step_facility(state: State, msg: Message, ctx: Context) -> Step:
    places = _facilities(ctx)
    i = pick(msg.text, [p["name"] for p in places])
    if i is None:
        return _reask(state, ctx, "complaint.reask")
    slots = dict(state.slots, asked=0, facility=places[i]["code"])
    return _complaint_next(State(COMPLAINT_FLOW, None, slots), ctx)


SYMPTOM_STEPS = {"who": step_who, "symptoms": step_symptoms, "since": step_since, "area": step_area}
COMPLAINT_STEPS = {"category": step_category, "facility": step_facility}
