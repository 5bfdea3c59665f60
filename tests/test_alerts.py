"""The alert a worker reads (the flows' events in, the outbox out, no NLU) and the lifecycle
around it: the report and visit follow the alert, escalation states the real elapsed time."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from bot import alert_lifecycle as lifecycle
from bot import events
from bot.areas import AreaTree
from bot.clock import to_db
from bot.db import transaction
from bot.deps import HandlerDeps
from bot.handlers import HANDLERS
from bot.models import Alert, Area, Contact, OutboundMessage, Person, Report, Visit, Worker
from flows.events import as_dicts
from tests.conftest import make_app, sent_to
from tests.test_labels import problems

RESIDENT = "+6281234567200"
SARI = "+6281100000003"  # bidan, SKM
PIKET = "+6281100000009"  # admin


@pytest.fixture
def app(db_url, clock):
    """The app without the NLU model: events are applied directly."""
    app = make_app(db_url, clock, None)
    yield app
    app.extensions["jemput_bola"].engine.dispose()


@pytest.fixture
def rt(app):
    return app.extensions["jemput_bola"]


def apply(app, rt, *evts: dict, area: str | None = "SKM-KDL", phone: str = RESIDENT) -> None:
    """Apply `evts` as the pipeline does, with the runtime's dependencies (no app context)."""
    with transaction(rt.session_factory) as s:
        contact = s.execute(select(Contact).where(Contact.phone == phone)).scalar_one_or_none()
        if contact is None:
            area_id = s.execute(select(Area.id).where(Area.code == area)).scalar() if area else None
            contact = Contact(
                phone=phone, channel="whatsapp", area_id=area_id, created_at=to_db(rt.clock.now())
            )
            s.add(contact)
            s.flush()
        events.apply(HandlerDeps.of(rt, s, rt.clock.now()), contact, evts, None, HANDLERS)


def all_worker_messages(rt) -> list[str]:
    with rt.session_factory() as s:
        phones = set(s.execute(select(Worker.phone)).scalars())
        return [
            m.body
            for m in s.execute(select(OutboundMessage).order_by(OutboundMessage.id)).scalars()
            if m.to_phone in phones
        ]


def emergency(ref: str = "300001", **extra) -> tuple[dict, dict]:
    details = {"ref": ref, "urgency": "emergency", "person_id": None, **extra}
    return {"type": "report_filed", **details}, {
        "type": "alert_raised",
        "kind": "symptom",
        **details,
    }


def test_the_alert_carries_the_whole_report(app, rt):
    text = "istri saya hamil 8 bulan keluar darah banyak / sudah 1 jam / 1"
    apply(
        app,
        rt,
        *emergency(
            symptoms=["bleeding"],
            matched=["pregnancy_bleeding"],
            text=text,
            about="istri, hamil 8 bulan",
            signs=["perdarahan saat hamil", "perdarahan banyak"],
        ),
    )
    (body,) = sent_to(rt, SARI)
    assert body.splitlines() == [
        "DARURAT ref 300001",
        "Siapa: istri, hamil 8 bulan",
        "Wilayah: Kidul, Sukamaju",
        "Tanda bahaya: perdarahan saat hamil, perdarahan banyak",
        f'Kata warga: "{text}"',
        f"Telepon: {RESIDENT}",
        "Balas TERIMA 300001 bila Anda tangani, atau TOLAK 300001 <alasan>.",
    ]
    assert sent_to(rt, "+6281100000002")  # Kader Budi, Kidul
    assert not sent_to(rt, "+6281100000001")  # Kader Ani, Kaler


def test_older_events_read_their_symptom_codes_in_indonesian(app, rt):
    apply(app, rt, *emergency(symptoms=["snake_bite", "ruptured_membranes", "suicidal"], text="x"))
    (body,) = sent_to(rt, SARI)
    assert "Tanda bahaya: digigit ular, ketuban pecah, ingin mengakhiri hidup" in body
    assert "Siapa: tidak diketahui" in body
    with rt.session_factory() as s:
        alert = s.execute(select(Alert)).scalar_one()
        assert alert.summary == "digigit ular, ketuban pecah, ingin mengakhiri hidup"


