"""Birth report: which pregnancy ended and when, the newborn's sex; the handler records the
delivery, adds the baby and tells the area's bidan and kader."""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import partial
from typing import Any

from flows import asking
from flows.answers import (
    clean_name,
    is_self,
    is_unknown,
    match_place,
    name_problem,
    parse_sex,
    strip_title,
    yes_no,
)
from flows.base import IDLE, Context, Message, PersonInfo, State, Step
from flows.choices import numbered, pick
from flows.events import BirthReported, PregnancyLost
from flows.pregnancy_outcomes import (
    gestation_weeks,
    is_loss_age,
    is_preterm,
    is_very_preterm,
    parse_gestation,
    says_loss,
)
from flows.registration import PREGNANCY_DAYS, fmt, is_pregnant
from nlu.dates import parse_date

BIRTH_FLOW = "birth"
MAX_DAYS_AGO = 365  # older births are registered as a child, not reported
RECENT_DELIVERY_DAYS = 42
_BORN = re.compile(r"\b(lahir\w*|melahirkan|hidup|sehat|selamat|nangis|menangis)\b")
# "earlier" in Javanese (mau, krama wau) and Indonesian/Sundanese (tadi): "mau esuk" is this
# morning, "mau bengi" last night (like "semalam": yesterday), "tadi enjing" this morning (alone
# "enjing" is Sundanese for tomorrow, as nlu.dates reads it)
_EARLIER = r"(?:tadi|td|mau|wau)"
_YESTERDAY = re.compile(
    r"\b(semalam|semalem|kemaren|kamari|wingi|"
    rf"{_EARLIER} (?:malam|malem|bengi|wengi|dalu|peuting)|"
    r"(?:malam|malem|bengi|peuting) tadi)\b"
)
_TODAY = re.compile(
    r"\b(barusan|baru saja|"
    rf"{_EARLIER} (?:subuh|pagi|siang|sore|esuk|isuk|enjing|awan|sonten|siyang)|"
    r"(?:subuh|pagi|siang|sore|esuk|isuk|enjing|sonten) tadi|dini hari|hari ini|bieu|dinten ieu)\b"
)


_ask = partial(asking.ask, BIRTH_FLOW)  # a new question in this flow


def _slots(state: State) -> dict[str, Any]:
    return asking.without_count(state.slots)


def _said_day(text: str, ctx: Context) -> date | None:
    """Today or yesterday in a resident's words: 'tadi pagi', 'semalam', 'mau esuk' (Javanese:
    this morning), 'mau bengi' (last night), 'tadi enjing' (Sundanese: this morning)."""
    lowered = " ".join(text.lower().split())
    if _YESTERDAY.search(lowered):
        return ctx.today() - timedelta(days=1)
    if _TODAY.search(lowered):
        return ctx.today()
    return None


def delivery_date(text: str, ctx: Context) -> date | None:
    """The day of birth in a message: a date, 'kemarin', 'tadi pagi', 'semalam', 'mau esuk',
    'wingi sore', 'kamari sonten'... A birth is never tomorrow: where the date reader takes a
    word for a future day ('tadi enjing': 'enjing' alone is Sundanese for tomorrow), the
    resident's 'earlier today' wins."""
    when = parse_date(text, ctx.now, ctx.tz, past=True)
    said = _said_day(text, ctx)
    if said is not None and (when is None or when > ctx.today()):
        return said
    return when


def _mothers(ctx: Context) -> list[PersonInfo]:
    today = ctx.today()
    return [p for p in ctx.household if is_pregnant(p, today)]


def _date_problem(when: date, slots: dict[str, Any], ctx: Context) -> str | None:
    today = ctx.today()
    if when > today:
        return "birth.date_future"
    if (today - when).days > MAX_DAYS_AGO:
        return "birth.date_too_old"
    hpht = slots.get("hpht")
    if hpht and when < date.fromisoformat(hpht):
        return "birth.date_before_pregnancy"
    return None


