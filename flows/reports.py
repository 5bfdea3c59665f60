"""Symptom reports with danger-sign triage first, and service complaints."""

from __future__ import annotations

import re

from flows import info
from flows.answers import match_place
from flows.asking import again, ask
from flows.base import IDLE, AreaInfo, Context, Message, PersonInfo, State, Step
from flows.choices import numbered, pick
from flows.lifestage import age_days as age_days_of
from flows.lifestage import life_stage, weeks_pregnant
from flows.triage import TriageInput, TriageResult, present_symptoms, triage
from flows.triage_text import read_age_days

SYMPTOM_FLOW = "symptom"
COMPLAINT_FLOW = "complaint"
MAX_REPORT_TEXT = 1000  # the complaint and its follow-ups, as the alert carries them
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
# the sex a word implies: "bojoku" is never the man of the house
PERSON_SEX = {"wife": "P", "mother": "P", "grandmother": "P"} | dict.fromkeys(
    ("husband", "father", "grandfather"), "L"
)
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
    """The household member the message is about, when it is clear: named, or the only one
    who fits the word for them (the NLU's person, else the message's own word: "orokna" and
    one baby in the household is that baby, with her age; no need to ask)."""
    today = ctx.today()
    wanted = _entities(msg, "person")
    text = msg.text.lower()
    for p in ctx.household:
        if p.name and re.search(rf"\b{re.escape(p.name.lower())}\b", text):
            return p
    said = _person_words(text)
    for value in dict.fromkeys([*wanted, *said]):
        stages = PERSON_MATCH.get(value)
        if not stages:
            continue
        sex = PERSON_SEX.get(value)
        if sex is not None and _adults(ctx) < 2:
            continue  # "bapakku" from the one adult on record: his father, not himself
        hits = [
            p
            for p in ctx.household
            if life_stage(p, today) in stages and (sex is None or p.sex in (None, sex))
        ]
        if len(hits) == 1:
            return hits[0]
    if len(ctx.household) == 1 and (not wanted or wanted == ["self"]) and not said:
        return ctx.household[0]
    return None


def _adults(ctx: Context) -> int:
    today = ctx.today()
    grown = {"adult", "pregnant", "postpartum", "elderly"}
    return sum(life_stage(p, today) in grown for p in ctx.household)


def _person_words(lowered: str) -> list[str]:
    """The person codes the message's own words give ("ade" -> child, "orok" -> baby)."""
    return [code for code, rx in PERSON_TEXT if re.search(rf"\b(?:{rx})\b", lowered)]


def _triage_input(
    text: str,
    symptoms: list[str],
    msg: Message,
    ctx: Context,
    person: PersonInfo | None,
    age_days: int | None = None,
) -> TriageInput:
    today = ctx.today()
    temps = []
    for value in _entities(msg, "temperature"):
        m = re.search(r"\d{2}(?:[.,]\d)?", value)
        if m:
            temps.append(float(m.group().replace(",", ".")))
    if age_days is None and person is not None:
        age_days = age_days_of(person, today)
    return TriageInput(
        text=text,
        symptoms=tuple(symptoms),
        life_stage=life_stage(person, today) if person else None,
        age_days=age_days,
        weeks_pregnant=weeks_pregnant(person, today) if person else None,
        temperature_c=max(temps) if temps else None,
    )