def test_a_household_member_with_stage_and_age_and_long_words_trimmed(app, rt):
    now = rt.clock.now()
    with transaction(rt.session_factory) as s:
        area_id = s.execute(select(Area.id).where(Area.code == "SKM-KLR")).scalar_one()
        contact = Contact(
            phone=RESIDENT, channel="whatsapp", area_id=area_id, created_at=to_db(now)
        )
        s.add(contact)
        s.flush()
        baby = Person(
            contact_id=contact.id, name="Bayu", sex="L", birth_date=date(2026, 5, 10),
            area_id=area_id, created_at=to_db(now), updated_at=to_db(now),
        )  # fmt: skip
        s.add(baby)
        s.flush()
        baby_id = baby.id
    words = "anak saya demam tinggi dan kejang " * 20
    apply(app, rt, *emergency(person_id=baby_id, symptoms=["fever", "convulsion"], text=words))
    (body,) = sent_to(rt, "+6281100000001")
    assert "Siapa: Bayu (bayi, umur 6 bulan)" in body
    assert "Wilayah: Kaler, Sukamaju" in body and "Tanda bahaya: demam, kejang" in body
    said = re.search(r'Kata warga: "(.*)"', body).group(1)
    assert len(said) <= 300 and said.endswith("...") and said.startswith("anak saya demam")


def test_routine_report_text(app, rt):
    details = {"ref": "300002", "urgency": "routine", "symptoms": ["cough", "runny_nose"]}
    apply(
        app,
        rt,
        {"type": "report_filed", **details, "text": "anak batuk pilek / dari kemarin"},
        {"type": "alert_raised", "kind": "symptom", **details, "text": "anak batuk pilek"},
    )
    (body,) = sent_to(rt, SARI)
    assert body.startswith("Laporan ref 300002 (tidak darurat)\n")
    assert "Keluhan: batuk, pilek" in body
    assert 'Kata warga: "anak batuk pilek / dari kemarin"' in body  # the report's whole text


def test_help_needed_gets_a_short_numeric_ref(app, rt):
    apply(app, rt, {"type": "help_needed", "flow": "registration", "step": "m_birth"})
    apply(app, rt, {"type": "help_needed", "flow": "contact_update", "ref": "100777"})
    apply(app, rt, {"type": "help_needed", "flow": "something_new"})
    with rt.session_factory() as s:
        alerts = list(s.execute(select(Alert).order_by(Alert.id)).scalars())
    refs = [a.ref for a in alerts]
    assert refs[1] == "100777"
    assert all(re.fullmatch(r"\d{6}", r) for r in refs) and len(set(refs)) == 3
    assert alerts[0].summary == "Warga butuh bantuan saat pendaftaran keluarga"
    assert alerts[2].summary == "Warga butuh bantuan saat percakapan dengan bot"
    assert f"Laporan ref {refs[0]} (tidak darurat)" in sent_to(rt, SARI)[0]


def test_a_help_ref_already_taken_by_a_report_is_not_reused(app, rt):
    apply(app, rt, *emergency(ref="100001", symptoms=["fever"], text="panas"))
    rt._refs = iter([100001, 100001, 100002])  # the runtime's next refs collide first
    apply(app, rt, {"type": "help_needed", "flow": "booking"})
    with rt.session_factory() as s:
        assert sorted(s.execute(select(Alert.ref)).scalars()) == ["100001", "100002"]


def test_no_worker_message_reads_like_english_or_a_code(app, rt, clock):
    apply(app, rt, *emergency(symptoms=["snake_bite", "not_feeding"], text="digigit ular"))
    apply(app, rt, {"type": "help_needed", "flow": "registration"})
    apply(app, rt, {"type": "question_forwarded", "ref": "300010", "text": "boleh minum jamu?"})
    apply(
        app,
        rt,
        *emergency(ref="300011", symptoms=["bleeding"], text="darah"),
        area=None,
        phone="+6281234567201",
    )
    clock.advance(minutes=20)
    with app.app_context(), transaction(rt.session_factory) as s:
        lifecycle.escalate_due(s, rt.clock.now(), rt.settings)
    messages = all_worker_messages(rt)
    assert len(messages) >= 6
    assert {m: problems(m) for m in messages if problems(m)} == {}


def test_escalation_states_the_time_since_the_alert(app, rt, clock):
    details = {"ref": "300003", "urgency": "routine", "symptoms": ["fever"], "text": "demam"}
    apply(app, rt, {"type": "report_filed", **details}, {"type": "alert_raised", **details})
    clock.advance(hours=25)
    with app.app_context(), transaction(rt.session_factory) as s:
        lifecycle.escalate_due(s, rt.clock.now(), rt.settings)
    (esc,) = sent_to(rt, PIKET)
    assert esc.startswith("ESKALASI ref 300003: belum ada petugas yang menerima, 1 hari sejak")
    assert "1440" not in esc and "menit" not in esc