def _with_mother(slots: dict[str, Any], person: PersonInfo) -> dict[str, Any]:
    start = person.hpht or (person.edd - timedelta(days=PREGNANCY_DAYS) if person.edd else None)
    return {
        **slots,
        "mother_id": person.id,
        "mother_name": person.name,
        "hpht": start.isoformat() if start else None,
    }


def _key(slots: dict[str, Any], key: str) -> str:
    """A loss is never congratulated: its own texts where the birth's would say "Selamat"."""
    return f"birth.loss.{key}" if slots.get("loss") else f"birth.{key}"


def start_birth(state: State, msg: Message, ctx: Context) -> Step:
    """Intent report_birth (or a message that says a pregnancy was lost): take what the message
    already says, ask for the rest."""
    slots: dict[str, Any] = {}
    if says_loss(msg.text):
        slots["loss"] = True
    sex = parse_sex(msg.text, strict=False)
    if sex and not slots.get("loss"):
        slots["sex"], slots["sex_done"] = sex, True
    mothers = _mothers(ctx)
    text = msg.text.lower()
    named = [p for p in mothers if re.search(rf"\b{re.escape(p.name.lower())}\b", text)]
    if len(named) == 1:
        mothers = named
    if len(mothers) == 1:
        slots = _with_mother(slots, mothers[0])
    elif mothers:
        slots["choices"] = [p.id for p in mothers]
    when = delivery_date(msg.text, ctx)
    if when is not None and _date_problem(when, slots, ctx) is None:
        slots["date"] = when.isoformat()
    return _next(slots, ctx)


def _weeks(slots: dict[str, Any]) -> int | None:
    """Completed weeks of pregnancy on the day it ended: from the HPHT on record, else as the
    resident told it."""
    if slots.get("hpht") and slots.get("date"):
        return gestation_weeks(date.fromisoformat(slots["hpht"]), date.fromisoformat(slots["date"]))
    return slots.get("weeks")


def _next(slots: dict[str, Any], ctx: Context) -> Step:
    """Ask the next missing thing (mother, desa, date, whether an early end was a loss, the
    gestational age when no HPHT is known, sex), or finish."""
    if "mother_name" not in slots:
        if slots.get("choices"):
            options = _which_options(slots, ctx)
            return _ask("which", slots, ctx.t(_key(slots, "ask_which"), options=options))
        return _ask("mother", slots, ctx.t(_key(slots, "ask_mother")))
    desa = [a for a in ctx.areas if a.parent is None]
    if ctx.contact.area_code is None and desa and not slots.get("area_done"):
        options = numbered([a.name for a in desa])
        return _ask("area", slots, ctx.t(_key(slots, "ask_area"), options=options))
    if "date" not in slots:
        if _early_today(slots, ctx):  # "wis ora meteng" at 11 weeks: not "Kapan bayinya lahir?"
            weeks_now = gestation_weeks(date.fromisoformat(slots["hpht"]), ctx.today())
            return _ask_loss(slots, weeks_now, ctx)
        return _ask("date", slots, ctx.t(_key(slots, "ask_date")))
    weeks = _weeks(slots)
    if slots.get("loss"):
        return _finish_loss(slots, ctx)
    if is_loss_age(weeks) and not slots.get("born_alive"):
        return _ask_loss(slots, weeks, ctx)
    if weeks is None and not slots.get("term_done"):
        return _ask("term", slots, ctx.t("birth.ask_term"))
    if not slots.get("sex_done"):
        return _ask("sex", slots, ctx.t("birth.ask_sex"))
    return _finish(slots, ctx)


def _early_today(slots: dict[str, Any], ctx: Context) -> bool:
    """The pregnancy on record is still before the loss line today, and not yet told apart."""
    if slots.get("loss") or slots.get("born_alive") or not slots.get("hpht"):
        return False
    return is_loss_age(gestation_weeks(date.fromisoformat(slots["hpht"]), ctx.today()))


