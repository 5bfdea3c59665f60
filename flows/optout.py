"""Opt-out and opt-in: exact keywords act at once; an NLU guess asks for confirmation first."""

from __future__ import annotations

from flows.asking import again, ask
from flows.base import IDLE, Context, Message, State, Step
from flows.events import OptedIn, OptedOut
from flows.understanding import emoji_yes_no

FLOW = "opt_out"
YES = {"ya", "iya", "y", "yes", "ok", "oke", "betul", "benar", "muhun", "nggih", "iyaa", "yaa"}
NO = {"tidak", "tdk", "gak", "ga", "nggak", "enggak", "no", "tak", "jangan", "henteu", "mboten"}


def stop_keyword(state: State, msg: Message, ctx: Context) -> Step:
    return Step(IDLE, (ctx.t("optout.done"),), (OptedOut(via="keyword"),))


def start_keyword(state: State, msg: Message, ctx: Context) -> Step:
    if not ctx.contact.opted_out:
        return Step(IDLE, (ctx.t("optout.already_in"),))
    return Step(IDLE, (ctx.t("optout.optin_done"),), (OptedIn(via="keyword"),))


def ask_confirmation(state: State, msg: Message, ctx: Context) -> Step:
    """Intent opt_out from NLU: NLU can be wrong, so ask."""
    return ask(FLOW, "confirm", {}, ctx.t("optout.confirm_question"))


def confirm(state: State, msg: Message, ctx: Context) -> Step:
    word = msg.text.strip().lower().strip(".!")
    emoji = emoji_yes_no(msg.text)
    if emoji is True or word in YES or (msg.intent == "affirm" and word not in NO):
        return Step(IDLE, (ctx.t("optout.done"),), (OptedOut(via="confirmed"),))
    if emoji is False or word in NO or msg.intent == "deny":
        return Step(IDLE, (ctx.t("optout.kept"),))
    # no answer after the third time: the subscription is kept (no person needed for that)
    return again(state, ctx, ctx.t("optout.reask"), give_up=Step(IDLE, (ctx.t("optout.kept"),)))


STEPS = {"confirm": confirm}
