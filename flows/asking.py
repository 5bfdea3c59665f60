"""Asking in flows: one question at most MAX_ASKS times in a row, then a person takes over."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flows.base import IDLE, Context, Event, State, Step
from flows.events import HelpNeeded

MAX_ASKS = 3  # the same question is asked at most this many times in a row
ASKED = "asked"  # the slot that counts the repeats of the question now open (0: asked once)


def ask(
    flow: str,
    step: str,
    slots: Mapping[str, Any],
    *replies: str,
    events: tuple[Event, ...] = (),
) -> Step:
    """Ask a new question: the repeat count starts again."""
    return Step(State(flow, step, {**slots, ASKED: 0}), tuple(replies), events)


def again(
    state: State,
    ctx: Context,
    *replies: str,
    changes: Mapping[str, Any] | None = None,
    give_up: Step | None = None,
) -> Step:
    """Ask the question of `state` again (its slots updated with `changes`); when it has been
    asked MAX_ASKS times, give up instead: `give_up` when the flow has its own answer (opt-out
    keeps the subscription), else a person takes over (`human`)."""
    asked = int(state.slots.get(ASKED, 0)) + 1
    if asked >= MAX_ASKS:
        return human(state, ctx) if give_up is None else give_up
    slots = {**state.slots, **(changes or {}), ASKED: asked}
    return Step(State(state.flow, state.step, slots), tuple(replies))


def human(state: State, ctx: Context, *before: str) -> Step:
    """A person takes over: the `help_needed` event (a kader gets a routine alert) and the
    reply saying so, after any `before` replies."""
    event = HelpNeeded(flow=state.flow, step=state.step, ref=ctx.ref)
    return Step(IDLE, (*before, ctx.t("menu.human")), (event,))


def without_count(slots: Mapping[str, Any]) -> dict[str, Any]:
    """The slots to carry on to another question (the repeat count left behind)."""
    return {k: v for k, v in slots.items() if k != ASKED}
