"""Answers to a reminder, read without the NLU: which of the reminder's items a message says
are done, which not yet, and when the bot must ask (flows/reminder_replies.py)."""

from datetime import date, datetime, timezone

import pytest

from bot.catalog import load_catalog
from flows import reminder_replies as rr
from flows.base import ContactInfo, Context, Message, PersonInfo, State
from flows.events import as_dicts

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=timezone.utc)  # Sunday 10:00 WIB
MOTHER = PersonInfo(1, "Siti Aminah", "P", date(1996, 5, 1), hpht=date(2026, 6, 1))
BABY = PersonInfo(2, "Bayu", "L", date(2026, 7, 20))
SISTER = PersonInfo(3, "Rara", "P", date(2024, 11, 1))
# a two-person reminder: the mother's ANC visit, the baby's DPT2 and polio
ITEMS = [
    {"person_id": 1, "item": "ANC3", "occurrence": "1"},
    {"person_id": 2, "item": "DPT2", "occurrence": "1"},
    {"person_id": 2, "item": "OPV2", "occurrence": "1"},
]


def ctx(items=ITEMS, household=(MOTHER, BABY)) -> Context:
    contact = ContactInfo(1, "+6281234567890", "whatsapp", name="Siti", registered=True)
    return Context(
        now=NOW,
        contact=contact,
        t=load_catalog("id").t,
        household=household,
        lookups={"reminders": list(items)},
    )


def answered(text: str, c: Context | None = None):
    """(recorded items, state flow) for one message; None when it is no reminder answer."""
    step = rr.answer(State(), Message(text), c or ctx())
    if step is None:
        return None
    recorded = [e for e in as_dicts(step.events) if e["type"] == "doses_reported"]
    items = sorted(i["item"] for i in recorded[0]["items"]) if recorded else []
    return items, step.state.flow


ALL = ["ANC3", "DPT2", "OPV2"]


@pytest.mark.parametrize(
    "text",
    ["SUDAH", "sdh", "udh", "udah", "sudah.", "Udahhh", "sampun", "atos", "parantos", "udh kok",
     "udah semua", "sudah semuanya bu", "sampun sedanten", "sudah kok bu bidan, makasih"],
)  # fmt: skip
def test_every_spelling_of_done_records_all_the_reminder_asked(text):
    assert answered(text) == (ALL, None)


@pytest.mark.parametrize(
    "text",
    ["BELUM", "blm", "belom", "acan", "teu acan", "durung", "dereng", "belum bu", "blm sempet",
     "semuanya belum"],
)  # fmt: skip
def test_every_spelling_of_not_yet_records_nothing(text):
    step = rr.answer(State(), Message(text), ctx())
    assert as_dicts(step.events) == ({"type": "reminder_not_yet"},)
    assert step.replies == (load_catalog("id").t("reminder.not_yet"),)


@pytest.mark.parametrize(
    ("text", "done"),
    [
        ("udah yg periksa hamil aja, imunisasi dede blm", ["ANC3"]),
        ("udah yg periksa hamil aja imunisasi dede blm", ["ANC3"]),
        ("sdh cek kandungan", ["ANC3"]),
        ("imunisasi si kecil udah, periksa hamil belum", ["DPT2", "OPV2"]),
        ("udah polio", ["OPV2"]),
        ("polio udah dpt belum", ["OPV2"]),
        ("udah polio belum dpt", ["OPV2"]),
        ("sudah polionya", ["OPV2"]),
        ("udah polio, dpt juga", ["DPT2", "OPV2"]),
        ("Bayu sudah", ["DPT2", "OPV2"]),
        ("belum polio, yg lain udah", ["ANC3", "DPT2"]),
        ("udah, tp imunisasi dede blm", ["ANC3"]),
        ("belum semua, polio udah", ["OPV2"]),
    ],
)
def test_a_partial_answer_records_what_it_names(text, done):
    assert answered(text) == (done, None)


FOUR_MONTHS = [  # the 4-month visit: polio drops and the polio injection in one reminder
    {"person_id": 2, "item": "OPV4", "occurrence": "1"},
    {"person_id": 2, "item": "IPV1", "occurrence": "1"},
    {"person_id": 2, "item": "DPT3", "occurrence": "1"},
]