def lifecycle_alert(rt, *, visit: bool = False) -> int:
    """An open alert in Kidul with a report (and, if asked, a visit) linked; returns its id."""
    now = to_db(rt.clock.now())
    with transaction(rt.session_factory) as s:
        area_id = s.execute(select(Area.id).where(Area.code == "SKM-KDL")).scalar_one()
        contact = Contact(phone=RESIDENT, channel="whatsapp", area_id=area_id, created_at=now)
        s.add(contact)
        s.flush()
        report = Report(
            ref="300050", kind="symptom", contact_id=contact.id, urgency="routine",
            symptoms=["fever"], text="demam", status="open", created_at=now, updated_at=now,
        )  # fmt: skip
        s.add(report)
        v = None
        if visit:
            v = Visit(
                ref="300051", contact_id=contact.id, purpose="general", place="home",
                status="requested", created_at=now, updated_at=now,
            )  # fmt: skip
            s.add(v)
        s.flush()
        alert = Alert(
            ref="300050", kind="symptom", urgency="routine", report_id=report.id,
            visit_id=v.id if v else None, contact_id=contact.id, area_id=area_id,
            status="open", level=1, summary="demam", declined_by=[],
            created_at=now, updated_at=now,
        )  # fmt: skip
        s.add(alert)
        s.flush()
        return alert.id


def actor(s, phone: str) -> lifecycle.Actor:
    worker = s.execute(select(Worker).where(Worker.phone == phone)).scalar_one()
    return lifecycle.worker_actor(AreaTree(s), worker)


@pytest.mark.parametrize(
    ("outcome", "alert_status", "report_status", "visit_status"),
    [
        ("visited", "done", "resolved", "done"),
        ("no_one_home", "done", "resolved", "no_show"),
        ("referred", "referred", "referred", "done"),
        ("cancelled", "closed", "closed", "cancelled"),
    ],
)
def test_the_report_and_visit_follow_the_alert(
    rt, outcome, alert_status, report_status, visit_status
):
    alert_id = lifecycle_alert(rt, visit=True)
    with transaction(rt.session_factory) as s:
        alert = s.get(Alert, alert_id)
        lifecycle.accept(s, alert, actor(s, SARI), rt.clock.now())
        assert s.get(Report, alert.report_id).status == "in_progress"
        lifecycle.close(s, alert, actor(s, SARI), outcome, "catatan", rt.clock.now())
        assert alert.status == alert_status and alert.closed_at is not None
        assert s.get(Report, alert.report_id).status == report_status
        assert s.get(Visit, alert.visit_id).status == visit_status
        sari = actor(s, SARI).worker_id
        assert (alert.accepted_by, alert.closed_by) == (sari, sari)


def test_refusals_name_the_reason(rt):
    alert_id = lifecycle_alert(rt)
    with transaction(rt.session_factory) as s:
        alert = s.get(Alert, alert_id)
        cici = actor(s, "+6281100000004")  # Mekarsari
        with pytest.raises(lifecycle.Refused) as refused:
            lifecycle.accept(s, alert, cici, rt.clock.now())
        assert refused.value.reason == "not_your_area"
        assert refused.value.values["area"] == "Kidul, Sukamaju"
        with pytest.raises(lifecycle.Refused) as refused:
            lifecycle.decline(s, alert, actor(s, SARI), "   ", rt.clock.now(), rt.settings)
        assert refused.value.reason == "need_reason"
        with pytest.raises(lifecycle.Refused) as refused:
            lifecycle.close(s, alert, actor(s, SARI), "went_home", "", rt.clock.now())
        assert refused.value.reason == "bad_outcome"
        lifecycle.refer(s, alert, actor(s, PIKET), "", rt.clock.now())
        with pytest.raises(lifecycle.Refused) as refused:
            lifecycle.accept(s, alert, actor(s, SARI), rt.clock.now())
        assert refused.value.reason == "already_closed"
        assert refused.value.values["status"] == "dirujuk"


def test_a_decline_without_a_known_area_goes_to_the_puskesmas_not_every_kader(app, rt, clock):
    apply(app, rt, *emergency(ref="300060", symptoms=["fever"], text="x"), area=None)
    clock.advance(minutes=2)
    with app.app_context(), transaction(rt.session_factory) as s:
        alert = s.execute(select(Alert)).scalar_one()
        ids, escalated = lifecycle.decline(
            s, alert, actor(s, PIKET), "salah nomor", rt.clock.now(), rt.settings
        )
        assert escalated and alert.level == 2
    assert sent_to(rt, "+6281100000001") == [] and sent_to(rt, "+6281100000004") == []
    assert any("2 menit sejak laporan masuk" in m for m in sent_to(rt, PIKET))


