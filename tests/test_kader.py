"""Kader commands over the simulator channel: every command and its error cases."""

from datetime import date

import pytest
from sqlalchemy import select

from bot.clock import to_db
from bot.db import transaction
from bot.models import (
    Alert,
    Area,
    Contact,
    DoseRecord,
    Person,
    Reminder,
    Report,
    Worker,
)
from flows.kader_commands import outcome_of, parse
from tests.conftest import sent_to

ANI = "+6281100000001"  # kader, SKM-KLR
BUDI = "+6281100000002"  # kader, SKM-KDL
SARI = "+6281100000003"  # bidan, SKM
CICI = "+6281100000004"  # kader, MKS (Mekarsari)
PIKET = "+6281100000009"  # admin, the puskesmas on duty
RESIDENT = "+6281234567100"


@pytest.mark.parametrize(
    ("text", "name", "ref", "rest", "error"),
    [
        ("TERIMA 123", "TERIMA", "123", "", None),
        ("  terima   123 ", "TERIMA", "123", "", None),
        ("Tolak 123 sedang di luar kota", "TOLAK", "123", "sedang di luar kota", None),
        ("SELESAI #123 sudah dikunjungi", "SELESAI", "123", "sudah dikunjungi", None),
        ("rujuk 5", "RUJUK", "5", "", None),
        ("TERIMA", "TERIMA", None, "", "usage"),
        ("jadwal", "JADWAL", None, "", None),
        ("JADWAL 2", "JADWAL", "2", "", None),
        ("jadwal hari ini", "JADWAL", None, "", None),
        ("BANTUAN", "BANTUAN", None, "", None),
    ],
)
def test_parse(text, name, ref, rest, error):
    cmd = parse(text)
    assert (cmd.name, cmd.ref, cmd.rest, cmd.error) == (name, ref, rest, error)


@pytest.mark.parametrize("text", ["halo", "terimakasih bu", "", "   ", "mau terima 5"])
def test_not_a_command(text):
    assert parse(text) is None


def test_parse_imun():
    cmd = parse("imun 12 bcg opv1 2026-03-01")
    assert cmd.items == ("BCG", "OPV1") and cmd.date == "2026-03-01" and cmd.ref == "12"
    assert parse("IMUN 12").error == "usage"


@pytest.mark.parametrize(
    ("note", "outcome"),
    [
        ("sudah dikunjungi, anak membaik", "visited"),
        ("dirujuk ke RS", "referred"),
        ("tidak ada orang di rumah", "no_one_home"),
        ("dobel, sama dgn 755394", "cancelled"),  # second trial: counted as a visit before
        ("duplikat", "cancelled"),
        ("salah lapor, anaknya sehat", "cancelled"),
        ("sudah ada perbaikan, demam turun", "visited"),
    ],
)
def test_outcome(note, outcome):
    assert outcome_of(note) == outcome


def make_alert(rt, ref="555001", area="SKM-KLR", status="open", urgency="emergency") -> None:
    now = rt.clock.now()
    with transaction(rt.session_factory) as s:
        area_row = s.execute(select(Area).where(Area.code == area)).scalar_one()
        contact = s.execute(select(Contact).where(Contact.phone == RESIDENT)).scalar_one_or_none()
        if contact is None:
            contact = Contact(phone=RESIDENT, channel="simulator", created_at=to_db(now))
            s.add(contact)
            s.flush()
        s.add(
            Alert(
                ref=ref,
                kind="symptom",
                urgency=urgency,
                contact_id=contact.id,
                area_id=area_row.id,
                status=status,
                level=1,
                summary="demam tinggi",
                declined_by=[],
                escalate_at=to_db(now),
                created_at=to_db(now),
                updated_at=to_db(now),
            )
        )


def say(client, phone, text) -> list[str]:
    resp = client.post("/simulator/send", json={"from": phone, "text": text})
    assert resp.status_code == 200
    return resp.get_json()["replies"]


def alert(rt, ref="555001") -> Alert:
    with rt.session_factory() as s:
        return s.execute(select(Alert).where(Alert.ref == ref)).scalar_one()


