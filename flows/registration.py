"""Household registration: consent, the contact's name and area, then members one at a time;
later, adding a member, correcting a date, or removing a member (moved away, died)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from functools import partial
from typing import Any

from flows import asking, kia_book
from flows.answers import (
    MONTH_WORDS,
    WEEK_WORDS,
    Age,
    bare_number,
    clean_name,
    find_year,
    is_self,
    is_unknown,
    match_area,
    match_below,
    minus,
    name_problem,
    parse_age,
    parse_sex,
    sex_from_title,
    sex_word,
    strip_title,
    years_between,
    yes_no,
)
from flows.base import IDLE, AreaInfo, Context, Message, PersonInfo, State, Step
from flows.choices import NUMBER_WORDS, numbered, pick
from nlu.dates import parse_date
from scheduler.planner import PersonFacts

REGISTRATION_FLOW = "registration"
PREGNANCY_DAYS = 280
MAX_PREGNANCY_WEEKS = 42
CHILD_MAX_YEARS = 18
MOTHER_MIN_YEARS = 12  # a saved girl younger than this is a daughter, never a mother
ADULT_MIN_YEARS = 18
ELDERLY_MIN_YEARS = 45  # posyandu lansia serves pre-elderly (45-59) too
MAX_AGE_YEARS = 120
KIA_MAX_YEARS = 6  # the Buku KIA records the immunisations of children under six
ANC_ASK_FROM_WEEKS = 13  # registered after the first visit's window: ask what she had
ANC_MAX_COUNT = 12
ROLES = ("pregnant", "child", "elderly", "adult")
_ROLE_WORDS = (
    # Sundanese reuneuh/ngandeg/kakandungan, Javanese meteng/ngandhut/mbobot
    (
        "pregnant",
        r"hamil|bumil|mengandung|reuneuh|ngandeg|kakandungan|meteng|ngandhut|ngandut|mbobot",
    ),
    ("child", r"anak|bayi|balita|baby|putra|putri|bocah"),
    ("elderly", r"lansia|nenek|kakek|mbah|eyang|manula|sepuh"),
    ("adult", r"dewasa|suami|istri|bapak|ayah|ibu|remaja"),
    (
        "done",
        r"selesai|sudah|udah|cukup|tidak ada|gak ada|ga ada|tidak|beres|sdh|done|stop"
        r"|atos|tos|parantos|cekap|sampun|mpun|wis|uwis|rampung|teu aya|mboten wonten|ora ono",
    ),
)
# The writer speaking of herself where the member is chosen ("abdi nuju hamil 6 sasih")
_SPEAKER = re.compile(
    r"^(saya|sy|aku|abdi|kulo|kula|gue|gw)\b|\b(saya|aku|abdi|kulo)\s+(lagi|nuju|sedang|nembe|saweg|hamil|meteng|reuneuh|ngandeg)\b"
)
# A member's sex said with the role ("suami", "nenek"): not asked again.
_SEX_HINTS = (
    ("L", r"suami|bapak|ayah|kakek|aki|abah|mbah kakung|eyang kakung|pak"),
    ("P", r"istri|ibu|nenek|nini|emak|mbah putri|eyang putri|bu"),
)
_ENTITY_ROLES = {
    "child": "child",
    "baby": "child",
    "toddler": "child",
    "grandchild": "child",
    "grandmother": "elderly",
    "grandfather": "elderly",
    "wife": "adult",
    "husband": "adult",
}
_APPROX = re.compile(r"\b(sekitar|kira|kurang lebih|kurleb|kayaknya|mungkin|perkiraan)")
_RELATIVE = re.compile(r"\b\d+\s*(bulan|bln|tahun|thn|minggu|mgg|hari)\s*(yang\s+|yg\s+)?lalu\b")
_EDD_WORDS = re.compile(r"\b(hpl|tp|htp|perkiraan|taksiran|due|lahiran|melahirkan|lahir)\b")
_HPHT_WORDS = re.compile(r"\b(hpht|haid|mens|menstruasi|datang bulan|dapet|dapat)\b")
# gestational age in months or weeks, with the same unit words as ages (flows/answers.py)
_GA_UNITS = {**{w: 30.44 for w in MONTH_WORDS}, **{w: 7 for w in WEEK_WORDS}}
_GA = re.compile(
    r"\b(\d{1,2}|"
    + "|".join(sorted((re.escape(w) for w in NUMBER_WORDS), key=len, reverse=True))
    + r"|sepuluh)\s*("
    + "|".join(sorted(_GA_UNITS, key=len, reverse=True))
    + r")\b(?!\s*(lagi|lalu|yg|yang))"
)
_DATE_SHAPED = re.compile(
    r"\b\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{2,4}\b|\b\d{1,2}\s+[a-z]{3,}\s+\d{4}\b"
)
_UNNAMED = re.compile(r"\bbelum\b.*\bnama|^belum( ada)?$|^tidak ada nama|^blm")
_ADD = re.compile(r"\b(tambah\w*|nambah\w*|masuk(in|kan)|daftar(in|kan))\b")
_REMOVE = re.compile(r"\b(hapus\w*|meninggal|wafat|almarhum\w*|pindah|keluar)\b")
_NOT_REMOVE = re.compile(r"\b(alamat|rumah|nomor|no hp|hp|wa)\b")
_UPDATE = re.compile(r"\b(tanggal|tgl|hpht|hpl|umur|usia)\b")
_NAME_WORD = re.compile(r"\bnam(a|i|ane|anya)\b")
_FIX = r"(?:ganti|ubah|ubah|rubah|robah|koreksi|ralat|betulkan|betulin|benerin|perbaiki|ganti)"
_TO = r"(?:jadi|menjadi|jd|mjd|dadi|janten|jadi nama|ke|harusnya|seharusnya|yang benar|yg benar)"
# "ganti nama Budi jadi Bagus", "ubah nama anak sy Budi menjadi Bagus", "nama Budi salah,
# harusnya Bagus"; "ganti tanggal lahir Budi jadi 12-04-2025"
_RENAME = re.compile(
    rf"^(?:tolong\s+|mohon\s+|mau\s+|minta\s+|bu\s+|kak\s+)*{_FIX}\s+nam(?:a|i)\s+(?P<old>.+?)"
    rf"\s+{_TO}\s+(?P<new>.+)$"
    rf"|^nam(?:a|i)\s+(?P<old2>.+?)\s+salah\W+{_TO}\s+(?P<new2>.+)$"
)
# "nama bayinya Ujang", "nami orokna Ujang Saepudin", "jenenge bayine Bagus": the newborn's
# name for the placeholder the birth report gave ("Bayi Ny. Euis")
_BABY_NAME = re.compile(
    r"^(?:nama|nami|namine|jeneng|jenenge|asmane)\s+"
    r"(?:bayi|bayinya|bayine|bayina|orok|orokna|oroke|dedek|dedeknya|dede|putra|putri)"
    r"(?:\s+(?:saya|sy|abdi|kula|aku|kami))?\s+(?:adalah\s+|teh\s+|yaiku\s+|:\s*)?(?P<new>.+)$"
)
_REDATE = re.compile(
    rf"^(?:tolong\s+|mohon\s+|mau\s+|minta\s+)*{_FIX}\s+(?:tanggal|tgl)\s*(?:lahir(?:nya)?\s+)?"
    rf"(?P<who>.+?)\s+{_TO}\s+(?P<when>.+)$"
)
_REASONS = (
    ("moved", r"pindah|keluar|merantau|ikut suami|kerja"),
    ("died", r"meninggal|wafat|almarhum|tiada|mati|meninggoy|innalillahi|berpulang"),
    ("other", r"salah|lain|keliru|dobel|ganda"),
)


# ----------------------------------------------------------------------------- helpers


_ask = partial(asking.ask, REGISTRATION_FLOW)  # a new question in this flow


def fmt(d: date) -> str:
    return d.strftime("%d-%m-%Y")


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def _slots(state: State) -> dict[str, Any]:
    """Slots to carry on (the contact's answers, members added so far, mode)."""
    return asking.without_count(state.slots)


def _contact_name(state: State, ctx: Context) -> str | None:
    return state.slots.get("name") or ctx.contact.name


def is_pregnant(person: PersonInfo, today: date) -> bool:
    """An ongoing pregnancy: HPHT or HPL known, no delivery since, not long over."""
    start = person.hpht or (person.edd - timedelta(days=PREGNANCY_DAYS) if person.edd else None)
    if start is None or (person.delivery_date and person.delivery_date >= start):
        return False
    return (today - start).days <= 46 * 7


def _women(state: State, ctx: Context, exclude: int | None = None) -> list[dict[str, Any]]:
    """The grown women of the household (saved, or added in this conversation as anything but
    a child) as name/birth_date dicts: a daughter or a baby girl is never taken for a mother."""
    today = ctx.today()
    women = [
        {"name": p.name, "birth_date": p.birth_date}
        for p in ctx.household
        if p.sex == "P"
        and p.id != exclude
        and (p.birth_date is None or years_between(p.birth_date, today) >= MOTHER_MIN_YEARS)
    ]
    known = {p.name.lower() for p in ctx.household}
    for added in state.slots.get("added", []):
        if added.get("sex") != "P" or added.get("role") == "child":
            continue
        if added["name"].lower() not in known:
            women.append({"name": added["name"], "birth_date": _date(added.get("birth_date"))})
    return women


def _mother(state: State, ctx: Context, exclude: int | None = None) -> dict[str, Any] | None:
    """The child's mother when the household makes it clear (one grown woman); None otherwise.
    A child is only ever compared with her, never with a brother or sister."""
    women = _women(state, ctx, exclude)
    return women[0] if len(women) == 1 else None


# ----------------------------------------------------------------------------- parsing


def read_birth(text: str, role: str, ctx: Context) -> tuple[date, bool] | None:
    """A birth date and whether it is estimated: a date, an age ('umur 8 bulan'), a year."""
    today = ctx.today()
    lowered = text.lower()
    approx = bool(_APPROX.search(lowered))
    when = parse_date(text, ctx.now, ctx.tz, past=True)
    if when is not None:
        return when, approx or bool(_RELATIVE.search(lowered))
    if _DATE_SHAPED.search(lowered):
        return None  # an impossible date such as 31-02-2025: ask again rather than guess
    age = parse_age(lowered)
    if age is not None and age.total_days > 0:
        return minus(today, age), True
    year = find_year(text)
    if year is not None:
        return min(date(year, 7, 1), today) if year <= today.year else date(year, 7, 1), True
    n = bare_number(lowered)
    if n is not None and role in ("adult", "elderly"):
        return minus(today, Age(years=n)), True
    return None


def birth_problem(
    role: str, born: date, state: State, ctx: Context, name: str, exclude: int | None = None
) -> tuple[str, dict[str, str]] | None:
    """The catalog key (and values) explaining why this birth date cannot be right."""
    today = ctx.today()
    if born > today:
        return "registration.birth_future", {"name": name}
    years = years_between(born, today)
    if years >= MAX_AGE_YEARS:
        return "registration.birth_too_old", {"name": name}
    if role == "child":
        mother = _mother(state, ctx, exclude)
        if mother is not None and mother["birth_date"] and born <= mother["birth_date"]:
            return "registration.child_before_mother", {"name": name, "mother": mother["name"]}
        if years >= CHILD_MAX_YEARS and state.slots.get("mode") != "update":
            return "registration.child_too_old", {"name": name}
    if role == "adult" and years < ADULT_MIN_YEARS and state.slots.get("mode") != "update":
        return "registration.adult_too_young", {"name": name}
    if role == "elderly" and years < ELDERLY_MIN_YEARS and state.slots.get("mode") != "update":
        return "registration.elderly_too_young", {"name": name}
    return None


def read_pregnancy(text: str, ctx: Context) -> dict[str, Any] | str:
    """HPHT and HPL from an HPHT, an HPL or a gestational age ('hamil 5 bulan');
    a catalog key when the answer is unreadable or impossible."""
    today = ctx.today()
    lowered = text.lower()
    said_edd = bool(_EDD_WORDS.search(lowered)) and not _HPHT_WORDS.search(lowered)
    estimated = bool(_APPROX.search(lowered))
    hpht: date | None = None
    ga = _GA.search(lowered)
    if said_edd or re.search(r"\blagi\b", lowered):
        edd = parse_date(text, ctx.now, ctx.tz, past=False)
        if edd is not None:
            hpht = edd - timedelta(days=PREGNANCY_DAYS)
    if hpht is None and ga is not None:
        raw = ga.group(1)
        n = int(raw) if raw.isdigit() else (10 if raw == "sepuluh" else NUMBER_WORDS[raw])
        days = round(n * _GA_UNITS[ga.group(2)])
        if n <= 0 or days > MAX_PREGNANCY_WEEKS * 7:
            return "registration.preg_too_long"
        hpht, estimated = today - timedelta(days=days), True
    if hpht is None:
        when = parse_date(text, ctx.now, ctx.tz, past=True)
        if when is None:
            return "registration.preg_unclear"
        if when > today:
            if _HPHT_WORDS.search(lowered):
                return "registration.preg_hpht_future"
            hpht = when - timedelta(days=PREGNANCY_DAYS)  # a future date can only be the HPL
        else:
            hpht = when
            estimated = estimated or bool(_RELATIVE.search(lowered))
    if hpht > today:
        return "registration.preg_edd_far" if said_edd else "registration.preg_hpht_future"
    if (today - hpht).days > MAX_PREGNANCY_WEEKS * 7:
        return "registration.preg_too_long"
    edd = hpht + timedelta(days=PREGNANCY_DAYS)
    return {
        "hpht": hpht.isoformat(),
        "edd": edd.isoformat(),
        "weeks": (today - hpht).days // 7,
        "estimated": estimated,
    }


def _member_choice(msg: Message) -> str | None:
    """pregnant | child | elderly | adult | done, from a number, a word or an entity."""
    answer = msg.text.strip().lower().strip(".!)")
    options = (*ROLES, "done")
    if answer.isdigit():
        n = int(answer)
        return options[n - 1] if 1 <= n <= len(options) else None
    if answer in NUMBER_WORDS:
        n = NUMBER_WORDS[answer]
        return options[n - 1] if n <= len(options) else None
    for role, pattern in _ROLE_WORDS:
        if re.search(rf"\b({pattern})\b", answer):
            return role
    for e in msg.entities:
        if e.get("entity") == "person" and e.get("value") in _ENTITY_ROLES:
            return _ENTITY_ROLES[e["value"]]
    i = pick(answer, ["ibu hamil", "anak bayi", "lansia", "dewasa", "selesai"])
    return options[i] if i is not None else None


# ----------------------------------------------------------------------------- start


def start_registration(state: State, msg: Message, ctx: Context) -> Step:
    """Intent register / menu 1: consent first, then a new household or the manage menu."""
    if not ctx.contact.consented:
        return _ask("consent", {}, ctx.t("registration.ask_consent"))
    if ctx.contact.registered and ctx.contact.name:
        return _manage_start(msg, ctx)
    return _ask("name", {}, ctx.t("registration.ask_name"))


def step_consent(state: State, msg: Message, ctx: Context) -> Step:
    answer = yes_no(msg)
    if answer is None:
        return asking.again(state, ctx, ctx.t("registration.reask_consent"))
    if answer is False:
        return Step(IDLE, (ctx.t("registration.no_consent"),), ({"type": "consent_declined"},))
    event = {"type": "consent_given", "at": ctx.now.isoformat()}
    if ctx.contact.registered and ctx.contact.name:
        step = _ask("manage", {}, ctx.t("registration.manage"))
    else:
        step = _ask("name", {}, ctx.t("registration.ask_name"))
    return Step(step.state, step.replies, (event,))


def step_name(state: State, msg: Message, ctx: Context) -> Step:
    name = clean_name(msg.text)
    problem = "name_empty" if is_self(msg.text) else name_problem(name)
    if problem:
        return asking.again(state, ctx, ctx.t(f"registration.{problem}"))
    return _area_question({**_slots(state), "name": name}, None, ctx)


# ----------------------------------------------------------------------------- area


def _children(parent: str | None, ctx: Context) -> list[AreaInfo]:
    if parent is None:
        return [a for a in ctx.areas if a.parent is None]
    return [a for a in ctx.areas if a.parent == parent]


def _area_options(slots: dict[str, Any], ctx: Context) -> tuple[list[AreaInfo], list[str]]:
    by_code = {a.code: a for a in ctx.areas}
    areas = [by_code[c] for c in slots.get("area_options", []) if c in by_code]
    labels = [a.name for a in areas]
    if slots.get("area_parent"):
        labels.append(ctx.t("registration.area_unknown"))
    return areas, labels


def _area_question(slots: dict[str, Any], parent: str | None, ctx: Context) -> Step:
    """Ask for the next area level below `parent`, or finish when there is none."""
    options = _children(parent, ctx)
    if parent is None and len(options) == 1:
        return _area_question(slots, options[0].code, ctx)
    if not options:
        return _contact_done(slots, parent, ctx)
    slots = {**slots, "area_parent": parent, "area_options": [a.code for a in options]}
    _, labels = _area_options(slots, ctx)
    level = options[0].level if options[0].level in ("desa", "dusun", "rw", "rt") else "rt"
    parent_name = next((a.name for a in ctx.areas if a.code == parent), "")
    text = ctx.t(f"registration.ask_area_{level}", parent=parent_name, options=numbered(labels))
    return _ask("area", slots, text)


def step_area(state: State, msg: Message, ctx: Context) -> Step:
    slots = _slots(state)
    areas, labels = _area_options(slots, ctx)
    parent = slots.get("area_parent")
    if parent and is_unknown(msg.text):
        return _contact_done(slots, parent, ctx)
    # "sukamaju, kaler", "2 cirumput", "cirumput": that area, and the next level below it
    deeper = match_below(msg.text, areas, ctx.areas)
    if deeper is not None:
        return _area_question(slots, deeper.code, ctx)
    i = match_area(msg.text, [AreaInfo(str(n), label, "") for n, label in enumerate(labels)])
    if i is None:
        return asking.again(state, ctx, ctx.t("registration.reask_area", options=numbered(labels)))
    if i >= len(areas):
        return _contact_done(slots, parent, ctx)
    return _area_question(slots, areas[i].code, ctx)


def _contact_done(slots: dict[str, Any], area_code: str | None, ctx: Context) -> Step:
    slots = {k: v for k, v in slots.items() if k not in ("area_parent", "area_options")}
    name = slots.get("name") or ctx.contact.name or ""
    event = {"type": "contact_registered", "name": name, "area_code": area_code}
    text = ctx.t("registration.ask_member_first", name=name)
    return _ask("member", {**slots, "area_code": area_code}, text, events=(event,))


# ----------------------------------------------------------------------------- members


def step_member(state: State, msg: Message, ctx: Context) -> Step:
    role = _member_choice(msg)
    if role is None:
        return asking.again(state, ctx, ctx.t("registration.reask_member"))
    if role == "done":
        return _done(state, ctx)
    member: dict[str, Any] = {"role": role}
    text = msg.text.lower()
    hint = next((sx for sx, words in _SEX_HINTS if re.search(rf"\b({words})\b", text)), None)
    if role == "pregnant":
        member["sex"] = "P"
        if _GA.search(text):  # "abdi nuju hamil 6 bulan": not asked again after the name
            member["said_pregnancy"] = msg.text
    elif hint and role != "child":
        member["sex"] = hint
    slots = {**_slots(state), "member": member}
    if role == "pregnant" and _SPEAKER.search(text):  # "abdi nuju hamil": herself, by name
        return step_member_name(State(state.flow, "m_name", slots), Message(text="saya"), ctx)
    return _ask("m_name", slots, ctx.t(f"registration.ask_name_{role}"))


def step_member_name(state: State, msg: Message, ctx: Context) -> Step:
    slots = _slots(state)
    member = dict(slots["member"])
    role = member["role"]
    text = msg.text.strip()
    name: str | None
    said_sex = sex_word(text)
    if said_sex is not None and role != "pregnant":
        # "lalaki" where the name was asked: keep the sex, ask the name again
        member["sex"] = said_sex
        slots["member"] = member
        sex = ctx.t(f"registration.sex_{said_sex}")
        reply = ctx.t(
            "registration.name_is_sex", sex=sex, ask=ctx.t(f"registration.ask_name_{role}")
        )
        return asking.again(State(state.flow, state.step, {**state.slots, **slots}), ctx, reply)
    if is_self(text) and role != "child":
        name = _contact_name(state, ctx)
        problem = None if name else "name_empty"
    elif role == "child" and _UNNAMED.search(text.lower()):
        mother = _mother(state, ctx)
        name = ctx.t("birth.baby_name", mother=strip_title(mother["name"])) if mother else None
        problem = None if name else "name_empty_child"
    else:
        name = clean_name(text)
        problem = name_problem(name)
    existing = _existing(name, ctx) if name and not problem else None
    if role == "pregnant" and existing is not None and existing.sex in ("P", None):
        # a registered woman who is now pregnant: her record gets the pregnancy dates
        member.update(name=existing.name, sex="P", person_id=existing.id)
        slots["member"] = member
        return _pregnancy_question(slots, ctx)
    if problem is None and name and (existing is not None or _added(name, state)):
        problem = "name_exists"
    if problem or not name:
        return asking.again(state, ctx, ctx.t(f"registration.{problem}", name=name or ""))
    member["name"] = name
    slots["member"] = member
    if role == "pregnant":
        member["sex"] = "P"
        return _pregnancy_question(slots, ctx)
    member["sex"] = member.get("sex") or sex_from_title(name)
    if member["sex"] is None:  # every member is asked, adults too (title or role words aside)
        return _ask("m_sex", slots, ctx.t("registration.ask_sex", name=name))
    return _ask("m_birth", slots, _birth_question(role, name, ctx))


def _birth_question(role: str, name: str, ctx: Context) -> str:
    key = {"child": "ask_birth_child", "elderly": "ask_birth_year"}.get(role, "ask_birth_adult")
    return ctx.t(f"registration.{key}", name=name)


def _existing(name: str, ctx: Context) -> PersonInfo | None:
    return next((p for p in ctx.household if p.name.lower() == name.lower()), None)


def _added(name: str, state: State) -> bool:
    return name.lower() in {a["name"].lower() for a in state.slots.get("added", [])}


def step_member_sex(state: State, msg: Message, ctx: Context) -> Step:
    sex = parse_sex(msg.text) or parse_sex(msg.text, strict=False)
    if sex is None:
        return asking.again(state, ctx, ctx.t("registration.reask_sex"))
    slots = _slots(state)
    member = slots["member"] = {**slots["member"], "sex": sex}
    return _ask("m_birth", slots, _birth_question(member["role"], member["name"], ctx))


def step_member_birth(state: State, msg: Message, ctx: Context) -> Step:
    slots = _slots(state)
    member = dict(slots["member"])
    role, name = member["role"], member["name"]
    read = read_birth(msg.text, role, ctx)
    if read is None:
        key = "registration.bad_year" if role == "elderly" else "registration.bad_date"
        return asking.again(state, ctx, ctx.t(key, name=name))
    born, estimated = read
    problem = birth_problem(role, born, state, ctx, name, exclude=slots.get("person_id"))
    if problem is not None:
        return asking.again(state, ctx, ctx.t(problem[0], **problem[1]))
    if slots.get("mode") == "update":
        return _updated_birth(slots, born, estimated, ctx)
    member.update(birth_date=born.isoformat(), birth_date_estimated=estimated)
    if role == "child":
        key = "registration.saved_child_estimated" if estimated else "registration.saved_child"
        saved = ctx.t(
            key, name=name, sex=ctx.t(f"registration.sex_{member['sex']}"), birth=fmt(born)
        )
    elif estimated:
        saved = ctx.t("registration.saved_person_estimated", name=name, year=born.year)
    else:
        saved = ctx.t("registration.saved_person", name=name, birth=fmt(born))
    return _member_added(state, member, saved, ctx)


def _pregnancy_question(slots: dict[str, Any], ctx: Context) -> Step:
    """Ask the HPHT/HPL, unless the gestational age came with the member's role."""
    member = slots["member"] = dict(slots["member"])
    said = member.pop("said_pregnancy", None)
    read = read_pregnancy(said, ctx) if said else None
    if isinstance(read, dict):
        return _confirm_pregnancy(slots, read, ctx)
    return _ask("m_preg", slots, ctx.t("registration.ask_pregnancy", name=member["name"]))


def step_member_pregnancy(state: State, msg: Message, ctx: Context) -> Step:
    slots = _slots(state)
    read = read_pregnancy(msg.text, ctx)
    if isinstance(read, str):
        return asking.again(state, ctx, ctx.t(read, name=slots["member"]["name"]))
    return _confirm_pregnancy(slots, read, ctx)


def _confirm_pregnancy(slots: dict[str, Any], read: dict[str, Any], ctx: Context) -> Step:
    slots["member"] = {**slots["member"], **read}
    key = "registration.confirm_pregnancy"
    if read["estimated"]:
        key = "registration.confirm_pregnancy_estimated"
    text = ctx.t(
        key,
        name=slots["member"]["name"],
        hpht=fmt(date.fromisoformat(read["hpht"])),
        edd=fmt(date.fromisoformat(read["edd"])),
        weeks=read["weeks"],
    )
    return _ask("m_confirm", slots, text)


def step_member_confirm(state: State, msg: Message, ctx: Context) -> Step:
    answer = yes_no(msg)
    slots = _slots(state)
    member = dict(slots["member"])
    if answer is None:
        return asking.again(state, ctx, ctx.t("registration.reask_confirm"))
    if answer is False:
        return _ask("m_preg", slots, ctx.t("registration.pregnancy_retry", name=member["name"]))
    edd = fmt(date.fromisoformat(member["edd"]))
    pid = slots.get("person_id") if slots.get("mode") == "update" else member.get("person_id")
    if pid is not None:
        events = tuple(
            {"type": "person_updated", "person_id": pid, "field": f, "value": member[f]}
            for f in ("hpht", "edd")
        )
        text = ctx.t("registration.updated_pregnancy", name=member["name"], edd=edd)
        if slots.get("mode") == "update":
            return Step(IDLE, (text,), events)
        slots.pop("member", None)
        return _ask("member", slots, text, ctx.t("registration.ask_member_more"), events=events)
    saved = ctx.t(
        "registration.saved_pregnant", name=member["name"], weeks=member["weeks"], edd=edd
    )
    return _member_added(state, member, saved, ctx)


def _member_added(state: State, member: dict[str, Any], saved: str, ctx: Context) -> Step:
    event = {
        "type": "person_added",
        "name": member["name"],
        "role": member["role"],
        "sex": member.get("sex"),
        "birth_date": member.get("birth_date"),
        "birth_date_estimated": bool(member.get("birth_date_estimated", False)),
        "hpht": member.get("hpht"),
        "edd": member.get("edd"),
    }
    if member["role"] == "pregnant":
        event["hpht_estimated"] = bool(member.get("estimated"))
    if member["role"] == "child":
        mother = _mother(state, ctx)
        if mother is not None:
            event["mother_name"] = mother["name"]
    slots = _slots(state)
    slots.pop("member", None)
    added = [
        *slots.get("added", []),
        {
            "name": member["name"],
            "role": member["role"],
            "sex": member.get("sex"),
            "birth_date": member.get("birth_date"),
        },
    ]
    slots["added"] = added
    if member["role"] == "pregnant" and int(member.get("weeks") or 0) >= ANC_ASK_FROM_WEEKS:
        slots["anc"] = {"name": member["name"], "weeks": int(member["weeks"])}
        ask = ctx.t("registration.ask_anc", name=member["name"])
        return _ask("m_anc", slots, saved, ask, events=(event,))
    if member["role"] == "child" and _asks_kia(member, ctx):
        slots["kia"] = {k: member.get(k) for k in ("name", "sex", "birth_date")}
        ask = ctx.t("registration.ask_kia", name=member["name"])
        return _ask("m_kia", slots, saved, ask, events=(event,))
    return _ask("member", slots, saved, ctx.t("registration.ask_member_more"), events=(event,))


def step_member_anc(state: State, msg: Message, ctx: Context) -> Step:
    """How many antenatal checks she had before registering (past windows are not reminded):
    a number, or none yet (her bidan is told), or not known (nothing recorded)."""
    slots = _slots(state)
    anc = slots.pop("anc", None) or {}
    name = anc.get("name", "")
    count = anc_count(msg.text)
    if count is None and _member_choice(msg) is not None:  # "selesai", "anak": moved on
        return step_member(State(state.flow, "member", slots), msg, ctx)
    if count is None:
        return asking.again(state, ctx, ctx.t("registration.reask_anc", name=name))
    if count == "unknown":
        reply = ctx.t("registration.anc_unknown", name=name)
        return _ask("member", slots, reply, ctx.t("registration.ask_member_more"))
    event = {"type": "anc_history_reported", "name": name, "count": count, "weeks": anc["weeks"]}
    key = "registration.anc_none" if count == 0 else "registration.anc_saved"
    reply = ctx.t(key, name=name, n=count)
    return _ask("member", slots, reply, ctx.t("registration.ask_member_more"), events=(event,))


_ANC_NONE = re.compile(
    r"\b(belum|blm|blum|teu acan|tacan|durung|dereng|never|tidak pernah|gak pernah|ga pernah"
    r"|nggak pernah|ora tau|teu kantos|teu acan kantos|mboten nate)\b|^(0|nol|tidak|gak|ga)$"
)
_ANC_UNKNOWN = re.compile(
    r"\b(tidak tahu|gak tau|ga tau|gatau|lupa|teu terang|ora ngerti|mboten ngertos)\b"
)


def anc_count(text: str) -> int | str | None:
    """'2', 'dua kali', 'udah 3x' -> the number; 'belum', 'teu acan' -> 0; 'lupa' ->
    'unknown'; None when unclear."""
    lowered = " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())
    if _ANC_UNKNOWN.search(lowered):
        return "unknown"
    numbers = [int(t) for t in re.findall(r"\b(\d{1,2})\s*(?:x|kali|kl)?\b", lowered)]
    numbers += [NUMBER_WORDS[w] for w in lowered.split() if w in NUMBER_WORDS]
    numbers += [1 for w in lowered.split() if w in ("sekali", "sakali", "sepisan", "sepindah")]
    if len(numbers) == 1 and 0 <= numbers[0] <= ANC_MAX_COUNT:
        return numbers[0]
    if not numbers and _ANC_NONE.search(lowered):
        return 0
    return None


def _kia_facts(kia: dict[str, Any]) -> PersonFacts:
    return PersonFacts(birth_date=_date(kia.get("birth_date")), sex=kia.get("sex"))


def _asks_kia(member: dict[str, Any], ctx: Context) -> bool:
    """One question per child under six whose age has reached a dose."""
    born = _date(member.get("birth_date"))
    if born is None or years_between(born, ctx.today()) >= KIA_MAX_YEARS:
        return False
    return bool(kia_book.due_by_age(_kia_facts(member), ctx.today()))


def _dose_names(items: list[str], ctx: Context) -> str:
    return ", ".join(ctx.t(f"items.{i}") for i in items)


def step_member_kia(state: State, msg: Message, ctx: Context) -> Step:
    """What the child's Buku KIA shows: complete for the age, a list of doses, never, or the
    parent does not know (a kader checks the book; past doses are not reminded meanwhile)."""
    slots = _slots(state)
    kia = slots["kia"] = dict(slots["kia"])
    name = kia["name"]
    today = ctx.today()
    answer = kia_book.parse(msg.text, (name,))
    asked = kia.pop("which", None)  # {"code", "said"}: the list waiting for one series' number
    if asked is not None:
        numbers = kia_book.numbers_for(msg.text, asked["code"])
        if numbers or (answer.kind == "list" and answer.problem is None):
            rest = kia_book.from_slots(asked["said"])
            given = numbers or answer.said
            answer = replace(
                answer, kind="list", problem=None, said=kia_book.merge(rest, given, asked["code"])
            )
    doses: list[tuple[str, date, bool]] = []
    problem, values = answer.problem, dict(answer.values)
    if problem is None and answer.kind == "list":
        doses, problem, values = kia_book.resolve(answer.said, _kia_facts(kia), today)
        if problem == "which_dose":  # keep everything else said; only the number is asked
            kia["which"] = {"code": values["vaccine"], "said": kia_book.to_slots(answer.said)}
            state = replace(state, slots={**state.slots, "kia": kia})
    if problem is not None:
        if "vaccine" in values:
            code = values["vaccine"].split()[0]
            values["vaccine"] = " ".join(
                [ctx.t(f"registration.kia_series.{code}"), *values["vaccine"].split()[1:]]
            )
        if "item" in values:
            values["item"] = ctx.t(f"items.{values['item']}")
        return asking.again(state, ctx, ctx.t(f"registration.kia_{problem}", name=name, **values))
    if answer.kind == "complete":
        doses = [(i, d, True) for i, d in kia_book.due_by_age(_kia_facts(kia), today).items()]
    event = {
        "type": "kia_history_reported",
        "name": name,
        "answer": answer.kind,
        "doses": [{"item": i, "given_on": d.isoformat(), "estimated": e} for i, d, e in doses],
    }
    if answer.kind == "list":
        key = "kia_saved_estimated" if any(e for _, _, e in doses) else "kia_saved"
        reply = ctx.t(
            f"registration.{key}", name=name, items=_dose_names([i for i, _, _ in doses], ctx)
        )
    elif answer.kind == "complete":
        reply = ctx.t("registration.kia_saved_complete", name=name, n=len(doses))
    else:
        reply = ctx.t(f"registration.kia_{answer.kind}", name=name)
    slots.pop("kia", None)
    return _ask("member", slots, reply, ctx.t("registration.ask_member_more"), events=(event,))


def _done(state: State, ctx: Context) -> Step:
    names: list[str] = []
    for name in [p.name for p in ctx.household] + [a["name"] for a in state.slots.get("added", [])]:
        if name not in names:
            names.append(name)
    if not names:
        name = _contact_name(state, ctx)
        name_part = f", {name}" if name else ""
        return Step(IDLE, (ctx.t("registration.done_empty", name_part=name_part),))
    return Step(IDLE, (ctx.t("registration.done", members=", ".join(names)),))


# ----------------------------------------------------------------------------- manage


def _manage_start(msg: Message, ctx: Context) -> Step:
    """A registered contact: go straight to what they asked for, or offer the three choices."""
    text = msg.text.lower()
    if _ADD.search(text) and not _REMOVE.search(text):
        return _ask("member", {"mode": "add"}, ctx.t("registration.ask_member"))
    if _REMOVE.search(text) and not _NOT_REMOVE.search(text):
        return _pick_question("remove", ctx)
    fixed = correction(IDLE, msg, ctx)
    if fixed is not None:
        return fixed
    if _NAME_WORD.search(text) and not _UPDATE.search(text):
        return _pick_question("rename", ctx)
    if _UPDATE.search(text):
        return _pick_question("update", ctx)
    return _ask("manage", {}, ctx.t("registration.manage"))


def step_manage(state: State, msg: Message, ctx: Context) -> Step:
    text = msg.text.strip().lower()
    i = pick(text, ["tambah anggota", "ubah tanggal", "hapus anggota", "ubah nama"])
    if i is None:
        if _ADD.search(text):
            i = 0
        elif _NAME_WORD.search(text):
            i = 3
        elif re.search(r"\b(ubah|ganti|koreksi|ralat|tanggal|tgl)\b", text):
            i = 1
        elif _REMOVE.search(text):
            i = 2
    if i is None:
        return asking.again(state, ctx, ctx.t("registration.reask_manage"))
    if i == 0:
        return _ask("member", {"mode": "add"}, ctx.t("registration.ask_member"))
    return _pick_question(("update", "remove", "rename")[i - 1], ctx)


def _pick_question(action: str, ctx: Context) -> Step:
    if not ctx.household:
        empty = ctx.t("registration.no_members")
        return _ask("member", {"mode": "add"}, empty, ctx.t("registration.ask_member"))
    options = numbered([p.name for p in ctx.household])
    return _ask("pick", {"action": action}, ctx.t(f"registration.pick_{action}", options=options))


def step_pick(state: State, msg: Message, ctx: Context) -> Step:
    names = [p.name for p in ctx.household]
    i = pick(msg.text, names)
    if i is None:
        return asking.again(state, ctx, ctx.t("registration.reask_pick", options=numbered(names)))
    person = ctx.household[i]
    slots = {"person_id": person.id, "person_name": person.name}
    if state.slots.get("action") == "remove":
        return _ask(
            "remove_reason", slots, ctx.t("registration.ask_remove_reason", name=person.name)
        )
    if state.slots.get("action") == "rename":
        return _ask("rename", slots, ctx.t("registration.ask_new_name", name=person.name))
    return _update_birth_question(person, slots, ctx)


def _update_birth_question(person: PersonInfo, slots: dict[str, Any], ctx: Context) -> Step:
    today = ctx.today()
    slots["mode"] = "update"
    member = {"name": person.name, "sex": person.sex}
    if is_pregnant(person, today):
        slots["member"] = {**member, "role": "pregnant"}
        return _ask("m_preg", slots, ctx.t("registration.ask_pregnancy", name=person.name))
    role = "adult"
    if person.birth_date is not None:
        years = years_between(person.birth_date, today)
        role = "child" if years < CHILD_MAX_YEARS else "elderly" if years >= 60 else "adult"
    slots["member"] = {**member, "role": role}
    key = {"child": "ask_birth_child", "elderly": "ask_birth_year", "adult": "ask_birth_adult"}
    return _ask("m_birth", slots, ctx.t(f"registration.{key[role]}", name=person.name))


def _updated_birth(slots: dict[str, Any], born: date, estimated: bool, ctx: Context) -> Step:
    event = {
        "type": "person_updated",
        "person_id": slots["person_id"],
        "field": "birth_date",
        "value": born.isoformat(),
        "estimated": estimated,
    }
    name = slots["member"]["name"]
    if estimated:
        text = ctx.t("registration.updated_birth_estimated", name=name, birth=fmt(born))
    else:
        text = ctx.t("registration.updated_birth", name=name, birth=fmt(born))
    return Step(IDLE, (text,), (event,))


def step_rename(state: State, msg: Message, ctx: Context) -> Step:
    """The new name of the member picked (or named in 'ganti nama Budi jadi Bagus')."""
    pid, old = state.slots["person_id"], state.slots["person_name"]
    return _renamed(state, pid, old, msg.text, ctx)


def _renamed(state: State, pid: int, old: str, text: str, ctx: Context) -> Step:
    new = clean_name(text)
    problem = "name_empty" if is_self(text) else name_problem(new)
    if problem is None and new.lower() != old.lower() and _existing(new, ctx) is not None:
        problem = "name_exists"
    if problem is not None:
        slots = {"person_id": pid, "person_name": old}
        if state.flow == REGISTRATION_FLOW and state.step == "rename":
            return asking.again(state, ctx, ctx.t(f"registration.{problem}", name=new))
        return _ask("rename", slots, ctx.t(f"registration.{problem}", name=new))
    if new == old:
        return Step(IDLE, (ctx.t("registration.renamed_same", name=old),))
    event = {"type": "person_updated", "person_id": pid, "field": "name", "value": new}
    return Step(IDLE, (ctx.t("registration.renamed", old=old, new=new),), (event,))


def _who(text: str, ctx: Context) -> PersonInfo | None | str:
    """The member a correction names: a household member, 'self' (the contact herself, who
    may not be a member), or None."""
    if is_self(text):
        own = _existing(ctx.contact.name or "", ctx)
        return own if own is not None else "self"
    name = clean_name(text)
    names = [p.name for p in ctx.household]
    exact = _existing(name, ctx) if name else None
    if exact is not None:
        return exact
    i = pick(name, names, cutoff=85) if name and names else None
    return ctx.household[i] if i is not None else None


def correction(state: State, msg: Message, ctx: Context) -> Step | None:
    """'ganti nama Budi jadi Bagus' / 'ganti tanggal lahir Budi jadi 12-04-2025' from a
    registered contact, at any idle moment; None when the message is not such a correction."""
    if not ctx.contact.registered:
        return None
    text = " ".join(msg.text.split()).strip(" .!")
    lowered = text.lower()
    rename = _RENAME.match(lowered)
    if rename is not None:
        start = rename.start("old") if rename.group("old") else rename.start("old2")
        end = rename.end("old") if rename.group("old") else rename.end("old2")
        new_start = rename.start("new") if rename.group("new") else rename.start("new2")
        who = _who(text[start:end], ctx)
        if who is None:
            return _pick_question("rename", ctx)
        if who == "self":
            new = clean_name(text[new_start:])
            problem = name_problem(new)
            if problem is not None:
                return Step(IDLE, (ctx.t(f"registration.{problem}", name=new),))
            event = {"type": "contact_registered", "name": new, "area_code": ctx.contact.area_code}
            old = ctx.contact.name or ""
            return Step(IDLE, (ctx.t("registration.renamed", old=old, new=new),), (event,))
        assert isinstance(who, PersonInfo)
        return _renamed(IDLE, who.id, who.name, text[new_start:], ctx)
    baby = _BABY_NAME.match(lowered)
    if baby is not None:
        placeholder = ctx.t("birth.baby_name", mother="").strip()
        unnamed = [p for p in ctx.household if p.name.startswith(placeholder)]
        if len(unnamed) == 1:
            return _renamed(IDLE, unnamed[0].id, unnamed[0].name, text[baby.start("new") :], ctx)
    redate = _REDATE.match(lowered)
    if redate is not None and ctx.household:
        who = _who(text[redate.start("who") : redate.end("who")], ctx)
        if not isinstance(who, PersonInfo):  # 'ganti tanggal kunjungan jadi kamis' is a visit
            return _pick_question("update", ctx) if "lahir" in lowered else None
        slots = {"person_id": who.id, "person_name": who.name}
        asked = _update_birth_question(who, slots, ctx)
        if asked.state.step != "m_birth":  # a pregnancy: HPHT/HPL are asked instead
            return asked
        answer = Message(text[redate.start("when") :])
        return step_member_birth(asked.state, answer, ctx)
    return None


def step_remove_reason(state: State, msg: Message, ctx: Context) -> Step:
    text = msg.text.strip().lower().strip(".!)")
    reasons = [r for r, _ in _REASONS]
    reason = None
    if text.isdigit() and 1 <= int(text) <= len(reasons):
        reason = reasons[int(text) - 1]
    elif text in NUMBER_WORDS and NUMBER_WORDS[text] <= len(reasons):
        reason = reasons[NUMBER_WORDS[text] - 1]
    else:
        reason = next((r for r, p in _REASONS if re.search(rf"\b({p})", text)), None)
    if reason is None:
        return asking.again(state, ctx, ctx.t("registration.reask_remove_reason"))
    pid, name = state.slots["person_id"], state.slots["person_name"]
    event = {"type": "person_removed", "person_id": pid, "reason": reason}
    return Step(IDLE, (ctx.t(f"registration.removed_{reason}", name=name),), (event,))


REGISTRATION_STEPS = {
    "consent": step_consent,
    "name": step_name,
    "area": step_area,
    "member": step_member,
    "m_name": step_member_name,
    "m_sex": step_member_sex,
    "m_birth": step_member_birth,
    "m_preg": step_member_pregnancy,
    "m_confirm": step_member_confirm,
    "m_kia": step_member_kia,
    "m_anc": step_member_anc,
    "manage": step_manage,
    "pick": step_pick,
    "rename": step_rename,
    "remove_reason": step_remove_reason,
}