def test_elapsed_counts_from_the_alert_not_the_setting(app, rt, clock):
    apply(app, rt, *emergency(ref="300070", symptoms=["fever"], text="x"))
    clock.advance(minutes=7)
    with app.app_context(), transaction(rt.session_factory) as s:
        alert = s.execute(select(Alert)).scalar_one()
        lifecycle.escalate(s, alert, rt.clock.now())
    assert "7 menit sejak laporan masuk" in sent_to(rt, PIKET)[-1]


def test_a_puskesmas_claim_on_the_dashboard_is_not_overwritten_from_whatsapp(rt):
    """Found by trying the dashboard: 'Tangani' by a puskesmas login, then TERIMA by a bidan."""
    alert_id = lifecycle_alert(rt)
    with transaction(rt.session_factory) as s:
        alert = s.get(Alert, alert_id)
        puskesmas = lifecycle.Actor(None, "Petugas puskesmas", "admin", None, "staff1")
        lifecycle.accept(s, alert, puskesmas, rt.clock.now())
        with pytest.raises(lifecycle.Refused) as refused:
            lifecycle.accept(s, alert, actor(s, SARI), rt.clock.now())
        assert refused.value.reason == "already_taken"
        assert refused.value.values["worker"] == "Petugas puskesmas"
        assert alert.accepted_by is None and alert.status == "accepted"


# --------------------------------------------------------------------------- desa-level alerts
# Found in the field trial: an emergency whose reporter named only her desa went to the kader
# of every dusun, and TERIMA then told them it was not their area.

ANI, BUDI, CICI, DEWI = "+6281100000001", "+6281100000002", "+6281100000004", "+6281100000005"


def alert_at(rt, area: str, ref: str = "300080", urgency: str = "emergency") -> int:
    now = to_db(rt.clock.now())
    with transaction(rt.session_factory) as s:
        area_id = s.execute(select(Area.id).where(Area.code == area)).scalar_one()
        contact = Contact(phone=f"+62812345{ref}", channel="whatsapp", created_at=now)
        s.add(contact)
        s.flush()
        alert = Alert(
            ref=ref, kind="symptom", urgency=urgency, contact_id=contact.id, area_id=area_id,
            status="open", level=1, summary="perdarahan", declined_by=[],
            created_at=now, updated_at=now,
        )  # fmt: skip
        s.add(alert)
        s.flush()
        return alert.id


@pytest.mark.parametrize(
    ("area", "phone", "allowed"),
    [
        ("SKM", ANI, True),  # desa only: every dusun kader of the desa ...
        ("SKM", BUDI, True),
        ("SKM", SARI, True),  # ... and its bidan
        ("SKM", CICI, False),  # not a kader of another desa
        ("SKM", DEWI, False),
        ("SKM", PIKET, True),
        ("SKM-KLR", ANI, True),  # in a dusun: that dusun's kader and the bidan above
        ("SKM-KLR", BUDI, False),
        ("SKM-KLR", SARI, True),
        ("SKM-KLR-01", ANI, True),
        ("SKM-KLR-01", BUDI, False),
        ("MKS", ANI, False),
        ("MKS", CICI, True),
    ],
)
def test_who_may_act_on_an_alert(rt, area, phone, allowed):
    alert_id = alert_at(rt, area)
    with transaction(rt.session_factory) as s:
        alert = s.get(Alert, alert_id)
        if allowed:
            lifecycle.accept(s, alert, actor(s, phone), rt.clock.now())
            assert alert.status == "accepted"
        else:
            with pytest.raises(lifecycle.Refused) as refused:
                lifecycle.accept(s, alert, actor(s, phone), rt.clock.now())
            assert refused.value.reason == "not_your_area"


@pytest.mark.parametrize("urgency", ["emergency", "routine"])
def test_an_alert_known_only_by_its_desa_goes_to_who_may_take_it(app, rt, urgency):
    """Sent to the bidan and every dusun kader of the desa; each of them may take it."""
    details = {"ref": "300090", "urgency": urgency, "symptoms": ["fever"], "text": "demam"}
    apply(app, rt, {"type": "report_filed", **details}, {"type": "alert_raised", **details},
          area="SKM")  # fmt: skip
    got = {p for p in (ANI, BUDI, SARI, CICI, DEWI, PIKET) if sent_to(rt, p)}
    assert got == {ANI, BUDI, SARI}
    with transaction(rt.session_factory) as s:
        alert = s.execute(select(Alert).where(Alert.ref == "300090")).scalar_one()
        tree = AreaTree(s)
        for phone in got:
            lifecycle.check(alert, actor(s, phone), tree, lifecycle.load_catalog("id"))


