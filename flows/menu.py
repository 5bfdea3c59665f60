"""Greeting, help menu, goodbye and the fallback that says what the bot can do."""

from __future__ import annotations

from flows.base import IDLE, Context, Message, State, Step
from flows.events import FlowCancelled, ServiceRequested


def _name_part(ctx: Context) -> str:
    return f" {ctx.contact.name}" if ctx.contact.name else ""


def greet(state: State, msg: Message, ctx: Context) -> Step:
    text = ctx.t("menu.welcome", name_part=_name_part(ctx)) + "\n" + ctx.t("menu.options")
    return Step(IDLE, (text,))


def help_menu(state: State, msg: Message, ctx: Context) -> Step:
    return Step(IDLE, (ctx.t("menu.options"),))


def goodbye(state: State, msg: Message, ctx: Context) -> Step:
    return Step(IDLE, (ctx.t("menu.goodbye"),))


def thanks(state: State, msg: Message, ctx: Context) -> Step:
    """A thanks outside any question ("makasih bu", "hatur nuhun", "🙏")."""
    return Step(IDLE, (ctx.t("menu.thanks"),))


def ack(state: State, msg: Message, ctx: Context) -> Step:
    """An acknowledgement outside any question ("ok sip", "siap bu", "👍", any emoji)."""
    return Step(IDLE, (ctx.t("menu.ack"),))


def fallback(state: State, msg: Message, ctx: Context) -> Step:
    key = "menu.fallback" if msg.text.strip() else "menu.fallback_empty"
    return Step(IDLE, (ctx.t(key),))


def not_ready(state: State, msg: Message, ctx: Context) -> Step:
    """A service whose conversation is not built yet: say so and point to a person."""
    event = ServiceRequested(intent=msg.intent)
    return Step(IDLE, (ctx.t("menu.not_ready"),), (event,))


def cancelled(state: State, msg: Message, ctx: Context) -> Step:
    return Step(IDLE, (ctx.t("menu.cancelled"),), (FlowCancelled(flow=state.flow),))