def test_terima_then_selesai(client, rt):
    make_alert(rt)
    assert "Ref 555001 Anda terima" in say(client, ANI, "TERIMA 555001")[0]
    assert alert(rt).status == "accepted"
    assert "sudah diterima oleh Kader Ani" in say(client, SARI, "terima 555001")[0]
    assert "selesai (tidak ada orang)" in say(client, ANI, "SELESAI 555001 tidak ada orang")[0]
    a = alert(rt)
    assert a.status == "done" and a.outcome == "no_one_home"
    assert "sudah ditutup" in say(client, ANI, "TERIMA 555001")[0]


def test_unknown_ref_and_usage(client, rt):
    assert say(client, ANI, "TERIMA 123")[0] == "Ref 123 tidak ditemukan."
    assert "Format: TERIMA <ref>" in say(client, ANI, "terima")[0]
    assert "Perintah kader" in say(client, ANI, "BANTUAN")[0]


def add_kader(rt, phone: str, name: str, area: str) -> None:
    with transaction(rt.session_factory) as s:
        s.add(
            Worker(
                phone=phone,
                name=name,
                role="kader",
                active=True,
                created_at=to_db(rt.clock.now()),
                areas=[s.execute(select(Area).where(Area.code == area)).scalar_one()],
            )
        )


def test_tolak_needs_reason_then_goes_to_next_kader(client, rt):
    add_kader(rt, "+6281100000011", "Kader Euis", "SKM-KLR")
    make_alert(rt, area="SKM-KLR")
    assert "TOLAK 555001 <alasan>" in say(client, ANI, "TOLAK 555001")[0]
    assert "Kami teruskan ke petugas lain" in say(client, ANI, "TOLAK 555001 sedang sakit")[0]
    a = alert(rt)
    with rt.session_factory() as s:
        ani = s.execute(select(Worker).where(Worker.phone == ANI)).scalar_one()
    assert ani.id in a.declined_by and a.status == "open"
    assert a.note == "Ditolak oleh Kader Ani: sedang sakit"
    (sent,) = sent_to(rt, "+6281100000011")
    assert sent.startswith("DARURAT ref 555001") and "TOLAK 555001 <alasan>" in sent
    assert sent_to(rt, PIKET) == []  # not escalated: another kader has it


def test_tolak_after_terima_gives_the_alert_back(client, rt):
    add_kader(rt, "+6281100000011", "Kader Euis", "SKM-KLR")
    make_alert(rt, area="SKM-KLR")
    say(client, ANI, "TERIMA 555001")
    assert "sudah diterima oleh Kader Ani" in say(client, "+6281100000011", "TOLAK 555001 x")[0]
    say(client, ANI, "TOLAK 555001 anak saya sakit")
    a = alert(rt)
    assert (a.status, a.accepted_by, a.accepted_at) == ("open", None, None)
    assert a.escalate_at is not None  # the next kader has until the alert's own deadline


def test_tolak_by_last_kader_escalates(client, rt):
    make_alert(rt, area="MKS")
    say(client, "+6281100000004", "TOLAK 555001 di luar kota")
    assert alert(rt).status == "escalated"


def test_rujuk(client, rt):
    make_alert(rt)
    assert "dirujuk" in say(client, SARI, "RUJUK 555001")[0]
    assert alert(rt).status == "referred"


def add_child(rt, area="SKM-KLR", phone="+6281234567101") -> int:
    now = rt.clock.now()
    with transaction(rt.session_factory) as s:
        area_id = s.execute(select(Area.id).where(Area.code == area)).scalar_one()
        contact = Contact(phone=phone, channel="simulator", area_id=area_id, created_at=to_db(now))
        s.add(contact)
        s.flush()
        child = Person(
            contact_id=contact.id,
            name="Budi Kecil",
            sex="L",
            birth_date=date(2026, 9, 1),
            area_id=area_id,
            created_at=to_db(now),
            updated_at=to_db(now),
        )
        s.add(child)
        s.flush()
        s.add(
            Reminder(
                person_id=child.id,
                contact_id=contact.id,
                item="BCG",
                occurrence="1",
                stage="due",
                due_on=date(2026, 10, 1),
                send_at=to_db(now),
                status="pending",
                created_at=to_db(now),
                updated_at=to_db(now),
            )
        )
        return child.id