def test_an_alert_given_a_dusun_goes_to_that_dusun_only(app, rt):
    apply(app, rt, *emergency(ref="300091", symptoms=["fever"], text="x"), area=None)
    apply(app, rt, {"type": "alert_area_given", "ref": "300091", "area_code": "SKM-KLR"})
    with rt.session_factory() as s:
        alert = s.execute(select(Alert).where(Alert.ref == "300091")).scalar_one()
        assert s.get(Area, alert.area_id).code == "SKM-KLR"
    assert any("DARURAT ref 300091" in m for m in sent_to(rt, ANI))
    assert any("DARURAT ref 300091" in m for m in sent_to(rt, SARI))
    assert not any("300091" in m for m in sent_to(rt, BUDI) + sent_to(rt, CICI))


def test_the_alert_scope_widens_alerts_only_not_residents(rt):
    from bot.areas import alert_scope, in_scope, worker_scope

    with rt.session_factory() as s:
        tree = AreaTree(s)
        code = {a.code: a.id for a in tree.rows.values()}
        ani = s.execute(select(Worker).where(Worker.phone == ANI)).scalar_one()
        scope = worker_scope(tree, ani)
        alerts_of_ani = alert_scope(tree, scope, ani.role)
        assert not in_scope(scope, code["SKM"])  # a resident placed at the desa: the bidan's
        assert in_scope(alerts_of_ani, code["SKM"])  # an alert placed there: hers too
        assert not in_scope(alerts_of_ani, code["SKM-KDL"])
        assert not in_scope(alerts_of_ani, code["MKS"])
        sari = s.execute(select(Worker).where(Worker.phone == SARI)).scalar_one()
        assert alert_scope(tree, worker_scope(tree, sari), sari.role) == worker_scope(tree, sari)
        assert alert_scope(tree, None, "admin") is None


@pytest.mark.parametrize(
    ("answer", "code", "name"),
    [
        ("1", "SKM", "Sukamaju"),
        ("mekarsari", "MKS", "Mekarsari"),
        ("sukamaju, kaler", "SKM-KLR", "Kaler, Sukamaju"),
        ("kaler sukamaju", "SKM-KLR", "Kaler, Sukamaju"),
        ("Sukamju kalerr", "SKM-KLR", "Kaler, Sukamaju"),
        ("desa sukamaju dusun kidul", "SKM-KDL", "Kidul, Sukamaju"),
        ("2 cirumput", "MKS-CRM", "Cirumput, Mekarsari"),
        ("2. Cirumput", "MKS-CRM", "Cirumput, Mekarsari"),
        ("cirumput", "MKS-CRM", "Cirumput, Mekarsari"),
        ("ganting mekarsari", "MKS-GNT", "Ganting, Mekarsari"),
        ("sukamaju kaler kak", "SKM-KLR", "Kaler, Sukamaju"),  # second trial: Kidul was told
        ("di kidul bu", "SKM-KDL", "Kidul, Sukamaju"),
    ],
)
def test_the_emergency_area_answer_places_the_alert(answer, code, name):
    """The answer to "desa mana? 1. Sukamaju 2. Mekarsari" during an emergency: a dusun named
    with the desa, after its number or alone places the alert in that dusun."""
    from bot.catalog import load_catalog
    from flows import reports
    from flows.base import AreaInfo, ContactInfo, Context, Message, State

    areas = tuple(
        AreaInfo(c, n, lvl, parent)
        for c, n, lvl, parent in [
            ("SKM", "Sukamaju", "desa", None),
            ("SKM-KLR", "Kaler", "dusun", "SKM"),
            ("SKM-KLR-01", "RW 01 Kaler", "rw", "SKM-KLR"),
            ("SKM-KLR-02", "RW 02 Kaler", "rw", "SKM-KLR"),
            ("SKM-KDL", "Kidul", "dusun", "SKM"),
            ("MKS", "Mekarsari", "desa", None),
            ("MKS-CRM", "Cirumput", "dusun", "MKS"),
            ("MKS-GNT", "Ganting", "dusun", "MKS"),
        ]
    )
    cat = load_catalog("id")
    ctx = Context(
        now=datetime(2026, 11, 22, 3, 0, tzinfo=timezone.utc),
        contact=ContactInfo(7, RESIDENT, "whatsapp"),
        t=cat.t,
        areas=areas,
        ref="300100",
        lookups={"emergency": {"ref": "300099", "area_known": False}},
    )
    state = State(reports.SYMPTOM_FLOW, "area", {"ref": "300099", "asked": 1})
    step = reports.step_area(state, Message(answer, None, 0.0), ctx)
    assert step.state.idle
    given = [e for e in as_dicts(step.events) if e["type"] == "alert_area_given"]
    assert given == [{"type": "alert_area_given", "ref": "300099", "area_code": code}]
    assert step.replies == (cat.t("report.area_thanks", area=name),)


