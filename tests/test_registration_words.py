"""Registration read in Sundanese and Javanese as the field trial wrote it (2026-12): the
gestational age in local month words, and 'that is all' at "Ada lagi yang mau didaftarkan?"."""

from __future__ import annotations

import pytest

from flows.base import State
from flows.events import as_dicts
from flows.registration import read_pregnancy
from tests.test_registration import make_ctx, talk


@pytest.mark.parametrize(
    ("text", "weeks"),
    [
        ("teu apal bu, kinten 6 bulanan", 26),
        ("6 bulanan", 26),
        ("meteng 3 wulan", 13),
        ("7 sasih", 30),
        ("hamil 5 bulan", 21),
        ("20 minggu", 20),
    ],
)
def test_gestational_age_in_local_month_words(text, weeks):
    read = read_pregnancy(text, make_ctx())
    assert isinstance(read, dict) and read["weeks"] == weeks and read["estimated"]


@pytest.mark.parametrize("text", ["atos", "cekap", "sampun", "tos cekap", "mpun", "rampung"])
def test_that_is_all_in_local_words(text):
    ctx = make_ctx(consented=True, name="Euis", area="SKM-KLR")
    state = State("registration", "member", {"mode": "add"})
    (step,) = talk(ctx, text, state=state)
    assert step.state.idle, step.replies


@pytest.mark.parametrize(
    ("text", "new"),
    [
        ("nama bayinya ujang", "Ujang"),
        ("nami orokna Ujang Saepudin", "Ujang Saepudin"),
        ("jenenge bayine Bagus", "Bagus"),
        ("nama bayi saya adalah Siti Nur", "Siti Nur"),
    ],
)
def test_naming_the_newborn(text, new):
    from datetime import date

    from flows.base import Message, PersonInfo
    from flows.registration import correction

    household = (
        PersonInfo(1, "Euis", "P", date(1996, 5, 1), delivery_date=date(2026, 11, 20)),
        PersonInfo(2, "Bayi Ny. Euis", "L", date(2026, 11, 20)),
    )
    ctx = make_ctx(household, consented=True, name="Euis", area="SKM-KLR")
    step = correction(State(), Message(text), ctx)
    assert as_dicts(step.events) == (
        {"type": "person_updated", "person_id": 2, "field": "name", "value": new},
    )


def test_a_baby_name_without_an_unnamed_baby_is_no_correction():
    from datetime import date

    from flows.base import Message, PersonInfo
    from flows.registration import correction

    household = (PersonInfo(1, "Euis", "P", date(1996, 5, 1)),)
    ctx = make_ctx(household, consented=True, name="Euis", area="SKM-KLR")
    assert correction(State(), Message("nama bayinya bagus apa ya?"), ctx) is None


def test_the_gestational_age_said_with_the_role_is_not_asked_again():
    ctx = make_ctx(consented=True, name="Euis", area="SKM-KLR")
    state = State("registration", "member", {"mode": "add"})
    (role,) = talk(ctx, "abdi nuju hamil 6 bulan", state=state)
    # "abdi" is the writer herself: her name is not asked either
    assert (
        role.state.step == "m_confirm"
        and "Euis: umur kehamilan sekitar 26 minggu" in (role.replies[0])
    )
    (role, name) = talk(ctx, "ibu hamil 6 bulan", "Euis", state=state)
    assert role.state.step == "m_name"
    assert name.state.step == "m_confirm" and "26 minggu" in name.replies[0]


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("2", 2),
        ("dua kali", 2),
        ("udah 3x", 3),
        ("parantos tilu kali", 3),
        ("sekali, di bidan", 1),
        ("belum", 0),
        ("teu acan", 0),
        ("durung tau", 0),
        ("0", 0),
        ("lupa", "unknown"),
        ("teu terang", "unknown"),
        ("wkwk", None),
        ("2 atau 3", None),  # two numbers: unclear
        ("40", None),
    ],
)
def test_how_many_antenatal_checks(text, count):
    from flows.registration import anc_count

    assert anc_count(text) == count


def test_without_a_gestational_age_the_hpht_is_asked():
    ctx = make_ctx(consented=True, name="Euis", area="SKM-KLR")
    state = State("registration", "member", {"mode": "add"})
    _, name = talk(ctx, "ibu hamil", "Euis", state=state)
    assert name.state.step == "m_preg"