def _ask_loss(slots: dict[str, Any], weeks: int | None, ctx: Context) -> Step:
    text = ctx.t("birth.ask_loss", mother=strip_title(slots["mother_name"]), weeks=weeks)
    return _ask("loss", slots, text)


def _which_options(slots: dict[str, Any], ctx: Context) -> str:
    names = [p.name for p in ctx.household if p.id in slots["choices"]]
    return numbered([*names, ctx.t("birth.other_mother")])


def step_which(state: State, msg: Message, ctx: Context) -> Step:
    slots = _slots(state)
    mothers = [p for p in ctx.household if p.id in slots.get("choices", [])]
    i = pick(msg.text, [p.name for p in mothers] + [ctx.t("birth.other_mother")])
    if i is None:
        options = _which_options(slots, ctx)
        return asking.again(state, ctx, ctx.t("birth.reask_which", options=options))
    slots.pop("choices", None)
    if i == len(mothers):
        return _ask("mother", slots, ctx.t(_key(slots, "ask_mother")))
    return _next(_with_mother(slots, mothers[i]), ctx)


def step_mother(state: State, msg: Message, ctx: Context) -> Step:
    """No pregnancy on record: who gave birth? A household member, or a new mother."""
    slots = _slots(state)
    name = ctx.contact.name if is_self(msg.text) else clean_name(msg.text)
    problem = name_problem(name or "")
    if problem:
        return asking.again(state, ctx, ctx.t(f"registration.{problem}"))
    known = next((p for p in ctx.household if p.name.lower() == name.lower()), None)
    if known is not None:
        if known.delivery_date and (ctx.today() - known.delivery_date).days <= RECENT_DELIVERY_DAYS:
            key = _key(slots, "already_reported")
            text = ctx.t(key, name=known.name, date=fmt(known.delivery_date))
            return Step(IDLE, (text,))
        return _next(_with_mother(slots, known), ctx)
    return _next({**slots, "mother_id": None, "mother_name": name, "hpht": None}, ctx)


def step_area(state: State, msg: Message, ctx: Context) -> Step:
    """The answer to "desa mana?": the desa by number or name, or with one of its dusun
    ("sukamaju, kaler", "2 cirumput", "cirumput"): the birth is placed in that dusun (its
    kader told), like the emergency's area answer (flows/reports.step_area)."""
    slots = _slots(state)
    desa = [a for a in ctx.areas if a.parent is None]
    if is_unknown(msg.text):
        return _next({**slots, "area_done": True}, ctx)
    area = match_place(msg.text, desa, ctx.areas)
    if area is None:
        options = numbered([a.name for a in desa])
        return asking.again(state, ctx, ctx.t("birth.reask_area", options=options))
    return _next({**slots, "area_done": True, "area_code": area.code}, ctx)


def step_date(state: State, msg: Message, ctx: Context) -> Step:
    slots = _slots(state)
    when = delivery_date(msg.text, ctx)
    if when is None:
        return asking.again(state, ctx, ctx.t("birth.bad_date"))
    problem = _date_problem(when, slots, ctx)
    if problem is not None:
        hpht = fmt(date.fromisoformat(slots["hpht"])) if slots.get("hpht") else ""
        if slots.get("loss"):
            problem = problem.replace("birth.", "birth.loss.", 1)
        return asking.again(state, ctx, ctx.t(problem, mother=slots["mother_name"], hpht=hpht))
    if says_loss(msg.text):
        slots["loss"] = True
    if not slots.get("sex_done") and not slots.get("loss"):
        sex = parse_sex(msg.text, strict=False)
        if sex:
            slots["sex"], slots["sex_done"] = sex, True
    return _next({**slots, "date": when.isoformat()}, ctx)