# ------------------------------------------------ desa-level alerts: whoever was sent it hears
# what follows, and a TOLAK passes it to another kader it was sent to


def desa_alert(app, rt, ref: str = "300200", urgency: str = "emergency") -> None:
    """An alert raised at the desa Sukamaju: sent to Ani, Budi (its dusun kader) and Sari."""
    details = {"ref": ref, "urgency": urgency, "symptoms": ["fever"], "text": "demam"}
    apply(app, rt, {"type": "report_filed", **details}, {"type": "alert_raised", **details},
          area="SKM")  # fmt: skip


def test_tolak_on_a_desa_alert_passes_it_to_another_of_its_kader(app, rt, clock):
    desa_alert(app, rt)
    clock.advance(minutes=3)
    with app.app_context(), transaction(rt.session_factory) as s:
        alert = s.execute(select(Alert).where(Alert.ref == "300200")).scalar_one()
        _ids, escalated = lifecycle.decline(
            s, alert, actor(s, BUDI), "di luar kota", rt.clock.now(), rt.settings
        )
        assert not escalated and alert.status == "open" and alert.level == 1
    assert sent_to(rt, PIKET) == []
    assert len(sent_to(rt, ANI)) == 2 and "TOLAK 300200" in sent_to(rt, ANI)[-1]
    assert len(sent_to(rt, BUDI)) == 1  # not back to the one who said no
    with app.app_context(), transaction(rt.session_factory) as s:
        alert = s.execute(select(Alert).where(Alert.ref == "300200")).scalar_one()
        _ids, escalated = lifecycle.decline(
            s, alert, actor(s, ANI), "sedang sakit", rt.clock.now(), rt.settings
        )
        assert escalated and alert.status == "escalated"  # no kader of it left
    assert len(sent_to(rt, BUDI)) == 2  # Budi declined before: only the notice
    (esc,) = sent_to(rt, PIKET)
    assert esc.startswith("ESKALASI ref 300200: ditolak oleh Kader Ani (sedang sakit)")
    for phone in (ANI, BUDI, SARI):
        assert "Ref 300200 dieskalasi ke puskesmas, 3 menit" in sent_to(rt, phone)[-1]


def test_tolak_by_the_bidan_of_a_desa_alert_goes_to_a_dusun_kader(app, rt):
    desa_alert(app, rt, urgency="routine")
    with app.app_context(), transaction(rt.session_factory) as s:
        alert = s.execute(select(Alert).where(Alert.ref == "300200")).scalar_one()
        _ids, escalated = lifecycle.decline(
            s, alert, actor(s, SARI), "menolong persalinan", rt.clock.now(), rt.settings
        )
        assert not escalated and alert.escalate_at is not None
    assert len(sent_to(rt, ANI)) == 2 and sent_to(rt, PIKET) == []


def test_the_escalation_notice_of_a_desa_alert_goes_to_everyone_it_was_sent_to(app, rt, clock):
    desa_alert(app, rt)
    clock.advance(minutes=16)
    with app.app_context(), transaction(rt.session_factory) as s:
        lifecycle.escalate_due(s, rt.clock.now(), rt.settings)
        lifecycle.escalate_due(s, rt.clock.now(), rt.settings)  # once
    for phone in (ANI, BUDI, SARI):
        notices = [m for m in sent_to(rt, phone) if "dieskalasi" in m]
        assert notices == [
            "Ref 300200 dieskalasi ke puskesmas, 16 menit sejak laporan masuk. Petugas piket "
            "puskesmas sudah dikabari; bila Anda bisa membantu, balas TERIMA 300200."
        ]
    assert not any("300200" in m for m in sent_to(rt, CICI) + sent_to(rt, DEWI))