def test_imun_records_and_stops_reminders(client, rt):
    cid = add_child(rt)
    reply = say(client, ANI, f"IMUN {cid} BCG OPV1 2026-10-02")[0]
    assert reply == "Tercatat untuk Budi Kecil: BCG, OPV1."
    with rt.session_factory() as s:
        doses = s.execute(select(DoseRecord).where(DoseRecord.person_id == cid)).scalars().all()
        assert {d.item for d in doses} == {"BCG", "OPV1"}
        assert s.execute(select(Reminder.status)).scalar_one() == "done"
    assert say(client, ANI, f"IMUN {cid} BCG")[0] == "BCG sudah tercatat 2026-10-02."


def test_imun_of_a_series_without_its_number_takes_the_next_dose(client, rt):
    """ "IMUN 3 campak", "IMUN 3 dpt": the first dose of the series not recorded yet (it said
    "Jenis MR tidak dikenal")."""
    cid = add_child(rt)
    assert say(client, ANI, f"IMUN {cid} dpt 2026-10-20")[0] == "Tercatat untuk Budi Kecil: DPT1."
    assert "DPT2 paling cepat" in say(client, ANI, f"IMUN {cid} dpt 2026-11-01")[0]
    assert say(client, ANI, f"IMUN {cid} dpt")[0] == "Tercatat untuk Budi Kecil: DPT2."
    assert "MR1 tanggal" in say(client, ANI, f"IMUN {cid} campak")[0]  # MR1, too young
    with rt.session_factory() as s:
        items = s.execute(select(DoseRecord.item).where(DoseRecord.person_id == cid)).scalars()
        assert sorted(items) == ["DPT1", "DPT2"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("{cid} XYZ", "Jenis XYZ tidak dikenal"),
        ("99999 BCG", "Anak nomor 99999 tidak ditemukan."),
        ("abc BCG", 'Tidak ada warga bernama "abc" di wilayah Anda.'),  # read as a name
        ("12345678901234567890 BCG", "tidak ditemukan"),  # no 500 on a huge number
        ("{cid} BCG 2026-13-01", "Tanggal 2026-13-01 tidak valid"),
        ("{cid} BCG 2027-01-01", "BCG tanggal 2027-01-01 belum terjadi"),
        ("{cid} BCG 2026-08-01", "BCG tanggal 2026-08-01 sebelum tanggal lahir"),
        ("{cid} ANC1", "ANC1 tidak cocok untuk"),  # a pregnancy check for a baby
        ("{cid} OPV1 OPV2", "OPV2 paling cepat"),  # two doses of a series on one day
    ],
)
def test_imun_errors(client, rt, args, expected):
    cid = add_child(rt)
    assert expected in say(client, ANI, "IMUN " + args.format(cid=cid))[0]


def test_jadwal(client, rt):
    assert "Tidak ada" in say(client, ANI, "JADWAL")[0]
    make_alert(rt)
    assert "ref 555001" in say(client, ANI, "jadwal")[0]
    assert "Tidak ada" in say(client, BUDI, "JADWAL")[0]  # another dusun


def test_jadwal_names_the_children_late_for_an_immunization_in_her_area(client, rt):
    """Fourth trial: a child with five overdue vaccines, and the kader's JADWAL said "Tidak ada
    kunjungan atau jadwal untuk wilayah Anda hari ini"."""
    cid = add_child(rt)
    reply = say(client, ANI, "JADWAL")[0]
    assert "Perlu ditindaklanjuti (imunisasi terlambat, periksa hamil):" in reply
    line = next(x for x in reply.splitlines() if "Budi Kecil" in x)
    assert f"(no {cid})" in line and "BCG" in line and "terlambat" in line
    assert "Budi Kecil" not in say(client, BUDI, "JADWAL")[0]  # another dusun


def test_resident_typing_a_command_gets_the_normal_flows(client, rt):
    make_alert(rt)
    replies = say(client, RESIDENT, "TERIMA 555001")
    assert not any("Anda terima" in r for r in replies)
    assert alert(rt).status == "open"


# --------------------------------------------------------------------------- areas


