"""SUDAH / BELUM in answer to a reminder."""

from __future__ import annotations

from flows.base import IDLE, Context, Message, State, Step

DONE_WORDS = {"SUDAH", "SDH", "UDAH", "UDH", "SAMPUN", "PARANTOS", "ENGGEUS"}
NOT_YET_WORDS = {"BELUM", "BLM", "DERENG", "ACAN", "TACAN"}


def answer(state: State, msg: Message, ctx: Context) -> Step | None:
    """A step when the message answers the last reminder, else None."""
    word = msg.text.strip().upper().strip(".!")
    open_items = ctx.lookups.get("reminders") or []
    if word not in DONE_WORDS | NOT_YET_WORDS:
        return None
    if not open_items:
        return Step(IDLE, (ctx.t("reminder.nothing_pending"),))
    if word in NOT_YET_WORDS:
        return Step(IDLE, (ctx.t("reminder.not_yet"),), ({"type": "reminder_not_yet"},))
    names = ", ".join(
        ctx.t(f"items.{i['item']}") if f"items.{i['item']}" else i["item"] for i in open_items
    )
    event = {
        "type": "doses_reported",
        "items": list(open_items),
        "given_on": ctx.today().isoformat(),
    }
    return Step(IDLE, (ctx.t("reminder.done_thanks", items=names),), (event,))