def step_sex(state: State, msg: Message, ctx: Context) -> Step:
    slots = _slots(state)
    sex = parse_sex(msg.text) or parse_sex(msg.text, strict=False)
    if sex is None and not is_unknown(msg.text) and not re.search(r"\bbelum\b", msg.text.lower()):
        return asking.again(state, ctx, ctx.t("birth.reask_sex"))
    return _next({**slots, "sex": sex, "sex_done": True}, ctx)


def step_loss(state: State, msg: Message, ctx: Context) -> Step:
    """The pregnancy on record ended before the loss line: was it a miscarriage? YA: a loss;
    TIDAK (the baby was born): a birth, reported as very early."""
    slots = _slots(state)
    answer = yes_no(msg)
    if answer is None and says_loss(msg.text):
        answer = True
    if answer is None and _BORN.search(msg.text.lower()):
        answer = False
    if answer is None:
        mother = strip_title(slots["mother_name"])
        text = ctx.t("birth.reask_loss", mother=mother)
        return asking.again(state, ctx, text)
    if answer:
        return _next({**slots, "loss": True}, ctx)
    return _next({**slots, "born_alive": True}, ctx)


def step_term(state: State, msg: Message, ctx: Context) -> Step:
    """No HPHT on record: the gestational age at birth as the resident knows it (weeks, months,
    'cukup bulan', 'prematur'), or 'tidak tahu'."""
    slots = _slots(state)
    told = parse_gestation(msg.text)
    if told is None and not is_unknown(msg.text) and not re.search(r"\blewat", msg.text.lower()):
        return asking.again(state, ctx, ctx.t("birth.reask_term"))
    if told is not None:
        slots.update(
            weeks=told.weeks, preterm_said=bool(told.preterm), weeks_estimated=told.estimated
        )
    if not slots.get("sex_done"):
        sex = parse_sex(msg.text, strict=False)
        if sex:
            slots["sex"], slots["sex_done"] = sex, True
    return _next({**slots, "term_done": True}, ctx)


def _finish(slots: dict[str, Any], ctx: Context) -> Step:
    baby = ctx.t("birth.baby_name", mother=strip_title(slots["mother_name"]))
    weeks = _weeks(slots)
    preterm = is_preterm(weeks) or bool(slots.get("preterm_said"))
    event = BirthReported(
        mother_person_id=slots.get("mother_id"),
        mother_name=slots["mother_name"],
        delivery_date=slots["date"],
        baby_name=baby,
        baby_sex=slots.get("sex"),
        area_code=slots.get("area_code"),
        gestation_weeks=weeks,
        weeks_estimated=bool(slots.get("weeks_estimated")),
        preterm=preterm,
        ref=ctx.ref,
    )
    if not preterm:
        replies = [ctx.t("birth.thanks", baby=baby, ref=ctx.ref)]
    else:
        replies = [ctx.t("birth.thanks_preterm", baby=baby, ref=ctx.ref)]
        if is_very_preterm(weeks):
            replies.append(ctx.t("birth.very_preterm"))
    if not ctx.contact.consented:
        replies.append(ctx.t("birth.register_hint"))
    return Step(IDLE, tuple(replies), (event,))


def _finish_loss(slots: dict[str, Any], ctx: Context) -> Step:
    """A miscarriage: no congratulations, no baby; the pregnancy's reminders end and the bidan
    is asked to visit."""
    event = PregnancyLost(
        mother_person_id=slots.get("mother_id"),
        mother_name=slots["mother_name"],
        loss_date=slots["date"],
        gestation_weeks=_weeks(slots),
        area_code=slots.get("area_code"),
        ref=ctx.ref,
    )
    replies = [ctx.t("birth.loss.thanks", mother=strip_title(slots["mother_name"]), ref=ctx.ref)]
    return Step(IDLE, tuple(replies), (event,))


BIRTH_STEPS = {
    "which": step_which,
    "mother": step_mother,
    "area": step_area,
    "date": step_date,
    "loss": step_loss,
    "term": step_term,
    "sex": step_sex,
}