@pytest.mark.parametrize(
    ("text", "done"),
    [
        ("udah polio bayu, yg lain blm", None),  # drops or injection? asked, nothing recorded
        ("udah polio tetes, yg lain blm", ["OPV4"]),
        ("sudah polio suntik", ["IPV1"]),
        ("udah polio tetes sama polio suntik", ["IPV1", "OPV4"]),
        ("udah semua", ["DPT3", "IPV1", "OPV4"]),
    ],
)
def test_polio_alone_does_not_say_drops_or_injection(text, done):
    step = rr.answer(State(), Message(text), ctx(FOUR_MONTHS))
    recorded = [e for e in as_dicts(step.events) if e["type"] == "doses_reported"]
    if done is None:
        assert recorded == [] and step.replies[0].startswith("Yang mana yang sudah?")
    else:
        assert sorted(i["item"] for i in recorded[0]["items"]) == done


EUIS = PersonInfo(1, "Euis", "P", date(1996, 5, 1), delivery_date=date(2026, 11, 1))
RARA = PersonInfo(2, "Neng Rara", "P", date(2026, 7, 20))
MIXED = [
    {"person_id": 2, "item": "OPV3", "occurrence": "1"},
    {"person_id": 2, "item": "DPT3", "occurrence": "1"},
    {"person_id": 1, "item": "KF3", "occurrence": "1"},
    {"person_id": 2, "item": "VITA", "occurrence": "1"},
]


@pytest.mark.parametrize(
    ("text", "done"),
    [  # Sundanese and Javanese with their everyday small words (field trial, 2026-12)
        ("nu neng rara atos polio, sesana teu acan", ["OPV3"]),
        ("atos polio neng rara, nu sanes teu acan", ["OPV3"]),
        ("nifas mah parantos ku bidan, vit A teu acan", ["KF3"]),
        ("sampun polio kaliyan dpt, sing liyane dereng", ["DPT3", "OPV3"]),
        # second trial: "tos" (atos) and the politeness before the answer
        ("neng mah tos polio sareng dpt, nu sanes teu acan", ["DPT3", "OPV3"]),
        ("neng rara tos polio sareng dpt, nu sanes teu acan", ["DPT3", "OPV3"]),
        ("punten bu, nu polio atos, nu sanesna teu acan", ["OPV3"]),
    ],
)
def test_sundanese_and_javanese_partial_answers(text, done):
    assert answered(text, ctx(MIXED, household=(EUIS, RARA))) == (done, None)


def test_the_partial_reply_says_what_was_recorded_and_what_is_still_open():
    step = rr.answer(State(), Message("udah yg periksa hamil aja, imunisasi dede blm"), ctx())
    (reply,) = step.replies
    assert "sudah kami catat: Periksa hamil ke-3 (Siti Aminah)." in reply
    assert "Masih belum: DPT-HB-Hib 2 (Bayu), Polio tetes 2 (Bayu)." in reply
    assert as_dicts(step.events)[0]["given_on"] == "2026-11-22"


def test_kemarin_is_recorded_as_yesterday():
    step = rr.answer(State(), Message("udah kemarin"), ctx())
    assert as_dicts(step.events)[0]["given_on"] == "2026-11-21"


@pytest.mark.parametrize(
    "text",
    ["sudah sebagian", "belum semua", "udah campak",  # not in this reminder
     "udah 2", "sudah, belum", "udah Rara"],  # Rara is not in the reminder
)  # fmt: skip
def test_an_unclear_answer_asks_which_and_records_nothing(text):
    c = ctx(household=(MOTHER, BABY, SISTER))
    step = rr.answer(State(), Message(text), c)
    assert as_dicts(step.events) == ()
    assert step.state == State("reminder", "which", step.state.slots)
    assert step.replies[0].startswith("Yang mana yang sudah?")
    assert "1. Periksa hamil ke-3 (Siti Aminah)" in step.replies[0]