def test_more_words_for_a_desa_emergency_reach_everyone_it_was_sent_to(app, rt):
    desa_alert(app, rt)
    update = {"type": "alert_updated", "ref": "300200", "text": "ga ada yg nganter", "n": 1}
    apply(app, rt, update, area="SKM")
    apply(app, rt, update, area="SKM")  # the same update again: once each
    for phone in (ANI, BUDI, SARI):
        news = [m for m in sent_to(rt, phone) if m.startswith("INFO TAMBAHAN ref 300200")]
        assert len(news) == 1 and 'Pesan baru: "ga ada yg nganter"' in news[0]
    assert sent_to(rt, PIKET) == [] and sent_to(rt, CICI) == []
    # once a kader took it, the next words are hers only
    with app.app_context(), transaction(rt.session_factory) as s:
        alert = s.execute(select(Alert).where(Alert.ref == "300200")).scalar_one()
        lifecycle.accept(s, alert, actor(s, BUDI), rt.clock.now())
    apply(app, rt, {**update, "text": "sudah di jalan", "n": 2}, area="SKM")
    assert "sudah di jalan" in sent_to(rt, BUDI)[-1]
    assert not any("sudah di jalan" in m for m in sent_to(rt, ANI) + sent_to(rt, SARI))


@pytest.mark.parametrize("urgency", ["emergency", "routine"])
def test_an_area_given_later_at_the_desa_reaches_its_dusun_kader_too(app, rt, urgency):
    details = {"ref": "300210", "urgency": urgency, "symptoms": ["cough"], "text": "batuk"}
    apply(app, rt, {"type": "report_filed", **details}, {"type": "alert_raised", **details},
          area=None)  # fmt: skip
    apply(app, rt, {"type": "alert_area_given", "ref": "300210", "area_code": "SKM"}, area=None)
    for phone in (ANI, BUDI, SARI):
        assert len([m for m in sent_to(rt, phone) if "ref 300210" in m]) == 1
    assert sent_to(rt, CICI) == [] and sent_to(rt, DEWI) == []


def ended_pregnancy(
    app, rt, kind: str, area: str = "SKM", ref: str = "300220", phone: str = RESIDENT
) -> None:
    """A birth or a miscarriage reported by a mother placed only at her desa."""
    if kind == "birth":
        event = {
            "type": "birth_reported", "mother_person_id": None, "mother_name": "Wulan",
            "delivery_date": "2026-11-22", "baby_name": "Bayi Ny. Wulan", "baby_sex": "P",
            "area_code": None, "gestation_weeks": 39, "weeks_estimated": False,
            "preterm": False, "ref": ref,
        }  # fmt: skip
    else:
        event = {
            "type": "pregnancy_lost", "mother_person_id": None, "mother_name": "Wulan",
            "loss_date": "2026-11-21", "gestation_weeks": 9, "area_code": None, "ref": ref,
        }  # fmt: skip
    apply(app, rt, event, area=area, phone=phone)


def test_a_birth_at_the_desa_reaches_its_dusun_kader_a_miscarriage_only_the_bidan(app, rt):
    ended_pregnancy(app, rt, "birth")
    for phone in (ANI, BUDI, SARI):
        assert [m for m in sent_to(rt, phone) if m.startswith("Kelahiran ref 300220")]
    assert sent_to(rt, CICI) == [] and sent_to(rt, PIKET) == []
    ended_pregnancy(app, rt, "loss", ref="300221")
    assert any(m.startswith("Keguguran ref 300221") for m in sent_to(rt, SARI))
    assert not any("300221" in m for m in sent_to(rt, ANI) + sent_to(rt, BUDI))


def test_what_follows_a_miscarriage_stays_with_the_bidan(app, rt, clock):
    """Sensitive: the dusun kader, never sent the miscarriage, hear nothing of it after."""
    ended_pregnancy(app, rt, "loss", area="SKM-KDL", ref="300222")
    clock.advance(hours=25)
    with app.app_context(), transaction(rt.session_factory) as s:
        lifecycle.escalate_due(s, rt.clock.now(), rt.settings)
    assert any("Ref 300222 dieskalasi" in m for m in sent_to(rt, SARI))
    assert not any("300222" in m for m in sent_to(rt, BUDI) + sent_to(rt, ANI))
    ended_pregnancy(app, rt, "loss", ref="300223", area="SKM", phone="+6281234567201")
    with app.app_context(), transaction(rt.session_factory) as s:
        alert = s.execute(select(Alert).where(Alert.ref == "300223")).scalar_one()
        _ids, escalated = lifecycle.decline(
            s, alert, actor(s, SARI), "cuti", rt.clock.now(), rt.settings
        )
        assert escalated  # not passed on to a kader it was never sent to
    assert not any("300223" in m for m in sent_to(rt, BUDI) + sent_to(rt, ANI))