def test_kader_of_another_desa_cannot_take_an_alert(client, rt):
    make_alert(rt, area="SKM-KLR")  # Kaler, Sukamaju
    reply = say(client, CICI, "TERIMA 555001")[0]
    assert "bukan wilayah Anda" in reply and "Anda terima" not in reply
    a = alert(rt)
    assert (a.status, a.accepted_by) == ("open", None)
    for command in ("TOLAK 555001 jauh", "SELESAI 555001 sudah dikunjungi", "RUJUK 555001"):
        assert "bukan wilayah Anda" in say(client, CICI, command)[0]
    a = alert(rt)
    assert (a.status, a.declined_by, a.outcome) == ("open", [], None)


def test_bidan_of_the_desa_and_the_puskesmas_can_take_it(client, rt):
    make_alert(rt, area="SKM-KLR-01")  # an RW below Ani's dusun, below Sari's desa
    assert "Anda terima" in say(client, ANI, "TERIMA 555001")[0]
    make_alert(rt, ref="555002", area="MKS-GNT")
    assert "Anda terima" in say(client, PIKET, "TERIMA 555002")[0]
    assert "bukan wilayah Anda" in say(client, SARI, "RUJUK 555002")[0]


def test_imun_for_a_child_of_another_dusun_is_refused(client, rt):
    cid = add_child(rt, area="SKM-KDL")  # Kidul: Budi's dusun, not Ani's
    reply = say(client, ANI, f"IMUN {cid} BCG")[0]
    assert reply == f"Nomor {cid} bukan warga wilayah Anda. Minta bidan atau puskesmas mencatatnya."
    with rt.session_factory() as s:
        assert s.execute(select(DoseRecord)).scalars().all() == []
    assert say(client, BUDI, f"IMUN {cid} BCG")[0] == "Tercatat untuk Budi Kecil: BCG."
    assert "bukan warga wilayah Anda" in say(client, CICI, f"IMUN {cid} OPV1")[0]


@pytest.mark.parametrize(
    ("text", "name", "ref"),
    [
        ("trima 123", "TERIMA", "123"),
        ("Terima: 123", "TERIMA", "123"),
        ("TERIMA ref 123", "TERIMA", "123"),
        ("terima #123.", "TERIMA", "123"),
        ("Selesai. 123 sudah dikunjungi", "SELESAI", "123"),
    ],
)
def test_commands_as_kader_type_them(text, name, ref):
    """Found by a kader's trial: small slips made the command fall through to the menu."""
    cmd = parse(text)
    assert (cmd.name, cmd.ref) == (name, ref)


def test_terima_kasih_is_thanks_not_a_command():
    assert parse("Terima kasih bu") is None


def test_imun_replans_at_once_so_the_next_dose_waits_its_interval(client, rt):
    """After IMUN DPT1 the DPT2 reminder is due 4 weeks later, not the next day (issue #10)."""
    cid = add_child(rt)
    with transaction(rt.session_factory) as s:
        child = s.get(Person, cid)
        s.get(Contact, child.contact_id).consent_at = to_db(rt.clock.now())
    assert say(client, ANI, f"IMUN {cid} DPT1 2026-11-02")[0].startswith("Tercatat")
    with rt.session_factory() as s:
        dpt2 = (
            s.execute(
                select(Reminder.due_on).where(Reminder.person_id == cid, Reminder.item == "DPT2")
            )
            .scalars()
            .all()
        )
    assert dpt2 and min(dpt2) >= date(2026, 11, 30)


# --------------------------------------------------------------------------- desa-level alerts
# Found in the field trial: the reporter named only her desa, the alert went to Ani and Budi
# with "Balas TERIMA ...", and TERIMA told Ani "bukan wilayah Anda".