# Everyday words for a small child: ade/adek/dede/dedek/si kecil ("ade" is also Betawi for
# "ada": "sudah ade", "ade yang ..."; "dedek di perut" is the baby in the womb).
_SMALL = (
    r"(?<!sudah )(?<!udah )(?<!udh )(?<!dah )(?<!masih )(?<!ga )(?<!gak )(?<!yg )(?<!yang )"
    r"ade(?:nya|na|ku|ne)?(?! (?:yang|yg|apa|apaan)\b)|adek(?:nya|na|ku|e)?|"
    r"dede(?:nya|na|ku|ne)?|si kecil|dedek(?:nya|na|ku|e)?"
    r"(?! (?:di|dalam|dlm|dina|jero) (?:perut|kandungan|beuteung|weteng|rahim))"
)
# Who a message is about when the NLU finds no person: words residents use (Indonesian,
# Sundanese, Javanese) -> the NLU's person codes.
PERSON_TEXT = (
    ("grandchild", r"cucu\w*|putu\w*|incu\w*"),
    ("baby", r"bayi\w*|orok\w*|baby|debay"),
    (
        "child",
        r"anak\w*|budak\w*|bocah\w*|bocil|arek\w*|murangkalih\w*|putra\w*|putri\w*|" + _SMALL,
    ),
    ("wife", r"istri\w*|bojo\w*|pamajikan\w*|garwa\w*"),
    ("husband", r"suami\w*|salaki\w*"),
    ("grandmother", r"nenek\w*|nini\w*|mbah putri|eyang putri"),
    ("grandfather", r"kakek\w*|aki|mbah kakung|eyang kakung"),
    ("father", r"bapak\w*|ayah\w*|bapa\w*|rama\w*"),
    ("mother", r"ibu saya|ibu sy|ibuku|emak\w*|mamah\w*|biyung|indung\w*"),
)
STAGE_ABOUT = ("pregnant", "postpartum", "newborn")  # stages worth saying when nobody is named


def about_text(msg: Message, ctx: Context, stages: tuple[str, ...] = ()) -> str:
    """Who the message says it is about, in the kader's words: "istri, hamil 8 bulan",
    "cucu, umur 2 minggu"."""
    parts: list[str] = []
    values = [v for v in _entities(msg, "person") if v in PERSON_WORDS]
    if not values:
        values = _person_words(msg.text.lower())[:1]
    for value in values:
        word = ctx.t(f"person.{value}")
        if word not in parts:
            parts.append(word)
    for kind in ("gestational_age", "age"):
        for value in _entities(msg, kind):
            if value and value not in parts:
                parts.append(value[:40])
    if not any(k in parts for k in _entities(msg, "age")):
        days = read_age_days(msg.text)
        if days is not None and not _entities(msg, "gestational_age"):
            parts.append(_age_words(ctx, days))
    for stage in stages:
        if stage in STAGE_ABOUT and not _entities(msg, "gestational_age"):
            word = ctx.t(f"stage.{stage}")
            if word not in parts:
                parts.append(word)
    return ", ".join(parts)[:120]