def test_the_alert_after_a_miscarriage_does_not_say_ibu_nifas(app, rt, clock):
    from bot.alerts import who
    from bot.catalog import load_catalog
    from flows.lifestage import life_stage

    now = rt.clock.now()
    with transaction(rt.session_factory) as s:
        area_id = s.execute(select(Area.id).where(Area.code == "SKM-KDL")).scalar_one()
        contact = Contact(
            phone=RESIDENT, channel="whatsapp", area_id=area_id, created_at=to_db(now)
        )
        s.add(contact)
        s.flush()
        wulan = Person(
            contact_id=contact.id, name="Wulan", sex="P", birth_date=date(1998, 2, 3),
            hpht=date(2026, 9, 10), area_id=area_id, created_at=to_db(now), updated_at=to_db(now),
        )  # fmt: skip
        s.add(wulan)
        s.flush()
        wulan_id = wulan.id
    apply(app, rt, {
        "type": "pregnancy_lost", "mother_person_id": wulan_id, "mother_name": "Wulan",
        "loss_date": "2026-11-21", "gestation_weeks": 10, "area_code": None, "ref": "300230",
    })  # fmt: skip
    apply(app, rt, *emergency(ref="300231", person_id=wulan_id, symptoms=["bleeding"], text="x"))
    clock.advance(hours=25)
    with app.app_context(), transaction(rt.session_factory) as s:
        lifecycle.escalate_due(s, rt.clock.now(), rt.settings)
        wulan = s.get(Person, wulan_id)
        today = rt.clock.now().date()
        # triage still reads her as postpartum: the bleeding after a miscarriage is a danger sign
        info = lifecycle_info(wulan)
        assert life_stage(info, today) == "postpartum"
        assert (
            who(load_catalog("id"), wulan, None, today) == "Wulan (pasca keguguran, umur 28 tahun)"
        )
    sent = sent_to(rt, PIKET) + sent_to(rt, SARI)
    escalations = [m for m in sent if m.startswith("ESKALASI ref 300230")]
    assert escalations and all(
        "Siapa: Wulan (pasca keguguran, umur 28 tahun)" in m for m in escalations
    )
    emergencies = [m for m in sent if m.startswith("DARURAT ref 300231")]
    assert emergencies and "Siapa: Wulan (pasca keguguran, umur 28 tahun)" in emergencies[0]
    assert not any("ibu nifas" in m for m in all_worker_messages(rt))


def lifecycle_info(p: Person):
    from flows.base import PersonInfo

    return PersonInfo(
        p.id, p.name, p.sex, p.birth_date, p.hpht, p.edd, p.delivery_date,
        pregnancy_outcome=p.pregnancy_outcome,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("said", "day"),
    [
        ("mau esuk", "2026-11-22"),  # Javanese: this morning (a trial mother's words)
        ("lahire mau isuk", "2026-11-22"),
        ("mau awan", "2026-11-22"),
        ("mau sore", "2026-11-22"),
        ("mau bengi", "2026-11-21"),  # last night, like "semalam"
        ("wingi sore", "2026-11-21"),
        ("tadi enjing", "2026-11-22"),  # Sundanese: this morning ("enjing" alone: tomorrow)
        ("tadi sonten", "2026-11-22"),
        ("tadi peuting", "2026-11-21"),
        ("kamari sonten", "2026-11-21"),
        ("tadi pagi", "2026-11-22"),
        ("semalam", "2026-11-21"),
        ("20-11-2026", "2026-11-20"),
        ("besok", "2026-11-23"),  # a future day stays one (the flow says it cannot be)
    ],
)
def test_the_birth_date_in_a_residents_words(said, day):
    """The day of birth a birth alert carries, from the answer to "Kapan bayinya lahir?"."""
    from bot.catalog import load_catalog
    from flows.base import ContactInfo, Context
    from flows.birth import delivery_date

    ctx = Context(
        now=datetime(2026, 11, 22, 3, 0, tzinfo=timezone.utc),  # 10:00 WIB
        contact=ContactInfo(7, RESIDENT, "whatsapp"),
        t=load_catalog("id").t,
    )
    assert delivery_date(said, ctx) == date.fromisoformat(day)