def test_an_alert_known_only_by_its_desa_is_for_every_dusun_kader_of_it(client, rt):
    make_alert(rt, ref="557643", area="SKM")  # Sukamaju, the family's dusun unknown
    for phone in (ANI, BUDI, SARI):
        assert "ref 557643" in say(client, phone, "JADWAL")[0]
    assert say(client, CICI, "JADWAL")[0].startswith("Tidak ada")
    assert "Ref 557643 Anda terima" in say(client, ANI, "Terima 557643")[0]
    a = alert(rt, "557643")
    with rt.session_factory() as s:
        ani = s.execute(select(Worker).where(Worker.phone == ANI)).scalar_one()
    assert (a.status, a.accepted_by) == ("accepted", ani.id)
    assert "Kader Ani menerima laporan 557643" in sent_to(rt, RESIDENT)[-1]
    # the first TERIMA wins, as in a dusun
    assert "sudah diterima oleh Kader Ani" in say(client, BUDI, "TERIMA 557643")[0]
    assert "sudah diterima oleh Kader Ani" in say(client, SARI, "TERIMA 557643")[0]
    # a kader of another desa is still refused, whatever she sends
    for command in ("TERIMA 557643", "TOLAK 557643 jauh", "SELESAI 557643 ok", "RUJUK 557643"):
        assert "bukan wilayah Anda" in say(client, CICI, command)[0]
    assert "selesai (dikunjungi)" in say(client, ANI, "SELESAI 557643 sudah dikunjungi")[0]
    a = alert(rt, "557643")
    assert (a.status, a.outcome, a.closed_by) == ("done", "visited", ani.id)


def test_a_dusun_kader_may_decline_or_refer_a_desa_alert(client, rt):
    make_alert(rt, ref="557644", area="SKM")
    reply = say(client, BUDI, "TOLAK 557644 sedang di kota")[0]
    assert "bukan wilayah Anda" not in reply and "557644" in reply
    with rt.session_factory() as s:
        budi = s.execute(select(Worker).where(Worker.phone == BUDI)).scalar_one()
    assert budi.id in alert(rt, "557644").declined_by
    assert "Ref 557644 Anda terima" in say(client, ANI, "TERIMA 557644")[0]
    assert "dirujuk" in say(client, ANI, "RUJUK 557644 ke puskesmas")[0]
    assert alert(rt, "557644").status == "referred"
    make_alert(rt, ref="557645", area="SKM")
    assert "dirujuk" in say(client, SARI, "RUJUK 557645")[0]


def test_an_alert_in_a_dusun_stays_with_that_dusun(client, rt):
    make_alert(rt, ref="557646", area="SKM-KDL")  # Kidul: Budi's, and Bidan Sari's above
    assert "bukan wilayah Anda" in say(client, ANI, "TERIMA 557646")[0]
    assert "Tidak ada" in say(client, ANI, "JADWAL")[0]
    assert "ref 557646" in say(client, SARI, "JADWAL")[0]
    assert "Ref 557646 Anda terima" in say(client, BUDI, "TERIMA 557646")[0]


def test_a_desa_level_resident_stays_the_bidans_for_doses(client, rt):
    """Only alerts widen: a child placed only at the desa is not a dusun kader's resident."""
    cid = add_child(rt, area="SKM")
    assert "bukan warga wilayah Anda" in say(client, ANI, f"IMUN {cid} BCG")[0]
    assert say(client, SARI, f"IMUN {cid} BCG")[0] == "Tercatat untuk Budi Kecil: BCG."


def test_imun_td_for_a_pregnant_woman_is_her_own_series(client, rt):
    """A kader types "td" / "td 1" for an ibu hamil: her Td T1, T2 (not the school Td kelas 2);
    the service's interval holds; "IMUN <no> td" for a man stays refused."""
    now = rt.clock.now()
    with transaction(rt.session_factory) as s:
        area_id = s.execute(select(Area.id).where(Area.code == "SKM-KLR")).scalar_one()
        contact = Contact(
            phone="+6281234567109", channel="simulator", area_id=area_id, created_at=to_db(now)
        )
        s.add(contact)
        s.flush()
        woman = Person(
            contact_id=contact.id,
            name="Yuyun",
            sex="P",
            birth_date=date(1998, 1, 1),
            hpht=date(2026, 6, 1),
            area_id=area_id,
            created_at=to_db(now),
            updated_at=to_db(now),
        )
        s.add(woman)
        s.flush()
        wid = woman.id
    assert say(client, ANI, f"IMUN {wid} td 1 2026-10-02")[0] == "Tercatat untuk Yuyun: T1."
    assert "T2 paling cepat 4 minggu setelah T1" in say(client, ANI, f"IMUN {wid} td 2026-10-10")[0]
    assert say(client, ANI, f"IMUN {wid} td 2026-10-30")[0] == "Tercatat untuk Yuyun: T2."
    assert "tidak cocok untuk Budi Kecil" in say(client, ANI, f"IMUN {add_child(rt)} T1")[0]


