"""PINDAH (moved house) and GANTI NOMOR (new phone number): a contact update."""

from __future__ import annotations

from flows.asking import again, ask
from flows.base import IDLE, Context, Message, State, Step
from flows.choices import numbered, pick
from flows.events import ContactMoved, ContactPhoneChanged

FLOW = "contact_update"
WORDS = {"PINDAH": "move", "PINDAH RUMAH": "move", "GANTI NOMOR": "phone", "GANTI NO": "phone"}


def start(state: State, msg: Message, ctx: Context) -> Step | None:
    """A step when the message is PINDAH or GANTI NOMOR, else None."""
    what = WORDS.get(" ".join(msg.text.upper().split()))
    if what is None:
        return None
    if what == "phone":
        return ask(FLOW, "phone", {}, ctx.t("contact.ask_phone"))
    return ask(FLOW, "desa", {}, ctx.t("contact.ask_desa", options=_desa(ctx)))


def _desa(ctx: Context) -> str:
    return numbered([a.name for a in ctx.areas if a.level == "desa"])


def step_phone(state: State, msg: Message, ctx: Context) -> Step:
    from bot.phones import to_e164  # pure: number parsing only

    new = to_e164(msg.text.strip(), str(ctx.settings.get("default_region", "ID")))
    if new is None:
        return again(state, ctx, ctx.t("contact.bad_phone"))
    if new == ctx.contact.phone:
        return Step(IDLE, (ctx.t("contact.same_phone"),))
    event = ContactPhoneChanged(new_phone=new)
    return Step(IDLE, (ctx.t("contact.phone_changed", phone=new),), (event,))


def step_desa(state: State, msg: Message, ctx: Context) -> Step:
    desa = [a for a in ctx.areas if a.level == "desa"]
    i = pick(msg.text, [a.name for a in desa])
    if i is None:
        return again(state, ctx, ctx.t("contact.ask_desa", options=_desa(ctx)))
    event = ContactMoved(area_code=desa[i].code)
    return Step(IDLE, (ctx.t("contact.moved", area=desa[i].name),), (event,))


STEPS = {"phone": step_phone, "desa": step_desa}