def test_the_baby_of_two_children_is_asked():
    items = [*ITEMS, {"person_id": 3, "item": "MR2", "occurrence": "1"}]
    c = ctx(items, household=(MOTHER, BABY, SISTER))
    assert answered("udah imunisasi dede", c) == ([], "reminder")
    assert answered("udah imunisasi Rara", c) == (["MR2"], None)


@pytest.mark.parametrize(
    "text",
    ["sudah melahirkan kemarin", "udah 3 hari demam", "anak saya sudah sembuh", "jadwal",
     "makasih bu", "polio", "mau periksa hamil besok"],
)  # fmt: skip
def test_other_messages_are_no_reminder_answer(text):
    assert answered(text) is None


def test_no_reminder_open_only_a_bare_answer_is_answered():
    empty = ctx(items=[])
    assert rr.answer(State(), Message("udh"), empty).replies == (
        load_catalog("id").t("reminder.nothing_pending"),
    )
    assert rr.answer(State(), Message("sudah polio"), empty) is None


@pytest.mark.parametrize(
    ("text", "done", "flow"),
    [
        ("1", ["ANC3"], None),
        ("1 dan 3", ["ANC3", "OPV2"], None),
        ("1,2", ["ANC3", "DPT2"], None),
        ("SEMUA", ALL, None),
        ("belum", [], None),
        ("yg polio aja", ["OPV2"], None),
        ("4", [], "reminder"),  # no such number: asked again
        ("hah?", [], "reminder"),
    ],
)
def test_the_answer_to_which(text, done, flow):
    asked = rr.answer(State(), Message("sudah sebagian"), ctx())
    step = rr.step_which(asked.state, Message(text), ctx())
    recorded = [e for e in as_dicts(step.events) if e["type"] == "doses_reported"]
    assert (sorted(i["item"] for i in recorded[0]["items"]) if recorded else []) == done
    assert step.state.flow == flow


def test_three_unclear_answers_to_which_hand_over_to_a_kader():
    step = rr.answer(State(), Message("sudah sebagian"), ctx())  # "which?" asked the first time
    for text in ("hah?", "apa ya"):
        step = rr.step_which(step.state, Message(text), ctx())
        assert step.state.step == "which" and as_dicts(step.events) == ()  # asked again
    step = rr.step_which(step.state, Message("ga ngerti"), ctx())
    assert step.state.idle and as_dicts(step.events)[0]["type"] == "help_needed"


def test_the_lexicon_is_validated(tmp_path, monkeypatch):
    bad = tmp_path / "reminder_answers.yml"
    text = rr.CONTENT.read_text(encoding="utf-8")
    bad.write_text(text.replace("items: [PCV]", "items: [PCX]"), encoding="utf-8")
    monkeypatch.setattr(rr, "CONTENT", bad)
    rr.lexicon.cache_clear()
    try:
        with pytest.raises(ValueError, match="kinds.pcv"):
            rr.lexicon()
        bad.write_text(text.replace("  - sdh\n", "  - SDH\n"), encoding="utf-8")
        rr.lexicon.cache_clear()
        with pytest.raises(ValueError, match="not a lowercase word"):
            rr.lexicon()
    finally:
        rr.lexicon.cache_clear()


DEDE = PersonInfo(4, "Dede", "P", date(2026, 7, 7))
RAKA = PersonInfo(5, "Raka", "L", date(2023, 12, 7))
VITAMIN_A = [
    {"person_id": 4, "item": "VITA", "occurrence": "2026-08"},
    {"person_id": 5, "item": "VITA", "occurrence": "2026-08"},
    {"person_id": 4, "item": "WEIGH", "occurrence": "2026-12"},
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("blm bu, dede sm raka blm dpt vit A", ([], None)),  # fourth trial: it asked which
        ("blm dpt vit A", ([], None)),  # 'dpt' before another vaccine: the verb (dapat)
        ("dede sm raka udh dpt vit A", (["VITA", "VITA"], None)),
        ("udah vit A dede", (["VITA"], None)),  # Dede by name; Raka and the weighing stay open
    ],
)
def test_a_child_called_dede_and_dpt_the_verb(text, expected):
    c = ctx(VITAMIN_A, (MOTHER, DEDE, RAKA))
    assert answered(text, c) == expected
