"""Which step starts for which intent, and each multi-step flow's steps by name.

A flow module adds itself here: its start function under the intents it handles, and its
`STEPS` mapping under its flow name (the `State.flow` it sets). A flow's step may return None
to let a message go: the router then reads it as if no flow were active."""

from __future__ import annotations

from flows import contact_update, info, menu, optout, reminder_replies, reports
from flows.base import IDLE, FlowStepFn, Step, StepFn
from flows.birth import BIRTH_FLOW, BIRTH_STEPS, start_birth
from flows.booking import (
    BOOKING_FLOW,
    BOOKING_STEPS,
    SCHEDULE_FLOW,
    SCHEDULE_STEPS,
    check_schedule,
    start_booking,
    start_cancel,
    start_reschedule,
)
from flows.registration import REGISTRATION_FLOW, REGISTRATION_STEPS, start_registration

INTENT_STARTS: dict[str, StepFn] = {
    "greet": menu.greet,
    "help": menu.help_menu,
    "goodbye": menu.goodbye,
    "opt_out": optout.ask_confirmation,
    "opt_in": lambda s, m, c: Step(IDLE, (c.t("optout.already_in"),)),
    "report_symptom": reports.start_symptom,
    "complain_service": reports.start_complaint,
    "register": start_registration,
    "report_birth": start_birth,
    "ask_info": info.ask_info,
    "book_visit": start_booking,
    "check_schedule": check_schedule,
    "cancel_visit": start_cancel,
    "reschedule_visit": start_reschedule,
}
FLOW_STEPS: dict[str, dict[str, FlowStepFn]] = {
    contact_update.FLOW: contact_update.STEPS,
    reminder_replies.FLOW: reminder_replies.STEPS,
    optout.FLOW: optout.STEPS,
    reports.SYMPTOM_FLOW: reports.SYMPTOM_STEPS,
    reports.COMPLAINT_FLOW: reports.COMPLAINT_STEPS,
    REGISTRATION_FLOW: REGISTRATION_STEPS,
    BIRTH_FLOW: BIRTH_STEPS,
    "info": info.STEPS,
    BOOKING_FLOW: BOOKING_STEPS,
    SCHEDULE_FLOW: SCHEDULE_STEPS,
}