def _sent_alert(rt, ref: str, *phones: str) -> None:
    """The alert's text as it went to these workers (what bot.alerts.notify queues)."""
    from bot import outbox

    with transaction(rt.session_factory) as s:
        for phone in phones:
            outbox.queue(
                s, key=f"alert:{ref}:new:{phone}", to_phone=phone, channel="whatsapp",
                body="DARURAT ...", now=rt.clock.now(), kind="alert",
            )  # fmt: skip


def test_only_the_kader_who_took_a_case_closes_it_and_the_others_are_told(client, rt):
    """Second trial of the session: Budi closed the DBD child Ani had accepted ("SELESAI 549440
    sdh"), nobody told Ani, and Sari never heard Ani took the stroke case."""
    make_alert(rt, area="SKM")  # placed only at the desa: both dusun kader and the bidan
    _sent_alert(rt, "555001", ANI, BUDI, SARI)
    assert "Anda terima" in say(client, ANI, "TERIMA 555001")[0]
    for phone in (BUDI, SARI):
        assert any("Ref 555001 sudah ditangani Kader Ani" in b for b in sent_to(rt, phone))
    assert not any("sudah ditangani" in b for b in sent_to(rt, ANI))
    reply = say(client, BUDI, "SELESAI 555001 sdh")[0]
    assert "sudah diterima oleh Kader Ani" in reply
    assert alert(rt).status == "accepted"
    assert "selesai" in say(client, SARI, "SELESAI 555001 sudah dikunjungi bidan")[0].lower()
    assert alert(rt).status == "done"
    assert any("Ref 555001 yang Anda terima sudah ditutup oleh" in b for b in sent_to(rt, ANI))


def test_a_resident_who_opted_out_still_hears_who_takes_her_emergency(client, rt):
    """Second trial: after STOP, her convulsion alert was taken and closed and she was never
    told who was coming."""
    make_alert(rt)
    with transaction(rt.session_factory) as s:
        s.execute(select(Contact).where(Contact.phone == RESIDENT)).scalar_one().opted_out = True
    say(client, ANI, "TERIMA 555001")
    assert any("menerima laporan 555001" in b for b in sent_to(rt, RESIDENT))
    make_alert(rt, ref="555002", urgency="routine")
    say(client, ANI, "TERIMA 555002")
    assert not any("555002" in b for b in sent_to(rt, RESIDENT))  # routine: STOP holds


def test_jadwal_lists_emergencies_before_routine_alerts(client, rt):
    make_alert(rt, ref="555001", urgency="routine")
    make_alert(rt, ref="555002", urgency="emergency")
    reply = say(client, ANI, "JADWAL")[0]
    assert reply.index("ref 555002") < reply.index("ref 555001")


def test_a_routine_report_continued_by_a_danger_sign_becomes_one_emergency(client, rt):
    """Second trial: "anak sy panas" / "udh 4 hari" filed a routine report; "panasnya tinggi
    bgt 39 lebih" / "td gusinya berdarah" then raised an emergency whose alert held only its
    own words, with the routine one still open beside it."""
    mother = "+6281311110007"
    for text in ("anak sy panas", "udh 4 hari", "panasnya tinggi bgt 39 lebih"):
        say(client, mother, text)
    assert "119" in say(client, mother, "td gusinya berdarah")[0]  # the dengue advice
    with rt.session_factory() as s:
        rows = s.execute(
            select(Alert)
            .join(Contact, Alert.contact_id == Contact.id)
            .where(Contact.phone == mother)
        ).scalars()
        by_urgency = {a.urgency: a for a in rows}
        emergency, routine = by_urgency["emergency"], by_urgency.get("routine")
        assert emergency.status == "open"
        assert routine is not None and routine.status == "closed" and routine.outcome == "cancelled"
        assert "Digabung ke laporan darurat" in (routine.note or "")
        report = s.get(Report, emergency.report_id)
        assert report.text.startswith("anak sy panas") and "gusinya berdarah" in report.text
