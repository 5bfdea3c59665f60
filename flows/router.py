"""Routes one message: keywords first, then the active flow's step, then the intent."""

from __future__ import annotations

import re
from dataclasses import replace

from flows import (
    contact_update,
    menu,
    optout,
    posyandu_info,
    registration,
    reminder_replies,
    reports,
    understanding,
)
from flows.base import IDLE, Context, Message, State, Step
from flows.booking import MORE_WORDS
from flows.pregnancy_outcomes import says_ended, says_loss
from flows.registry import FLOW_STEPS, INTENT_STARTS

# Services a resident may ask for; those without a flow yet get an honest "not yet".
SERVICE_INTENTS = (
    "register",
    "report_symptom",
    "complain_service",
    "book_visit",
    "check_schedule",
    "cancel_visit",
    "reschedule_visit",
    "report_birth",
    "ask_info",
)
MENU_NUMBERS = {
    "1": "register",
    "2": "report_symptom",
    "3": "book_visit",
    "4": "check_schedule",
    "5": "ask_info",
}


def needs_nlu(state: State, msg: Message, ctx: Context) -> bool:
    """NLU is skipped for keywords and empty text; opted-out contacts are still parsed, since a
    danger sign must be caught whoever writes it."""
    return msg.keyword is None and bool(msg.text.strip())


def route(state: State, msg: Message, ctx: Context) -> Step:
    if msg.keyword == "opt_out":
        return optout.stop_keyword(state, msg, ctx)
    if msg.keyword == "opt_in":
        return optout.start_keyword(state, msg, ctx)
    emergency = None
    if msg.keyword is None:
        emergency = reports.emergency_check(state, msg, ctx, can_ask=not ctx.contact.opted_out)
    if ctx.contact.opted_out:
        return _opted_out(state, msg, ctx, emergency)
    if emergency is not None:
        return emergency  # a danger sign interrupts any flow
    if msg.keyword == "menu":
        return menu.help_menu(state, msg, ctx)
    if msg.keyword == "cancel":
        leave = menu.help_menu if state.idle else menu.cancelled
        return leave(state, msg, ctx)
    if state.idle:  # inside a flow, PINDAH or SUDAH is that flow's answer (e.g. why remove)
        reply = (
            reminder_replies.answer(state, msg, ctx)
            or contact_update.start(state, msg, ctx)
            or registration.correction(state, msg, ctx)  # 'ganti nama Budi jadi Bagus'
            or (
                reports.emergency_followup(state, msg, ctx)
                if _free_text(msg) and not _pregnancy_ended(msg.text)
                else None  # "aku keguguran" after a bleeding emergency: the loss is recorded
            )
        )
        if reply is not None:
            return reply
        if _words(msg.text) in MORE_WORDS and msg.intent in (None, "opt_in", "nlu_fallback"):
            return Step(IDLE, (ctx.t("booking.check.no_more"),))  # LAGI after the last page
    else:
        step = FLOW_STEPS.get(state.flow or "", {}).get(state.step or "")
        if step is not None:
            result = step(state, msg, ctx)
            # None: the flow let the message go (JADWAL's "more" and not LAGI): read as usual
            return result if result is not None else route(IDLE, msg, ctx)
    return start(msg, ctx)


def _opted_out(state: State, msg: Message, ctx: Context, emergency: Step | None) -> Step:
    """An opted-out contact hears nothing until MULAI/START, except what an emergency needs:
    the safety advice, the alert, the village question and its answer, and follow-ups to the
    open emergency's workers. They stay opted out (no reminders)."""
    if emergency is not None:
        return emergency
    if state.flow == reports.SYMPTOM_FLOW and state.step == "area" and msg.keyword is None:
        return reports.step_area(state, msg, ctx)
    if state.idle and msg.keyword is None:
        followup = reports.emergency_followup(state, msg, ctx)
        if followup is not None:
            return followup
    return Step(state)


# The menu's own words, as written in menu.options, choose the same services as the numbers.
MENU_WORDS = {
    "DAFTAR": "register",
    "SAKIT": "report_symptom",
    "KUNJUNGAN": "book_visit",
    "JADWAL": "check_schedule",
    "INFO": "ask_info",
}


def _pregnancy_ended(text: str) -> bool:
    """A loss ("keguguran", "janinku ora berkembang") or an end not yet told ("wis ora
    meteng"): the birth flow asks what it needs, never an opt-out or a forwarded note."""
    return says_loss(text) or says_ended(text)


def _free_text(msg: Message) -> bool:
    """Not a keyword, a menu number or a menu word (those choose a service, even while an
    emergency is open)."""
    choice = msg.text.strip()
    return msg.keyword is None and choice not in MENU_NUMBERS and choice.upper() not in MENU_WORDS


def start(msg: Message, ctx: Context) -> Step:
    choice = msg.text.strip()
    intent = MENU_NUMBERS.get(choice) or MENU_WORDS.get(choice.upper()) or msg.intent
    health = understanding.mentions_health(msg.text)
    ack = None if health else understanding.acknowledgement(msg.text)
    if ack is not None:  # "makasih bu", "ok sip", "👍": a friendly reply, not "belum mengerti"
        return (menu.thanks if ack == "thanks" else menu.ack)(IDLE, msg, ctx)
    rescued = understanding.health_intent(intent, msg.text) if health else None
    if rescued is not None:  # a body part or symptom word is never dropped
        intent, msg = rescued, replace(msg, intent=rescued)
    if posyandu_info.asks_posyandu(msg.text) and intent not in ("register", "book_visit"):
        return posyandu_info.answer(IDLE, msg, ctx)  # "posyandu na iraha bu?"
    wants_register = understanding.register_intent(intent, msg.text)
    if wants_register is not None:  # "punten, bade daptar"
        intent, msg = wants_register, replace(msg, intent=wants_register)
    if intent not in ("register", "book_visit", "ask_info") and _pregnancy_ended(msg.text):
        intent = "report_birth"  # "istri sy keguguran kemarin": the bidan is asked to visit
    if intent in INTENT_STARTS:
        return INTENT_STARTS[intent](IDLE, msg, ctx)
    if intent in SERVICE_INTENTS:
        return menu.not_ready(IDLE, Message(msg.text, intent, msg.confidence), ctx)
    return menu.fallback(IDLE, msg, ctx)


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())