def _age_words(ctx: Context, days: int) -> str:
    if days < 60:
        return ctx.t("age.days", n=days)
    if days < 730:
        return ctx.t("age.months", n=days // 30)
    return ctx.t("age.years", n=days // 365)


def _symptoms(msg: Message) -> set[str]:
    """The NLU's symptom codes, without those the text negates ("tp ga kejang")."""
    return set(present_symptoms(msg.text, _entities(msg, "symptom")))


# "dr kemaren", "sejak tadi pagi", "3 hari", "barusan": a duration the NLU may miss
DURATION = re.compile(
    r"\b(?:dari|dr|sejak|sjk|mulai|semenjak|ti|wiwit|kawit|ket)\s+(?:\w+\s+)?"
    r"(?:kemarin|kemaren|kmrn|kmren|kmarin|tadi|td|semalam|semalem|smlm|pagi|siang|sore|malam|"
    r"kamari|wingi|isuk|subuh|minggu|bulan|tahun|\d+)\b"
    r"|(?<!hamil )(?<!umur )(?<!usia )(?<!kandungan )(?<!meteng )(?<!reuneuh )(?<!umurnya )"
    r"\b(?:\d+|se|sa|satu|dua|tiga|empat|lima|hiji|dua|tilu|opat|sa|sak|rong|telung|patang"
    r"|limang|kalih|tigang|sekawan)\s*(?:hari|hr|minggu|mgg|bulan|bln|jam|poe|dinten|dino|days?"
    r"|weeks?)(?:an|nan|anlah)?\b"  # "semingguan", "3 harian": about that long
    r"|\b(?:barusan|baru saja|tadi (?:pagi|siang|sore|malam)|semalam|kemarin|kemaren|kmrn)\b",
    re.IGNORECASE,
)


def _duration(msg: Message) -> str | None:
    found = _entities(msg, "duration")
    if found:
        return found[0]
    m = DURATION.search(msg.text)
    return m.group()[:60] if m else None


PERSON_WORDS = frozenset({*PERSON_MATCH, "self"})


def report_text(slots: dict, *more: str, limit: int | None = MAX_REPORT_TEXT) -> str:
    """The original complaint and every follow-up answer, as the alert carries them."""
    pieces = [p.strip() for p in (slots.get("text") or "", *(slots.get("answers") or ()), *more)]
    return " / ".join(p for p in pieces if p)[:limit]


def emergency_check(state: State, msg: Message, ctx: Context, can_ask: bool = True) -> Step | None:
    """Runs on every message before anything else: a danger sign interrupts any flow.

    Inside a symptom report the whole report so far is triaged (the complaint, who it is
    about and every answer), and the alert carries all of it. When a sign is an emergency only
    at some ages and the age is unknown, the age is asked once (unless `can_ask` is False:
    then it counts as an emergency)."""
    if not msg.text.strip():
        return None
    in_report = state.flow == SYMPTOM_FLOW and state.step != "area"
    slots = dict(state.slots) if in_report else {}
    person = find_person(msg, ctx) or _slot_person(state, ctx)
    symptoms = sorted(set(slots.get("symptoms") or []) | _symptoms(msg))
    # the whole text is triaged (a danger sign may come at the end of a long message)
    whole = report_text(slots, msg.text, limit=None) if in_report else msg.text
    text = whole[:MAX_REPORT_TEXT]
    age = slots.get("age_days") if in_report else None
    result = triage(_triage_input(whole, symptoms, msg, ctx, person, age))
    found = open_emergency(ctx)
    if result.ask == "age":
        if in_report and state.step == "age":
            return None  # the age step reads the answer
        if can_ask and not found:  # during an emergency its workers ask, not the bot
            return _ask_age(msg, ctx, person, symptoms, result)
    elif result.urgency != "emergency":
        return None
    about = slots.get("about") or about_text(msg, ctx, result.stages)
    signs = sign_labels(ctx, list(result.matched or result.pending), person)
    if found and _same_subject(found, msg, ctx, person, signs):
        return _update(ctx, msg.text, result, symptoms, person)
    return _emergency(ctx, result, text, symptoms, person, about)


def _after_loss(ctx: Context, person: PersonInfo | None) -> bool:
    """The weeks after a miscarriage (the life stage says postpartum, for the danger signs):
    the words for her must not speak of a birth. Nobody named: the household's one woman in
    those weeks, if no other woman of the household has just given birth."""
    today = ctx.today()
    if person is not None:
        return life_stage(person, today) == "postpartum" and person.pregnancy_outcome == "loss"
    recent = [p for p in ctx.household if life_stage(p, today) == "postpartum"]
    return bool(recent) and all(p.pregnancy_outcome == "loss" for p in recent)


def advice_key(ctx: Context, result: TriageResult, person: PersonInfo | None) -> str:
    key = result.advice_key or "danger.general"
    return "after_loss.advice" if key == "danger.postpartum" and _after_loss(ctx, person) else key


def sign_labels(ctx: Context, matched: list[str], person: PersonInfo | None) -> list[str]:
    """The danger signs as a kader reads them ("perdarahan banyak setelah keguguran")."""
    loss = _after_loss(ctx, person)
    keys = [
        f"after_loss.{rule_id}"
        if loss and rule_id in AFTER_LOSS_SIGNS
        else f"danger_sign.{rule_id}"
        for rule_id in matched
    ]
    return list(dict.fromkeys(ctx.t(key) for key in keys))


AFTER_LOSS_SIGNS = frozenset(
    {
        "postpartum_bleeding",
        "postpartum_fever",
        "postpartum_foul_discharge",
        "postpartum_convulsion",
    }
)
_ONE_CHILD = {"bayi": "anak", "balita": "anak"}  # one small child, whatever the word for her


def _same_subject(
    found: dict, msg: Message, ctx: Context, person: PersonInfo | None, signs: list[str]
) -> bool:
    """Whether a new danger sign belongs to the open emergency: about the same member, or the
    same word for them ("anak" and "anakku"), or naming nobody after an alert about someone
    ("ga mau nyusu juga"); after an alert about nobody named, only the same sign again ("masih
    kejang"). The wife's bleeding after the child's seizure, or chest pain after a stroke alert
    about someone unnamed, is a second emergency with its own alert."""
    if person is not None and found.get("person_id") is not None:
        return person.id == found["person_id"]
    codes = [v for v in _entities(msg, "person") if v in PERSON_WORDS]
    codes += _person_words(msg.text.lower())
    words = {ctx.t(f"person.{code}") for code in codes}
    before = {part.strip() for part in str(found.get("about") or "").split(",")} - {""}
    if words and before:
        return bool({_ONE_CHILD.get(w, w) for w in words} & {_ONE_CHILD.get(w, w) for w in before})
    if before:  # "ga mau nyusu juga bu": nobody named, still about the one the alert is about
        return True
    earlier = set(found.get("signs") or ())
    return not earlier or not signs or bool(earlier & set(signs))


def open_emergency(ctx: Context) -> dict | None:
    """The contact's recent emergency that is still open (its workers get what follows)."""
    found = ctx.lookups.get("emergency")
    return found if isinstance(found, dict) and found.get("ref") else None


def _update(
    ctx: Context,
    text: str,
    result: TriageResult | None = None,
    symptoms: list[str] = (),
    person: PersonInfo | None = None,
) -> Step:
    """More about an open emergency: it goes to the same alert, not a new one."""
    found = open_emergency(ctx)
    assert found is not None
    ref = str(found["ref"])
    matched = list(result.matched or result.pending) if result is not None else []
    event = {
        "type": "alert_updated",
        "ref": ref,
        "n": ctx.ref,
        "text": text[:MAX_REPORT_TEXT],
        "symptoms": list(symptoms),
        "matched": matched,
        "signs": sign_labels(ctx, matched, person),
    }
    replies = []
    if result is not None:
        replies.append(ctx.t(advice_key(ctx, result, person)))
    replies.append(
        ctx.t("report.emergency_update" if matched else "report.followup_forwarded", ref=ref)
    )
    if not found.get("area_known") and ctx.contact.area_code is None and _desa(ctx):
        replies.append(ctx.t("report.ask_area", options=numbered([a.name for a in _desa(ctx)])))
        return ask(SYMPTOM_FLOW, "area", {"ref": ref}, *replies, events=(event,))
    return Step(IDLE, tuple(replies), (event,))


# Intents that start something else even while an emergency is open (the lookup ends the
# window when the alert is closed, or after alerts.followup_hours); anything else the resident
# writes then ("ga ada yg nganter", "masih kejang", a question only a worker can answer) goes
# to its workers - a complaint too: during an emergency it is about getting help ("ambulans
# gak datang"). A health question the bot can answer itself (ask_info with a known topic,
# "mpasi mulai kapan") is answered as on any other day.
NOT_FOLLOWUP = frozenset(
    {
        "greet",
        "goodbye",
        "register",
        "book_visit",
        "check_schedule",
        "cancel_visit",
        "reschedule_visit",
        "report_birth",
        "opt_out",
        "opt_in",
    }
)


def emergency_followup(state: State, msg: Message, ctx: Context) -> Step | None:
    """While an emergency is open, a message that starts nothing else is forwarded to it."""
    if not state.idle or not msg.text.strip() or open_emergency(ctx) is None:
        return None
    if msg.intent in NOT_FOLLOWUP or msg.text.strip() in {"1", "2", "3", "4", "5"}:
        return None
    if not any(ch.isalnum() for ch in msg.text):
        return None  # "🙏🙏", "😭": not worth a message to every worker on the alert
    if msg.intent == "ask_info" and info.find_topic(msg.text) is not None:
        return None
    if msg.intent == "report_symptom" and _about_someone_else(open_emergency(ctx), msg, ctx):
        return None  # "istri saya juga demam" during the child's alert: a report of its own
    return _update(ctx, msg.text)


def _about_someone_else(found: dict, msg: Message, ctx: Context) -> bool:
    """The message names someone, and the open alert names someone else."""
    codes = [v for v in _entities(msg, "person") if v in PERSON_WORDS]
    words = {ctx.t(f"person.{code}") for code in codes + _person_words(msg.text.lower())}
    before = {part.strip() for part in str(found.get("about") or "").split(",")} - {""}
    same = {_ONE_CHILD.get(w, w) for w in words} & {_ONE_CHILD.get(w, w) for w in before}
    return bool(words and before and not same)


def _emergency(
    ctx: Context,
    result: TriageResult,
    text: str,
    symptoms: list[str],
    person: PersonInfo | None,
    about: str,
) -> Step:
    ref = ctx.ref
    matched = list(result.matched or result.pending)
    details = {
        "ref": ref,
        "urgency": "emergency",
        "symptoms": symptoms,
        "person_id": person.id if person else None,
        "matched": matched,
        "signs": sign_labels(ctx, matched, person),
        "about": about,
        "text": text,
    }
    replies = [
        ctx.t(advice_key(ctx, result, person)),
        ctx.t("report.emergency_sent", ref=ref),
    ]
    named = None if ctx.contact.area_code else area_in_text(text, ctx)
    if named is not None:
        details["area_code"] = named  # "di desa Mekarsari": no need to ask
    events = (
        {"type": "report_filed", **details},
        {"type": "alert_raised", "kind": "symptom", **details},
    )
    if ctx.contact.area_code is None and named is None and _desa(ctx):
        options = numbered([a.name for a in _desa(ctx)])
        replies.append(ctx.t("report.ask_area", options=options))
        return ask(SYMPTOM_FLOW, "area", {"ref": ref}, *replies, events=events)
    return Step(IDLE, tuple(replies), events)


def _ask_age(
    msg: Message,
    ctx: Context,
    person: PersonInfo | None,
    symptoms: list[str],
    result: TriageResult,
) -> Step:
    slots = {
        "text": msg.text[:500],
        "answers": [],
        "symptoms": symptoms,
        "duration": _duration(msg),
        "person_id": person.id if person else None,
        "about": about_text(msg, ctx),
        "pending": list(result.pending),
        "advice": result.advice_key,
    }
    return ask(SYMPTOM_FLOW, "age", slots, ctx.t("report.ask_age"))


def step_age(state: State, msg: Message, ctx: Context) -> Step:
    """The age decides: re-triage with it; no usable answer -> treat as an emergency."""
    slots = dict(state.slots)
    days = read_age_days(msg.text)
    person = _slot_person(state, ctx)
    symptoms = sorted(set(slots.get("symptoms") or []) | _symptoms(msg))
    slots["answers"] = [*(slots.get("answers") or []), msg.text[:200]]
    text = report_text(slots)
    if days is None:
        pending = TriageResult(
            "emergency", tuple(slots.get("pending") or ()), slots.get("advice"), "age unknown"
        )
        return _emergency(ctx, pending, text, symptoms, person, slots.get("about") or "")
    result = triage(_triage_input(text, symptoms, msg, ctx, person, days))
    if result.urgency == "emergency":
        about = ", ".join(p for p in (slots.get("about"), f"umur {msg.text.strip()[:30]}") if p)
        return _emergency(ctx, result, text, symptoms, person, about)
    slots.update(age_days=days, symptoms=symptoms)
    return _next_question(State(SYMPTOM_FLOW, None, slots), ctx)


def _desa(ctx: Context):
    return [a for a in ctx.areas if a.level == "desa"]


def _slot_person(state: State, ctx: Context) -> PersonInfo | None:
    pid = state.slots.get("person_id") if state.flow == SYMPTOM_FLOW else None
    return next((p for p in ctx.household if p.id == pid), None)


def start_symptom(state: State, msg: Message, ctx: Context) -> Step:
    person = find_person(msg, ctx)
    slots = {
        "text": msg.text[:500],
        "answers": [],
        "symptoms": sorted(_symptoms(msg)),
        "duration": _duration(msg),
        "person_id": person.id if person else None,
        "about": about_text(msg, ctx),
    }
    if msg.text.strip() in {"2"} or msg.text.strip().lower() in {"sakit", "lapor sakit"}:
        slots["text"] = ""
    return _next_question(State(SYMPTOM_FLOW, None, slots), ctx)


def _next_question(state: State, ctx: Context) -> Step:
    s = dict(state.slots)
    if s.get("person_id") is None and len(ctx.household) > 1 and not s.get("who_other"):
        return ask(SYMPTOM_FLOW, "who", s, ctx.t("report.ask_who", options=_who(ctx)))
    if not s.get("text") and not s.get("symptoms"):
        return ask(SYMPTOM_FLOW, "symptoms", s, ctx.t("report.ask_symptoms"))
    if not s.get("duration"):
        return ask(SYMPTOM_FLOW, "since", s, ctx.t("report.ask_since"))
    details = {
        "ref": ctx.ref,
        "urgency": "routine",
        "symptoms": s.get("symptoms") or [],
        "person_id": s.get("person_id"),
        "duration": s.get("duration"),
        "about": s.get("about") or "",
        "text": report_text(s),
    }
    area = _area_of(ctx, s.get("person_id"), details["text"])
    if area is not None:
        details["area_code"] = area
    events = (
        {"type": "report_filed", **details},
        {"type": "alert_raised", "kind": "symptom", **details},
    )
    # honest about where it goes: with no area known only the puskesmas gets it
    key = "report.filed" if area is not None else "report.filed_puskesmas"
    return Step(IDLE, (ctx.t(key, ref=ctx.ref),), events)


AREA_PREFIX = r"(?:dusun|dsn|kampung|kp|blok|lingkungan|rw|rt)"


def area_in_text(text: str, ctx: Context) -> str | None:
    """The area a message names ("rumah kami di desa Mekarsari dusun Cirumput"): the most
    specific one; a dusun name counts only after "dusun"/"kampung" (Kaler and Kidul are also
    plain Sundanese words)."""
    lowered = " ".join(text.lower().split())
    found = None
    for area in ctx.areas:
        name = re.escape(area.name.lower())
        if area.level == "desa":
            hit = re.search(rf"\b{name}\b", lowered)
        else:
            hit = re.search(rf"\b{AREA_PREFIX}\s+{name}\b", lowered)
        if hit and (found is None or area.level != "desa"):
            found = area
    return found.code if found else None


def _area_of(ctx: Context, person_id: int | None, text: str) -> str | None:
    """Where the report belongs: the person's or contact's area, else the one it names."""
    person = next((p for p in ctx.household if p.id == person_id), None)
    return (
        (person.area_code if person else None) or ctx.contact.area_code or area_in_text(text, ctx)
    )


def _who(ctx: Context) -> str:
    return numbered([p.name for p in ctx.household] + [ctx.t("report.other_person")])


def step_who(state: State, msg: Message, ctx: Context) -> Step:
    names = [p.name for p in ctx.household] + [ctx.t("report.other_person")]
    i = pick(msg.text, names)
    if i is None:
        return again(state, ctx, ctx.t("report.reask", options=_who(ctx)))
    slots = dict(state.slots)
    if i < len(ctx.household):
        slots["person_id"] = ctx.household[i].id
    else:
        slots["who_other"] = True
    return _next_question(State(SYMPTOM_FLOW, None, slots), ctx)


def step_symptoms(state: State, msg: Message, ctx: Context) -> Step:
    if not msg.text.strip():
        return again(state, ctx, ctx.t("report.ask_symptoms"))
    slots = dict(state.slots)
    if slots.get("text"):
        slots["answers"] = [*(slots.get("answers") or []), msg.text[:300]]
    else:
        slots["text"] = msg.text[:500]
    slots["symptoms"] = sorted(set(slots.get("symptoms") or []) | _symptoms(msg))
    slots["about"] = slots.get("about") or about_text(msg, ctx)
    if _duration(msg):
        slots["duration"] = _duration(msg)
    return _next_question(State(SYMPTOM_FLOW, None, slots), ctx)


def step_since(state: State, msg: Message, ctx: Context) -> Step:
    answer = msg.text.strip()
    if not answer:
        return again(state, ctx, ctx.t("report.ask_since"))
    slots = dict(state.slots)
    slots["answers"] = [*(slots.get("answers") or []), answer[:300]]
    duration = _duration(msg)
    if duration is None and not slots.get("since_asked"):
        # not a time ("sy sendiri, umur 30an"): kept with the report, and asked once more
        slots["since_asked"] = True
        return Step(State(SYMPTOM_FLOW, "since", slots), (ctx.t("report.ask_since"),))
    slots.update(duration=duration or answer[:60])
    return _next_question(State(SYMPTOM_FLOW, None, slots), ctx)


def _place_name(area: AreaInfo, ctx: Context) -> str:
    """'Cirumput, Mekarsari': the area and, below desa level, its desa."""
    by_code = {a.code: a for a in ctx.areas}
    desa, seen = area, set()
    while desa.level != "desa" and desa.parent in by_code and desa.code not in seen:
        seen.add(desa.code)
        desa = by_code[desa.parent]
    return area.name if desa is area or desa.level != "desa" else f"{area.name}, {desa.name}"


def step_area(state: State, msg: Message, ctx: Context) -> Step:
    """The answer to "desa mana?": the desa by number or name, or with one of its dusun
    ("sukamaju, kaler", "2 cirumput", "cirumput"): the alert goes to that dusun."""
    desa = _desa(ctx)
    area = match_place(msg.text, desa, ctx.areas)
    if area is None:
        step = again(state, ctx, ctx.t("report.reask", options=numbered([a.name for a in desa])))
        if open_emergency(ctx) is None or not msg.text.strip() or msg.intent in NOT_FOLLOWUP:
            return step
        # "cepet bu, ga ada yg nganter": the words go to the emergency's workers meanwhile
        forward = _update(ctx, msg.text)
        return Step(step.state, (*forward.replies[:1], *step.replies), forward.events)
    event = {"type": "alert_area_given", "ref": state.slots.get("ref"), "area_code": area.code}
    return Step(IDLE, (ctx.t("report.area_thanks", area=_place_name(area, ctx)),), (event,))


def start_complaint(state: State, msg: Message, ctx: Context) -> Step:
    text = msg.text.lower()
    slots = {"text": msg.text[:500]}
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
        return ask(COMPLAINT_FLOW, "category", s, ctx.t("complaint.ask_category"))
    if not s.get("facility"):
        options = numbered([p["name"] for p in _facilities(ctx)])
        return ask(COMPLAINT_FLOW, "facility", s, ctx.t("complaint.ask_facility", options=options))
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
        return again(state, ctx, ctx.t("complaint.reask"))
    slots = dict(state.slots, category=CATEGORY_ORDER[i])
    return _complaint_next(State(COMPLAINT_FLOW, None, slots), ctx)


def step_facility(state: State, msg: Message, ctx: Context) -> Step:
    places = _facilities(ctx)
    i = pick(msg.text, [p["name"] for p in places])
    if i is None:
        return again(state, ctx, ctx.t("complaint.reask"))
    slots = dict(state.slots, facility=places[i]["code"])
    return _complaint_next(State(COMPLAINT_FLOW, None, slots), ctx)


SYMPTOM_STEPS = {
    "who": step_who,
    "symptoms": step_symptoms,
    "since": step_since,
    "area": step_area,
    "age": step_age,
}
COMPLAINT_STEPS = {"category": step_category, "facility": step_facility}
